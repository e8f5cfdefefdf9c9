#include "worker/assertions.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/java_lang.h"
#include "worker/regex.h"
#include "worker/sample_fields.h"

namespace barrage {

namespace {

// ---------------------------------------------------------------------------------------
// Messages.

// MessageFormat's {0} for a Long in an English locale: "1,234,567".
std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n);
  size_t first = digits[0] == '-' ? 1 : 0;
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    out.push_back(digits[i]);
    size_t left = digits.size() - i - 1;
    if (i >= first && left > 0 && left % 3 == 0) out.push_back(',');
  }
  return out;
}

std::string NumberFormatError(std::string_view input) {
  return "java.lang.NumberFormatException: For input string: \"" + std::string(input) + "\"";
}

// ---------------------------------------------------------------------------------------
// Response Assertion.

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += IsContinuationByte(c) ? 0 : 1;
  return n;
}

// Byte offset of the `count`-th code point from the start of `s`.
size_t AdvanceCodePoints(std::string_view s, size_t count) {
  size_t i = 0;
  while (i < s.size() && count > 0) {
    ++i;
    while (i < s.size() && IsContinuationByte(s[i])) ++i;
    --count;
  }
  return i;
}

constexpr size_t kEqualsSectionDiffLen = 100;  // assertion.equals_section_diff_len

// ResponseAssertion.trunc: at most 100 characters, "..." marking the cut.
std::string Trunc(bool right, std::string_view s) {
  size_t length = CodePoints(s);
  if (length <= kEqualsSectionDiffLen) return std::string(s);
  if (right) return std::string(s.substr(0, AdvanceCodePoints(s, kEqualsSectionDiffLen))) + "...";
  return "..." + std::string(s.substr(AdvanceCodePoints(s, length - kEqualsSectionDiffLen)));
}

// ResponseAssertion.equalsComparisonText over UTF-8: the common prefix and suffix around
// the differing middles, which are padded with spaces to the same length. Positions are
// kept on character boundaries so a multi-byte character is never split.
std::string EqualsComparisonText(std::string_view received, std::string_view comparison) {
  size_t min_length = std::min(received.size(), comparison.size());
  size_t first_diff = 0;
  while (first_diff < min_length && received[first_diff] == comparison[first_diff]) ++first_diff;
  while (first_diff > 0 && first_diff < received.size() && IsContinuationByte(received[first_diff])) {
    --first_diff;
  }
  std::string starting_eq = first_diff == 0 ? std::string() : Trunc(false, received.substr(0, first_diff));

  // Indices of the last differing byte; signed as Java's are (they may reach -1).
  int64_t last_rec = static_cast<int64_t>(received.size()) - 1;
  int64_t last_comp = static_cast<int64_t>(comparison.size()) - 1;
  const auto first = static_cast<int64_t>(first_diff);
  while (last_rec > first && last_comp > first &&
         received[static_cast<size_t>(last_rec)] == comparison[static_cast<size_t>(last_comp)]) {
    --last_rec;
    --last_comp;
  }
  while (last_rec + 1 < static_cast<int64_t>(received.size()) &&
         IsContinuationByte(received[static_cast<size_t>(last_rec + 1)])) {
    ++last_rec;
    ++last_comp;
  }
  const auto rec_end = static_cast<size_t>(last_rec + 1);
  const auto comp_end = static_cast<size_t>(last_comp + 1);
  std::string ending_eq = Trunc(true, received.substr(rec_end));
  std::string rec_delta;
  std::string comp_delta;
  if (ending_eq.empty()) {
    rec_delta = Trunc(true, received.substr(first_diff));
    comp_delta = Trunc(true, comparison.substr(first_diff));
  } else {
    rec_delta = Trunc(true, received.substr(first_diff, rec_end - first_diff));
    comp_delta = Trunc(true, comparison.substr(first_diff, comp_end - first_diff));
  }
  size_t rec_len = CodePoints(rec_delta);
  size_t comp_len = CodePoints(comp_delta);
  if (rec_len > comp_len) {
    comp_delta.append(rec_len - comp_len, ' ');
  } else {
    rec_delta.append(comp_len - rec_len, ' ');
  }

  std::string text;
  text.reserve(2 * (starting_eq.size() + rec_delta.size() + ending_eq.size()) + 64);
  text += "\n\n****** received  : ";
  text += starting_eq;
  text += "[[[";
  text += rec_delta;
  text += "]]]";
  text += ending_eq;
  text += "\n\n****** comparison: ";
  text += starting_eq;
  text += "[[[";
  text += comp_delta;
  text += "]]]";
  text += ending_eq;
  text += "\n\n";
  return text;
}

