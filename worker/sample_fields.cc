#include "worker/sample_fields.h"

#include <strings.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace barrage {

namespace {

void AppendSubResults(const SampleResult& result, std::vector<const SampleResult*>* out) {
  for (const SampleResult& child : result.sub_results) out->push_back(&child);
}

// AbstractScopedTestElement.recurseResults(list, children, level).
void AppendDeeper(const std::vector<SampleResult>& level_results, int level, std::vector<const SampleResult*>* out) {
  if (level < 0) return;
  for (const SampleResult& child : level_results) {
    AppendSubResults(child, out);
    AppendDeeper(child.sub_results, level - 1, out);
  }
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

void CollectScopedSamples(const SampleResult& result, SampleScope scope, std::vector<const SampleResult*>* out) {
  if (scope == SampleScope::kParent || scope == SampleScope::kAll) out->push_back(&result);
  if (scope == SampleScope::kChildren || scope == SampleScope::kAll) {
    AppendSubResults(result, out);
    AppendDeeper(result.sub_results, 3, out);
  }
}

std::string_view JMeterResponseHeaders(const SampleResult& result, std::string* scratch) {
  std::string_view raw = result.response_headers;
  if (raw.find('\r') == std::string_view::npos && !raw.ends_with("\n\n")) return raw;
  scratch->clear();
  scratch->reserve(raw.size());
  while (!raw.empty()) {
    size_t eol = raw.find('\n');
    std::string_view line = raw.substr(0, eol);
    raw = eol == std::string_view::npos ? std::string_view() : raw.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;  // the blank line ending the header block
    scratch->append(line);
    scratch->push_back('\n');
  }
  return *scratch;
}

std::string_view JMeterRequestHeaders(const SampleResult& result, std::string* scratch) {
  std::string_view raw = result.request_headers;
  scratch->clear();
  while (!raw.empty()) {
    size_t eol = raw.find('\n');
    std::string_view line = raw.substr(0, eol);
    raw = eol == std::string_view::npos ? std::string_view() : raw.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || StartsWithNoCase(line, "cookie:")) continue;
    scratch->append(line);
    scratch->push_back('\n');
  }
  return *scratch;
}

std::string JMeterSamplerData(const SampleResult& result) {
  if (result.method.empty()) return {};
  std::string data = result.method;
  data += ' ';
  data += result.sample.url;
  data += '\n';
  if (result.method != "HEAD" && result.method != "OPTIONS" && result.method != "TRACE") {
    // The request body is not kept in SampleResult; JMeter shows it here.
    data += '\n';
    data += result.method;
    data += " data:\n\n";
  }
  std::string_view cookies;
  std::string_view raw = result.request_headers;
  while (!raw.empty()) {
    size_t eol = raw.find('\n');
    std::string_view line = raw.substr(0, eol);
    raw = eol == std::string_view::npos ? std::string_view() : raw.substr(eol + 1);
    if (StartsWithNoCase(line, "cookie:")) {
      cookies = line.substr(7);
      while (!cookies.empty() && (cookies.front() == ' ' || cookies.front() == '\t')) cookies.remove_prefix(1);
      while (!cookies.empty() && (cookies.back() == '\r' || cookies.back() == ' ')) cookies.remove_suffix(1);
    }
  }
  if (cookies.empty()) {
    data += "\n[no cookies]";
  } else {
    data += "\nCookie Data:\n";
    data += cookies;
  }
  data += '\n';
  return data;
}

int64_t HeadersSize(const SampleResult& result) {
  std::string_view raw = result.response_headers;
  if (raw.empty()) return 0;
  // JMeter counts each line with its CRLF plus the blank line's CRLF.
  int64_t size = 0;
  while (!raw.empty()) {
    size_t eol = raw.find('\n');
    std::string_view line = raw.substr(0, eol);
    raw = eol == std::string_view::npos ? std::string_view() : raw.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size += static_cast<int64_t>(line.size()) + 2;
  }
  return size + 2;
}

int64_t BodySize(const SampleResult& result) {
  int64_t headers = HeadersSize(result);
  if (headers > 0 && result.sample.bytes > headers) return result.sample.bytes - headers;
  return static_cast<int64_t>(result.body.size());
}

int64_t NetworkSize(const SampleResult& result) {
  int64_t total = HeadersSize(result) + BodySize(result);
  return total == 0 ? result.sample.bytes : total;
}

}  // namespace barrage
