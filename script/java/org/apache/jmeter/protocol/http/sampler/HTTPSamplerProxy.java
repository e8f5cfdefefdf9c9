package org.apache.jmeter.protocol.http.sampler;

/** The HTTP Request sampler (JMeter's class name for it). */
public class HTTPSamplerProxy extends HTTPSamplerBase {
  public HTTPSamplerProxy(String name, String protocol, String domain, String port, String path, String method) {
    super(name, protocol, domain, port, path, method);
  }
}
