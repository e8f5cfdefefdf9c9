#include "controller/elements_command.h"

#include <iostream>
#include <sstream>

#include "common/exit_codes.h"
#include "common/plan_compiler.h"

namespace barrage {
namespace {

const char* StatusName(ElementTableRow::Status status) {
  switch (status) {
    case ElementTableRow::Status::kSupported: return "supported";
    case ElementTableRow::Status::kIgnored: return "ignored";
    case ElementTableRow::Status::kUnsupported: return "unsupported";
  }
  return "unsupported";
}

// Markdown cells: a '|' would end the cell.
std::string Cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string RenderElementTable(bool markdown) {
  std::ostringstream out;
  if (markdown) {
    out << "| testclass | status | role | kind or reason | instead |\n|---|---|---|---|---|\n";
  }
  for (const ElementTableRow& r : ElementTable()) {
    if (markdown) {
      out << "| `" << r.testclass << "` | " << StatusName(r.status) << " | " << RoleName(r.role) << " | "
          << Cell(r.detail) << " | " << Cell(r.alternative) << " |\n";
    } else {
      out << StatusName(r.status) << "\t" << RoleName(r.role) << "\t" << r.testclass << "\t" << r.detail;
      if (!r.alternative.empty()) out << "\tinstead: " << r.alternative;
      out << "\n";
    }
  }
  return out.str();
}

int RunElements(bool markdown) {
  std::cout << RenderElementTable(markdown);
  return kExitOk;
}

}  // namespace barrage
