// The script host (issue 11): the JVM that runs a plan's JSR223 and BeanShell scripts with the
// real interpreters Debian packages (Groovy 2.4, BeanShell 2.0b4, Rhino 1.7 for javascript),
// in-process over JNI (docs/architecture.md says why not a helper process).
//
// A JVM can be created once per process and never again after it is destroyed, so the host is
// one per process, started at the first ScriptHost::Get() (the engine calls it only when the
// compiled plan holds a script element) and kept until exit. libjvm.so is loaded with dlopen:
// barrage and barrage-worker run without Java installed as long as no plan needs it.
//
// Calls are asynchronous: Submit() queues a call for the host's threads (JVM-attached, grown
// on demand up to a limit) and returns at once; the call's ScriptCallback runs on the host
// thread that ran it. The caller keeps the call, its script, user and samples alive and
// untouched until then. CallNow() runs a call on the calling thread: script functions (which
// are evaluated inside a template) and quick scripts, which the engine runs on its loop's own
// thread between two polls (CompiledScript::quick(); the engine takes the loop away from a
// thread whose call outlasts kQuickCallTakeoverUs, so no call wedges a loop).
//
// Everything here is thread-safe.
#ifndef BARRAGE_WORKER_SCRIPT_HOST_H_
#define BARRAGE_WORKER_SCRIPT_HOST_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/variables.h"
#include "worker/sample_result.h"

namespace barrage {

// Which JMeter element runs the script; decides its bindings (JMeter's names) and what the
// call's outcome means. Values match barrage.script.Host's constants.
enum class ScriptRole { kSampler = 0, kPreProcessor, kPostProcessor, kAssertion, kTimer, kFunction, kListener };
// JSR223 elements (javax.script bindings), BeanShell elements (one interpreter per element
// and user, its own variables kept between calls) or BSF elements (JSR223's names; BSF's
// error texts, and a sampler's return value is always its response data).
enum class ScriptFlavour { kJsr223 = 0, kBeanShell, kBsf };

struct ScriptHostOptions {
  int max_heap_mb = 512;  // the JVM's -Xmx: the host's memory cap
  int max_threads = 256;  // host threads (scripts that sleep hold one each)
};

// What the host can run, for `inspect` and the controller's checks before a cluster start.
struct ScriptRuntime {
  std::string java_home;               // "" when no JDK 17 runtime was found
  std::vector<std::string> languages;  // usable: "groovy", "beanshell", "javascript"
  std::vector<std::string> missing;    // what is absent, with the Debian package to install
};
// Looks for the JVM and the interpreters' jars (no JVM is started): $BARRAGE_JAVA_HOME
// ("none": no Java, whatever is installed), /usr/lib/jvm/java-17-openjdk-*, $JAVA_HOME,
// /usr/lib/jvm/default-java.
ScriptRuntime FindScriptRuntime();

class ScriptHost;

// When a script's calls are quick: its last kFirstStreak calls each took less than kQuickUs.
// A slower call makes it not quick, and each time that happens to a quick script the streak
// it needs doubles
// (up to kMaxStreak): a script that blocks now and then (each such call holds its loop up to
// kQuickCallTakeoverUs) is soon run on the host threads for good. Thread-safe; every user's
// calls on any thread record here.
class QuickCallPolicy {
 public:
  static constexpr int kFirstStreak = 16;
  static constexpr int kMaxStreak = 1 << 16;
  static constexpr int64_t kQuickUs = 250;

  bool quick() const { return streak_.load(std::memory_order_relaxed) >= needed_.load(std::memory_order_relaxed); }
  void Record(int64_t duration_us) {
    if (duration_us < kQuickUs) {
      if (streak_.load(std::memory_order_relaxed) < kMaxStreak) streak_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (quick()) {  // it ran on a loop: the next time takes twice as long to qualify
      const int n = needed_.load(std::memory_order_relaxed);
      if (n < kMaxStreak) needed_.store(n * 2, std::memory_order_relaxed);
    }
    streak_.store(0, std::memory_order_relaxed);
  }

 private:
  std::atomic<int> streak_{0};  // short calls in a row
  std::atomic<int> needed_{kFirstStreak};
};

// One compiled script element; made by ScriptHost::Compile, shared by every user.
class CompiledScript {
 public:
  ~CompiledScript();
  CompiledScript(const CompiledScript&) = delete;
  CompiledScript& operator=(const CompiledScript&) = delete;
  ScriptRole role() const { return role_; }

  // Quick: this script's last calls were all short (QuickCallPolicy), so the engine runs it on
  // the loop's thread (a hand-off to a host thread costs more than such a call).
  bool quick() const { return policy_.quick(); }
  // Records one call's duration (the host does, for every call).
  void RecordCall(int64_t duration_us) const { policy_.Record(duration_us); }

