package org.apache.jmeter.protocol.http.util;

import org.apache.jmeter.config.Argument;

/** An HTTP Request's parameter. */
public class HTTPArgument extends Argument {
  private boolean alwaysEncoded;

  public HTTPArgument() {}

  public HTTPArgument(String name, String value) { super(name, value); }

  public HTTPArgument(String name, String value, boolean alreadyEncoded) {
    super(name, value);
    this.alwaysEncoded = !alreadyEncoded;
  }

  public boolean isAlwaysEncoded() { return alwaysEncoded; }
  public void setAlwaysEncoded(boolean b) { alwaysEncoded = b; }
}
