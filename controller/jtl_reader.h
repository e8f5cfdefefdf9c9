// JTL import: reads JMeter's CSV results files into Samples.
//
// With a header row (JMeter 5.x default, or print_field_names=true) the columns are taken
// from it by name: any subset of JMeter's columns in any order; unknown names and quoted
// names ("var" columns from sample_variables) are skipped. timeStamp and elapsed must be
// there; a missing column leaves the Sample's default (success = true, numbers 0, text "").
// The first line is a header when it has at least two of JMeter's column names (or is one
// name alone) and does not start with a digit (data rows start with their timeStamp).
// Without a header the columns are guessed the way JMeter guesses (it assumes its
// configured defaults): 12 fields are JMeter 2.13's default set (timeStamp,elapsed,label,
// responseCode,responseMessage,threadName,dataType,success,bytes,grpThreads,allThreads,
// Latency), 17 fields are 5.x's default set without its header.
//
// Fields are split as CSVSaveService.csvReadFile does: quoted fields may hold the
// delimiter, doubled quotes and line breaks; CR, LF and CRLF all end a record. The
// delimiter is ',' unless the header shows another one (e.g. tab or ';'). Fields beyond
// the header's columns are ignored; fewer fields than columns is an error.
//
// timeStamp: epoch milliseconds (timestamp_format=ms, JMeter's default), or a date written
// with jmeter.save.saveservice.timestamp_format (a SimpleDateFormat pattern such as
// `yyyy/MM/dd HH:mm:ss.SSS`). Without JtlReadOptions::timestamp_format the first row
// decides: digits are milliseconds, else the first of kCommonJtlTimestampFormats that reads
// it is used for the whole file. A date without a zone is local time (TZ), as JMeter wrote
// it. Millisecond columns become microseconds (x1000); a `null` URL becomes "".
// Barrage's intendedStart column (epoch ms, jtl_writer.h), when the header has it, gives
// Sample::schedule_lag_us = (timeStamp - intendedStart) x 1000; an intendedStart after the
// timeStamp is an error.
//
// Stricter than JMeter, so a damaged file is found rather than imported: success must be
// "true" or "false" (any case; JMeter's Boolean.valueOf reads anything else as false),
// and elapsed, Latency, Connect, IdleTime, bytes, sentBytes, grpThreads and allThreads
// must be whole numbers >= 0 (JMeter's Long.parseLong takes -5). The file must be a
// regular file (common/input_file.h).
//
// XML results files (output_format=xml) are rejected by name. Errors name the file and line
// ("path:LINE: what"), one line each. Reads stream: memory does not grow
// with the file.
#ifndef BARRAGE_CONTROLLER_JTL_READER_H_
#define BARRAGE_CONTROLLER_JTL_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sample.h"
#include "common/status.h"

namespace barrage {

// The date patterns tried, in this order, when a file's first timeStamp is not a number.
extern const std::vector<std::string_view> kCommonJtlTimestampFormats;

struct JtlReadOptions {
  // "" = detect (see above); "ms" = epoch milliseconds; else a Java date pattern.
  std::string timestamp_format;
};

// Calls `on_sample` for every row, in file order, with the row's first line number. Stops
// at the first malformed row or the first error `on_sample` returns (returned as is).
Status ReadJtl(const std::string& path, const JtlReadOptions& options,
               const std::function<Status(Sample&&, int64_t line)>& on_sample);

// As above with default options and a callback that cannot fail.
Status ReadJtl(const std::string& path, const std::function<void(Sample&&)>& on_sample);

// All rows of `path`.
Result<std::vector<Sample>> ReadJtlFile(const std::string& path, const JtlReadOptions& options = {});

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_JTL_READER_H_
