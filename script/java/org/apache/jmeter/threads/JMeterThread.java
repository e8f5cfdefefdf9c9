package org.apache.jmeter.threads;

/** ctx.getThread(): the virtual user as a script sees it. */
public class JMeterThread {
  private final String threadName;
  private final int threadNum;

  public JMeterThread(String threadName, int threadNum) {
    this.threadName = threadName;
    this.threadNum = threadNum;
  }

  public String getThreadName() { return threadName; }

  public int getThreadNum() { return threadNum; }
}