// What the assertion reads, as named in its messages.
enum class Field { kText, kDocument, kCode, kMessage, kRequestHeaders, kRequestData, kHeaders, kUrl };

Field FieldOf(const std::string& test_field) {
  if (test_field == "Assertion.response_data") return Field::kText;
  if (test_field == "Assertion.response_data_as_document") return Field::kDocument;
  if (test_field == "Assertion.response_code") return Field::kCode;
  if (test_field == "Assertion.response_message") return Field::kMessage;
  if (test_field == "Assertion.request_headers") return Field::kRequestHeaders;
  if (test_field == "Assertion.request_data") return Field::kRequestData;
  if (test_field == "Assertion.response_headers") return Field::kHeaders;
  return Field::kUrl;  // "Assertion.sample_label", and anything JMeter does not know
}

std::string_view FieldLabel(Field field) {
  switch (field) {
    case Field::kText: return "text";
    case Field::kDocument: return "document";
    case Field::kCode: return "code";
    case Field::kMessage: return "message";
    case Field::kRequestHeaders: return "request headers";
    case Field::kRequestData: return "request data";
    case Field::kHeaders: return "headers";
    case Field::kUrl: return "URL";
  }
  return "URL";
}

std::string_view FieldText(Field field, const SampleResult& result, std::string* scratch) {
  switch (field) {
    case Field::kText:
    case Field::kDocument: return result.body;
    case Field::kCode: return result.sample.response_code;
    case Field::kMessage: return result.sample.response_message;
    case Field::kRequestHeaders: return JMeterRequestHeaders(result, scratch);
    case Field::kRequestData: return *scratch = JMeterSamplerData(result);
    case Field::kHeaders: return JMeterResponseHeaders(result, scratch);
    case Field::kUrl: return result.sample.url;
  }
  return {};
}

// ResponseAssertion.getFailText. The verb depends on the whole test type, OR bit
// included, as in JMeter (so OR always reads "expected something using").
std::string FailText(std::string_view subject, int test_type, std::string_view pattern, std::string_view to_check) {
  constexpr int kNot = ResponseAssertion::kNot;
  std::string_view verb;
  switch (test_type) {
    case ResponseAssertion::kContains:
    case ResponseAssertion::kSubstring: verb = " expected to contain "; break;
    case kNot | ResponseAssertion::kContains:
    case kNot | ResponseAssertion::kSubstring: verb = " expected not to contain "; break;
    case ResponseAssertion::kMatch: verb = " expected to match "; break;
    case kNot | ResponseAssertion::kMatch: verb = " expected not to match "; break;
    case ResponseAssertion::kEquals: verb = " expected to equal "; break;
    case kNot | ResponseAssertion::kEquals: verb = " expected not to equal "; break;
    default: verb = " expected something using "; break;
  }
  std::string text = "Test failed: ";
  text += subject;
  text += verb;
  text += '/';
  if ((test_type & ResponseAssertion::kEquals) != 0) {
    text += EqualsComparisonText(to_check, pattern);
  } else {
    text += pattern;
  }
  text += '/';
  return text;
}

}  // namespace

AssertionResult RunResponseAssertion(const ResponseAssertion& assertion, SampleResult& result, ThreadContext& ctx) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  if (assertion.assume_success) result.sample.success = true;  // lets a 4xx/5xx be asserted

  std::string scratch;
  std::string_view to_check;
  std::string variable;
  const bool variable_scope = assertion.scope == SampleScope::kVariable;
  const Field field = FieldOf(assertion.test_field);
  if (variable_scope) {
    variable = Evaluate(assertion.scope_variable, ctx);
    if (const std::string* value = ctx.vars.Get(variable)) to_check = *value;
  } else {
    to_check = FieldText(field, result, &scratch);
  }
  // How the failure message names what was checked; built only on failure.
  auto subject = [&] { return variable_scope ? "variable(" + variable + ")" : std::string(FieldLabel(field)); };

  const int type = assertion.test_type;
  const bool not_test = (type & ResponseAssertion::kNot) != 0;
  const bool or_test = (type & ResponseAssertion::kOr) != 0;
  const bool contains = (type & ResponseAssertion::kContains) != 0;
  const bool equals = (type & ResponseAssertion::kEquals) != 0;
  const bool substring = (type & ResponseAssertion::kSubstring) != 0;

  if (to_check.empty()) {
    if (not_test) return outcome;  // NOT always succeeds against an empty field
    outcome.failure = true;
    outcome.message = "Response was null";
    return outcome;
  }

  bool any_passed = false;
  std::vector<std::string> or_failures;
  for (const Value& test_string : assertion.test_strings) {
    std::string pattern = Evaluate(test_string, ctx);
    bool found;
    if (contains || (!equals && !substring)) {
      std::string error;
      const CompiledRegex* re = CompileRegex(pattern, contains ? RegexMode::kSearch : RegexMode::kFullMatch, &error);
      if (re == nullptr) {
        AssertionResult bad;
        bad.name = assertion.name;
        bad.error = true;
        bad.message =
            "Bad test configuration org.apache.oro.text.MalformedCachePatternException: "
            "Invalid expression: " +
            pattern + "\n" + error;
        return bad;
      }
      found = RegexTest(*re, to_check);
    } else if (equals) {
      found = to_check == pattern;
    } else {
      found = to_check.find(pattern) != std::string_view::npos;
    }
    const bool pass = not_test ? !found : found;
    if (or_test) {
      if (pass) {
        any_passed = true;
        break;
      }
      or_failures.push_back(FailText(subject(), type, pattern, to_check));
    } else if (!pass) {
      outcome.failure = true;
      std::string custom = Evaluate(assertion.custom_message, ctx);
      outcome.message = custom.empty() ? FailText(subject(), type, pattern, to_check) : std::move(custom);
      return outcome;
    }
  }
  if (or_test && !any_passed) {
    outcome.failure = true;
    std::string custom = Evaluate(assertion.custom_message, ctx);
    if (custom.empty()) {
      for (const std::string& failure : or_failures) {
        outcome.message += failure;
        outcome.message += '\t';
      }
      if (or_failures.empty()) outcome.message = "\t";  // Collectors.joining's suffix alone
    } else {
      outcome.message = std::move(custom);
    }
  }
  return outcome;
}

