package barrage.script;

import bsh.EvalError;
import bsh.Interpreter;
import org.apache.jmeter.assertions.AssertionResult;
import org.apache.jmeter.samplers.SampleResult;

/**
 * JMeter's BeanShell elements: one interpreter per element and virtual user (JMeter clones
 * elements per thread), so a script's own variables live on between its calls; before each
 * call the element's names are set as JMeter's BeanShell elements set them.
 */
final class BeanShell {
  private BeanShell() {}

  static Object run(Host.Script s, Host.User user, SampleResult prev, SampleResult current, AssertionResult assertion,
                    Object sampler, String parameters, String[] args) throws Exception {
    Interpreter bsh = (Interpreter) user.interpreters.get(s);
    try {
      if (bsh == null) {
        bsh = new Interpreter();
        bsh.set("log", s.log);
        user.interpreters.put(s, bsh);
      }
      bsh.set("ctx", user.ctx);
      bsh.set("vars", user.vars);
      bsh.set("props", RunProperties.INSTANCE);
      bsh.set("prev", prev);
      bsh.set("sampler", sampler);
      bsh.set("Label", s.name);
      bsh.set("FileName", s.fileName);
      bsh.set("Parameters", parameters);
      bsh.set("bsh.args", args);
      bsh.set("OUT", System.out);
      switch (s.role) {
        case Host.SAMPLER:
          bsh.set("SampleResult", current);
          bsh.set("ResponseCode", "200");
          bsh.set("ResponseMessage", "OK");
          bsh.set("IsSuccess", true);
          break;
        case Host.POST_PROCESSOR:
          bsh.set("data", prev == null ? null : prev.getResponseData());
          break;
        case Host.ASSERTION:
          bsh.set("Failure", false);
          bsh.set("FailureMessage", "");
          bsh.set("SampleResult", prev);
          bsh.set("Response", prev);
          bsh.set("ResponseData", prev.getResponseData());
          bsh.set("ResponseCode", prev.getResponseCode());
          bsh.set("ResponseMessage", prev.getResponseMessage());
          bsh.set("ResponseHeaders", prev.getResponseHeaders());
          bsh.set("RequestHeaders", prev.getRequestHeaders());
          bsh.set("SampleLabel", prev.getSampleLabel());
          bsh.set("SamplerData", prev.getSamplerData());
          bsh.set("Successful", prev.isSuccessful());
          break;
        case Host.LISTENER:  // BeanShellListener.sampleOccurred
          bsh.set("sampleEvent", new org.apache.jmeter.samplers.SampleEvent(prev, user.ctx.getThreadGroup().getName()));
          bsh.set("sampleResult", prev);
          break;
        case Host.FUNCTION:
          bsh.set("threadName", user.vars.getThreadName());
          break;
        default:
          break;
      }
    } catch (EvalError e) {
      throw new IllegalStateException(e);
    }
    Object ret;
    try {
      ret = bsh.eval(s.source);
    } catch (EvalError e) {
      // JMeter's BeanShellInterpreter wraps what bsh threw this way.
      throw new Exception("Error invoking bsh method: eval\t" + e.getLocalizedMessage()) {
        private static final long serialVersionUID = 1L;

        @Override
        public String toString() { return "org.apache.jorphan.util.JMeterException: " + getMessage(); }
      };
    }
    if (s.role == Host.SAMPLER) {
      current.setResponseCode(String.valueOf(bsh.get("ResponseCode")));
      current.setResponseMessage(String.valueOf(bsh.get("ResponseMessage")));
      Object ok = bsh.get("IsSuccess");
      current.setSuccessful(ok instanceof Boolean ? (Boolean) ok : Boolean.parseBoolean(String.valueOf(ok)));
    } else if (s.role == Host.ASSERTION) {
      Object message = bsh.get("FailureMessage");
      assertion.setFailureMessage(message == null ? null : message.toString());
      assertion.setFailure(Boolean.parseBoolean(String.valueOf(bsh.get("Failure"))));
    }
    return ret;
  }
}
