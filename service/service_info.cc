#include "service/service_info.h"

namespace barrage {

std::string_view ServiceVersion() { return BARRAGE_VERSION; }

}  // namespace barrage
