#include "common/host.h"

#include <unistd.h>

namespace barrage {

std::string HostName(std::string_view fallback) {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return std::string(fallback);
  return buf;
}

}  // namespace barrage
