package org.apache.jmeter.protocol.http.sampler;

import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.jmeter.config.Argument;
import org.apache.jmeter.config.Arguments;
import org.apache.jmeter.protocol.http.control.Header;
import org.apache.jmeter.protocol.http.control.HeaderManager;
import org.apache.jmeter.protocol.http.util.HTTPArgument;

/**
 * {@code sampler} for an HTTP Request: its fields as this sample sends them (defaults merged,
 * ${...} evaluated). What a pre-processor's script changes is sent with this sample only, as
 * JMeter restores a sampler's properties after each sample.
 */
public class HTTPSamplerBase {
  private final String name;
  private String protocol;
  private String domain;
  private String port;
  private String path;
  private String method;
  private String contentEncoding = "";
  private final Arguments arguments = new Arguments();
  private HeaderManager headerManager = new HeaderManager();  // null: no Header Manager in scope

  public HTTPSamplerBase(String name, String protocol, String domain, String port, String path, String method) {
    this.name = name;
    this.protocol = protocol;
    this.domain = domain;
    this.port = port;
    this.path = path;
    this.method = method;
  }

  public String getName() { return name; }
  public String getProtocol() { return protocol.isEmpty() ? "http" : protocol; }
  public void setProtocol(String p) { protocol = p; }
  public String getDomain() { return domain; }
  public void setDomain(String d) { domain = d; }

  public int getPort() {
    try {
      return Integer.parseInt(port.trim());
    } catch (NumberFormatException e) {
      return "https".equalsIgnoreCase(getProtocol()) ? 443 : 80;
    }
  }

  public void setPort(int p) { port = String.valueOf(p); }
  public String getPath() { return path; }
  public void setPath(String p) { path = p; }
  public void setPath(String p, String contentEncoding) { path = p; }
  public String getMethod() { return method.isEmpty() ? "GET" : method; }
  public void setMethod(String m) { method = m; }
  public String getContentEncoding() { return contentEncoding; }
  public void setContentEncoding(String e) { contentEncoding = e; }
  public Arguments getArguments() { return arguments; }
  public void setArguments(Arguments a) {
    arguments.removeAllArguments();
    for (Argument x : a) arguments.addArgument(x);
  }
  public void addArgument(String name, String value) { arguments.addArgument(new HTTPArgument(name, value)); }
  public void addArgument(String name, String value, String metadata) { arguments.addArgument(name, value, metadata); }
  public void addEncodedArgument(String name, String value) { arguments.addArgument(new HTTPArgument(name, value, true)); }
  public void addNonEncodedArgument(String name, String value, String metadata) { arguments.addArgument(name, value, metadata); }
  public HeaderManager getHeaderManager() { return headerManager; }
  public void setHeaderManager(HeaderManager m) { headerManager = m; }
  public boolean getPostBodyRaw() { return false; }

  public String getQueryString() {
    StringBuilder q = new StringBuilder();
    for (Argument a : arguments) {
      if (q.length() > 0) q.append('&');
      q.append(URLEncoder.encode(a.getName(), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(a.getValue(), StandardCharsets.UTF_8));
    }
    return q.toString();
  }

  public URL getUrl() throws MalformedURLException {
    StringBuilder u = new StringBuilder();
    if (path.startsWith("http://") || path.startsWith("https://")) {
      u.append(path);
    } else {
      u.append(getProtocol()).append("://").append(domain);
      int p = getPort();
      boolean standard = ("http".equalsIgnoreCase(getProtocol()) && p == 80) || ("https".equalsIgnoreCase(getProtocol()) && p == 443);
      if (!standard) u.append(':').append(p);
      if (!path.startsWith("/")) u.append('/');
      u.append(path);
    }
    String method = getMethod();
    boolean queryInUrl = !("POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method));
    if (queryInUrl && arguments.getArgumentCount() > 0) u.append(u.indexOf("?") >= 0 ? '&' : '?').append(getQueryString());
    return new URL(u.toString());
  }

  public String getPropertyAsString(String key) {
    switch (key) {
      case "HTTPSampler.protocol": return protocol;
      case "HTTPSampler.domain": return domain;
      case "HTTPSampler.port": return port;
      case "HTTPSampler.path": return path;
      case "HTTPSampler.method": return method;
      case "TestElement.name": return name;
      default: return "";
    }
  }

  /** Barrage: the fields and what the script changed, for the request (flattened). */
  public String[] barrageState() {
    List<String> out = new ArrayList<>();
    out.add(protocol);
    out.add(domain);
    out.add(port);
    out.add(path);
    out.add(method);
    out.add(String.valueOf(arguments.getArgumentCount()));
    for (Argument a : arguments) {
      out.add(a.getName());
      out.add(a.getValue());
    }
    if (headerManager == null) {
      out.add("0");
      return out.toArray(new String[0]);
    }
    out.add(String.valueOf(headerManager.addedHeaders().size()));
    for (Header h : headerManager.addedHeaders()) {
      out.add(h.getName());
      out.add(h.getValue());
    }
    out.addAll(headerManager.removedNames());
    return out.toArray(new String[0]);
  }

  @Override
  public String toString() { return name; }
}
