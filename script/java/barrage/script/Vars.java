package barrage.script;

/** JMeterVariables' door to the natives (they are package-private here). */
public final class Vars {
  private Vars() {}

  public static String get(long user, String key) { return Native.varGet(user, key); }

  public static void put(long user, String key, String value) { Native.varPut(user, key, value); }

  public static void remove(long user, String key) { Native.varRemove(user, key); }

  public static String[] entries(long user) { return Native.varEntries(user); }
}
