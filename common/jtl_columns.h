// The CSV columns of JMeter's JTL results file (CSVSaveService), in JMeter's order, with
// the SampleSaveConfiguration field (a listener's saveConfig) that selects each. One table
// for the plan compiler (a listener's saveConfig), the JTL writer and the JTL reader.
//
// Barrage writes every column but Encoding and Hostname: its samples carry neither (a
// cluster's samples come from many hosts), so the compiler warns when a saveConfig asks
// for them and the writer never gets them; the reader accepts them and skips their values.
#ifndef BARRAGE_COMMON_JTL_COLUMNS_H_
#define BARRAGE_COMMON_JTL_COLUMNS_H_

#include <span>
#include <string_view>
#include <vector>

namespace barrage {

enum class JtlColumn {
  kTimeStamp,
  kElapsed,
  kLabel,
  kResponseCode,
  kResponseMessage,
  kThreadName,
  kDataType,
  kSuccess,
  kFailureMessage,
  kBytes,
  kSentBytes,
  kGrpThreads,
  kAllThreads,
  kUrl,
  kFilename,
  kLatency,
  kEncoding,
  kSampleCount,
  kErrorCount,
  kHostname,
  kIdleTime,
  kConnect,
  // Barrage's own, not JMeter's: the start the sample's schedule intended, epoch ms
  // (timeStamp - Sample::schedule_lag_us / 1000; = timeStamp without a schedule). Written only
  // when the property barrage.jtl.intended_start is true (docs/jtl.md); no saveConfig field
  // selects it.
  kIntendedStart,
};

struct JtlColumnInfo {
  JtlColumn column;
  std::string_view name;        // the header name: "timeStamp", "Latency"...
  std::string_view save_field;  // the saveConfig field that selects it: "timestamp", "latency"...
                                // ("" for intendedStart: none)
  bool written;                 // false: Encoding and Hostname
};

// Every column, in JMeter's order (the enum's).
std::span<const JtlColumnInfo> AllJtlColumns();
const JtlColumnInfo& JtlColumnInfoOf(JtlColumn column);
// The column whose header is `name`, or false.
bool JtlColumnNamed(std::string_view name, JtlColumn* column);
// JMeter 5.x's default columns (jmeter.properties): the 17 of barrage's -l file.
const std::vector<JtlColumn>& DefaultJtlColumns();
// JMeter 2.13's default columns (12): what a header-less 2.13 JTL holds.
const std::vector<JtlColumn>& JMeter213JtlColumns();

// The property that adds the intendedStart column to every JTL a run writes (-l and the
// listeners' files), and its test: JMeter's Boolean.parseBoolean ("true" in any case).
inline constexpr std::string_view kJtlIntendedStartProperty = "barrage.jtl.intended_start";
bool JtlIntendedStartWanted(std::string_view property_value);
// `columns` with intendedStart appended (unless already there).
std::vector<JtlColumn> WithIntendedStart(std::vector<JtlColumn> columns);

}  // namespace barrage

#endif  // BARRAGE_COMMON_JTL_COLUMNS_H_
