package barrage.script;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import javax.script.Bindings;
import javax.script.Compilable;
import javax.script.CompiledScript;
import javax.script.ScriptEngine;
import javax.script.ScriptEngineManager;
import javax.script.ScriptException;
import org.apache.jmeter.assertions.AssertionResult;
import org.apache.jmeter.samplers.SampleResult;
import org.apache.jmeter.threads.AbstractThreadGroup;
import org.apache.jmeter.threads.JMeterContext;
import org.apache.jmeter.threads.JMeterContextService;
import org.apache.jmeter.threads.JMeterThread;
import org.apache.jmeter.threads.JMeterVariables;

/**
 * The JVM side of Barrage's script host (worker/script_host.h is the contract). C++ calls
 * these static methods: compile() once per script element, newUser() once per virtual user
 * that runs a script, call() for every execution, on any of the host's threads.
 */
public final class Host {
  // Roles (worker/script_host.h ScriptRole).
  public static final int SAMPLER = 0;
  public static final int PRE_PROCESSOR = 1;
  public static final int POST_PROCESSOR = 2;
  public static final int ASSERTION = 3;
  public static final int TIMER = 4;
  public static final int FUNCTION = 5;
  public static final int LISTENER = 6;
  // Flavours: JMeter's JSR223 elements (bindings, javax.script) or its BeanShell ones
  // (one interpreter per element and user, variables kept between calls).
  public static final int JSR223 = 0;
  public static final int BEANSHELL = 1;
  public static final int BSF = 2;  // JMeter's BSF elements: JSR223's names, BSF's errors and sampler result

  // Service lookups and Groovy's class loaders use the class path's loader, whatever thread
  // (attached through JNI, whose context class loader may be unset) runs them.
  private static final String[] NO_ARGS = new String[0];
  private static final ScriptEngineManager MANAGER = new ScriptEngineManager(Host.class.getClassLoader());
  private static final Map<String, ScriptEngine> ENGINES = new HashMap<>();

  private Host() {}

  public static Properties properties() { return RunProperties.INSTANCE; }

  /** Called once by every thread C++ attaches: scripts find classes as the main thread does. */
  public static void adoptThread() { Thread.currentThread().setContextClassLoader(Host.class.getClassLoader()); }

  /** A sample as scripts see it, made from Barrage's (one JNI call instead of twenty). */
  public static SampleResult sample(String label, String code, String message, boolean ok, byte[] data,
                                    String contentType, String dataType, String responseHeaders, String requestHeaders,
                                    String url, String threadName, long timestamp, long elapsed, long latency,
                                    long connect, long bytes, long sentBytes) {
    SampleResult r = new SampleResult();
    r.setSampleLabel(label);
    r.setResponseCode(code);
    r.setResponseMessage(message);
    r.setSuccessful(ok);
    r.setResponseData(data);
    r.setEncodingAndType(contentType);
    r.setDataType(dataType);
    r.setResponseHeaders(responseHeaders);
    r.setRequestHeaders(requestHeaders);
    r.setUrlString(url);
    r.setThreadName(threadName);
    r.setStartTime(timestamp);
    r.setEndTime(timestamp + elapsed);
    r.setLatency(latency);
    r.setConnectTime(connect);
    r.setBytes(bytes);
    r.setSentBytes(sentBytes);
    r.barrageMade();
    return r;
  }

  /**
   * {@code sampler} for an HTTP Request: fields = protocol, domain, port, path, method;
   * arguments and headers (those in scope) as name, value pairs; headers null: no Header
   * Manager in scope (getHeaderManager() returns null, as JMeter's).
   */
  public static Object httpSampler(String name, String[] fields, String[] arguments, String[] headers) {
    org.apache.jmeter.protocol.http.sampler.HTTPSamplerProxy s =
        new org.apache.jmeter.protocol.http.sampler.HTTPSamplerProxy(name, fields[0], fields[1], fields[2], fields[3], fields[4]);
    for (int i = 0; i + 1 < arguments.length; i += 2) {
      s.getArguments().addArgument(new org.apache.jmeter.protocol.http.util.HTTPArgument(arguments[i], arguments[i + 1]));
    }
    if (headers == null) {
      s.setHeaderManager(null);
    } else {
      for (int i = 0; i + 1 < headers.length; i += 2) {
        s.getHeaderManager().addInScope(new org.apache.jmeter.protocol.http.control.Header(headers[i], headers[i + 1]));
      }
    }
    return s;
  }

