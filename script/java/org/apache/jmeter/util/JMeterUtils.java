package org.apache.jmeter.util;

import java.util.Properties;

/** JMeterUtils' property helpers, on the run's properties. */
public final class JMeterUtils {
  private JMeterUtils() {}

  public static Properties getJMeterProperties() { return barrage.script.Host.properties(); }

  public static String getProperty(String name) { return getJMeterProperties().getProperty(name); }

  public static Object setProperty(String name, String value) { return getJMeterProperties().setProperty(name, value); }

  public static String getPropDefault(String name, String dflt) { return getJMeterProperties().getProperty(name, dflt); }

  public static int getPropDefault(String name, int dflt) {
    String v = getProperty(name);
    try {
      return v == null ? dflt : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  public static long getPropDefault(String name, long dflt) {
    String v = getProperty(name);
    try {
      return v == null ? dflt : Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  public static boolean getPropDefault(String name, boolean dflt) {
    String v = getProperty(name);
    return v == null ? dflt : v.trim().equalsIgnoreCase("true");
  }
}
