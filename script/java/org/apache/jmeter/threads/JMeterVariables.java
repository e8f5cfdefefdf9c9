package org.apache.jmeter.threads;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code vars}: one virtual user's variables. String values live in Barrage's own
 * variables (what {@code ${name}} reads); values put with putObject that are not strings
 * stay here, on the JVM side, for the user's later scripts.
 */
public class JMeterVariables {
  private final long user;
  private final String threadName;
  private final Map<String, Object> objects = new HashMap<>();
  private int iteration;

  public JMeterVariables(long user, String threadName) {
    this.user = user;
    this.threadName = threadName;
  }

  public String getThreadName() { return threadName; }

  public int getIteration() { return iteration; }

  public void incIteration() { iteration++; }

  /** Set by Barrage before each script call: the user's iteration count. */
  public void setIteration(int iteration) { this.iteration = iteration; }

  public String get(String key) {
    Object o = objects.get(key);
    if (o != null) return (String) o;  // JMeter's ClassCastException for a non-string
    return barrage.script.Vars.get(user, key);
  }

  public Object getObject(String key) {
    Object o = objects.get(key);
    return o != null ? o : barrage.script.Vars.get(user, key);
  }

  public void put(String key, String value) {
    if (key == null) throw new NullPointerException("key");
    objects.remove(key);
    if (value == null) {
      barrage.script.Vars.remove(user, key);
    } else {
      barrage.script.Vars.put(user, key, value);
    }
  }

  public void putObject(String key, Object value) {
    if (value instanceof String || value == null) {
      put(key, (String) value);
      return;
    }
    barrage.script.Vars.remove(user, key);
    objects.put(key, value);
  }

  public Object remove(String key) {
    Object old = getObject(key);
    objects.remove(key);
    barrage.script.Vars.remove(user, key);
    return old;
  }

  public void putAll(Map<String, ?> map) {
    for (Map.Entry<String, ?> e : map.entrySet()) putObject(e.getKey(), e.getValue());
  }

  public void putAll(JMeterVariables other) {
    for (Map.Entry<String, Object> e : other.entrySet()) putObject(e.getKey(), e.getValue());
  }

  public Set<Map.Entry<String, Object>> entrySet() {
    Map<String, Object> all = new java.util.TreeMap<>();
    String[] e = barrage.script.Vars.entries(user);
    for (int i = 0; i < e.length; i += 2) all.put(e[i], e[i + 1]);
    all.putAll(objects);
    Set<Map.Entry<String, Object>> out = new LinkedHashSet<>();
    for (Map.Entry<String, Object> x : all.entrySet()) out.add(new AbstractMap.SimpleImmutableEntry<>(x.getKey(), x.getValue()));
    return Collections.unmodifiableSet(out);
  }

  public Iterator<Map.Entry<String, Object>> getIterator() { return entrySet().iterator(); }

  @Override
  public String toString() { return entrySet().toString(); }
}
