// JMeter's `${...}` templates: parsing of variable references and (nested) function calls.
//
// Syntax, as JMeter's FunctionParser reads it: `${name}` is a variable reference,
// `${__fn(arg1,arg2)}` a function call whose arguments are templates themselves (nested
// calls allowed, `\,` for a literal comma, parentheses inside an argument balanced),
// `${__fn}` a call without arguments. A backslash before `$`, `,` or `\` escapes it. Text
// that does not form a complete reference stays literal, as in JMeter.
//
// Parsing never fails; evaluation lives with the engine. Thread-safe (pure functions).
#ifndef BARRAGE_COMMON_TEMPLATE_H_
#define BARRAGE_COMMON_TEMPLATE_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace barrage {

struct Template;

struct TemplatePart {
  enum class Kind { kText, kVariable, kFunction };
  Kind kind = Kind::kText;
  std::string text;            // literal text, variable name or function name (with "__")
  std::vector<Template> args;  // function arguments
};

struct Template {
  std::vector<TemplatePart> parts;
  // True when the template is a single literal (or empty): no evaluation needed.
  bool is_literal() const;
};

Template ParseTemplate(std::string_view text);

// Names of the variables referenced and functions called anywhere in `t` (recursively).
void CollectReferences(const Template& t, std::set<std::string>* variables, std::set<std::string>* functions);

// Whether a function name ("__Random") is one of JMeter's that Barrage evaluates (the
// table of functions.cc; defined there).
bool IsSupportedFunction(std::string_view name);
// Whether it is a script function (__groovy, __jexl3, __javaScript, __BeanShell, ...).
bool IsScriptFunction(std::string_view name);

}  // namespace barrage

#endif  // BARRAGE_COMMON_TEMPLATE_H_
