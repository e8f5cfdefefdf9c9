// Sets the TZ environment variable for one scope (localtime_r reads it only through
// tzset), restoring the previous value at scope end. Not thread-safe: tests only.
#ifndef BARRAGE_TESTS_CONTROLLER_SCOPED_TIME_ZONE_H_
#define BARRAGE_TESTS_CONTROLLER_SCOPED_TIME_ZONE_H_

#include <cstdlib>
#include <ctime>
#include <string>

namespace barrage {

class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    const char* old = std::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  bool had_ = false;
  std::string old_;
};

}  // namespace barrage

#endif  // BARRAGE_TESTS_CONTROLLER_SCOPED_TIME_ZONE_H_
