// The machine's host name, read one way everywhere (the controller's results store and
// `run`, the worker's Hello and __machineName), and listen addresses parsed one way (`barrage
// serve`'s listen, `barrage run --metrics-listen`).
#ifndef BARRAGE_COMMON_HOST_H_
#define BARRAGE_COMMON_HOST_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace barrage {

// gethostname(2) (the kernel's node name, as `uname -n` prints it), or `fallback` when it
// cannot be read or is empty. Thread-safe.
std::string HostName(std::string_view fallback);

// "127.0.0.1:8470", "[::1]:8470", "0.0.0.0:0" -> host (IPv6 without brackets) and port; an
// error names the value ("listen \"...\": why (expected ADDRESS:PORT, ...)"). Thread-safe.
Status ParseListenAddress(const std::string& listen, std::string* host, int* port);

}  // namespace barrage

#endif  // BARRAGE_COMMON_HOST_H_
