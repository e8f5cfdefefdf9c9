// Internals shared by the files that implement `${__f(...)}` functions (functions.cc,
// functions_text.cc, functions_files.cc, functions_xpath.cc). Not for use outside them: the public interface is
// functions.h.
//
// A function implementation appends its result to `out` and returns true, or returns false
// (appending nothing) when its arguments are invalid: the call then stays as written.
// Argument counts are checked before (kFunctions in functions.cc).
#ifndef BARRAGE_COMMON_FUNCTIONS_INTERNAL_H_
#define BARRAGE_COMMON_FUNCTIONS_INTERNAL_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/functions.h"
#include "common/java_lang.h"
#include "common/java_time_format.h"
#include "common/template.h"

namespace barrage::function_impl {

// The arguments of one call, evaluated; literal arguments are not copied.
class Args {
 public:
  Args(const std::vector<Template>& templates, ThreadContext& ctx) : n_(templates.size()) {
    if (n_ > kInline) {
      extra_storage_.resize(n_);
      extra_views_.resize(n_);
    }
    for (size_t i = 0; i < n_; ++i) {
      const Template& t = templates[i];
      std::string_view& view = ViewAt(i);
      if (t.parts.empty()) {
        view = {};
      } else if (t.is_literal()) {
        view = t.parts[0].text;
      } else {
        std::string& s = StorageAt(i);
        EvaluateInto(t, ctx, &s);
        view = s;
      }
    }
  }
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;

  size_t size() const { return n_; }
  std::string_view operator[](size_t i) const { return n_ > kInline ? extra_views_[i] : views_[i]; }
  // The argument trimmed as Java's String.trim(); "" when absent.
  std::string_view Trimmed(size_t i) const { return i < n_ ? JavaTrim((*this)[i]) : ""; }

 private:
  static constexpr size_t kInline = 6;
  std::string_view& ViewAt(size_t i) { return n_ > kInline ? extra_views_[i] : views_[i]; }
  std::string& StorageAt(size_t i) { return n_ > kInline ? extra_storage_[i] : storage_[i]; }

  size_t n_;
  std::array<std::string_view, kInline> views_;
  std::array<std::string, kInline> storage_;
  std::vector<std::string_view> extra_views_;
  std::vector<std::string> extra_storage_;
};

using FunctionImpl = bool (*)(const TemplatePart& call, const Args& args, ThreadContext& ctx, std::string* out);

// The context's run, or a detached one for contexts built without a run (tools, tests).
RunContext& Run(ThreadContext& ctx);
// Stores `value` in the variable `name`; nothing when the name is empty.
void StoreIn(ThreadContext& ctx, std::string_view name, std::string_view value);
// ASCII case-insensitive equality (Java's equalsIgnoreCase for ASCII text).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Long.decode: sign, then 0x/0X/# hex, leading 0 octal, or decimal.
bool DecodeJavaLong(std::string_view s, int64_t* out);
// UTF-16 code units appended as UTF-8; a lone surrogate becomes '?'.
void AppendUtf16(const std::vector<uint16_t>& units, std::string* out);
// UTF-8 bytes decoded as Java's decoder does: malformed input becomes U+FFFD.
void AppendDecodedUtf8(std::string_view in, std::string* out);
// A compiled DateTimeFormatter pattern, cached per thread.
const Result<DateTimePattern>& CompiledPattern(std::string_view pattern);
// Appends the call as written (unevaluated).
void AppendRawCall(const TemplatePart& call, std::string* out);
void AppendUnknownCall(const TemplatePart& call, ThreadContext& ctx, std::string* out);

// ---- functions_text.cc: text, encoding, logging, context
bool FnEscapeHtml(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnUnescapeHtml(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnEscapeXml(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnUnescape(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnEscapeOroRegexpChars(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnChangeCase(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnIsVarDefined(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnIsPropDefined(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnDigest(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnBase64Encode(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnBase64Decode(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnEnv(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnLog(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnLogn(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnMachineIp(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnSamplerName(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnThreadGroupName(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnEval(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnRandomFromMultipleVars(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnDateTimeConvert(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnRandomDate(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);

// ---- functions_files.cc
bool FnCsvRead(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);
bool FnStringToFile(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);

// ---- functions_xpath.cc (issue 10)
bool FnXPath(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out);

}  // namespace barrage::function_impl

#endif  // BARRAGE_COMMON_FUNCTIONS_INTERNAL_H_
