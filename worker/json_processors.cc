#include "worker/json_processors.h"

#include <array>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/java_lang.h"
#include "worker/json_path.h"
#include "worker/regex.h"
#include "worker/sample_fields.h"

namespace barrage {

namespace {

// The parse of one of the last documents parsed on this thread: a body read by several
// JSON processors of the same sample is parsed once. Keyed by content, so a hit is always
// right whatever sample the text came from.
std::shared_ptr<const Result<JsonValue>> ParseCached(std::string_view text) {
  struct Entry {
    std::string text;
    std::shared_ptr<const Result<JsonValue>> parsed;
  };
  thread_local std::array<Entry, 4> entries;
  thread_local size_t next = 0;
  for (const Entry& e : entries) {
    if (e.parsed != nullptr && e.text == text) return e.parsed;
  }
  Entry& slot = entries[next];
  next = (next + 1) % entries.size();
  slot.text.assign(text);
  slot.parsed = std::make_shared<const Result<JsonValue>>(ParseJson(text));
  return slot.parsed;
}

// JSONManager.extractWithJsonPath over every response: the values found (nullopt for a
// JSON null), or false when Jayway would have thrown something else than
// PathNotFoundException.
bool ExtractValues(const std::vector<std::optional<std::string>>& responses, std::string_view expression,
                   std::vector<std::optional<std::string>>* values) {
  if (expression.empty()) return false;  // JsonPath.compile: "json can not be null or empty"
  Result<std::shared_ptr<const JsonPath>> path = CompileJsonPathCached(expression);
  if (!path.ok()) return false;
  for (const std::optional<std::string>& response : responses) {
    if (!response || response->empty()) return false;  // "json can not be null or empty"
    std::shared_ptr<const Result<JsonValue>> document = ParseCached(*response);
    if (!document->ok()) return false;
    Result<JsonPathResult> found = (*path)->Read(document->value(), /*always_return_list=*/true);
    if (!found.ok()) {
      if (found.status().code() == Status::Code::kNotFound) continue;  // PathNotFoundException
      return false;
    }
    for (const JsonValue* v : found->values) values->push_back(ExtractorString(*v));
  }
  return true;
}

void ClearOldRefVars(Variables& vars, const std::string& name) {
  vars.Remove(name + "_matchNr");
  for (int i = 1; vars.Get(name + "_" + std::to_string(i)) != nullptr; ++i) {
    vars.Remove(name + "_" + std::to_string(i));
  }
}

}  // namespace

void RunJsonExtractor(const JsonExtractor& extractor, const SampleResult& result, ThreadContext& ctx) {
  Variables& vars = ctx.vars;
  // The JSON texts to read (a variable that is not set reads as null).
  std::vector<std::optional<std::string>> responses;
  if (extractor.scope == SampleScope::kVariable) {
    const std::string* value = vars.Get(Evaluate(extractor.scope_variable, ctx));
    responses.push_back(value != nullptr ? std::optional<std::string>(*value) : std::nullopt);
  } else {
    std::vector<const SampleResult*> samples;
    CollectScopedSamples(result, extractor.scope, &samples);
    for (const SampleResult* s : samples) {
      if (!JavaIsBlank(s->body)) responses.emplace_back(s->body);
    }
  }

  std::vector<std::string> names = JavaSplit(Evaluate(extractor.reference_names, ctx), ';');
  std::vector<std::string> expressions = JavaSplit(Evaluate(extractor.json_path_exprs, ctx), ';');
  std::vector<std::string> defaults = JavaSplit(Evaluate(extractor.default_values, ctx), ';', /*keep_trailing=*/true);
  std::vector<int> match_numbers(defaults.size(), 0);
  std::string match_text = Evaluate(extractor.match_numbers, ctx);
  if (!JavaIsBlank(match_text)) {
    std::vector<std::string> parts = JavaSplit(match_text, ';');
    if (parts.size() > match_numbers.size()) return;  // ArrayIndexOutOfBoundsException
    for (size_t i = 0; i < parts.size(); ++i) {
      std::optional<int> n = JavaParseInt(JavaTrim(parts[i]));
      if (!n) return;  // NumberFormatException
      match_numbers[i] = *n;
    }
  }
  // "Number of JSON Path variables must match number of default values and json-path
  // expressions, check you use separator ';' if you have many values"
  if (names.size() != expressions.size() || names.size() != defaults.size()) return;

  for (size_t i = 0; i < expressions.size(); ++i) {
    int match = match_numbers[i];
    std::string name(JavaTrim(names[i]));
    const std::string& fallback = defaults[i];
    ClearOldRefVars(vars, name);
    if (responses.empty()) {
      vars.Put(name, fallback);
      continue;
    }
    std::vector<std::optional<std::string>> values;
    if (!ExtractValues(responses, JavaTrim(expressions[i]), &values)) {
      vars.Put(name, fallback);
      continue;
    }
    auto value_or_default = [&](size_t k) { return values[k] ? *values[k] : fallback; };
    if (values.empty()) {
      vars.Put(name, fallback);
      vars.Put(name + "_matchNr", "0");
      if (match < 0 && extractor.compute_concat) vars.Put(name + "_ALL", "");
      continue;
    }
    if (values.size() > 1) {
      if (match < 0) {
        std::string all;
        for (size_t k = 0; k < values.size(); ++k) {
          std::string v = value_or_default(k);
          if (extractor.compute_concat) all += (k > 0 ? "," : "") + v;
          vars.Put(name + "_" + std::to_string(k + 1), std::move(v));
        }
        if (extractor.compute_concat) vars.Put(name + "_ALL", std::move(all));
      } else if (match == 0) {
        std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
        vars.Put(name, value_or_default(pick(ctx.rng)));
      } else if (static_cast<size_t>(match) > values.size()) {
        vars.Put(name, fallback);
      } else {
        vars.Put(name, value_or_default(static_cast<size_t>(match) - 1));
      }
    } else {
      std::string target = match < 0 ? name + "_1" : name;
      vars.Put(target, value_or_default(0));
      if (match < 0 && extractor.compute_concat) vars.Put(name + "_ALL", value_or_default(0));
    }
    if (match != 0) vars.Put(name + "_matchNr", std::to_string(values.size()));
  }
}

void RunJsonPluginExtractor(const JsonPluginExtractor& extractor, const SampleResult& result, ThreadContext& ctx) {
  Variables& vars = ctx.vars;
  const std::string name = Evaluate(extractor.var, ctx);
  auto clear_numbered = [&]() {
    for (int k = 1;; ++k) {
      std::string key = name + "_" + std::to_string(k);
      if (!vars.Get(key)) break;
      vars.Remove(key);
    }
  };
  auto fail = [&]() {
    vars.Put(name, Evaluate(extractor.default_value, ctx));
    vars.Put(name + "_matchNr", "0");
    clear_numbered();
  };
  std::string text;
  if (extractor.from_variable) {
    const std::string* v = vars.Get(Evaluate(extractor.src_variable, ctx));
    if (v == nullptr) return fail();
    text = *v;
  } else {
    text = result.body;
  }
  // JsonPath.read(String, path): an empty text and a text that is not JSON throw.
  if (text.empty()) return fail();
  std::shared_ptr<const Result<JsonValue>> document = ParseCached(text);
  if (!document->ok() || document->value().is_null()) return fail();
  Result<std::shared_ptr<const JsonPath>> path = CompileJsonPathCached(Evaluate(extractor.json_path, ctx));
  if (!path.ok()) return fail();
  Result<JsonPathResult> found = (*path)->Read(document->value(), false);
  if (!found.ok()) return fail();
  // A JSONArray: an indefinite path's results, or an array the path designates.
  std::vector<const JsonValue*> elements;
  const JsonValue* single = found->definite ? found->values[0] : nullptr;
  if (single != nullptr && !single->is_array()) {
    vars.Put(name, AssertionString(*single));
    return;
  }
  if (single != nullptr) {
    for (const JsonValue& e : single->elements()) elements.push_back(&e);
  } else {
    elements = found->values;
  }
  if (elements.empty()) return fail();  // "Extracted array is empty"
  vars.Put(name, single != nullptr ? AssertionString(*single) : AssertionString(elements));
  vars.Put(name + "_matchNr", std::to_string(elements.size()));
  clear_numbered();
  for (size_t n = 0; n < elements.size(); ++n)
    vars.Put(name + "_" + std::to_string(n + 1), AssertionString(*elements[n]));
}

namespace {

// JSONPathAssertion.doAssert over a parsed body; returns the exception message, or nullopt
// when the assertion holds.
class JsonPathCheck {
 public:
  JsonPathCheck(const JsonPathAssertion& a, std::string path, std::string expected)
      : a_(a), path_(std::move(path)), expected_(std::move(expected)) {}

