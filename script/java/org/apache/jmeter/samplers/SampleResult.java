package org.apache.jmeter.samplers;

import java.io.UnsupportedEncodingException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.jmeter.assertions.AssertionResult;

/**
 * {@code prev} / {@code SampleResult}: a sample as JMeter's SampleResult shows it. Barrage
 * fills one from its own sample before a script runs and reads the settable fields back
 * after it (worker/script_host.cc names the fields it reads).
 */
public class SampleResult {
  public static final String TEXT = "text";
  public static final String BINARY = "bin";
  public static final String DEFAULT_HTTP_ENCODING = "ISO-8859-1";

  private String sampleLabel = "";
  private String responseCode = "";
  private String responseMessage = "";
  private boolean success;
  private byte[] responseData = new byte[0];
  private String dataEncoding;
  private String contentType = "";
  private String dataType = "";
  private String responseHeaders = "";
  private String requestHeaders = "";
  private String samplerData;
  private String url = "";
  private String threadName = "";
  private long startTime;
  private long endTime;
  private long latency;
  private long connectTime;
  private long bytes;
  private long sentBytes;
  private long startNanos;
  private long elapsedNanos = -1;
  private int groupThreads;
  private int allThreads;
  private boolean stopThread;
  private boolean stopTest;
  private boolean stopTestNow;
  private final List<SampleResult> subResults = new ArrayList<>();
  private final List<AssertionResult> assertionResults = new ArrayList<>();

  public SampleResult() {}

  public String getSampleLabel() { return sampleLabel; }
  public void setSampleLabel(String label) { sampleLabel = label == null ? "" : label; }
  public String getResponseCode() { return responseCode; }
  public void setResponseCode(String code) { responseCode = code; }
  public void setResponseCodeOK() { responseCode = "200"; }
  public boolean isResponseCodeOK() { return "200".equals(responseCode); }
  public String getResponseMessage() { return responseMessage; }
  public void setResponseMessage(String message) { responseMessage = message; }
  public void setResponseMessageOK() { responseMessage = "OK"; }
  public void setResponseOK() { setResponseCodeOK(); setResponseMessageOK(); success = true; }
  public boolean isSuccessful() { return success; }
  public void setSuccessful(boolean ok) { success = ok; }

  public byte[] getResponseData() { return responseData; }
  public void setResponseData(byte[] data) { responseData = data == null ? new byte[0] : data; }
  public void setResponseData(String data) { setResponseData(data, null); }

  public void setResponseData(String data, String encoding) {
    if (data == null) {
      responseData = new byte[0];
      return;
    }
    String enc = encoding == null ? getDataEncodingWithDefault() : encoding;
    try {
      responseData = data.getBytes(enc);
    } catch (UnsupportedEncodingException e) {
      responseData = data.getBytes(StandardCharsets.UTF_8);
    }
    if (encoding != null) dataEncoding = encoding;
  }

  public String getResponseDataAsString() {
    try {
      return new String(responseData, getDataEncodingWithDefault());
    } catch (UnsupportedEncodingException e) {
      return new String(responseData, StandardCharsets.ISO_8859_1);
    }
  }

  public String getDataEncodingWithDefault() { return dataEncoding != null ? dataEncoding : DEFAULT_HTTP_ENCODING; }
  public String getDataEncodingNoDefault() { return dataEncoding; }
  public void setDataEncoding(String encoding) { dataEncoding = encoding; }
  public void setEncodingAndType(String ct) {
    contentType = ct == null ? "" : ct;
    int at = contentType.toLowerCase(java.util.Locale.ROOT).indexOf("charset=");
    if (at >= 0) dataEncoding = contentType.substring(at + 8).replace("\"", "").split(";")[0].trim();
  }
  public String getContentType() { return contentType; }
  public void setContentType(String ct) { contentType = ct == null ? "" : ct; }
  public String getMediaType() { return contentType.split(";")[0].trim(); }
  public String getDataType() { return dataType; }
  public void setDataType(String type) { dataType = type == null ? "" : type; }
  public String getResponseHeaders() { return responseHeaders; }
  public void setResponseHeaders(String headers) { responseHeaders = headers == null ? "" : headers; }
  public String getRequestHeaders() { return requestHeaders; }
  public void setRequestHeaders(String headers) { requestHeaders = headers == null ? "" : headers; }
  public String getSamplerData() { return samplerData; }
  public void setSamplerData(String data) { samplerData = data; }
  public String getThreadName() { return threadName; }
  public void setThreadName(String name) { threadName = name; }
  public String getUrlAsString() { return url; }

