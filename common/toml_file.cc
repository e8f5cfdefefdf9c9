#include "common/toml_file.h"

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

}  // namespace barrage
