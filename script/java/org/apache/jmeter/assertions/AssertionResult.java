package org.apache.jmeter.assertions;

/** {@code AssertionResult}: a JSR223 / BeanShell assertion's outcome. */
public class AssertionResult {
  private String name;
  private boolean failure;
  private boolean error;
  private String failureMessage;

  public AssertionResult() {}

  public AssertionResult(String name) { this.name = name; }

  public String getName() { return name; }
  public void setName(String n) { name = n; }
  public boolean isFailure() { return failure; }
  public void setFailure(boolean f) { failure = f; }
  public boolean isError() { return error; }
  public void setError(boolean e) { error = e; }
  public String getFailureMessage() { return failureMessage; }
  public void setFailureMessage(String m) { failureMessage = m; }
  public void setResultForFailure(String message) { failure = true; failureMessage = message; }
  public void setResultForNull() { error = false; failure = true; failureMessage = "Response was null"; }

  @Override
  public String toString() { return name != null ? name : ""; }
}