  std::optional<std::string> Run(std::string_view body) {
    // JsonPath.read(json, path): the document is parsed before the path is compiled.
    std::shared_ptr<const Result<JsonValue>> document = ParseCached(body);
    if (!document->ok()) return document->status().message();
    if (document->value().is_null()) return "json can not be null";  // the body is `null`
    if (path_.empty()) return "path can not be null or empty";
    Result<std::shared_ptr<const JsonPath>> path = CompileJsonPathCached(path_);
    if (!path.ok()) return path.status().message();
    Result<JsonPathResult> found = (*path)->Read(document->value(), false);
    if (!found.ok()) return found.status().message();

    // A JSONArray: the results of an indefinite path, or an array the path designates.
    bool is_list = !found->definite;
    const JsonValue* single = found->definite ? found->values[0] : nullptr;
    std::vector<const JsonValue*> elements;
    if (is_list) {
      elements = found->values;
    } else if (single->is_array()) {
      is_list = true;
      for (const JsonValue& e : single->elements()) elements.push_back(&e);
    }

    if (!a_.json_validation) {
      if (!a_.plugin && is_list && elements.empty() && !(*path)->definite()) {
        return "JSONPath '" + path_ + "' is indefinite and the extracted Value is an empty Array." +
               " Please use an assertion value, to be sure to get a correct result. Expected value was '" + expected_ +
               "'";
      }
      return std::nullopt;
    }

    bool matched = false;
    if (is_list) {
      if (!ArrayMatched(elements, single, &matched)) return error_;
    } else {
      matched = a_.expect_null && single->is_null();
      if (!matched && !IsEquals(*single, &matched)) return error_;
    }
    if (matched) return std::nullopt;

    std::string shown =
        is_list ? (single != nullptr ? AssertionString(*single) : AssertionString(elements)) : AssertionString(*single);
    // The plugin's messages do not name the path.
    const std::string in_path = a_.plugin ? "Value" : "Value in json path '" + path_ + "'";
    if (a_.expect_null) {
      std::string found_text = is_list ? shown : JavaString(*single);
      return in_path + " expected to be null, but found '" + found_text + "'";
    }
    if (a_.is_regex) {
      return in_path + " expected to match regexp '" + expected_ + "', but it did not match: '" + shown + "'";
    }
    return in_path + " expected to be '" + expected_ + "', but found '" + shown + "'";
  }

