// Script functions on the script host (issue 11): __javaScript, __groovy and __BeanShell
// whose script the one-line evaluator cannot run (common/functions.h RunScriptFunction), and
// JavaScript If conditions the same way. The engine makes one per run when the plan needs it
// (Plan::script_functions, or script elements: the JVM runs anyway) and points
// RunContext::scripts at it.
//
// A script function runs inline, on the loop thread that evaluates the template
// (ScriptHost::CallNow): template evaluation is synchronous everywhere (a sampler's URL, a
// variable's value), a JVM call is microseconds for the short scripts functions hold, and
// the loop thread attaches to the JVM once. A script that sleeps holds its loop, as it holds
// its JMeter thread; scripts that do real work belong in JSR223 elements, which run off the
// loop.
//
// JMeter's semantics per function:
// - __javaScript: Rhino, a fresh scope per call with log, ctx, vars, props, threadName,
//   sampler, OUT; the value as Rhino prints it ("undefined" for a statement).
// - __groovy: the Groovy JSR223 engine with log, ctx, vars, props, threadName, sampler, prev,
//   OUT; each distinct text is compiled once (the engine caches them the same way); null
//   gives "".
// - __BeanShell: one interpreter per occurrence of the function in the plan, shared by every
//   user, its calls one at a time (script/java/barrage/script/FunctionBeanShell.java), so a
//   script's variables live on between calls of any user, as JMeter 2.13 records
//   (tests/jmeter_compat script_functions_full); log, ctx, vars, props, threadName, sampler,
//   SampleResult; null gives "". The init file property beanshell.function.init is not read.
//   It is reached through a javascript driver: BeanShell functions need Rhino too.
// - __jexl2 / __jexl3: Commons JEXL from /usr/share/java as JMeter's Jexl2Function /
//   Jexl3Function set it up (script/java/barrage/script/FunctionJexl.java), context log, ctx,
//   vars, props, threadName, sampler, sampleResult, OUT; null gives "". JEXL 3 is silent as
//   in JMeter: a failing evaluation gives null, so "" (and the variable is set to "").
// - An error is logged (warning) and gives "" (common/functions.cc), as in JMeter.
// `vars.getIteration()` is the user's (ThreadContext::iteration), `prev` (and SampleResult,
// sampleResult) its previous sample: the sample being completed while its post-processors and
// assertions run, else the user's last one when the plan's function scripts name it
// (ThreadContext::previous_result); null before the user's first sample.
//
// Thread-safe: every loop calls it.
#ifndef BARRAGE_WORKER_SCRIPT_FUNCTIONS_H_
#define BARRAGE_WORKER_SCRIPT_FUNCTIONS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/functions.h"
#include "worker/script_host.h"

namespace barrage {

// The user's one JVM side (ThreadContext::script_user), made at its first use. Script
// functions take it from here; script elements should too (VirtualUser::RunScript keeps its
// own today), so that objects vars.putObject keeps in one are seen by the other.
// group_threads: what ctx.getThreadGroup().getNumThreads() returns (functions pass 0: a
// template does not know it).
Result<ScriptUser*> ScriptUserOf(ScriptHost* host, ThreadContext& ctx, int group_threads);

class ScriptFunctionRunner final : public ScriptFunctions {
 public:
  // Compiles the JavaScript driver (each call's script is its parameter). Error: no Rhino.
  static Result<std::unique_ptr<ScriptFunctionRunner>> Create(ScriptHost* host);
  // Drops the run's BeanShell interpreters.
  ~ScriptFunctionRunner();

  Result<std::string> Run(std::string_view function, const std::string& script, ThreadContext& ctx,
                          const void* occurrence) override;
  ScriptHost* host() const { return host_; }

  // How many Groovy texts are kept compiled; beyond it the cache starts again (a text with a
  // per-call value in it compiles at each call, as JMeter's engine would).
  static constexpr size_t kMaxCompiledTexts = 1000;

 private:
  explicit ScriptFunctionRunner(ScriptHost* host);
  struct Compiled {
    std::shared_ptr<const CompiledScript> script;
    std::string error;  // the compile error, when script is null
  };
  Compiled Groovy(const std::string& text);
  Compiled BeanShell(const void* occurrence);
  Compiled Jexl(int version);

  ScriptHost* host_;
  std::string key_;                             // "fn<n>:", unique in the process: the run's interpreters
  std::unique_ptr<CompiledScript> javascript_;  // String(eval(Parameters)): Rhino's printing of any value
  std::mutex mu_;
  std::map<std::string, Compiled> groovy_;
  std::map<const void*, Compiled> beanshell_;  // per occurrence: FunctionBeanShell.eval(Label, ...)
  Compiled jexl_[2];                           // FunctionJexl.eval(2 or 3, ...)
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_SCRIPT_FUNCTIONS_H_