  /** What an HTTP sampler holds after a script (HTTPSamplerBase.barrageState). */
  public static String[] samplerState(Object sampler) {
    return ((org.apache.jmeter.protocol.http.sampler.HTTPSamplerBase) sampler).barrageState();
  }

  public static long heapUsed() { Runtime r = Runtime.getRuntime(); return r.totalMemory() - r.freeMemory(); }

  public static long heapMax() { return Runtime.getRuntime().maxMemory(); }

  public static String version() {
    String v = "Java " + System.getProperty("java.version");
    try {
      v += "; Groovy " + Class.forName("groovy.lang.GroovySystem").getMethod("getVersion").invoke(null);
    } catch (ReflectiveOperationException | LinkageError e) {
      // no Groovy on the class path
    }
    return v;
  }

  /** A compiled script element. */
  public static final class Script {
    final int role;
    final int flavour;
    final String name;
    final String fileName;
    final String source;
    final CompiledScript compiled;  // JSR223 engines that compile (Groovy, Rhino)
    final GroovyRunner groovy;      // compiled by Groovy: run without the engine's bookkeeping
    final ScriptEngine engine;      // JSR223 engines that do not
    final org.mozilla.javascript.Script rhino;  // javascript
    boolean wrapErrors;  // Groovy run as JMeter runs an uncached script: eval(String) wraps once more
    String language;     // as the element names it
    Throwable bsfCompileError;  // BSF: met at each call, as BSF's engines compile at each eval
    final Log log;

    Script(int role, int flavour, String name, String fileName, String source,
           CompiledScript compiled, ScriptEngine engine, org.mozilla.javascript.Script rhino) {
      this.role = role;
      this.flavour = flavour;
      this.name = name;
      this.fileName = fileName;
      this.source = source;
      this.compiled = compiled;
      this.groovy = compiled != null && GroovyRunner.compiledByGroovy(compiled) ? GroovyRunner.of(compiled) : null;
      this.engine = engine;
      this.rhino = rhino;
      this.log = new Log(flavour == BEANSHELL ? "jmeter.util.BeanShell" : "jmeter.script." + name);
    }
  }

  /** One virtual user's script state: its vars (and their objects), ctx, interpreters. */
  public static final class User {
    final JMeterVariables vars;
    final JMeterContext ctx;
    final Map<Script, Object> interpreters = new HashMap<>();

    User(JMeterVariables vars, JMeterContext ctx) {
      this.vars = vars;
      this.ctx = ctx;
    }
  }

  /** What one call produced; C++ reads the fields. */
  public static final class Outcome {
    public String value;           // the script's return value as a string, or null
    public String error;           // the exception as JMeter records it (e.toString()), or null
    public boolean restartNextLoop;  // ctx.setRestartNextLoop(true)
  }

  static boolean isJavaScript(String language) {
    switch (language.toLowerCase(java.util.Locale.ROOT)) {
      case "javascript":
      case "ecmascript":
      case "js":
      case "rhino":
      case "nashorn":
        return true;
      default:
        return false;
    }
  }

  /** The language's engine: "groovy", "javascript" (Rhino)... or null for BeanShell. */
  static synchronized ScriptEngine engineFor(String language) throws ScriptException {
    String lang = language.toLowerCase(java.util.Locale.ROOT);
    switch (lang) {
      case "beanshell":
      case "bsh":
      case "java":
        return null;
      default:
        break;
    }
    ScriptEngine e = ENGINES.get(lang);
    if (e == null && (lang.equals("jexl2") || lang.equals("jexl3"))) {
      // Both JEXL jars register a factory under "jexl2" and only one is found by name: each
      // version's own factory, directly.
      String factory = "org.apache.commons." + lang + ".scripting.JexlScriptEngineFactory";
      try {
        e = ((javax.script.ScriptEngineFactory) Class.forName(factory, true, Host.class.getClassLoader())
                 .getDeclaredConstructor().newInstance()).getScriptEngine();
      } catch (ReflectiveOperationException | LinkageError err) {
        throw new ScriptException("Cannot find engine named: '" + language + "' (" + err + ")");
      }
      ENGINES.put(lang, e);
    }
    if (e == null) {
      e = MANAGER.getEngineByName(lang);
      if (e == null) throw new ScriptException("Cannot find engine named: '" + language + "', ensure you set language field in JSR223 Test Element");
      ENGINES.put(lang, e);
    }
    return e;
  }

