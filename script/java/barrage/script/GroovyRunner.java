package barrage.script;

import groovy.lang.Binding;
import groovy.lang.MissingMethodException;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import javax.script.CompiledScript;
import javax.script.ScriptContext;
import javax.script.ScriptException;
import javax.script.SimpleBindings;
import javax.script.SimpleScriptContext;

/**
 * A Groovy script compiled by Groovy's JSR223 engine, run without the engine's per-call
 * bookkeeping. GroovyScriptEngineImpl.eval(Class, ScriptContext) wraps the bindings in a
 * Binding, makes the script object, then puts a MethodClosure for each of the class's public
 * methods into the engine's "global closures" and gives the object a delegating MetaClass
 * that calls them; that bookkeeping was most of a short script's cost (measured in
 * bench/RESULTS.md). JMeter makes a new engine for every call, so no call ever finds a closure
 * another call put there; this runner keeps what a script can observe of eval: the same
 * compiled class (its name, Script1...), the bindings as the Binding's variables plus
 * {@code out} and {@code context}, a new script object per call, every exception wrapped in a
 * ScriptException, and an unknown method named against GroovyScriptEngineImpl, as its
 * delegating MetaClass words it.
 */
final class GroovyRunner {
  private static final String ENGINE_CLASS = "org.codehaus.groovy.jsr223.GroovyScriptEngineImpl";
  // SimpleScriptContext's writer: System.out, flushed at each line.
  private static final PrintWriter OUT = new PrintWriter(System.out, true);

  private final Class<?> scriptClass;
  private final Constructor<?> constructor;  // the script class's (Binding) constructor
  private final Class<?> engineClass;

  private GroovyRunner(Class<?> scriptClass, Constructor<?> constructor, Class<?> engineClass) {
    this.scriptClass = scriptClass;
    this.constructor = constructor;
    this.engineClass = engineClass;
  }

  /** Whether Groovy's engine compiled {@code compiled} (this class needs Groovy only then). */
  static boolean compiledByGroovy(CompiledScript compiled) {
    return compiled.getClass().getName().equals("org.codehaus.groovy.jsr223.GroovyCompiledScript");
  }

  /** The runner of a script Groovy's engine compiled, or null (a class that is no script). */
  static GroovyRunner of(CompiledScript compiled) {
    try {
      Field f = compiled.getClass().getDeclaredField("clasz");
      f.setAccessible(true);
      Class<?> c = (Class<?>) f.get(compiled);
      if (!groovy.lang.Script.class.isAssignableFrom(c)) return null;  // eval returns such a class itself
      return new GroovyRunner(c, c.getConstructor(Binding.class),
                              Class.forName(ENGINE_CLASS, false, compiled.getClass().getClassLoader()));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;  // not the Groovy this runner knows: the engine's own eval runs it
    }
  }

  Object run(Map<String, Object> bindings) throws ScriptException {
    try {
      groovy.lang.Script script = (groovy.lang.Script) constructor.newInstance(new EngineBinding(bindings));
      return script.run();
    } catch (InvocationTargetException e) {  // the script's constructor threw
      Throwable cause = e.getCause();
      if (cause instanceof Exception) throw new ScriptException((Exception) cause);
      throw (Error) cause;
    } catch (MissingMethodException e) {
      // The engine's MetaClass looks an unknown method up in its global closures, then throws
      // MissingMethodException(name, GroovyScriptEngineImpl.class, args).
      if (e.getType() == scriptClass) {
        throw new ScriptException(new MissingMethodException(e.getMethod(), engineClass, e.getArguments()));
      }
      throw new ScriptException(e);
    } catch (Exception e) {
      throw new ScriptException(e);
    }
  }

  /** The engine's Binding: the bindings, then {@code out} and {@code context}. */
  private static final class EngineBinding extends Binding {
    private ScriptContext context;

    EngineBinding(Map<String, Object> variables) {
      super(variables);
    }

    @Override
    public Object getVariable(String name) {
      Map<?, ?> v = getVariables();
      Object value = v.get(name);
      if (value != null || v.containsKey(name)) return value;
      if (name.equals("out")) return OUT;
      if (name.equals("context")) {
        if (context == null) {
          @SuppressWarnings("unchecked")
          Map<String, Object> m = (Map<String, Object>) v;
          context = new SimpleScriptContext();
          context.setBindings(new SimpleBindings(m), ScriptContext.ENGINE_SCOPE);
        }
        return context;
      }
      return super.getVariable(name);  // MissingPropertyException, as the engine's Binding
    }
  }
}
