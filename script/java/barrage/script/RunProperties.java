package barrage.script;

import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.AbstractMap;

/**
 * {@code props}: the run's JMeter properties, read and written in Barrage's own store
 * (no copy that drifts). Values are strings there; a non-string value is stored as its
 * toString().
 */
public final class RunProperties extends Properties {
  private static final long serialVersionUID = 1L;
  static final RunProperties INSTANCE = new RunProperties();

  private RunProperties() {}

  @Override public String getProperty(String key) { return key == null ? null : Native.propGet(key); }

  @Override public String getProperty(String key, String defaultValue) {
    String v = getProperty(key);
    return v == null ? defaultValue : v;
  }

  @Override public synchronized Object setProperty(String key, String value) { return put(key, value); }

  @Override public synchronized Object get(Object key) { return key == null ? null : Native.propGet(key.toString()); }

  @Override public synchronized Object getOrDefault(Object key, Object defaultValue) {
    Object v = get(key);
    return v == null ? defaultValue : v;
  }

  @Override public synchronized Object put(Object key, Object value) {
    if (key == null || value == null) throw new NullPointerException();
    String old = Native.propGet(key.toString());
    Native.propPut(key.toString(), value.toString());
    return old;
  }

  @Override public synchronized Object remove(Object key) {
    if (key == null) return null;
    String old = Native.propGet(key.toString());
    Native.propRemove(key.toString());
    return old;
  }

  @Override public synchronized boolean containsKey(Object key) { return get(key) != null; }

  @Override public synchronized int size() { return Native.propEntries().length / 2; }

  @Override public synchronized boolean isEmpty() { return size() == 0; }

  @Override public Set<String> stringPropertyNames() {
    String[] e = Native.propEntries();
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < e.length; i += 2) names.add(e[i]);
    return Collections.unmodifiableSet(names);
  }

  @Override public synchronized Set<Object> keySet() { return Collections.unmodifiableSet(new LinkedHashSet<Object>(stringPropertyNames())); }

  @Override public synchronized Set<Map.Entry<Object, Object>> entrySet() {
    String[] e = Native.propEntries();
    Set<Map.Entry<Object, Object>> out = new LinkedHashSet<>();
    for (int i = 0; i < e.length; i += 2) out.add(new AbstractMap.SimpleImmutableEntry<Object, Object>(e[i], e[i + 1]));
    return Collections.unmodifiableSet(out);
  }

  @Override public synchronized Enumeration<Object> keys() { return Collections.enumeration(keySet()); }

  @Override public Enumeration<?> propertyNames() { return keys(); }

  @Override public synchronized String toString() { return entrySet().toString(); }
}
