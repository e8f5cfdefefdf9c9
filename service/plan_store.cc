#include "service/plan_store.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "common/digest.h"
#include "common/output_file.h"
#include "controller/loaded_plan.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;

std::string KeptFile(const std::string& data_dir, const std::string& sha256) {
  return (fs::path(data_dir) / "files" / sha256).string();
}

Status WriteKept(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  if (fs::exists(path, ec)) return Status::Ok();  // content-addressed: the same bytes
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status::IoError(fs::path(path).parent_path().string() + ": " + ec.message());
  Result<AtomicFileWriter> out = AtomicFileWriter::Create(path);
  if (!out.ok()) return out.status();
  if (Status st = out->Write(bytes); !st.ok()) return st;
  return out->Commit();
}

}  // namespace

Status CheckUploadName(const std::string& field, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(field + ": file name \"" + name + "\" " + why);
  };
  if (name.empty()) return Status::InvalidArgument(field + ": a file name is required");
  if (name.find('\0') != std::string::npos || name.find('\\') != std::string::npos) {
    return bad("must not hold a backslash or NUL");
  }
  if (name.front() == '/') return bad("must be a relative path inside the plan's folder");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string_view segment(name.data() + start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return bad("must be a relative path inside the plan's folder");
    }
    start = end + 1;
  }
  return Status::Ok();
}

std::string UploadSha256(const std::string& jmx, const std::vector<DefinitionFile>& files) {
  const std::string jmx_sha = Sha256Hex(jmx);
  if (files.empty()) return jmx_sha;
  std::vector<const DefinitionFile*> sorted;
  for (const DefinitionFile& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  std::string manifest = "barrage-upload-1\n" + jmx_sha + "\n";
  for (const DefinitionFile* f : sorted) manifest += f->name + " " + f->sha256 + "\n";
  return Sha256Hex(manifest);
}

Result<DefinitionRecord> StorePlanUpload(ResultsStore& store, const std::string& data_dir, const PlanUpload& upload) {
  if (Status st = CheckUploadName("plan", upload.name); !st.ok()) return st;
  if (upload.name.find('/') != std::string::npos) {
    return Status::InvalidArgument("plan: file name \"" + upload.name + "\" must not name a folder");
  }
  std::map<std::string, const std::string*> files;
  std::vector<DefinitionFile> listed;
  for (const auto& [name, bytes] : upload.files) {
    if (Status st = CheckUploadName("data", name); !st.ok()) return st;
    if (name == upload.name) {
      return Status::InvalidArgument("data: file name \"" + name + "\" is the plan's own name");
    }
    if (!files.emplace(name, &bytes).second) {
      return Status::InvalidArgument("data: two files are named \"" + name + "\"");
    }
    listed.push_back({name, Sha256Hex(bytes), static_cast<int64_t>(bytes.size())});
  }
  // The plan parses and compiles from the uploaded bytes; an Include Controller's file comes
  // from the upload too.
  auto read = [&](const std::string& path) -> Result<std::string> {
    if (path == upload.name) return upload.jmx;
    std::string relative = path.rfind("./", 0) == 0 ? path.substr(2) : path;
    if (auto it = files.find(relative); it != files.end()) return *it->second;
    return Status::NotFound(path + ": not uploaded with the plan");
  };
  Result<LoadedPlan> loaded = LoadPlan(upload.name, read);
  if (!loaded.ok()) return Status::InvalidArgument("plan: " + loaded.status().message());
  if (loaded->compiled.plan.has_errors()) {
    std::string lines;
    for (const std::string& line : PlanProblemLines(loaded->compiled, upload.name)) lines += "; " + line;
    return Status::InvalidArgument("plan: " + upload.name + " cannot run" + lines);
  }
  for (const DefinitionFile& f : listed) {
    if (Status st = WriteKept(KeptFile(data_dir, f.sha256), *files.at(f.name)); !st.ok()) return st;
  }
  return store.PutDefinition(upload.name, UploadSha256(upload.jmx, listed), upload.jmx, loaded->metadata, listed);
}

Result<std::string> MakeRunFolder(const std::string& data_dir, int64_t run_id, const DefinitionRecord& definition,
                                  const std::string& jmx) {
  const fs::path folder = fs::path(data_dir) / "runs" / std::to_string(run_id);
  std::error_code ec;
  fs::remove_all(folder, ec);  // a folder left by a run of the same id in a deleted store
  fs::create_directories(folder, ec);
  if (ec) return Status::IoError(folder.string() + ": " + ec.message());
  const std::string plan = (folder / definition.name).string();
  if (Status st = WriteKept(plan, jmx); !st.ok()) return st;
  for (const DefinitionFile& f : definition.files) {
    const fs::path target = folder / f.name;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Status::IoError(target.parent_path().string() + ": " + ec.message());
    const std::string kept = KeptFile(data_dir, f.sha256);
    fs::create_hard_link(kept, target, ec);
    if (ec) {
      ec.clear();
      fs::copy_file(kept, target, ec);
      if (ec) return Status::IoError(f.name + ": cannot copy " + kept + " to " + target.string() + ": " + ec.message());
    }
  }
  return plan;
}

}  // namespace barrage
