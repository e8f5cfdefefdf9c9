// Issue 12 item 4: the BlazeMeter HTTP/2 plugin's samplers (Blazemeter/jmeter-http2-plugin),
// compiled to HTTP requests that ask for HTTP/2 (worker/http2_mode.h).
//   com.blazemeter.jmeter.http2.sampler.HTTP2Request (plugin 1.x, Jetty's HTTP2Client): its own
//     property names (HTTP2Request.*), as HTTP2Request.java reads them.
//   com.blazemeter.jmeter.http2.sampler.HTTP2Sampler (plugin 2.x, an HTTPSamplerBase on Jetty's
//     HttpClient): the HTTP Request's properties, plus HTTP2Sampler.http1_upgrade.
#include <memory>
#include <string>

#include "common/element_compiler.h"

namespace barrage {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void ReadHttp2Request(const TestElement& e, HttpSampler* n, CompileLog& log) {
  n->http2_plugin = HttpSampler::Http2Plugin::kHttp2Request;
  HttpFields& h = n->http;
  h = HttpFields{};
  // HTTP2Request.getProtocol(): "https" when empty.
  h.protocol = V(e, "HTTP2Request.protocol");
  if (std::string(TrimAscii(h.protocol.text)).empty()) h.protocol = Value::Of("https");
  h.domain = V(e, "HTTP2Request.domain");
  h.port = V(e, "HTTPSampler.port");  // the plugin keeps the HTTP Request's name for the port
  h.path = V(e, "HTTP2Request.path");
  h.method = V(e, "HTTP2Sampler.method");
  h.content_encoding = V(e, "HTTP2Request.contentEncoding");
  // HTTP2Request waits 20 s for a response when no timeout is set (DEFAULT_RESPONSE_TIMEOUT).
  h.response_timeout = V(e, "HTTP2Request.response_timeout");
  if (std::string(TrimAscii(h.response_timeout.text)).empty()) {
    h.response_timeout = Value::Of("20000");
  }
  CheckWholeNumber(h.response_timeout, e, "HTTP2Request.response_timeout", false, log);
  h.arguments = ReadArguments(e.Find("HTTP2Request.Arguments"));
  h.post_body_raw = e.GetBool("HTTP2Request.postBodyRaw", false);
  // HTTP2StreamHandler leaves redirects to do ("TODO redirect"): a 3xx is the sample.
  h.has_follow_redirects = true;
  h.follow_redirects = false;
  h.auto_redirects = false;
  if (e.GetBool("HTTP2Request.follow_redirects", false) || e.GetBool("HTTP2Request.auto_redirects", false)) {
    log.Warning(DescribeElement(e) +
                    ": the plugin's HTTP2Request does not follow redirects (its stream handler leaves them to do); "
                    "neither does Barrage: a 3xx response is the sample",
                e.line);
  }
  h.image_parser = e.GetBool("HTTPSampler.embedded_resources", false);
  h.embedded_url_re = V(e, "HTTPSampler.embedded_url_re");
  if (const Property* files = e.Find("HTTPsampler.Files");
      files && !ElementItems(files->Find("HTTPFileArgs.files")).empty()) {
    log.Warning(DescribeElement(e) + ": files are not sent (the plugin's HTTP2Request sends only its parameters)",
                e.line);
  }
  // sync_request=false: the plugin's thread sends on without waiting and the sample is written
  // when the response comes. A Barrage user waits for each response, as in synchronous mode.
  if (!e.GetBool("HTTP2Request.sync_request", false)) {
    log.Warning(DescribeElement(e) +
                    ": asynchronous mode (HTTP2Request.sync_request false) runs synchronously: the user waits for "
                    "each response; users of one event loop still share HTTP/2 connections",
                e.line);
  }
}

}  // namespace

void ReadBzmHttp2Sampler(const TestElement& e, HttpSampler* n, CompileLog& log) {
  if (EndsWith(n->testclass, ".HTTP2Request")) {
    ReadHttp2Request(e, n, log);
  } else if (EndsWith(n->testclass, ".HTTP2Sampler")) {
    n->http2_plugin = HttpSampler::Http2Plugin::kHttp2Sampler;
    // http1_upgrade: Jetty starts http:// with HTTP/1.1 and an Upgrade to h2c. Barrage sends
    // http:// requests as HTTP/1.1 then (libcurl's Upgrade is not asked for); https:// as h2.
    n->http2_cleartext = !e.GetBool("HTTP2Sampler.http1_upgrade", false);
  }
}

}  // namespace barrage
