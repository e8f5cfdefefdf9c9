// JMeter's variables (per virtual user) and properties (per run).
#ifndef BARRAGE_COMMON_VARIABLES_H_
#define BARRAGE_COMMON_VARIABLES_H_

#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace barrage {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One virtual user's variables (JMeterVariables). Not thread-safe: a VU owns its own.
class Variables {
 public:
  // nullptr when the variable is not set.
  const std::string* Get(std::string_view name) const;
  void Put(std::string_view name, std::string value);
  void Remove(std::string_view name);
  void Clear() { map_.clear(); }
  size_t size() const { return map_.size(); }
  // All variables sorted by name (Debug Sampler output).
  std::map<std::string, std::string> Sorted() const;

 private:
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> map_;
};

// JMeter properties of one run (-J, -q files, __setProperty). Thread-safe.
class Properties {
 public:
  std::optional<std::string> Get(std::string_view name) const;
  void Set(std::string_view name, std::string value);
  void Remove(std::string_view name);
  // Java .properties syntax: `key=value`, `key: value`, `key value`, `#`/`!` comments,
  // backslash line continuations and escapes (\t \n \uXXXX). Errors name file and line.
  Status LoadFile(const std::string& path);
  std::map<std::string, std::string> Snapshot() const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> map_;
};

}  // namespace barrage

#endif  // BARRAGE_COMMON_VARIABLES_H_
