// The input format of the message-handling fuzz targets (cluster_coordinator_fuzz,
// worker_daemon_fuzz) and of their seed generator (wire_fuzz_seeds):
//
//   [control: 1 byte] then records [selector: 1 byte][length: 2 bytes, little-endian][frame]
//
// `control` picks the state the target starts in, `selector` the sending peer and how much
// time passes before the frame (target-specific), `frame` is one received ZeroMQ payload. A
// record cut short by the end of the input keeps the bytes that are there.
#ifndef BARRAGE_TESTS_FUZZ_FUZZ_FRAMES_H_
#define BARRAGE_TESTS_FUZZ_FUZZ_FRAMES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::fuzz {

struct Record {
  uint8_t selector = 0;
  std::string_view frame;
};

struct Input {
  uint8_t control = 0;
  std::vector<Record> records;
};

inline Input ParseInput(const uint8_t* data, size_t size) {
  Input in;
  if (size == 0) return in;
  in.control = data[0];
  size_t pos = 1;
  while (pos < size) {
    Record r;
    r.selector = data[pos++];
    size_t length = 0;
    if (pos < size) length = data[pos++];
    if (pos < size) length |= static_cast<size_t>(data[pos++]) << 8;
    if (length > size - pos) length = size - pos;
    r.frame = std::string_view(reinterpret_cast<const char*>(data + pos), length);
    pos += length;
    in.records.push_back(r);
  }
  return in;
}

// One record, for writing inputs. Frames longer than 65535 bytes do not fit.
inline std::string RecordBytes(uint8_t selector, std::string_view frame) {
  std::string out;
  out.push_back(static_cast<char>(selector));
  out.push_back(static_cast<char>(frame.size() & 0xff));
  out.push_back(static_cast<char>((frame.size() >> 8) & 0xff));
  out.append(frame.substr(0, 0xffff));
  return out;
}

}  // namespace barrage::fuzz

#endif  // BARRAGE_TESTS_FUZZ_FUZZ_FRAMES_H_
