#include "common/toml_file.h"

namespace barrage {

Result<toml::table> ParseTomlFile(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::string where = path;
    if (e.source().begin.line > 0) where += ":" + std::to_string(e.source().begin.line);
    return Status::ParseError(where + ": " + std::string(e.description()));
  }
}

}  // namespace barrage
