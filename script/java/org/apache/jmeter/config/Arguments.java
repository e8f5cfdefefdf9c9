package org.apache.jmeter.config;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code sampler.getArguments()}: the sampler's parameters, in order. */
public class Arguments implements Iterable<Argument> {
  private final List<Argument> arguments = new ArrayList<>();

  public Arguments() {}

  public int getArgumentCount() { return arguments.size(); }

  public Argument getArgument(int i) { return arguments.get(i); }

  public void addArgument(Argument a) { arguments.add(a); }

  public void addArgument(String name, String value) { arguments.add(new Argument(name, value)); }

  public void addArgument(String name, String value, String metadata) { arguments.add(new Argument(name, value, metadata)); }

  public void removeArgument(int i) { arguments.remove(i); }

  public void removeArgument(String name) { arguments.removeIf(a -> a.getName().equals(name)); }

  public void removeArgument(String name, String value) {
    arguments.removeIf(a -> a.getName().equals(name) && a.getValue().equals(value));
  }

  public void removeAllArguments() { arguments.clear(); }

  public Map<String, String> getArgumentsAsMap() {
    Map<String, String> m = new LinkedHashMap<>();
    for (Argument a : arguments) m.putIfAbsent(a.getName(), a.getValue());
    return m;
  }

  @Override
  public Iterator<Argument> iterator() { return arguments.iterator(); }

  @Override
  public String toString() { return arguments.toString(); }
}
