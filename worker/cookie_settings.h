// The run's cookie settings, read once from its properties (engine.cc Prepare) into RunState.
// - barrage.cookies.fastpath ("true"/"false", any case, blanks ignored; absent = true): the
//   users' cookies live in Barrage's jar (worker/cookie_jar.h) and their plain HTTP/1.1
//   requests take the fast path; false keeps them in libcurl's cookie engine and sends every
//   request of a user with a Cookie Manager through libcurl. Any other value is an
//   InvalidArgument error naming the property.
// - JMeter's CookieManager.save.cookies (default false), CookieManager.name.prefix (default
//   "COOKIE_", trimmed) and CookieManager.delete_null_cookies (default true), read as
//   JMeterUtils.getPropDefault reads booleans: "true"/"t"/"false"/"f" in any case, else an
//   integer that is 1 or not, else the default.
#ifndef BARRAGE_WORKER_COOKIE_SETTINGS_H_
#define BARRAGE_WORKER_COOKIE_SETTINGS_H_

#include <string>
#include <string_view>

#include "common/status.h"
#include "common/variables.h"

namespace barrage {

struct CookieSettings {
  bool jar = true;
  // COOKIE_ variables (JMeter's CookieManager.add): each cookie a response makes the user
  // store puts variable `variable_prefix` + name = value; with delete_null_cookies an empty
  // value puts none. Never removed (JMeter neither removes them on deletion nor on clearing).
  bool save_cookies = false;
  std::string variable_prefix = "COOKIE_";
  bool delete_null_cookies = true;
};

Result<CookieSettings> CookieSettingsFromProperties(const Properties& properties);

// JMeterUtils.getPropDefault(name, boolean) over one property's text (nullopt: absent).
bool JMeterBooleanProperty(const std::optional<std::string>& text, bool def);

}  // namespace barrage

#endif  // BARRAGE_WORKER_COOKIE_SETTINGS_H_
