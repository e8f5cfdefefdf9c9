// Issue 11: JSR223, BeanShell and BSF elements (see element_compiler.h). Their scripts run in
// the worker's script host; here only what JMeter saves is read and the language checked.
#include <cctype>
#include <memory>

#include "common/element_compiler.h"

namespace barrage {

std::string ScriptLanguageOf(std::string_view jmeter_language) {
  std::string l;
  for (char c : jmeter_language) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "groovy") return "groovy";
  if (l == "beanshell" || l == "bsh" || l == "java") return "beanshell";
  if (l == "javascript" || l == "ecmascript" || l == "js" || l == "rhino" || l == "nashorn") return "javascript";
  if (l == "jexl" || l == "jexl2") return "jexl2";  // Commons JEXL's own javax.script engines
  if (l == "jexl3") return "jexl3";
  return "";
}

namespace {

// The JMeter classes Barrage's script API provides (script/java/org/apache/jmeter).
constexpr std::string_view kProvidedJMeterClasses[] = {
    "org.apache.jmeter.assertions.AssertionResult",
    "org.apache.jmeter.config.Argument",
    "org.apache.jmeter.config.Arguments",
    "org.apache.jmeter.protocol.http.control.Header",
    "org.apache.jmeter.protocol.http.control.HeaderManager",
    "org.apache.jmeter.protocol.http.sampler.HTTPSamplerBase",
    "org.apache.jmeter.protocol.http.sampler.HTTPSamplerProxy",
    "org.apache.jmeter.protocol.http.util.HTTPArgument",
    "org.apache.jmeter.samplers.SampleEvent",
    "org.apache.jmeter.samplers.SampleResult",
    "org.apache.jmeter.threads.AbstractThreadGroup",
    "org.apache.jmeter.threads.JMeterContext",
    "org.apache.jmeter.threads.JMeterContextService",
    "org.apache.jmeter.threads.JMeterThread",
    "org.apache.jmeter.threads.JMeterVariables",
    "org.apache.jmeter.util.JMeterUtils",
};

// A script that names one of JMeter's own classes Barrage does not provide (its HTTP
// internals, the engine, a GUI) cannot run: the first such name, or "".
std::string MissingJMeterClass(std::string_view script) {
  for (std::string_view root : {"org.apache.jmeter.", "org.apache.jorphan."}) {
    for (size_t at = script.find(root); at != std::string_view::npos; at = script.find(root, at + 1)) {
      // The qualified name: packages in lower case up to the first capitalised segment.
      size_t end = at;
      size_t segment = at;
      while (end < script.size()) {
        const char c = script[end];
        if (c == '.') {
          if (std::isupper(static_cast<unsigned char>(script[segment]))) break;
          segment = end + 1;
        } else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
          break;
        }
        ++end;
      }
      std::string_view name = script.substr(at, end - at);
      if (segment >= end || !std::isupper(static_cast<unsigned char>(script[segment]))) continue;  // a package.*
      bool provided = false;
      for (std::string_view p : kProvidedJMeterClasses) provided = provided || name == p;
      if (!provided) return std::string(name);
    }
  }
  return "";
}

ScriptSource ReadScriptSource(const TestElement& e, CompileLog& log) {
  ScriptSource src;
  src.testclass = e.testclass;
  src.beanshell = e.testclass.rfind("BeanShell", 0) == 0;
  if (src.beanshell) {
    // BeanShellSampler and BeanShellAssertion keep their own property names (<class>.query,
    // .parameters, .filename, .resetInterpreter); the other BeanShell elements are TestBeans.
    const bool own = e.testclass == "BeanShellSampler" || e.testclass == "BeanShellAssertion";
    const std::string prefix = own ? e.testclass + "." : "";
    src.script = V(e, own ? prefix + "query" : "script");
    src.parameters = V(e, prefix + "parameters");
    src.filename = V(e, prefix + "filename");
    src.reset_interpreter = e.GetBool(prefix + "resetInterpreter", false);
    src.language_as_written = "beanshell";
    src.language = "beanshell";
    return src;
  }
  src.bsf = e.testclass.rfind("BSF", 0) == 0;
  src.script = V(e, "script");
  src.parameters = V(e, "parameters");
  src.filename = V(e, "filename");
  // Barrage compiles every script once; JMeter 2.13 does only with a cache key (5.x unless
  // it is "false"), and Groovy's uncompiled path wraps a script's exception once more.
  const std::string cache_key = e.GetString("cacheKey");
  src.cached = !cache_key.empty() && cache_key != "false";
  // JSR223TestElement's default language (scriptLanguage absent or empty) is groovy from
  // JMeter 3.1 on; 2.13 had none and failed. Barrage takes JMeter's current default.
  src.language_as_written = e.GetString("scriptLanguage");
  const std::string as_written = src.language_as_written.empty() ? "groovy" : src.language_as_written;
  src.language = ScriptLanguageOf(as_written);
  if (src.language.empty()) {
    log.Error(DescribeElement(e) + ": script language '" + as_written +
                  "' has no interpreter in Barrage (groovy, javascript, beanshell/java, jexl2, jexl3)",
              e.line);
  }
  return src;
}

}  // namespace

namespace {

void CheckJMeterClasses(const TestElement& e, const ScriptSource& src, CompileLog& log) {
  if (!src.filename.empty()) return;  // a file is read at run time
  if (std::string missing = MissingJMeterClass(src.script.text); !missing.empty()) {
    log.Error(DescribeElement(e) + ": the script uses JMeter's class " + missing +
                  ", which Barrage's script API does not provide (see docs/scripting.md)",
              e.line);
  }
}

}  // namespace

std::unique_ptr<Node> MakeScriptElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  if (kind == ElementKind::kScriptSampler) {
    auto n = std::make_unique<ScriptSampler>(kind);
    n->source = ReadScriptSource(e, log);
    CheckJMeterClasses(e, n->source, log);
    return n;
  }
  auto n = std::make_unique<ScriptElement>(kind);
  n->source = ReadScriptSource(e, log);
  CheckJMeterClasses(e, n->source, log);
  return n;
}

}  // namespace barrage
