#include "common/toml_file.h"

#include <filesystem>

#include "common/input_file.h"

namespace barrage {

Result<toml::table> ParseTomlFile(const std::string& path, std::string_view what) {
  Result<std::string> text = ReadRegularFile(path, kMaxConfigBytes, what);
  if (!text.ok()) return text.status();
  try {
    return toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    std::string where = path;
    if (e.source().begin.line > 0) where += ":" + std::to_string(e.source().begin.line);
    return Status::ParseError(where + ": " + std::string(e.description()));
  }
}

std::string ResolveAgainstConfig(const std::string& config_path, const std::string& name) {
  const std::filesystem::path p(name);
  return p.is_relative() ? (std::filesystem::path(config_path).parent_path() / p).string() : p.string();
}

std::string TomlKeyWhere(const std::string& path, const toml::node& node, std::string_view key) {
  return path + ":" + std::to_string(node.source().begin.line) + ": key " + std::string(key);
}

}  // namespace barrage