  public static Script compile(int role, int flavour, String language, String name, String fileName, String source,
                               boolean cached) throws ScriptException {
    Script s;
    try {
      s = compileScript(role, flavour, language, name, fileName, source);
    } catch (ScriptException e) {
      if (flavour != BSF) throw e;
      s = new Script(role, flavour, name, fileName, source, null, null, null);
      s.bsfCompileError = e.getCause() != null ? e.getCause() : e;
    }
    s.language = language;
    s.wrapErrors = !cached && s.compiled != null && "groovy".equalsIgnoreCase(language) && flavour != BSF;
    return s;
  }

  /**
   * A BSF element's error as JMeter records it: BSFException.toString() with the message its
   * engine gives (BSF 2.4's JavaScriptEngine.handleError, Groovy's GroovyEngine.eval).
   */
  static String bsfError(Script s, Throwable t) {
    if (t instanceof Error && !(t instanceof StackOverflowError)) return t.toString();  // rethrown by BSF: ThreadDeath...
    if (t instanceof ScriptException && t.getCause() != null) t = t.getCause();  // the host's own wrapping
    if (isJavaScript(s.language)) {
      if (t instanceof org.mozilla.javascript.WrappedException) t = ((org.mozilla.javascript.WrappedException) t).getWrappedException();
      String message = null;
      if (t instanceof org.mozilla.javascript.JavaScriptException || t instanceof org.mozilla.javascript.EvaluatorException
          || t instanceof SecurityException) {
        message = t.getLocalizedMessage();
      } else if (t instanceof RuntimeException) {
        message = "Internal Error: " + t;
      } else if (t instanceof StackOverflowError) {
        message = "Stack Overflow";
      }
      return "org.apache.bsf.BSFException: JavaScript Error: " + (message != null ? message : t.toString());
    }
    if ("groovy".equalsIgnoreCase(s.language)) return "org.apache.bsf.BSFException: exception from Groovy: " + t;
    return "org.apache.bsf.BSFException: " + t;
  }

  private static Script compileScript(int role, int flavour, String language, String name, String fileName,
                                      String source) throws ScriptException {
    if (flavour == BEANSHELL) return new Script(role, flavour, name, fileName, source, null, null, null);
    if (isJavaScript(language)) {
      try {
        // BSF's JavaScriptEngine evaluates JMeter's script as "[script]" from line 0.
        org.mozilla.javascript.Script rhino = flavour == BSF ? Rhino.compile(source, "[script]", 0) : Rhino.compile(source, name, 1);
        return new Script(role, flavour, name, fileName, source, null, null, rhino);
      } catch (org.mozilla.javascript.RhinoException e) {
        ScriptException wrapped = new ScriptException(e.getMessage());
        wrapped.initCause(e);
        throw wrapped;
      }
    }
    ScriptEngine engine = engineFor(language);
    if (engine == null) return new Script(role, BEANSHELL, name, fileName, source, null, null, null);
    if (engine instanceof Compilable) {
      CompiledScript compiled = ((Compilable) engine).compile(source);
      return new Script(role, flavour, name, fileName, source, compiled, engine, null);
    }
    return new Script(role, flavour, name, fileName, source, null, engine, null);
  }

  public static User newUser(long handle, int threadNum, String threadName, String groupName, int groupThreads) {
    JMeterVariables vars = new JMeterVariables(handle, threadName);
    JMeterContext ctx = new JMeterContext(vars, new JMeterThread(threadName, threadNum), new AbstractThreadGroup(groupName, groupThreads), threadNum);
    return new User(vars, ctx);
  }

