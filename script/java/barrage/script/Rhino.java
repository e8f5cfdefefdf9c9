package barrage.script;

import java.util.Map;
import org.mozilla.javascript.Context;
import org.mozilla.javascript.Script;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;
import org.mozilla.javascript.Undefined;

/**
 * javascript on Rhino's own API, as JMeter's __javaScript uses it (Rhino's javax.script
 * engine cannot take Java objects as bindings): a script compiled once, run in a fresh
 * scope per call with the element's names wrapped by Context.javaToJS.
 */
final class Rhino {
  private static final ScriptableObject STANDARD;

  static {
    Context cx = Context.enter();
    try {
      STANDARD = cx.initStandardObjects(null, true);  // sealed: shared by every call
    } finally {
      Context.exit();
    }
  }

  private Rhino() {}

  static Script compile(String source, String name, int firstLine) {
    Context cx = Context.enter();
    try {
      return cx.compileString(source, name, firstLine, null);
    } finally {
      Context.exit();
    }
  }

  static Object run(Script script, Map<String, Object> bindings) {
    Context cx = Context.enter();
    try {
      Scriptable scope = cx.newObject(STANDARD);
      scope.setPrototype(STANDARD);
      scope.setParentScope(null);
      for (Map.Entry<String, Object> e : bindings.entrySet()) {
        ScriptableObject.putProperty(scope, e.getKey(), Context.javaToJS(e.getValue(), scope));
      }
      Object result = script.exec(cx, scope);
      return result == null || result instanceof Undefined ? null : Context.toString(result);
    } finally {
      Context.exit();
    }
  }
}
