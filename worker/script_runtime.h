// What this machine's script host can run (issue 11), for `barrage inspect`, a run's start
// (local or on a cluster worker) and the run's infrastructure info. No JVM is started here.
// What is installed comes from FindScriptRuntime() (worker/script_host.h), which honours the
// operator's switch BARRAGE_JAVA_HOME=none: "this machine has no Java", whatever is
// installed (a worker that must refuse script plans, and the tests of that refusal).
#ifndef BARRAGE_WORKER_SCRIPT_RUNTIME_H_
#define BARRAGE_WORKER_SCRIPT_RUNTIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "worker/script_host.h"

namespace barrage {

// The Debian package that brings a host language's interpreter: "groovy" -> "groovy",
// "beanshell" -> "libbsh-java", "javascript" -> "librhino-java"; "" for any other name.
std::string_view ScriptLanguagePackage(std::string_view language);

// What a script in `language` (the host's name) lacks on a machine with `runtime`: empty
// when it runs there, else `runtime.missing`'s entries it needs (the Java runtime,
// barrage-script.jar, its interpreter's jar; each names its Debian package).
std::vector<std::string> ScriptLanguageMissing(const ScriptRuntime& runtime, std::string_view language);

// What a run's script host was, for its infrastructure info: the Java and Groovy versions
// (ScriptHost::version()), the heap cap and the heap in use now (at the run's end), and the
// barrage.script.max_heap_mb property as set (absent: the default cap).
struct ScriptHostFacts {
  std::string version;
  int64_t heap_max_bytes = 0;
  int64_t heap_used_bytes = 0;
  std::optional<std::string> max_heap_mb_property;
};
ScriptHostFacts ScriptHostFactsOf(ScriptHost& host, const Properties& properties);
// One JSON object: {"heap_max_bytes":N,"heap_used_bytes":N,"max_heap_mb":"96" or null,
// "version":"Java 17.0.13; Groovy 2.4.21"}.
std::string ScriptHostFactsJson(const ScriptHostFacts& facts);

}  // namespace barrage

#endif  // BARRAGE_WORKER_SCRIPT_RUNTIME_H_
