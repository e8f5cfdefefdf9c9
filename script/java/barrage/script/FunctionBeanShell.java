package barrage.script;

import bsh.EvalError;
import bsh.Interpreter;
import java.util.HashMap;
import java.util.Map;

/**
 * JMeter's __BeanShell function: one interpreter per occurrence of the function in the plan,
 * shared by every thread (JMeter's cloned elements share their function instances), its
 * calls one at a time (JMeter's execute is synchronized), so a script's variables live on
 * between calls of any thread. worker/script_functions.cc reaches it through a javascript
 * driver per occurrence; the key names the run and the occurrence.
 */
public final class FunctionBeanShell {
  private static final Map<String, Interpreter> INTERPRETERS = new HashMap<>();

  private FunctionBeanShell() {}

  /** Runs {@code script} in the occurrence's interpreter; its value as text, or null. */
  public static String eval(String key, String script, Object ctx, Object vars, Object props, Object log,
                            String threadName, Object sampler, Object prev) throws EvalError {
    Interpreter bsh;
    synchronized (INTERPRETERS) {
      bsh = INTERPRETERS.computeIfAbsent(key, k -> new Interpreter());
    }
    synchronized (bsh) {
      bsh.set("log", log);
      bsh.set("ctx", ctx);
      bsh.set("vars", vars);
      bsh.set("props", props);
      bsh.set("threadName", threadName);
      bsh.set("sampler", sampler);
      bsh.set("SampleResult", prev);
      Object value = bsh.eval(script);
      return value == null ? null : value.toString();
    }
  }

  /** Drops the interpreters whose key starts with {@code prefix} (a run's, at its end). */
  public static void forget(String prefix) {
    synchronized (INTERPRETERS) {
      INTERPRETERS.keySet().removeIf(k -> k.startsWith(prefix));
    }
  }
}
