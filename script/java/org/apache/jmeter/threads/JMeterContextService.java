package org.apache.jmeter.threads;

/** JMeterContextService.getContext(): the context of the user whose script runs. */
public final class JMeterContextService {
  private static final ThreadLocal<JMeterContext> CURRENT = new ThreadLocal<>();
  private static volatile int totalThreads;

  private JMeterContextService() {}

  public static JMeterContext getContext() { return CURRENT.get(); }

  /** Barrage: set around each script call on the script's thread. */
  public static void setContext(JMeterContext ctx) { CURRENT.set(ctx); }

  public static int getTotalThreads() { return totalThreads; }

  public static void setTotalThreads(int n) { totalThreads = n; }
}
