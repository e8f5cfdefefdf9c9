// What the engine run tests share: a sink that keeps every sample, and builders for the
// XML of a small plan (JMeter's element/hashTree pairs) that the tests compile and run.
#ifndef BARRAGE_TESTS_WORKER_ENGINE_TEST_PLAN_H_
#define BARRAGE_TESTS_WORKER_ENGINE_TEST_PLAN_H_

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/sample.h"
#include "worker/engine.h"

namespace barrage::engine_test {

// Keeps every sample the engine hands over; thread-safe.
class CollectSink : public SampleSink {
 public:
  void OnSamples(std::vector<Sample>& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (Sample& s : batch) samples_.push_back(std::move(s));
  }
  std::vector<Sample> samples() {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }

 private:
  std::mutex mu_;
  std::vector<Sample> samples_;
};

inline std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}
inline std::string Bool(const std::string& name, bool v) {
  return "<boolProp name=\"" + name + "\">" + (v ? "true" : "false") + "</boolProp>";
}
inline std::string Int(const std::string& name, int v) {
  return "<intProp name=\"" + name + "\">" + std::to_string(v) + "</intProp>";
}
// An element of test class `cls` named `name` with `props`, followed by its hashTree of
// `children`.
inline std::string El(const std::string& cls, const std::string& name, const std::string& props,
                      const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\">" + props + "</" + cls + ">\n<hashTree>\n" +
         children + "</hashTree>\n";
}
// A whole plan: a Test Plan named T holding `body`.
inline std::string PlanXml(const std::string& body) {
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n"
         "<hashTree>\n" +
         body + "</hashTree></hashTree></jmeterTestPlan>\n";
}

}  // namespace barrage::engine_test

#endif  // BARRAGE_TESTS_WORKER_ENGINE_TEST_PLAN_H_
