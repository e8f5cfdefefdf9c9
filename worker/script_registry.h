// The run's script elements compiled in the script host (issue 11): one compiled script per
// element, or per distinct text when the element's script holds a ${...} (JMeter replaces
// it before each run, so each text is its own script). Made at run start only when the
// plan has a script element: a plan without one starts no JVM.
//
// Thread-safe: every loop asks it.
#ifndef BARRAGE_WORKER_SCRIPT_REGISTRY_H_
#define BARRAGE_WORKER_SCRIPT_REGISTRY_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "common/functions.h"
#include "common/plan.h"
#include "worker/script_host.h"

namespace barrage {

class ScriptRegistry {
 public:
  // Null when the plan has no script element. Error: a script's language cannot run on this
  // machine (FindScriptRuntime(), worker/script_runtime.h) or the host cannot start, naming
  // the element and what to install.
  static Result<std::unique_ptr<ScriptRegistry>> ForRun(const Plan& plan, RunContext& run, ThreadContext& boot,
                                                        const ScriptHostOptions& options);
  ~ScriptRegistry();

  ScriptHost* host() const { return host_; }
  // Whether a script runs before its own sample exists (a sampler, pre-processor or timer),
  // where `prev` is the user's previous sample: only then do users keep a copy of it.
  bool reads_previous_sample() const { return reads_previous_sample_; }

  // The script `element` runs for `ctx` now; null with `*error` set (what JMeter records:
  // the compile error, a missing file) when there is none.
  const CompiledScript* Get(const Node& element, const ScriptSource& src, ThreadContext& ctx, std::string* error);

 private:
  ScriptRegistry(ScriptHost* host, RunContext* run) : host_(host), run_(run) {}
  struct Entry {
    std::unique_ptr<CompiledScript> script;
    std::string error;
  };
  Entry Compile(const Node& element, const ScriptSource& src, const std::string& filename, const std::string& text);

  ScriptHost* host_;
  RunContext* run_;
  bool reads_previous_sample_ = false;
  std::mutex mu_;
  // (element, file name, script text) -> its compiled script.
  std::map<std::tuple<const Node*, std::string, std::string>, Entry> scripts_;
};

// Every script element under `node` (samplers and the elements in their scopes alike).
bool HasScriptElement(const Node& node);

}  // namespace barrage

#endif  // BARRAGE_WORKER_SCRIPT_REGISTRY_H_
