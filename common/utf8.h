// Small UTF-8 helpers shared by the text-handling code (plans, properties files, functions,
// CSV data, extractors, JSON).
// Header-only; pure functions, thread-safe.
#ifndef BARRAGE_COMMON_UTF8_H_
#define BARRAGE_COMMON_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace barrage {

// Appends code point `cp` (<= 0x10FFFF) encoded as UTF-8.
inline void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The Unicode code point of a windows-1252 byte (0x80..0x9F differ from ISO-8859-1; the
// five bytes windows-1252 leaves undefined map to themselves, as in Java's decoder).
inline uint32_t Windows1252ToUnicode(unsigned char b) {
  static constexpr uint16_t kHigh[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                         0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                         0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                         0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
  return b >= 0x80 && b <= 0x9F ? kHigh[b - 0x80] : b;
}

// The length of the sequence a lead byte starts (1 for a stray continuation byte).
inline size_t Utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace barrage

#endif  // BARRAGE_COMMON_UTF8_H_
