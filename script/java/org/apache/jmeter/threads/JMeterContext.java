package org.apache.jmeter.threads;

import java.util.Properties;
import org.apache.jmeter.samplers.SampleResult;

/** {@code ctx}: one virtual user's context, as JMeter's JMeterContext. */
public class JMeterContext {
  private final JMeterVariables variables;
  private final JMeterThread thread;
  private final AbstractThreadGroup threadGroup;
  private final int threadNum;
  private SampleResult previousResult;
  private Object currentSampler;
  private boolean restartNextLoop;

  public JMeterContext(JMeterVariables variables, JMeterThread thread, AbstractThreadGroup group, int threadNum) {
    this.variables = variables;
    this.thread = thread;
    this.threadGroup = group;
    this.threadNum = threadNum;
  }

  public JMeterVariables getVariables() { return variables; }

  public Properties getProperties() { return barrage.script.Host.properties(); }

  public SampleResult getPreviousResult() { return previousResult; }

  public void setPreviousResult(SampleResult r) { previousResult = r; }

  public Object getCurrentSampler() { return currentSampler; }

  public void setCurrentSampler(Object s) { currentSampler = s; }

  /** JMeter's thread number: 0 for a group's first user. */
  public int getThreadNum() { return threadNum; }

  public JMeterThread getThread() { return thread; }

  public AbstractThreadGroup getThreadGroup() { return threadGroup; }

  public boolean isRestartNextLoop() { return restartNextLoop; }

  public void setRestartNextLoop(boolean restart) { restartNextLoop = restart; }

  public boolean isSamplingStarted() { return true; }
}
