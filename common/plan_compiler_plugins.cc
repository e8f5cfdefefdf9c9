// Issue 10: jmeter-plugins elements (see element_compiler.h).
#include <memory>

#include "common/element_compiler.h"

namespace barrage {

std::unique_ptr<JsonPathAssertion> ReadJsonPathAssertion(ElementKind kind, const TestElement& e) {
  auto n = std::make_unique<JsonPathAssertion>(kind);
  n->json_path = V(e, "JSON_PATH");
  n->expected_value = V(e, "EXPECTED_VALUE");
  n->json_validation = e.GetBool("JSONVALIDATION", false);
  n->expect_null = e.GetBool("EXPECT_NULL", false);
  n->invert = e.GetBool("INVERT", false);
  n->is_regex = e.GetBool("ISREGEX", true);
  return n;
}

std::unique_ptr<Node> MakePluginElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  (void)log;
  switch (kind) {
    case ElementKind::kJsonPluginExtractor: {
      // The plugin's property names (JSONPathExtractor.VAR, JSONPATH, DEFAULT, SUBJECT, VARIABLE).
      auto n = std::make_unique<JsonPluginExtractor>(kind);
      n->var = V(e, "VAR");
      n->json_path = V(e, "JSONPATH");
      n->default_value = V(e, "DEFAULT");
      n->from_variable = e.GetString("SUBJECT") == "VAR";
      n->src_variable = V(e, "VARIABLE");
      return n;
    }
    case ElementKind::kJsonPluginAssertion: {
      std::unique_ptr<JsonPathAssertion> n = ReadJsonPathAssertion(kind, e);
      n->plugin = true;
      return n;
    }
    case ElementKind::kDummySampler: {
      auto n = std::make_unique<DummySampler>(kind);
      n->successful = e.GetBool("SUCCESFULL", false);
      n->waiting = e.GetBool("WAITING", false);
      n->response_code = V(e, "RESPONSE_CODE");
      n->response_message = V(e, "RESPONSE_MESSAGE");
      n->response_data = V(e, "RESPONSE_DATA");
      n->request_data = V(e, "REQUEST_DATA");
      n->url = V(e, "URL");
      n->response_time = V(e, "RESPONSE_TIME");
      n->latency = V(e, "LATENCY");
      n->connect = V(e, "CONNECT");
      return n;
    }
    default: return nullptr;
  }
}

}  // namespace barrage
