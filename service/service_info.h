// What `barrage serve` says about itself: its version and the API's base path.
#ifndef BARRAGE_SERVICE_SERVICE_INFO_H_
#define BARRAGE_SERVICE_SERVICE_INFO_H_

#include <string_view>

namespace barrage {

// Every route of the HTTP API starts with this.
inline constexpr std::string_view kApiBase = "/api/v1";

// The project's version (CMake's project version), as `barrage --version` prints it.
std::string_view ServiceVersion();

}  // namespace barrage

#endif  // BARRAGE_SERVICE_SERVICE_INFO_H_
