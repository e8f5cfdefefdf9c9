// The shared corpus of real plans (../shared/jmx-corpus), table-driven
// (tests/data/corpus_runs.tsv, explained in corpus_runs.md):
//  - every plan's runnable flag (`barrage inspect --json`) is the table's, so a regression in
//    coverage fails here;
//  - every runnable plan runs briefly (`--duration`) against the fixture server in this
//    process, which answers every path (catch-all), with `--connect-to ::127.0.0.1:<port>`
//    sending every host there. Checked: the exit code (a missing data file: 2 and the error
//    naming it), no crash, and a sample for every sampler label the plan reaches.
// Traffic stays on loopback: before a plan runs, the test asserts that every sampler's host
// is covered by a connect-to rule to a loopback address (a host known only at run time needs
// the any-host rule), and the children run without proxy variables.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/connect_to.h"
#include "common/sample.h"
#include "controller/jtl_reader.h"
#include "nlohmann/json.hpp"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;
using test::RunProcess;
using test::SpawnOptions;

const fs::path kCorpus = fs::path(BARRAGE_SHARED_DIR) / "jmx-corpus";
constexpr int kParallelRuns = 4;

struct Row {
  std::string file;
  bool runnable = false;
  int duration_s = 0;
  int exit_code = 0;
  std::string stderr_contains;                            // "" = stderr not checked
  std::vector<std::pair<std::string, std::string>> data;  // corpus file -> path the plan names
  std::set<std::string> unreached;                        // sampler labels the short run never reaches
  std::set<std::string> maybe_reached;  // "?label": reached or not by chance (the plan's own random choice)
};

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

