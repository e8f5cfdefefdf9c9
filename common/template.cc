#include "common/template.h"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace barrage {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  // Parses until the end of input.
  Template ParseAll() {
    Template t;
    ParseInto(&t, /*in_args=*/false);
    return t;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }

  static void AppendText(Template* t, std::string_view text) {
    if (text.empty()) return;
    if (!t->parts.empty() && t->parts.back().kind == TemplatePart::Kind::kText) {
      t->parts.back().text.append(text);
    } else {
      t->parts.push_back({TemplatePart::Kind::kText, std::string(text), {}});
    }
  }

  // Parses text into `t`. In function arguments, stops before an unescaped top-level ','
  // or the ')' that closes the call.
  void ParseInto(Template* t, bool in_args) {
    int parens = 0;
    while (!AtEnd()) {
      char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size()) {
        char n = s_[pos_ + 1];
        if (n == '$' || n == ',' || n == '\\') {
          AppendText(t, std::string_view(&s_[pos_ + 1], 1));
        } else {
          AppendText(t, s_.substr(pos_, 2));
        }
        pos_ += 2;
        continue;
      }
      if (c == '$' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '{') {
        size_t start = pos_;
        TemplatePart part;
        // A reference that failed once fails again from the same place: remembering it
        // keeps nested unclosed calls linear instead of exponential.
        if (failed_.count(start) == 0 && depth_ < kMaxDepth && ParseReference(&part)) {
          t->parts.push_back(std::move(part));
        } else {
          failed_.insert(start);
          pos_ = start + 2;
          AppendText(t, "${");
        }
        continue;
      }
      if (in_args) {
        if (c == ',' && parens == 0) return;
        if (c == '(') ++parens;
        if (c == ')') {
          if (parens == 0) return;
          --parens;
        }
      }
      AppendText(t, std::string_view(&s_[pos_], 1));
      ++pos_;
    }
  }

  // At "${": parses a reference up to its "}". Returns false (position unspecified) when
  // the reference is not complete; the caller then keeps "${" as text.
  bool ParseReference(TemplatePart* part) {
    pos_ += 2;
    size_t name_start = pos_;
    while (!AtEnd() && s_[pos_] != '}' && s_[pos_] != '(' && s_[pos_] != '$') ++pos_;
    if (AtEnd() || s_[pos_] == '$') return false;
    std::string name(s_.substr(name_start, pos_ - name_start));
    if (s_[pos_] == '}') {
      ++pos_;
      bool is_function = name.size() > 2 && name.compare(0, 2, "__") == 0;
      part->kind = is_function ? TemplatePart::Kind::kFunction : TemplatePart::Kind::kVariable;
      part->text = std::move(name);
      return true;
    }
    // '(' : a function call with arguments.
    if (name.empty()) return false;
    ++pos_;
    ++depth_;
    struct DepthGuard {
      int* d;
      ~DepthGuard() { --*d; }
    } guard{&depth_};
    part->kind = TemplatePart::Kind::kFunction;
    part->text = std::move(name);
    while (true) {
      Template arg;
      ParseInto(&arg, /*in_args=*/true);
      if (AtEnd()) return false;
      part->args.push_back(std::move(arg));
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      ++pos_;  // ')'
      break;
    }
    // JMeter ignores anything between ')' and '}' only when it is whitespace; require '}'.
    if (AtEnd() || s_[pos_] != '}') return false;
    ++pos_;
    // `${__f()}` is a call with no arguments, not one empty argument.
    if (part->args.size() == 1 && part->args[0].parts.empty()) part->args.clear();
    return true;
  }

  // Calls nested deeper than this stay literal text (no plan needs more; the stack does).
  static constexpr int kMaxDepth = 64;

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::unordered_set<size_t> failed_;  // positions of "${" that do not start a reference
};

}  // namespace

bool Template::is_literal() const {
  return parts.empty() || (parts.size() == 1 && parts[0].kind == TemplatePart::Kind::kText);
}

Template ParseTemplate(std::string_view text) { return Parser(text).ParseAll(); }

void CollectReferences(const Template& t, std::set<std::string>* variables, std::set<std::string>* functions) {
  for (const TemplatePart& p : t.parts) {
    if (p.kind == TemplatePart::Kind::kVariable) variables->insert(p.text);
    if (p.kind == TemplatePart::Kind::kFunction) {
      functions->insert(p.text);
      for (const Template& a : p.args) CollectReferences(a, variables, functions);
    }
  }
}

namespace {
constexpr std::array<std::string_view, 7> kScriptFunctions = {
    "__groovy", "__jexl", "__jexl2", "__jexl3", "__javaScript", "__BeanShell", "__jython",
};
}  // namespace

bool IsScriptFunction(std::string_view name) {
  return std::find(kScriptFunctions.begin(), kScriptFunctions.end(), name) != kScriptFunctions.end();
}

}  // namespace barrage
