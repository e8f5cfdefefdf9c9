package org.apache.jmeter.protocol.http.control;

/** An HTTP header, as a script adds it to the sampler's Header Manager. */
public class Header {
  private String name;
  private String value;

  public Header() { this("", ""); }

  public Header(String name, String value) {
    this.name = name;
    this.value = value;
  }

  public String getName() { return name; }
  public void setName(String n) { name = n; }
  public String getValue() { return value; }
  public void setValue(String v) { value = v; }

  @Override
  public String toString() { return name + "\t" + value; }
}
