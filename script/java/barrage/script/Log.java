package barrage.script;

/**
 * The {@code log} a script sees: JMeter 2.13's logkit Logger and 3.x's slf4j Logger share
 * these methods. Messages go to Barrage's log at the matching level.
 */
public final class Log {
  private final String name;

  public Log(String name) {
    this.name = name;
  }

  private static String format(String message, Object[] args) {
    if (message == null) return "null";
    if (args == null || args.length == 0) return message;
    StringBuilder out = new StringBuilder();
    int from = 0;
    int used = 0;
    for (int at = message.indexOf("{}"); at >= 0 && used < args.length; at = message.indexOf("{}", from)) {
      out.append(message, from, at).append(args[used++]);
      from = at + 2;
    }
    out.append(message.substring(from));
    if (used < args.length && args[args.length - 1] instanceof Throwable) {
      out.append('\n').append(args[args.length - 1]);
    }
    return out.toString();
  }

  private void write(int level, String message, Object[] args) {
    Native.log(level, name, format(message, args));
  }

  public void debug(String m, Object... a) { write(0, m, a); }
  public void info(String m, Object... a) { write(1, m, a); }
  public void warn(String m, Object... a) { write(2, m, a); }
  public void error(String m, Object... a) { write(3, m, a); }
  public void fatalError(String m, Object... a) { write(3, m, a); }
  public boolean isDebugEnabled() { return false; }
  public boolean isInfoEnabled() { return true; }
  public boolean isWarnEnabled() { return true; }
  public boolean isErrorEnabled() { return true; }
  public String getName() { return name; }
}
