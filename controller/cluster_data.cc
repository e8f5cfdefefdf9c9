#include "controller/cluster_data.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "common/hash_tree.h"
#include "common/input_file.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;

// The CSV Data Set element written at `line` (the compiled listing keeps only its line).
const TestElement* FindCsvElement(const std::vector<TestElement>& level, int line) {
  for (const TestElement& e : level) {
    if (e.line == line && e.testclass == "CSVDataSet") return &e;
    if (const TestElement* found = FindCsvElement(e.children, line)) return found;
  }
  return nullptr;
}

fs::path Resolve(const std::string& base_dir, const std::string& name) {
  fs::path p(name);
  if (p.is_relative()) p = fs::path(base_dir.empty() ? "." : base_dir) / p;
  return p.lexically_normal();
}

fs::path Canonical(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? p.lexically_normal() : c;
}

// Where each row of `content` ends (offset after its line break).
std::vector<size_t> RowEnds(std::string_view content, bool quoted_data) {
  std::vector<size_t> ends;
  bool in_quotes = false;
  for (size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (quoted_data && c == '"') in_quotes = !in_quotes;
    if (c == '\n' && !in_quotes) ends.push_back(i + 1);
  }
  if (ends.empty() || ends.back() != content.size()) {
    if (!content.empty()) ends.push_back(content.size());
  }
  return ends;
}

}  // namespace

std::vector<std::string> SplitCsvRows(std::string_view content, int n, bool keep_header, bool quoted_data) {
  std::vector<std::string> shares(static_cast<size_t>(std::max(n, 1)));
  std::vector<size_t> ends = RowEnds(content, quoted_data);
  std::string header;
  size_t first = 0;  // first data row
  if (keep_header && !ends.empty()) {
    header = std::string(content.substr(0, ends[0]));
    if (header.back() != '\n') header += '\n';
    first = 1;
  }
  size_t rows = ends.size() - first;
  size_t count = shares.size();
  size_t begin_row = first;
  for (size_t i = 0; i < count; ++i) {
    size_t take = rows / count + (i < rows % count ? 1 : 0);
    std::string& share = shares[i];
    share = header;
    if (take > 0) {
      size_t from = begin_row == 0 ? 0 : ends[begin_row - 1];
      size_t to = ends[begin_row + take - 1];
      share.append(content.substr(from, to - from));
      // A last row without a line break gets one, so shares never glue rows together.
      if (share.back() != '\n') share += '\n';
    }
    begin_row += take;
  }
  return shares;
}

Result<std::vector<ClusterDataFile>> CollectDataFiles(const Plan& plan, const std::string& base_dir,
                                                      const std::vector<std::string>& split_files,
                                                      std::vector<std::string>* skipped) {
  std::vector<ClusterDataFile> files;
  std::set<std::string> seen;
  std::vector<bool> split_used(split_files.size(), false);
  for (const DataFile& df : plan.data_files) {
    std::string name(TrimAscii(df.filename));
    if (name.empty() || seen.count(name)) continue;
    seen.insert(name);
    if (name.find("${") != std::string::npos) {
      if (skipped) skipped->push_back(name);
      continue;
    }
    ClusterDataFile file;
    file.plan_path = name;
    fs::path local = Resolve(base_dir, name);
    file.local_path = local.string();
    fs::path canonical = Canonical(local);
    for (size_t i = 0; i < split_files.size(); ++i) {
      if (split_files[i] == name || Canonical(fs::path(split_files[i])) == canonical) {
        file.split = true;
        split_used[i] = true;
      }
    }
    const TestElement* e = df.function.empty() ? FindCsvElement(plan.tree.roots, df.line) : nullptr;
    if (e != nullptr) {
      file.keep_header = TrimAscii(df.variable_names).empty() || e->GetBool("ignoreFirstLine", false);
      file.quoted_data = e->GetBool("quotedData", false);
    } else {
      file.keep_header = TrimAscii(df.variable_names).empty();
    }
    Result<std::string> text = ReadRegularFile(file.local_path, kMaxDataFileBytes, "a data file");
    if (!text.ok()) {
      std::string where = plan.tree.path + ":" + std::to_string(df.line) + ": " +
                          (df.function.empty() ? std::string("CSV Data Set") : df.function) + " file " +
                          text.status().message();
      return text.status().code() == Status::Code::kNotFound ? Status::NotFound(where) : Status::InvalidArgument(where);
    }
    file.content = std::move(text).value();
    files.push_back(std::move(file));
  }
  // Include Controllers' files go along as they are; a worker expands the plan with them.
  for (const std::string& name : plan.included_files) {
    if (seen.count(name)) continue;
    seen.insert(name);
    ClusterDataFile file;
    file.plan_path = name;
    file.local_path = Resolve(base_dir, name).string();
    Result<std::string> text = ReadRegularFile(file.local_path, kMaxPlanBytes, "an included plan");
    if (!text.ok())
      return Status::InvalidArgument(plan.tree.path + ": Include Controller file " + text.status().message());
    file.content = std::move(text).value();
    files.push_back(std::move(file));
  }
  for (size_t i = 0; i < split_files.size(); ++i) {
    if (!split_used[i]) {
      return Status::InvalidArgument("--split-data " + split_files[i] +
                                     ": the plan has no CSV Data Set reading this file");
    }
  }
  return files;
}

}  // namespace barrage
