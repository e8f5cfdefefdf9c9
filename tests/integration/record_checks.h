// Helpers for the tests of a run's records (its JTL file and results store) under failure.
#ifndef BARRAGE_TESTS_INTEGRATION_RECORD_CHECKS_H_
#define BARRAGE_TESTS_INTEGRATION_RECORD_CHECKS_H_

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace barrage::test {

// A tmpfs of `size` (mount's size=, e.g. "768k") mounted at `dir` for the scope, so that a
// file on it fills up. Root only: mounted() says whether it is. Lazily unmounted at scope
// end, also when the test fails.
class SmallTmpfs {
 public:
  SmallTmpfs(const std::filesystem::path& dir, const std::string& size) : dir_(dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    mounted_ = !ec && geteuid() == 0 && mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  bool mounted() const { return mounted_; }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
};

// The rows of a JTL file: its complete lines after the header (0 for a missing file).
inline int64_t JtlRows(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int64_t lines = std::count(text.begin(), text.end(), '\n');
  return lines > 0 ? lines - 1 : 0;
}

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_INTEGRATION_RECORD_CHECKS_H_