std::vector<Row> LoadTable() {
  std::ifstream in(std::string(BARRAGE_TEST_DATA_DIR) + "/corpus_runs.tsv");
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = Split(line, '\t');
    if (f.size() < 8) {
      ADD_FAILURE() << "corpus_runs.tsv: 8 columns expected: " << line;
      continue;
    }
    Row r;
    r.file = f[0];
    r.runnable = f[1] == "yes";
    if (r.runnable) {
      r.duration_s = std::stoi(f[2]);
      r.exit_code = std::stoi(f[3]);
      if (f[4] != "-") r.stderr_contains = f[4];
      if (f[5] != "-") {
        for (const std::string& pair : Split(f[5], ';')) {
          size_t gt = pair.find('>');
          r.data.emplace_back(pair.substr(0, gt), pair.substr(gt + 1));
        }
      }
      if (f[6] != "-") {
        for (const std::string& label : Split(f[6], ',')) {
          if (label.rfind('?', 0) == 0) {
            r.maybe_reached.insert(label.substr(1));
          } else {
            r.unreached.insert(label);
          }
        }
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

// The host and port a sampler's URL names as `inspect` prints it; host "" when the URL has
// none or it is known only at run time (a ${...} reference).
void HostAndPort(const std::string& url, std::string* host, int* port) {
  *host = "";
  *port = 0;
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return;
  size_t start = scheme + 3;
  std::string authority = url.substr(start, url.find_first_of("/?#", start) - start);
  if (authority.find("${") != std::string::npos) return;
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    *port = std::atoi(authority.c_str() + colon + 1);
    authority.resize(colon);
  } else {
    *port = url.compare(0, 5, "https") == 0 ? 443 : 80;
  }
  *host = authority;
}

// True when a request to `url` can only reach loopback under `rules`.
bool StaysOnLoopback(const std::vector<ConnectToRule>& rules, const std::string& url) {
  std::string host;
  int port = 0;
  HostAndPort(url, &host, &port);
  const ConnectToRule* rule = nullptr;
  if (host.empty()) {  // unknown until run time: only a rule for every host and port will do
    for (const ConnectToRule& r : rules) {
      if (r.host.empty() && r.port == 0) {
        rule = &r;
        break;
      }
    }
  } else {
    rule = MatchConnectTo(rules, host, port);
  }
  return rule != nullptr && rule->connect_host.rfind("127.", 0) == 0;
}

// Whether a recorded label is the plan's `label`, whose ${...} references (evaluated at run
// time) match anything.
bool LabelMatches(const std::string& label, const std::string& recorded) {
  std::vector<std::string> literals;
  size_t pos = 0;
  while (true) {
    size_t ref = label.find("${", pos);
    literals.push_back(label.substr(pos, ref == std::string::npos ? std::string::npos : ref - pos));
    if (ref == std::string::npos) break;
    size_t end = label.find('}', ref);
    if (end == std::string::npos) return label == recorded;
    pos = end + 1;
  }
  if (literals.size() == 1) return label == recorded;
  if (recorded.compare(0, literals.front().size(), literals.front()) != 0) return false;
  size_t at = literals.front().size();
  for (size_t i = 1; i + 1 < literals.size(); ++i) {
    at = recorded.find(literals[i], at);
    if (at == std::string::npos) return false;
    at += literals[i].size();
  }
  const std::string& last = literals.back();
  return recorded.size() >= at + last.size() && recorded.compare(recorded.size() - last.size(), last.size(), last) == 0;
}

bool HasSample(const std::map<std::string, int>& samples_by_label, const std::string& label) {
  return std::any_of(samples_by_label.begin(), samples_by_label.end(),
                     [&](const auto& entry) { return LabelMatches(label, entry.first); });
}

struct Inspected {
  bool ok = false;
  bool runnable = false;
  std::vector<std::string> labels;  // enabled samplers, document order
  std::vector<std::string> urls;    // of the HTTP samplers
  std::string error;
};

Inspected Inspect(const fs::path& plan) {
  Inspected out;
  ProcessResult r = RunProcess({BARRAGE_BINARY, "inspect", "--json", plan.string()}, std::chrono::seconds(30));
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (r.timed_out || !j.is_object()) {
    out.error = "inspect gave no JSON: " + r.err;
    return out;
  }
  out.ok = true;
  out.runnable = j.value("runnable", false);
  for (const auto& s : j["samplers"]) {
    out.labels.push_back(s["name"].is_string() ? s["name"].get<std::string>() : "");
    // Other samplers (Debug, Dummy, Flow Control Action...) open no connection.
    if (s["kind"] == "http") out.urls.push_back(s["url"].is_string() ? s["url"].get<std::string>() : "");
  }
  return out;
}

struct RunOutcome {
  Inspected inspected;
  bool on_loopback = true;
  std::string off_loopback_url;
  ProcessResult result;
  std::map<std::string, int> samples_by_label;
  std::string jtl_error;
};

class CorpusRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // libcurl honours these; nothing may leave loopback through a proxy.
    for (const char* v : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"}) {
      unsetenv(v);
    }
  }
  void SetUp() override {
    if (!fs::is_directory(kCorpus)) GTEST_SKIP() << "shared corpus not found: " << kCorpus;
    std::string pattern = (fs::temp_directory_path() / "barrage-corpus-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  // Copies the plan (and the data files the table names) into its own folder, so what the
  // run writes (listener files, JTL, store) never lands in the shared corpus; then inspects
  // and, when every host stays on loopback, runs it.
  RunOutcome RunPlan(const Row& row, const std::vector<ConnectToRule>& rules, const std::string& rule_text) {
    RunOutcome o;
    fs::path dir = dir_ / row.file;
    fs::create_directories(dir);
    fs::path plan = dir / row.file;
    fs::copy_file(kCorpus / row.file, plan);
    for (const auto& [from, to] : row.data) {
      fs::create_directories((dir / to).parent_path());
      fs::copy_file(kCorpus / from, dir / to);
    }
    o.inspected = Inspect(plan);
    if (!o.inspected.ok || !o.inspected.runnable) return o;
    for (const std::string& url : o.inspected.urls) {
      if (!StaysOnLoopback(rules, url)) {
        o.on_loopback = false;
        o.off_loopback_url = url;
        return o;
      }
    }
    fs::path jtl = dir / "out.jtl";
    o.result = RunProcess(
        {BARRAGE_BINARY, "run", plan.string(), "--quiet", "--duration", std::to_string(row.duration_s),
         "--stop-timeout", "1", "--connect-to", rule_text, "-l", jtl.string(), "--db", (dir / "results.db").string()},
        std::chrono::seconds(row.duration_s + 30), SpawnOptions{.cwd = dir.string()});
    if (fs::exists(jtl)) {
      Result<std::vector<Sample>> samples = ReadJtlFile(jtl.string());
      if (samples.ok()) {
        for (const Sample& s : *samples) ++o.samples_by_label[s.label];
      } else {
        o.jtl_error = samples.status().message();
      }
    }
    return o;
  }

  fs::path dir_;
};

TEST_F(CorpusRunTest, EveryPlanOfTheCorpusIsInTheTable) {
  std::set<std::string> in_table;
  for (const Row& r : LoadTable()) in_table.insert(r.file);
  std::set<std::string> in_corpus;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.path().extension() == ".jmx") in_corpus.insert(entry.path().filename().string());
  }
  EXPECT_EQ(in_table, in_corpus);
}

