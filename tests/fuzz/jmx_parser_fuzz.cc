// libFuzzer target: arbitrary bytes through everything `barrage inspect` does with a plan
// (ParseJmx, CompilePlan, BuildInspectReport, both renderings).
//
// Besides crashes, sanitizer reports, leaks and hangs, it checks the parser's error contract:
// a failed parse is one line "fuzz.jmx:LINE: message" with LINE >= 1. Any exception escaping
// (which `barrage` would turn into "fatal", exit 1) is a finding too.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "controller/inspect.h"

namespace {

constexpr std::string_view kPath = "fuzz.jmx";

[[noreturn]] void Fail(const char* what, const std::string& message) {
  std::fprintf(stderr, "jmx_parser_fuzz: contract violated: %s: [%s]\n", what, message.c_str());
  std::abort();
}

void CheckErrorShape(const std::string& message) {
  std::string_view m = message;
  if (m.substr(0, kPath.size() + 1) != std::string(kPath) + ":") {
    Fail("error does not name the file", message);
  }
  m.remove_prefix(kPath.size() + 1);
  size_t digits = m.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos || m.substr(digits, 2) != ": ") {
    Fail("error has no line number", message);
  }
  if (m[0] == '0') Fail("error line is not >= 1", message);
  if (message.find('\n') != std::string::npos) Fail("error is not one line", message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  barrage::Result<barrage::HashTree> tree = barrage::ParseJmx(xml, kPath);
  if (!tree.ok()) {
    CheckErrorShape(tree.status().message());
    return 0;
  }
  barrage::CompiledPlan compiled = barrage::CompilePlan(std::move(tree).value());
  nlohmann::json report = barrage::BuildInspectReport(compiled);
  // What RunInspect prints, in both modes.
  barrage::RenderInspectJson(report);
  barrage::RenderInspectText(report);
  return 0;
}
