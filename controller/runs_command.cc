#include "controller/runs_command.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/exit_codes.h"

namespace barrage {
namespace {

std::string PlanOf(const ExecutionRecord& r) {
  std::string file = std::filesystem::path(r.plan_path).filename().string();
  return file.empty() ? r.plan_name : file;
}

std::string LocalTime(int64_t epoch_ms) {
  const std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// 950 ms -> "0.9s", 75 s -> "1m15s", 3723 s -> "1h02m03s".
std::string Duration(int64_t ms) {
  char buf[48];
  if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%lld.%llds", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000 / 100));
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60));
  }
  return buf;
}

void NewestFirst(std::vector<ExecutionRecord>& runs) {
  std::sort(runs.begin(), runs.end(), [](const ExecutionRecord& a, const ExecutionRecord& b) { return a.id > b.id; });
}

}  // namespace

std::string RenderRunsText(std::vector<ExecutionRecord> runs) {
  NewestFirst(runs);
  std::vector<std::vector<std::string>> rows = {
      {"ID", "STATUS", "PLAN", "VERSION", "STARTED", "DURATION", "SAMPLES", "VERDICT"}};
  for (const ExecutionRecord& r : runs) {
    rows.push_back({std::to_string(r.id), std::string(ExecutionStatusName(r.status)), PlanOf(r),
                    r.definition_version ? "v" + std::to_string(r.definition_version) : "-", LocalTime(r.started_at_ms),
                    r.ended_at_ms ? Duration(*r.ended_at_ms - r.started_at_ms) : "-", std::to_string(r.samples),
                    r.verdict.empty() ? "-" : r.verdict});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  // Numbers (ID, SAMPLES) right-aligned, text left; two spaces between columns.
  std::ostringstream out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      const bool right = c == 0 || c == 6;
      line += (c ? "  " : "") + (right ? pad + row[c] : row[c] + (c + 1 < row.size() ? pad : ""));
    }
    out << line << "\n";
  }
  return out.str();
}

std::string RenderRunsJson(std::vector<ExecutionRecord> runs) {
  NewestFirst(runs);
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const ExecutionRecord& r : runs) {
    nlohmann::ordered_json j;
    j["id"] = r.id;
    j["status"] = ExecutionStatusName(r.status);
    j["plan"] = PlanOf(r);
    j["plan_path"] = r.plan_path;
    j["plan_name"] = r.plan_name;
    j["project"] = r.project;
    j["definition_version"] = r.definition_version ? nlohmann::ordered_json(r.definition_version) : nullptr;
    j["sha256"] = r.plan_sha256.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.plan_sha256);
    j["started_at_ms"] = r.started_at_ms;
    j["ended_at_ms"] = r.ended_at_ms ? nlohmann::ordered_json(*r.ended_at_ms) : nullptr;
    j["duration_ms"] = r.ended_at_ms ? nlohmann::ordered_json(*r.ended_at_ms - r.started_at_ms) : nullptr;
    j["samples"] = r.samples;
    j["verdict"] = r.verdict.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.verdict);
    j["triggered_by"] = r.triggered_by;
    all.push_back(std::move(j));
  }
  return all.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::optional<ResultsStore> OpenStoreForReading(const std::string& db_path, const std::string& project,
                                                int* exit_code) {
  Result<ResultsStore> store = ResultsStore::Open(db_path, {.project = project, .must_exist = true});
  if (!store.ok()) {
    std::cerr << "barrage: " << store.status().message() << "\n";
    *exit_code = kExitRuntimeFailure;
    return std::nullopt;
  }
  if (Result<int> marked = store->MarkInterruptedExecutions(); !marked.ok()) {
    std::cerr << "barrage: " << marked.status().message() << "\n";
    *exit_code = kExitRuntimeFailure;
    return std::nullopt;
  } else if (*marked > 0) {
    std::cerr << "barrage: marked " << *marked << " interrupted run(s) as aborted\n";
  }
  return std::move(store).value();
}

std::vector<ProtectedFile> RunSourceFiles(const ExecutionRecord& run) {
  std::vector<ProtectedFile> files = {{run.plan_path, "the plan of run " + std::to_string(run.id)}};
  nlohmann::json infra = nlohmann::json::parse(run.infra_json, nullptr, /*allow_exceptions=*/false);
  if (infra.is_object() && infra.value("mode", "") == "imported" && infra.contains("jtl") && infra["jtl"].is_string()) {
    files.push_back({infra["jtl"].get<std::string>(), "the JTL run " + std::to_string(run.id) + " was imported from"});
  }
  return files;
}

std::optional<int64_t> ResolveRunOrSay(const ResultsStore& store, const std::string& ref, int* exit_code) {
  Result<int64_t> id = store.ResolveRun(ref);
  if (!id.ok()) {
    std::cerr << "barrage: " << id.status().message() << "\n";
    *exit_code = kExitUsage;
    return std::nullopt;
  }
  return *id;
}

int RunRuns(const RunsOptions& options) {
  int exit_code = kExitOk;
  std::optional<ResultsStore> store = OpenStoreForReading(options.db_path, options.project, &exit_code);
  if (!store) return exit_code;
  Result<std::vector<ExecutionRecord>> runs = store->ListExecutions();
  if (!runs.ok()) {
    std::cerr << "barrage: " << runs.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  if (options.json) {
    std::cout << RenderRunsJson(std::move(runs).value());
  } else if (runs->empty()) {
    std::cout << "no runs in project '" << options.project << "'\n";
  } else {
    std::cout << RenderRunsText(std::move(runs).value());
  }
  if (Status st = store->Close(); !st.ok()) {
    std::cerr << "barrage: " << st.message() << "\n";
    return kExitRuntimeFailure;
  }
  return kExitOk;
}

int RunDelete(const RunsOptions& options, const std::string& run) {
  int exit_code = kExitOk;
  std::optional<ResultsStore> store = OpenStoreForReading(options.db_path, options.project, &exit_code);
  if (!store) return exit_code;
  std::optional<int64_t> id = ResolveRunOrSay(*store, run, &exit_code);
  if (!id) return exit_code;
  Result<int64_t> samples = store->DeleteExecution(*id);
  if (!samples.ok()) {
    std::cerr << "barrage: " << samples.status().message() << "\n";
    return samples.status().code() == Status::Code::kIoError || samples.status().code() == Status::Code::kInternal
               ? kExitRuntimeFailure
               : kExitUsage;
  }
  if (Status st = store->Close(); !st.ok()) {
    std::cerr << "barrage: " << st.message() << "\n";
    return kExitRuntimeFailure;
  }
  std::cout << "barrage: deleted run " << *id << " (" << *samples << " samples)\n";
  return kExitOk;
}

}  // namespace barrage
