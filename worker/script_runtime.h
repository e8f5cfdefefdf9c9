// What this machine's script host can run (issue 11), for `barrage inspect`, a run's start
// (local or on a cluster worker) and the run's infrastructure info. No JVM is started here.
//
// LocalScriptRuntime() is FindScriptRuntime() (worker/script_host.h) under the operator's
// switch BARRAGE_JAVA_HOME=none: "this machine has no Java", whatever is installed (a worker
// that must refuse script plans, and the tests of that refusal).
#ifndef BARRAGE_WORKER_SCRIPT_RUNTIME_H_
#define BARRAGE_WORKER_SCRIPT_RUNTIME_H_

#include <string>
#include <string_view>
#include <vector>

#include "worker/script_host.h"

namespace barrage {

// True when BARRAGE_JAVA_HOME is "none".
bool JavaHiddenByEnvironment();

ScriptRuntime LocalScriptRuntime();

// The Debian package that brings a host language's interpreter: "groovy" -> "groovy",
// "beanshell" -> "libbsh-java", "javascript" -> "librhino-java"; "" for any other name.
std::string_view ScriptLanguagePackage(std::string_view language);

// What a script in `language` (the host's name) lacks on a machine with `runtime`: empty
// when it runs there, else `runtime.missing`'s entries it needs (the Java runtime,
// barrage-script.jar, its interpreter's jar; each names its Debian package).
std::vector<std::string> ScriptLanguageMissing(const ScriptRuntime& runtime, std::string_view language);

}  // namespace barrage

#endif  // BARRAGE_WORKER_SCRIPT_RUNTIME_H_
