package barrage.script;

/**
 * What a script reaches in Barrage's C++ engine (registered by worker/script_host.cc).
 * {@code user} is the native handle of one virtual user's variables; it is valid while a
 * script of that user runs (the user is parked meanwhile, so nothing else touches them).
 */
final class Native {
  private Native() {}

  static native String varGet(long user, String name);

  static native void varPut(long user, String name, String value);

  static native void varRemove(long user, String name);

  /** Names and values, alternating, sorted by name. */
  static native String[] varEntries(long user);

  static native String propGet(String name);

  static native void propPut(String name, String value);

  static native void propRemove(String name);

  /** Names and values, alternating, sorted by name. */
  static native String[] propEntries();

  /** level: 0 debug, 1 info, 2 warn, 3 error. */
  static native void log(int level, String logger, String message);
}
