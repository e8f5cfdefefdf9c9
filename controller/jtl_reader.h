// JTL import: reads JMeter's CSV results files into Samples.
//
// With a header row (JMeter 5.x default, or print_field_names=true) the columns are taken
// from it, in any subset JMeter can write; quoted names at the end ("var" columns from
// sample_variables) are skipped. Without a header the columns are guessed the way JMeter
// guesses (it assumes its configured defaults): 12 fields are JMeter 2.13's default set
// (timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,bytes,
// grpThreads,allThreads,Latency), 17 fields are 5.x's default set without its header.
//
// Fields are split as CSVSaveService.csvReadFile does: quoted fields may hold the
// delimiter, doubled quotes and line breaks; CR, LF and CRLF all end a record. The
// delimiter is ',' unless the header shows another one (e.g. tab or ';').
// timeStamp must be epoch milliseconds (timestamp_format=ms, the default). Millisecond
// columns become microseconds (x1000); a `null` URL becomes "".
//
// Errors name the file and line.
#ifndef BARRAGE_CONTROLLER_JTL_READER_H_
#define BARRAGE_CONTROLLER_JTL_READER_H_

#include <functional>
#include <string>
#include <vector>

#include "common/sample.h"
#include "common/status.h"

namespace barrage {

// Calls `on_sample` for every row, in file order. Stops at the first malformed row.
Status ReadJtl(const std::string& path, const std::function<void(Sample&&)>& on_sample);

// All rows of `path`.
Result<std::vector<Sample>> ReadJtlFile(const std::string& path);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_JTL_READER_H_
