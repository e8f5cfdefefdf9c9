#include "worker/script_runtime.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace barrage {
namespace {

struct LanguagePackage {
  std::string_view language, package;
};
constexpr LanguagePackage kLanguagePackages[] = {{"groovy", "groovy"},
                                                 {"beanshell", "libbsh-java"},
                                                 {"javascript", "librhino-java"},
                                                 {"jexl2", "libcommons-jexl2-java"},
                                                 {"jexl3", "libcommons-jexl3-java"}};

}  // namespace

std::string_view ScriptLanguagePackage(std::string_view language) {
  for (const LanguagePackage& l : kLanguagePackages) {
    if (l.language == language) return l.package;
  }
  return "";
}

std::vector<std::string> ScriptLanguageMissing(const ScriptRuntime& runtime, std::string_view language) {
  const bool has_language =
      std::find(runtime.languages.begin(), runtime.languages.end(), language) != runtime.languages.end();
  // FindScriptRuntime lists the JVM and barrage-script.jar as missing for every language.
  auto mentions_package = [](const std::string& entry, std::string_view package) {
    return entry.find("(Debian package " + std::string(package) + ")") != std::string::npos;
  };
  auto concerns_language = [&](const std::string& entry) {
    if (entry.rfind("a Java ", 0) == 0 || entry.rfind("barrage-script.jar", 0) == 0) return true;
    const std::string_view package = ScriptLanguagePackage(language);
    return !package.empty() && mentions_package(entry, package);
  };
  std::vector<std::string> out;
  const bool runs = has_language && !runtime.java_home.empty() &&
                    std::none_of(runtime.missing.begin(), runtime.missing.end(),
                                 [](const std::string& e) { return e.rfind("barrage-script.jar", 0) == 0; });
  if (runs) return out;
  for (const std::string& entry : runtime.missing) {
    if (concerns_language(entry)) out.push_back(entry);
  }
  if (out.empty()) out.push_back("an interpreter for " + std::string(language) + " (none known)");
  return out;
}

ScriptHostFacts ScriptHostFactsOf(ScriptHost& host, const Properties& properties) {
  return {host.version(), host.heap_max_bytes(), host.heap_used_bytes(), properties.Get("barrage.script.max_heap_mb")};
}

std::string ScriptHostFactsJson(const ScriptHostFacts& facts) {
  nlohmann::json j = {{"version", facts.version},
                      {"heap_max_bytes", facts.heap_max_bytes},
                      {"heap_used_bytes", facts.heap_used_bytes},
                      {"max_heap_mb", facts.max_heap_mb_property ? nlohmann::json(*facts.max_heap_mb_property)
                                                                 : nlohmann::json(nullptr)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace barrage
