// Reading a TOML file (toml++) with the error Barrage prints for it: one line,
// `path:LINE: what toml++ says` (no LINE when there is none, e.g. an unreadable file).
// Used by worker.toml, controller.toml, key files and threshold files. Thread-safe.
#ifndef BARRAGE_COMMON_TOML_FILE_H_
#define BARRAGE_COMMON_TOML_FILE_H_

#include <toml++/toml.h>

#include <string>

#include "common/status.h"

namespace barrage {

Result<toml::table> ParseTomlFile(const std::string& path);

}  // namespace barrage

#endif  // BARRAGE_COMMON_TOML_FILE_H_
