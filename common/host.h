// The machine's host name, read one way everywhere (the controller's results store and
// `run`, the worker's Hello and __machineName).
#ifndef BARRAGE_COMMON_HOST_H_
#define BARRAGE_COMMON_HOST_H_

#include <string>
#include <string_view>

namespace barrage {

// gethostname(2) (the kernel's node name, as `uname -n` prints it), or `fallback` when it
// cannot be read or is empty. Thread-safe.
std::string HostName(std::string_view fallback);

}  // namespace barrage

#endif  // BARRAGE_COMMON_HOST_H_