TEST_F(CorpusRunTest, RunnablePlansRunAgainstTheFixtureAndReachTheirSamplers) {
  fixture::FixtureOptions options;
  options.catch_all = true;
  options.threads = 256;
  Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const std::string rule_text = "::127.0.0.1:" + std::to_string((*server)->port());
  Result<std::vector<ConnectToRule>> rules = ParseConnectToRules({rule_text});
  ASSERT_TRUE(rules.ok());

  std::vector<Row> table = LoadTable();
  ASSERT_GE(table.size(), 50u);
  std::vector<RunOutcome> outcomes(table.size());
  // kParallelRuns plans at a time, each bounded by its --duration.
  for (size_t start = 0; start < table.size(); start += kParallelRuns) {
    std::vector<std::future<RunOutcome>> batch;
    for (size_t i = start; i < std::min(table.size(), start + kParallelRuns); ++i) {
      batch.push_back(std::async(std::launch::async, [&, i] { return RunPlan(table[i], *rules, rule_text); }));
    }
    for (size_t k = 0; k < batch.size(); ++k) outcomes[start + k] = batch[k].get();
  }
  (*server)->Stop();

  int ran = 0;
  for (size_t i = 0; i < table.size(); ++i) {
    const Row& row = table[i];
    const RunOutcome& o = outcomes[i];
    SCOPED_TRACE(row.file);
    ASSERT_TRUE(o.inspected.ok) << o.inspected.error;
    EXPECT_EQ(o.inspected.runnable, row.runnable);
    if (!o.inspected.runnable || !row.runnable) continue;
    ASSERT_TRUE(o.on_loopback) << "refused to run: " << o.off_loopback_url << " is not covered by " << rule_text;
    ++ran;
    EXPECT_FALSE(o.result.timed_out);
    EXPECT_EQ(o.result.term_signal, 0);
    EXPECT_EQ(o.result.exit_code, row.exit_code) << o.result.err;
    if (!row.stderr_contains.empty()) {
      EXPECT_NE(o.result.err.find(row.stderr_contains), std::string::npos) << o.result.err;
    }
    if (row.exit_code != 0) continue;
    EXPECT_EQ(o.jtl_error, "");
    std::set<std::string> missing;
    for (const std::string& label : o.inspected.labels) {
      if (!row.unreached.count(label) && !row.maybe_reached.count(label) && !HasSample(o.samples_by_label, label)) {
        missing.insert(label);
      }
    }
    EXPECT_EQ(missing, std::set<std::string>{}) << "sampler labels without a sample";
    for (const std::string& label : row.unreached) {
      EXPECT_FALSE(HasSample(o.samples_by_label, label)) << label << " is listed as unreached but has samples";
    }
  }
  EXPECT_EQ(ran, static_cast<int>(std::count_if(table.begin(), table.end(), [](const Row& r) { return r.runnable; })));
}

TEST(CorpusLabelTest, ReferencesInALabelMatchAnything) {
  EXPECT_TRUE(LabelMatches("HTTP: ${PATH}", "HTTP: /a/b"));
  EXPECT_TRUE(LabelMatches("HTTP: ${PATH}", "HTTP: "));
  EXPECT_FALSE(LabelMatches("HTTP: ${PATH}", "HTTPS: /a"));
  EXPECT_TRUE(LabelMatches("${a}-x-${b}", "1-x-2"));
  EXPECT_FALSE(LabelMatches("${a}-x-${b}", "1-y-2"));
  EXPECT_TRUE(LabelMatches("Home", "Home"));
  EXPECT_FALSE(LabelMatches("Home", "Home 2"));
}

TEST(CorpusLoopbackGuardTest, HostsNotCoveredByALoopbackRuleAreRefused) {
  std::vector<ConnectToRule> rules = {ConnectToRule{"example.com", 80, "127.0.0.1", 8080},
                                      ConnectToRule{"other.test", 0, "10.0.0.1", 80}};
  EXPECT_TRUE(StaysOnLoopback(rules, "http://example.com/a"));
  EXPECT_FALSE(StaysOnLoopback(rules, "https://example.com/a"));  // port 443
  EXPECT_FALSE(StaysOnLoopback(rules, "http://other.test/"));     // not loopback
  EXPECT_FALSE(StaysOnLoopback(rules, "http://${host}/"));        // known only at run time
  EXPECT_FALSE(StaysOnLoopback(rules, "/relative"));              // no host in the plan
  rules.push_back(ConnectToRule{"", 0, "127.0.0.1", 8080});
  EXPECT_TRUE(StaysOnLoopback(rules, "http://${host}/"));
  EXPECT_TRUE(StaysOnLoopback(rules, "https://anything.test:8443/"));
}

}  // namespace
}  // namespace barrage
