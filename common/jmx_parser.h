// Reads a .jmx file into a HashTree (hash_tree.h), as forgivingly as JMeter does.
//
// Accepted quirks seen in real files: UTF-8 BOM, no or single-quoted XML declaration,
// character references XML 1.0 forbids (&#x14;), WorkBench beside TestPlan, fully-qualified
// plugin class names as tags, <doubleProp>/<objProp> named by a <name> child, missing
// `enabled` attributes and default-valued properties (JMeter 5.6), CR kept exactly where
// the file writes &#xd;.
//
// Errors: a file that cannot be read, or XML that cannot be parsed, gives a ParseError /
// IoError whose message is one line naming the file and line ("plan.jmx:12: ...").
// Thread-safe: no shared state.
#ifndef BARRAGE_COMMON_JMX_PARSER_H_
#define BARRAGE_COMMON_JMX_PARSER_H_

#include <string>
#include <string_view>

#include "common/hash_tree.h"
#include "common/status.h"

namespace barrage {

// Parses .jmx text; `path` is used in messages and stored in the tree.
Result<HashTree> ParseJmx(std::string_view xml, std::string_view path = "<memory>");

// Reads and parses a .jmx file.
Result<HashTree> ParseJmxFile(const std::string& path);

}  // namespace barrage

#endif  // BARRAGE_COMMON_JMX_PARSER_H_
