// Reading a TOML file (toml++) with the error Barrage prints for it: one line,
// `path:LINE: what toml++ says` (no LINE when there is none, e.g. an unreadable file).
// Used by worker.toml, controller.toml, key files and threshold files. The file is read
// with ReadRegularFile (common/input_file.h): a regular file of at most kMaxConfigBytes;
// `what` names the kind of file in the size error ("a thresholds file"). Thread-safe.
#ifndef BARRAGE_COMMON_TOML_FILE_H_
#define BARRAGE_COMMON_TOML_FILE_H_

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace barrage {

Result<toml::table> ParseTomlFile(const std::string& path, std::string_view what);

// A file name a configuration file gives: relative ones resolve against the folder the
// configuration file is in (`config_path`'s), absolute ones stay.
std::string ResolveAgainstConfig(const std::string& config_path, const std::string& name);

// "path:LINE: key section.name", the start of an error about one key of a parsed file.
std::string TomlKeyWhere(const std::string& path, const toml::node& node, std::string_view key);

}  // namespace barrage

#endif  // BARRAGE_COMMON_TOML_FILE_H_