  /**
   * Runs {@code s} for {@code user}. prev: the previous sample (the one post-processors and
   * assertions look at); current: the sampler's new result (samplers) or null; assertion:
   * an assertion's result or null; sampler: what {@code sampler} shows.
   */
  public static Outcome call(Script s, User user, SampleResult prev, SampleResult current, AssertionResult assertion,
                             Object sampler, String samplerName, String parameters, int iteration) {
    Thread.interrupted();  // an interrupt meant for this thread's previous call (a run's stop)
    if (sampler == null) sampler = new CurrentSampler(samplerName);  // not an HTTP Request: its name
    if (parameters == null) parameters = "";
    Outcome out = new Outcome();
    JMeterContext ctx = user.ctx;
    user.vars.setIteration(iteration);
    ctx.setPreviousResult(prev);
    ctx.setCurrentSampler(sampler);
    ctx.setRestartNextLoop(false);
    JMeterContextService.setContext(ctx);
    if (s.role == SAMPLER) {  // JSR223Sampler / BeanShellSampler before the script runs
      current.setSuccessful(true);
      current.setResponseCodeOK();
      current.setResponseMessageOK();
      current.setDataType(SampleResult.TEXT);
      current.setSamplerData(s.fileName.isEmpty() ? s.source : "File: " + s.fileName);
      current.sampleStart();
    }
    try {
      String trimmed = parameters.trim();
      String[] args = trimmed.isEmpty() ? NO_ARGS : trimmed.split("\\s+");
      if (s.bsfCompileError != null) throw s.bsfCompileError;
      Object ret = s.flavour == BEANSHELL ? BeanShell.run(s, user, prev, current, assertion, sampler, parameters, args)
                                          : runJsr223(s, user, prev, current, assertion, sampler, parameters, args);
      if (ret != null) out.value = ret.toString();
      // JSR223Sampler takes the value when the script set no data; BSFSampler always.
      if (s.role == SAMPLER && ret != null && (s.flavour == BSF || current.getResponseData().length == 0)) {
        current.setResponseData(ret.toString(), null);
      }
    } catch (Throwable t) {  // ScriptException, a bsh EvalError, ThreadDeath at the run's stop...
      out.error = s.flavour == BSF ? bsfError(s, t)
                  : s.wrapErrors && t instanceof ScriptException ? new ScriptException((Exception) t).toString() : t.toString();
      if (s.role == SAMPLER) {
        current.setSuccessful(false);
        current.setResponseCode("500");
        current.setResponseMessage(out.error);
      }
    } finally {
      if (s.role == SAMPLER && !current.isEnded()) current.sampleEnd();
      out.restartNextLoop = ctx.isRestartNextLoop();
      JMeterContextService.setContext(null);
    }
    return out;
  }

  private static Object runJsr223(Script s, User user, SampleResult prev, SampleResult current,
                                  AssertionResult assertion, Object sampler, String parameters, String[] args)
      throws ScriptException {
    Map<String, Object> b = new HashMap<>();
    b.put("log", s.log);
    b.put("Label", s.name);
    b.put("FileName", s.fileName);
    b.put("Parameters", parameters);
    b.put("args", args);
    b.put("ctx", user.ctx);
    b.put("vars", user.vars);
    b.put("props", RunProperties.INSTANCE);
    b.put("OUT", System.out);
    b.put("sampler", sampler);
    b.put("prev", prev);
    if (s.role == SAMPLER) b.put("SampleResult", current);
    if (s.role == ASSERTION) {
      b.put("SampleResult", prev);
      b.put("AssertionResult", assertion);
    }
    if (s.role == FUNCTION) b.put("threadName", user.vars.getThreadName());
    if (s.role == LISTENER) {  // JSR223Listener.sampleOccurred
      b.put("sampleEvent", new org.apache.jmeter.samplers.SampleEvent(prev, user.ctx.getThreadGroup().getName()));
      b.put("sampleResult", prev);
    }
    if (s.rhino != null) return Rhino.run(s.rhino, b);
    if (s.groovy != null) return s.groovy.run(b);
    Bindings bindings = s.engine.createBindings();
    bindings.putAll(b);
    return s.compiled != null ? s.compiled.eval(bindings) : s.engine.eval(s.source, bindings);
  }
}
