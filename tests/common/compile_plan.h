// What the plan-compiler tests share: small plans around the elements under test, compiled.
#ifndef BARRAGE_TESTS_COMMON_COMPILE_PLAN_H_
#define BARRAGE_TESTS_COMMON_COMPILE_PLAN_H_

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"

namespace barrage::compile_test {

inline CompiledPlan CompileXml(const std::string& xml) {
  Result<HashTree> tree = ParseJmx(xml, "p.jmx");
  EXPECT_TRUE(tree.ok()) << tree.status().message();
  return CompilePlan(std::move(tree).value());
}

// A thread group holding `elements`, then an HTTP sampler s.
inline CompiledPlan CompileUnder(const std::string& elements) {
  return CompileXml(
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"Plan\"/>\n<hashTree>\n"
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/>\n<hashTree>\n" +
      elements +
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\"/>\n<hashTree/>\n"
      "</hashTree></hashTree></hashTree></jmeterTestPlan>\n");
}

// A thread group holding one HTTP sampler s with `children`.
inline CompiledPlan CompileWith(const std::string& children) {
  return CompileXml(
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
      "<TestPlan testclass=\"TestPlan\" testname=\"Plan\"/><hashTree>\n"
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\"/><hashTree>\n" +
      children + "</hashTree></hashTree></hashTree></hashTree></jmeterTestPlan>\n");
}

}  // namespace barrage::compile_test

#endif  // BARRAGE_TESTS_COMMON_COMPILE_PLAN_H_