AssertionResult RunDurationAssertion(const DurationAssertion& assertion, const SampleResult& result,
                                     ThreadContext& ctx) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  const int64_t allowed = PropertyAsLong(Evaluate(assertion.duration_ms, ctx));
  const int64_t took = result.elapsed_ms();
  if (allowed > 0 && took > allowed) {
    outcome.failure = true;
    outcome.message = "The operation lasted too long: It took " + Grouped(took) +
                      " milliseconds, but should not have lasted longer than " + Grouped(allowed) + " milliseconds.";
  }
  return outcome;
}

AssertionResult RunSizeAssertion(const SizeAssertion& assertion, const SampleResult& result, ThreadContext& ctx) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  int64_t size;
  if (assertion.scope == SampleScope::kVariable) {
    std::string variable = Evaluate(assertion.scope_variable, ctx);
    const std::string* value = ctx.vars.Get(variable);
    std::optional<int64_t> parsed;
    if (value != nullptr) parsed = JavaParseLong(*value);
    if (!parsed) {
      outcome.failure = true;
      outcome.message =
          "Error parsing variable name: " + variable + " value: " + (value != nullptr ? *value : std::string("null"));
      return outcome;
    }
    size = *parsed;
  } else if (assertion.test_field == "SizeAssertion.response_headers") {
    size = HeadersSize(result);
  } else if (assertion.test_field == "SizeAssertion.response_data") {
    size = BodySize(result);
  } else if (assertion.test_field == "SizeAssertion.response_code") {
    size = static_cast<int64_t>(CodePoints(result.sample.response_code));
  } else if (assertion.test_field == "SizeAssertion.response_message") {
    size = static_cast<int64_t>(CodePoints(result.sample.response_message));
  } else {
    size = NetworkSize(result);
  }

  const std::string allowed_text = Evaluate(assertion.size, ctx);
  const std::optional<int64_t> allowed = JavaParseLong(allowed_text);
  if (!allowed) {
    // JMeter's Long.parseLong throws here; JMeterThread turns that into this error result.
    AssertionResult error;
    error.name = "Assertion failed! See log file.";
    error.error = true;
    error.message = NumberFormatError(allowed_text);
    return error;
  }
  std::string_view expectation;
  switch (assertion.op) {
    case 1:
      if (size != *allowed) expectation = "been equal to";
      break;
    case 2:
      if (size == *allowed) expectation = "not been equal to";
      break;
    case 3:
      if (size <= *allowed) expectation = "been greater than";
      break;
    case 4:
      if (size >= *allowed) expectation = "been less than";
      break;
    case 5:
      if (size < *allowed) expectation = "been greater or equal to";
      break;
    case 6:
      if (size > *allowed) expectation = "been less than or equal to";
      break;
    default: expectation = "ERROR - invalid condition"; break;
  }
  if (!expectation.empty()) {
    outcome.failure = true;
    outcome.message = "The result was the wrong size: It was " + Grouped(size) + " bytes, but should have " +
                      std::string(expectation) + " " + Grouped(*allowed) + " bytes.";
  }
  return outcome;
}

}  // namespace barrage
