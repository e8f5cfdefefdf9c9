// Pieces of a .jmx for integration tests that write their plans inline: a string property
// and an element followed by its hashTree of children (JMeter's element/hashTree pairs).
#ifndef BARRAGE_TESTS_INTEGRATION_JMX_XML_H_
#define BARRAGE_TESTS_INTEGRATION_JMX_XML_H_

#include <string>

namespace barrage::test {

inline std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}

// An enabled element of test class `cls` named `name` with `props`, then its hashTree.
inline std::string El(const std::string& cls, const std::string& name, const std::string& props,
                      const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\" enabled=\"true\">" + props + "</" + cls +
         ">\n<hashTree>" + children + "</hashTree>\n";
}

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_INTEGRATION_JMX_XML_H_