 private:
  bool ArrayMatched(const std::vector<const JsonValue*>& elements, const JsonValue* whole, bool* matched) {
    *matched = false;
    if (elements.empty() && expected_ == "[]") {
      *matched = true;
      return true;
    }
    for (const JsonValue* e : elements) {
      if (e->is_null() && a_.expect_null) {
        *matched = true;
        return true;
      }
      if (!IsEquals(*e, matched)) return false;
      if (*matched) return true;
    }
    // The whole list.
    if (whole != nullptr) return IsEquals(*whole, matched);
    if (a_.is_regex) return RegexMatches(AssertionString(elements), matched);
    JsonValue::Array copy;
    for (const JsonValue* e : elements) copy.push_back(*e);
    return IsEquals(JsonValue::MakeArray(std::move(copy)), matched);
  }

  bool IsEquals(const JsonValue& subject, bool* matched) {
    if (a_.is_regex) return RegexMatches(AssertionString(subject), matched);
    if (a_.plugin) {
      // The plugin compares text; a double with String.valueOf(new Double(expected)).
      if (subject.type() != JsonValue::Type::kDouble) {
        *matched = AssertionString(subject) == expected_;
        return true;
      }
      std::optional<double> expected = ParseDouble(TrimAscii(expected_));
      if (!expected) {
        error_ = "For input string: \"" + expected_ + "\"";  // NumberFormatException
        return false;
      }
      *matched = AssertionString(subject) == JavaDoubleToString(*expected);
      return true;
    }
    // JSONValue.parse: null when the expected value is not JSON.
    if (!expected_parsed_) {
      Result<JsonValue> parsed = ParseJson(expected_);
      expected_parsed_ = parsed.ok() ? std::move(parsed).value() : JsonValue();
    }
    *matched = JavaEquals(*expected_parsed_, subject);
    return true;
  }

  bool RegexMatches(const std::string& text, bool* matched) {
    std::string error;
    const CompiledRegex* re = CompileRegex(expected_, RegexMode::kFullMatch, &error);
    if (re == nullptr) {
      // MalformedCachePatternException from ORO's pattern cache.
      error_ = "Invalid expression: " + expected_ + "\n" + error;
      return false;
    }
    *matched = RegexTest(*re, text);
    return true;
  }

  const JsonPathAssertion& a_;
  std::string path_;
  std::string expected_;
  std::optional<JsonValue> expected_parsed_;
  std::string error_;
};

}  // namespace

AssertionResult RunJsonPathAssertion(const JsonPathAssertion& assertion, const SampleResult& result,
                                     ThreadContext& ctx) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  if (result.body.empty()) {
    outcome.failure = true;
    outcome.message = "Response was null";
    return outcome;
  }
  std::string path = Evaluate(assertion.json_path, ctx);
  std::string expected = Evaluate(assertion.expected_value, ctx);
  std::optional<std::string> problem = JsonPathCheck(assertion, path, expected).Run(result.body);
  if (!assertion.invert) {
    if (problem) {
      outcome.failure = true;
      outcome.message = *problem;
    }
    return outcome;
  }
  if (problem) return outcome;
  outcome.failure = true;
  if (!assertion.json_validation) {
    outcome.message = "Failed that JSONPath not exists: " + path;
  } else if (assertion.expect_null) {
    outcome.message = "Failed that JSONPath " + path + " not matches null";
  } else {
    outcome.message = "Failed that JSONPath " + path + " not matches " + expected;
  }
  return outcome;
}

}  // namespace barrage
