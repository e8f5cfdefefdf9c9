package org.apache.jmeter.protocol.http.control;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code sampler.getHeaderManager()}: the headers of the Header Managers in the sampler's
 * scope. As in JMeter, what a script adds or removes changes the user's innermost Header
 * Manager for the rest of the run (every sampler in its scope sends it), not only this sample.
 */
public class HeaderManager {
  private final List<Header> headers = new ArrayList<>();
  private final List<Header> added = new ArrayList<>();
  private final List<String> removed = new ArrayList<>();

  public HeaderManager() {}

  /** Barrage: a header the scope already has (not one the script adds). */
  public void addInScope(Header h) { headers.add(h); }

  public void add(Header h) {
    headers.add(h);
    added.add(h);
  }

  public void removeHeaderNamed(String name) {
    headers.removeIf(h -> h.getName().equalsIgnoreCase(name));
    added.removeIf(h -> h.getName().equalsIgnoreCase(name));
    removed.add(name);
  }

  public Header getHeader(int i) { return headers.get(i); }

  public Header getFirstHeaderNamed(String name) {
    for (Header h : headers) {
      if (h.getName().equalsIgnoreCase(name)) return h;
    }
    return null;
  }

  public int size() { return headers.size(); }

  public int getHeaderCount() { return headers.size(); }

  /** Barrage: what the script changed, for the request. */
  public List<Header> addedHeaders() { return added; }

  public List<String> removedNames() { return removed; }
}
