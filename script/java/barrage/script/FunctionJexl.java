package barrage.script;

import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

/**
 * JMeter's __jexl2 and __jexl3 functions on Commons JEXL as Debian installs it
 * (libcommons-jexl2-java, libcommons-jexl3-java), loaded at the first call from
 * /usr/share/java (the host's class path does not hold them), reached by reflection:
 * JEXL 2 as JMeter's Jexl2Function sets it up (cache 512, not lenient, not silent), JEXL 3 as
 * Jexl3Function (cache 512, silent, strict, no debug). The context holds log, ctx, vars,
 * props, threadName, sampler, sampleResult and OUT. worker/script_functions.cc reaches it
 * through a javascript driver.
 */
public final class FunctionJexl {
  private static final String JARS = "/usr/share/java/";
  private static final Engine[] ENGINES = new Engine[4];

  private FunctionJexl() {}

  private static final class Engine {
    Object engine;
    Method createScript;
    Method execute;
    Constructor<?> mapContext;
    Method set;
  }

  private static synchronized Engine engine(int version) throws Exception {
    if (version != 2 && version != 3) throw new IllegalArgumentException("JEXL " + version);
    if (ENGINES[version] != null) return ENGINES[version];
    String pkg = "org.apache.commons.jexl" + version + ".";
    List<URL> urls = new ArrayList<>();
    for (String jar : new String[] {"commons-jexl" + version + ".jar", "commons-logging.jar"}) {
      File f = new File(JARS + jar);
      if (!f.isFile()) {
        throw new IllegalStateException("__jexl" + version + " needs " + f + " (Debian package libcommons-jexl"
                                        + version + "-java)");
      }
      urls.add(f.toURI().toURL());
    }
    ClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), FunctionJexl.class.getClassLoader());
    Engine e = new Engine();
    Class<?> context = loader.loadClass(pkg + "JexlContext");
    Class<?> map = loader.loadClass(pkg + "MapContext");
    e.mapContext = map.getConstructor();
    e.set = map.getMethod("set", String.class, Object.class);
    if (version == 2) {
      Class<?> engineClass = loader.loadClass(pkg + "JexlEngine");
      e.engine = engineClass.getConstructor().newInstance();
      engineClass.getMethod("setCache", int.class).invoke(e.engine, 512);
      engineClass.getMethod("setLenient", boolean.class).invoke(e.engine, false);
      engineClass.getMethod("setSilent", boolean.class).invoke(e.engine, false);
      e.createScript = engineClass.getMethod("createScript", String.class);
      e.execute = loader.loadClass(pkg + "Script").getMethod("execute", context);
    } else {
      Class<?> builder = loader.loadClass(pkg + "JexlBuilder");
      Object b = builder.getConstructor().newInstance();
      b = builder.getMethod("cache", int.class).invoke(b, 512);
      b = builder.getMethod("silent", boolean.class).invoke(b, true);
      b = builder.getMethod("strict", boolean.class).invoke(b, true);
      b = builder.getMethod("debug", boolean.class).invoke(b, false);
      e.engine = builder.getMethod("create").invoke(b);
      e.createScript = loader.loadClass(pkg + "JexlEngine").getMethod("createScript", String.class);
      e.execute = loader.loadClass(pkg + "JexlScript").getMethod("execute", context);
    }
    ENGINES[version] = e;
    return e;
  }

  /** Runs {@code script} with JEXL {@code version} (2 or 3); its value as text, or null. */
  public static String eval(int version, String script, Object ctx, Object vars, Object props, Object log,
                            String threadName, Object sampler, Object prev) throws Throwable {
    Engine e = engine(version);
    try {
      Object jc = e.mapContext.newInstance();
      e.set.invoke(jc, "log", log);
      e.set.invoke(jc, "ctx", ctx);
      e.set.invoke(jc, "vars", vars);
      e.set.invoke(jc, "props", props);
      e.set.invoke(jc, "threadName", threadName);
      e.set.invoke(jc, "sampler", sampler);
      e.set.invoke(jc, "sampleResult", prev);
      e.set.invoke(jc, "OUT", System.out);
      Object value = e.execute.invoke(e.createScript.invoke(e.engine, script), jc);
      return value == null ? null : value.toString();
    } catch (InvocationTargetException x) {
      throw x.getCause();  // JEXL's own exception, as JMeter logs it
    }
  }
}
