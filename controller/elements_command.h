// `barrage elements [--markdown]`: the elements Barrage runs, ignores and cannot run, from
// the plan compiler's own classification tables (common/plan_compiler.h ElementTable), so
// the README's table (between <!-- elements:begin --> and <!-- elements:end -->, checked by
// the ctest readme_elements_table) cannot drift from the code.
#ifndef BARRAGE_CONTROLLER_ELEMENTS_COMMAND_H_
#define BARRAGE_CONTROLLER_ELEMENTS_COMMAND_H_

#include <string>

namespace barrage {

// One line per testclass: text ("supported  http  HTTPSamplerProxy") or a Markdown table.
std::string RenderElementTable(bool markdown);

// Prints it; exit code 0.
int RunElements(bool markdown);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_ELEMENTS_COMMAND_H_
