// TLS client certificates (issue 10): the Keystore Configuration element, as JMeter saves it
// (a TestBean: preload, startIndex, endIndex, clientCertAliasVarName as stringProps).
#include <string>

#include "common/element_compiler.h"

namespace barrage {

namespace {

std::unique_ptr<Node> MakeKeystoreConfig(const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<KeystoreConfig>(ElementKind::kKeystoreConfig);
  n->preload = V(e, "preload", "true");
  n->start_index = V(e, "startIndex");
  n->end_index = V(e, "endIndex");
  n->alias_var = V(e, "clientCertAliasVarName");
  CheckWholeNumber(n->start_index, e, "startIndex", true, log);
  CheckWholeNumber(n->end_index, e, "endIndex", true, log);
  return n;
}

}  // namespace

std::unique_ptr<Node> MakeTlsElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  switch (kind) {
    case ElementKind::kKeystoreConfig: return MakeKeystoreConfig(e, log);
    default: return nullptr;
  }
}

}  // namespace barrage
