package org.apache.jmeter.config;

/** One name/value pair of the sampler's parameters. */
public class Argument {
  private String name;
  private String value;
  private String metaData = "=";

  public Argument() { this("", ""); }

  public Argument(String name, String value) {
    this.name = name;
    this.value = value;
  }

  public Argument(String name, String value, String metadata) {
    this(name, value);
    this.metaData = metadata;
  }

  public String getName() { return name; }
  public void setName(String n) { name = n; }
  public String getValue() { return value; }
  public void setValue(String v) { value = v; }
  public String getMetaData() { return metaData; }
  public void setMetaData(String m) { metaData = m; }

  @Override
  public String toString() { return name + metaData + value; }
}
