#include "common/jtl_columns.h"

#include <array>
#include <string_view>

namespace barrage {
namespace {

using C = JtlColumn;

constexpr std::array<JtlColumnInfo, 23> kColumns = {{
    {C::kTimeStamp, "timeStamp", "timestamp", true},
    {C::kElapsed, "elapsed", "time", true},
    {C::kLabel, "label", "label", true},
    {C::kResponseCode, "responseCode", "code", true},
    {C::kResponseMessage, "responseMessage", "message", true},
    {C::kThreadName, "threadName", "threadName", true},
    {C::kDataType, "dataType", "dataType", true},
    {C::kSuccess, "success", "success", true},
    {C::kFailureMessage, "failureMessage", "saveAssertionResultsFailureMessage", true},
    {C::kBytes, "bytes", "bytes", true},
    {C::kSentBytes, "sentBytes", "sentBytes", true},
    {C::kGrpThreads, "grpThreads", "threadCounts", true},
    {C::kAllThreads, "allThreads", "threadCounts", true},
    {C::kUrl, "URL", "url", true},
    {C::kFilename, "Filename", "fileName", true},
    {C::kLatency, "Latency", "latency", true},
    {C::kEncoding, "Encoding", "encoding", false},
    {C::kSampleCount, "SampleCount", "sampleCount", true},
    {C::kErrorCount, "ErrorCount", "sampleCount", true},
    {C::kHostname, "Hostname", "hostname", false},
    {C::kIdleTime, "IdleTime", "idleTime", true},
    {C::kConnect, "Connect", "connectTime", true},
    {C::kIntendedStart, "intendedStart", "", true},
}};

}  // namespace

std::span<const JtlColumnInfo> AllJtlColumns() { return kColumns; }

const JtlColumnInfo& JtlColumnInfoOf(JtlColumn column) { return kColumns[static_cast<size_t>(column)]; }

bool JtlColumnNamed(std::string_view name, JtlColumn* column) {
  for (const JtlColumnInfo& c : kColumns) {
    if (c.name == name) {
      *column = c.column;
      return true;
    }
  }
  return false;
}

const std::vector<JtlColumn>& DefaultJtlColumns() {
  static const std::vector<JtlColumn> kDefault = {
      C::kTimeStamp,  C::kElapsed, C::kLabel,          C::kResponseCode, C::kResponseMessage, C::kThreadName,
      C::kDataType,   C::kSuccess, C::kFailureMessage, C::kBytes,        C::kSentBytes,       C::kGrpThreads,
      C::kAllThreads, C::kUrl,     C::kLatency,        C::kIdleTime,     C::kConnect};
  return kDefault;
}

const std::vector<JtlColumn>& JMeter213JtlColumns() {
  static const std::vector<JtlColumn> k213 = {C::kTimeStamp,       C::kElapsed,    C::kLabel,      C::kResponseCode,
                                              C::kResponseMessage, C::kThreadName, C::kDataType,   C::kSuccess,
                                              C::kBytes,           C::kGrpThreads, C::kAllThreads, C::kLatency};
  return k213;
}

bool JtlIntendedStartWanted(std::string_view value) {
  if (value.size() != 4) return false;
  const std::string_view word = "true";
  for (size_t i = 0; i < 4; ++i) {
    if ((value[i] | 0x20) != word[i]) return false;
  }
  return true;
}

std::vector<JtlColumn> WithIntendedStart(std::vector<JtlColumn> columns) {
  for (JtlColumn c : columns) {
    if (c == C::kIntendedStart) return columns;
  }
  columns.push_back(C::kIntendedStart);
  return columns;
}

}  // namespace barrage
