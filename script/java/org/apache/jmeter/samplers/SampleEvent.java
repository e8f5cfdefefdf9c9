package org.apache.jmeter.samplers;

/** {@code sampleEvent} of a script listener: the sample and its thread group. */
public class SampleEvent {
  private final SampleResult result;
  private final String threadGroup;

  public SampleEvent(SampleResult result, String threadGroup) {
    this.result = result;
    this.threadGroup = threadGroup;
  }

  public SampleResult getResult() { return result; }

  public String getThreadGroup() { return threadGroup; }
}
