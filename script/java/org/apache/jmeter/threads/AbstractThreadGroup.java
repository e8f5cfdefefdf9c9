package org.apache.jmeter.threads;

/** ctx.getThreadGroup(): the user's thread group (name and size). */
public class AbstractThreadGroup {
  private final String name;
  private final int numThreads;

  public AbstractThreadGroup(String name, int numThreads) {
    this.name = name;
    this.numThreads = numThreads;
  }

  public String getName() { return name; }

  public int getNumThreads() { return numThreads; }

  public int getNumberOfThreads() { return numThreads; }
}