 private:
  friend class ScriptHost;
  CompiledScript(ScriptRole role, void* ref) : role_(role), ref_(ref) {}
  ScriptRole role_;
  void* ref_;  // the barrage.script.Host.Script (a JNI global reference)
  mutable QuickCallPolicy policy_;
};

// A quick call still running after this long gives its loop to another thread (the engine's).
constexpr int64_t kQuickCallTakeoverUs = 5000;

// One virtual user's script state on the JVM side: `vars` over its Variables (and the objects
// vars.putObject keeps), `ctx`, BeanShell interpreters. Made by ScriptHost::NewUser.
class ScriptUser {
 public:
  ~ScriptUser();
  ScriptUser(const ScriptUser&) = delete;
  ScriptUser& operator=(const ScriptUser&) = delete;

 private:
  friend class ScriptHost;
  explicit ScriptUser(void* ref) : ref_(ref) {}
  void* ref_;
};

// An HTTP Request as `sampler` shows it to a script (fields as this sample sends them), and
// what the script left in it: the fields and arguments, headers added and names removed.
struct HttpSamplerView {
  std::string protocol, domain, port, path, method;
  std::vector<std::pair<std::string, std::string>> arguments;      // name, value
  bool has_header_manager = true;                                  // in: false when no Header Manager is in scope
  std::vector<std::pair<std::string, std::string>> headers;        // in: the scope's Header Managers'
  std::vector<std::pair<std::string, std::string>> added_headers;  // out
  std::vector<std::string> removed_headers;                        // out: names
};

struct ScriptCall;
class ScriptCallback {
 public:
  virtual ~ScriptCallback() = default;
  // On the host thread that ran the call.
  virtual void OnScriptDone(ScriptCall* call) = 0;
};

struct ScriptCall {
  // In.
  const CompiledScript* script = nullptr;
  ScriptUser* user = nullptr;
  // `prev`: the sample post-processors and assertions see (they may change it: success, code,
  // message, data...; the changes are written back). null for a user's first sample.
  SampleResult* prev = nullptr;
  // Samplers: the new sample, filled by the call (label and thread name set by the caller).
  SampleResult* current = nullptr;
  std::string sampler_name;                 // what `sampler.getName()` returns
  HttpSamplerView* http_sampler = nullptr;  // an HTTP Request's `sampler` (null: only its name)
  std::string parameters;                   // `Parameters`; `args` is it split at whitespace
  int iteration = 0;
  ScriptCallback* callback = nullptr;
  // Out.
  bool ok = true;                    // false: the script threw (error holds it)
  std::string error;                 // the exception as JMeter prints it (e.toString())
  std::optional<std::string> value;  // the script's return value, toString()
  AssertionResult assertion;         // assertions: failure, error, message
  bool restart_next_loop = false;    // ctx.setRestartNextLoop(true)
  int64_t elapsed_us = -1;           // samplers: the script's own sampleStart..sampleEnd
};

class ScriptHost {
 public:
  // The process's host, started at the first call (JVM creation, jars on the class path).
  // An error names what is missing (JDK, jar, Debian package) and stays the answer.
  static Result<ScriptHost*> Get(const ScriptHostOptions& options = {});

  // The run's properties, which `props` reads and writes (null: none). Set before a run's
  // first script call.
  void SetProperties(Properties* properties);

  // Compiles `source` (JSR223: the language's engine compiles it once; BeanShell: parsed at
  // each call, as JMeter). `cached` false: a Groovy script's errors read as JMeter's
  // uncompiled path words them (wrapped once more). Error: the language is unknown or the
  // script does not compile, with the interpreter's message.
  Result<std::unique_ptr<CompiledScript>> Compile(ScriptRole role, ScriptFlavour flavour, const std::string& language,
                                                  const std::string& name, const std::string& file_name,
                                                  const std::string& source, bool cached = true);
  // A user's JVM side over `vars`, which must outlive it. thread_num: JMeter's 0-based number.
  Result<std::unique_ptr<ScriptUser>> NewUser(Variables* vars, int thread_num, const std::string& thread_name,
                                              const std::string& group_name, int group_threads);

  void Submit(ScriptCall* call);
  void CallNow(ScriptCall* call);
  // Ends every running call (run stop): interrupts the script's thread, and stops it after
  // `grace_ms` when it still runs; such a call ends with ok false.
  void StopRunningCalls(int grace_ms);

  // Heap in use and its cap, in bytes (the run's infrastructure info).
  int64_t heap_used_bytes();
  int64_t heap_max_bytes();
  std::string version() const;  // "OpenJDK 17.0.x; Groovy 2.4.21"

  class Impl;

 private:
  friend class CompiledScript;
  friend class ScriptUser;
  explicit ScriptHost(std::unique_ptr<Impl> impl);
  void Release(void* ref);  // a JNI global reference
  std::unique_ptr<Impl> impl_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_SCRIPT_HOST_H_
