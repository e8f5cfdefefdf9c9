#include "worker/cookie_settings.h"

#include <strings.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "common/hash_tree.h"

namespace barrage {

namespace {

bool EqualNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Java's String.trim(): every character up to ' ' goes.
std::string_view JavaTrim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

bool JMeterBooleanProperty(const std::optional<std::string>& text, bool def) {
  if (!text) return def;
  std::string_view v = JavaTrim(*text);
  if (EqualNoCase(v, "true") || EqualNoCase(v, "t")) return true;
  if (EqualNoCase(v, "false") || EqualNoCase(v, "f")) return false;
  // Integer.parseInt: an optional sign and decimal digits within int's range.
  std::string_view digits = v;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return def;
  std::string s(v);
  errno = 0;
  long long n = std::strtoll(s.c_str(), nullptr, 10);
  if (errno == ERANGE || n > INT_MAX || n < INT_MIN) return def;
  return n == 1;
}

Result<CookieSettings> CookieSettingsFromProperties(const Properties& properties) {
  CookieSettings s;
  if (std::optional<std::string> jar = properties.Get("barrage.cookies.fastpath")) {
    std::string_view v = TrimAscii(*jar);
    if (!EqualNoCase(v, "true") && !EqualNoCase(v, "false")) {
      return Status::InvalidArgument("property barrage.cookies.fastpath: '" + *jar + "' is not true or false");
    }
    s.jar = EqualNoCase(v, "true");
  }
  s.save_cookies = JMeterBooleanProperty(properties.Get("CookieManager.save.cookies"), false);
  s.delete_null_cookies = JMeterBooleanProperty(properties.Get("CookieManager.delete_null_cookies"), true);
  if (std::optional<std::string> prefix = properties.Get("CookieManager.name.prefix")) {
    s.variable_prefix = std::string(JavaTrim(*prefix));
  }
  return s;
}

}  // namespace barrage
