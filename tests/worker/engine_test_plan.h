// What the engine run tests share: a sink that keeps every sample, builders for the XML of a
// small plan (JMeter's element/hashTree pairs), and a fixture that compiles and runs one.
#ifndef BARRAGE_TESTS_WORKER_ENGINE_TEST_PLAN_H_
#define BARRAGE_TESTS_WORKER_ENGINE_TEST_PLAN_H_

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
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

// A Thread Group of `threads` users, ramp-up `ramp_s`, running `children` `loops` times.
inline std::string Group(const std::string& name, int threads, int loops, const std::string& children, int ramp_s = 0) {
  return El("ThreadGroup", name,
            Str("ThreadGroup.num_threads", std::to_string(threads)) +
                Str("ThreadGroup.ramp_time", std::to_string(ramp_s)) +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>",
            children);
}
// A Dummy Sampler whose response message is `message` (evaluated), waiting `ms` first.
inline std::string Dummy(const std::string& name, const std::string& message, const std::string& children = "",
                         int ms = 0) {
  return El("kg.apc.jmeter.samplers.DummySampler", name,
            "<boolProp name=\"SUCCESFULL\">true</boolProp><boolProp name=\"WAITING\">true</boolProp>" +
                Str("RESPONSE_TIME", std::to_string(ms)) + Str("RESPONSE_MESSAGE", message),
            children);
}

// The samples labelled `label`, in the order the engine recorded them.
inline std::vector<const Sample*> Of(const std::vector<Sample>& samples, const std::string& label) {
  std::vector<const Sample*> out;
  for (const Sample& s : samples) {
    if (s.label == label) out.push_back(&s);
  }
  return out;
}

// Compiles a plan's `body` (PlanXml) and runs it in an engine with every sample collected.
class EngineRunFixture : public ::testing::Test {
 protected:
  // `loops` event loops; the run stops gracefully after `max_ms`, and now `graceful_ms` later.
  std::vector<Sample> Run(const std::string& body, int loops, int64_t max_ms = 20000,
                          int64_t graceful_ms = EngineOptions{}.graceful_stop_timeout_ms) {
    Result<HashTree> tree = ParseJmx(PlanXml(body), "t.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    EXPECT_TRUE(compiled_->plan.runnable())
        << (compiled_->plan.problems.empty() ? "unsupported" : compiled_->plan.problems[0].message);
    run_.test_plan_file = "t.jmx";
    EngineOptions options;
    options.event_loops = loops;
    options.max_duration_ms = max_ms;
    options.graceful_stop_timeout_ms = graceful_ms;
    options.flush_interval_ms = flush_interval_ms_;
    options.share_index = share_index_;
    options.share_count = share_count_;
    options.allowed_targets = allowed_targets_;
    options.max_vus = max_vus_;
    options.max_rps = max_rps_;
    Engine engine(compiled_->plan, &run_, options, &sink_);
    Status prepared = engine.Prepare();
    EXPECT_TRUE(prepared.ok()) << prepared.message();
    started_ms_ = WallMillis();
    Status ran = engine.Run();
    EXPECT_TRUE(ran.ok()) << ran.message();
    ran_ms_ = WallMillis() - started_ms_;
    pending_timers_ = engine.pending_timers();
    counters_ = engine.counters();
    return sink_.samples();
  }

  std::unique_ptr<CompiledPlan> compiled_;
  RunContext run_;
  CollectSink sink_;
  int64_t started_ms_ = 0;  // wall clock
  int64_t ran_ms_ = 0;
  size_t pending_timers_ = 0;  // left queued in the loops by the last Run
  EngineCounters counters_;    // the last Run's
  int64_t flush_interval_ms_ = EngineOptions{}.flush_interval_ms;
  uint32_t share_index_ = 0;  // EngineOptions' cluster share (0 of 0: all threads)
  uint32_t share_count_ = 0;
  const TargetPolicy* allowed_targets_ = nullptr;  // EngineOptions' (nullptr: any target)
  int64_t max_vus_ = 0;                            // EngineOptions' worker caps (0: none)
  double max_rps_ = 0;
};

}  // namespace barrage::engine_test

#endif  // BARRAGE_TESTS_WORKER_ENGINE_TEST_PLAN_H_
