#include "worker/sample_result.h"

#include <strings.h>

namespace barrage {

namespace {

void ClearRetaining(std::string* s) {
  if (s->capacity() > SampleResult::kRetainedBytes) {
    std::string().swap(*s);
  } else {
    s->clear();
  }
}

}  // namespace

void SampleResult::Reset() {
  sample = Sample();
  ClearRetaining(&method);
  ClearRetaining(&request_headers);
  ClearRetaining(&response_headers);
  ClearRetaining(&body);
  ClearRetaining(&content_type);
  sub_results.clear();
}

std::string_view SampleResult::ResponseHeader(std::string_view name) const {
  std::string_view found;
  std::string_view rest = response_headers;
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    if (colon != name.size() || strncasecmp(line.data(), name.data(), name.size()) != 0) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    found = value;
  }
  return found;
}

}  // namespace barrage