  public URL getURL() {
    if (url == null || url.isEmpty()) return null;
    try {
      return new URL(url);
    } catch (MalformedURLException e) {
      return null;
    }
  }

  public void setURL(URL u) { url = u == null ? "" : u.toString(); }

  /** Barrage: the URL as recorded. */
  public void setUrlString(String u) { url = u == null ? "" : u; }

  public long getStartTime() { return startTime; }
  public void setStartTime(long t) { startTime = t; }
  public long getEndTime() { return endTime; }
  public void setEndTime(long t) { endTime = t; }
  public long getTime() { return elapsedNanos >= 0 ? elapsedNanos / 1_000_000 : endTime - startTime; }
  public long getLatency() { return latency; }
  public void setLatency(long l) { latency = l; }
  public void latencyEnd() { latency = (System.nanoTime() - startNanos) / 1_000_000; }
  public long getConnectTime() { return connectTime; }
  public void setConnectTime(long t) { connectTime = t; }
  public void connectEnd() { connectTime = (System.nanoTime() - startNanos) / 1_000_000; }
  public long getIdleTime() { return 0; }
  public int getBytes() { return (int) bytes; }
  public long getBytesAsLong() { return bytes; }
  public void setBytes(long b) { bytes = b; }
  public void setBytes(int b) { bytes = b; }
  public long getSentBytes() { return sentBytes; }
  public void setSentBytes(long b) { sentBytes = b; }
  public long getHeadersSize() { return responseHeaders.length(); }
  public long getBodySize() { return responseData.length; }
  public int getGroupThreads() { return groupThreads; }
  public int getAllThreads() { return allThreads; }

  public void sampleStart() {
    startNanos = System.nanoTime();
    startTime = System.currentTimeMillis();
    elapsedNanos = -1;
  }

  public void sampleEnd() {
    elapsedNanos = System.nanoTime() - startNanos;
    endTime = startTime + elapsedNanos / 1_000_000;
  }

  /** Barrage: sampleEnd() was called since the last sampleStart(). */
  public boolean isEnded() { return elapsedNanos >= 0; }

  public boolean isStopThread() { return stopThread; }
  public void setStopThread(boolean b) { stopThread = b; }
  public boolean isStopTest() { return stopTest; }
  public void setStopTest(boolean b) { stopTest = b; }
  public boolean isStopTestNow() { return stopTestNow; }
  public void setStopTestNow(boolean b) { stopTestNow = b; }

  public SampleResult[] getSubResults() { return subResults.toArray(new SampleResult[0]); }
  public void addSubResult(SampleResult r) { subResults.add(r); }
  public void storeSubResult(SampleResult r) { subResults.add(r); }
  public AssertionResult[] getAssertionResults() { return assertionResults.toArray(new AssertionResult[0]); }
  public void addAssertionResult(AssertionResult r) { assertionResults.add(r); }

  @Override
  public String toString() { return sampleLabel; }

  // Barrage: the settable fields as the host made them, so that only what a script changed is
  // read back (barrageChanges: a bit per field, in worker/script_host.cc's order).
  private String madeLabel;
  private String madeCode;
  private String madeMessage;
  private boolean madeSuccess;
  private byte[] madeData;
  private String madeContentType;
  private String madeDataType;
  private String madeHeaders;

  /** Barrage: the fields as they are now are the host's. */
  public void barrageMade() {
    madeLabel = sampleLabel;
    madeCode = responseCode;
    madeMessage = responseMessage;
    madeSuccess = success;
    madeData = responseData;
    madeContentType = contentType;
    madeDataType = dataType;
    madeHeaders = responseHeaders;
  }

  /** Barrage: which fields a script set since barrageMade() (the same object is unchanged). */
  @SuppressWarnings("StringEquality")
  public int barrageChanges() {
    int c = 0;
    if (sampleLabel != madeLabel) c |= 1;
    if (responseCode != madeCode) c |= 2;
    if (responseMessage != madeMessage) c |= 4;
    if (success != madeSuccess) c |= 8;
    if (responseData != madeData) c |= 16;
    if (contentType != madeContentType) c |= 32;
    if (dataType != madeDataType) c |= 64;
    if (responseHeaders != madeHeaders) c |= 128;
    return c;
  }
}
