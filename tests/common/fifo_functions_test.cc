// The jmeter-plugins __fifoPut, __fifoSize and __fifoGet functions (issue 10) on a run's
// Fifo queues (RunContext::fifos).
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "common/functions.h"

namespace barrage {
namespace {

class FakeFifos final : public FifoAccess {
 public:
  void Put(const std::string& queue, std::string value) override { queues[queue].push_back(std::move(value)); }
  size_t size(const std::string& queue) override { return queues[queue].size(); }
  std::optional<std::string> Front(const std::string& queue) override {
    auto& q = queues[queue];
    if (q.empty()) return std::nullopt;
    return q.front();
  }
  std::map<std::string, std::deque<std::string>> queues;
};

class FifoFunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run.fifos = &fifos;
    ctx.run = &run;
  }
  std::string Eval(const std::string& text) { return Evaluate(Value::Of(text), ctx); }

  FakeFifos fifos;
  RunContext run;
  ThreadContext ctx;
};

TEST_F(FifoFunctionsTest, FifoPutAppendsAndReturnsTheValue) {
  EXPECT_EQ(Eval("${__fifoPut(Q,a b)}|${__fifoPut(Q,c)}"), "a b|c");
  EXPECT_EQ(fifos.queues["Q"], (std::deque<std::string>{"a b", "c"}));
}

TEST_F(FifoFunctionsTest, FifoSizeCountsAndStoresInItsVariable) {
  fifos.queues["Q"] = {"x", "y"};
  EXPECT_EQ(Eval("${__fifoSize(Q, n )}"), "2");
  EXPECT_EQ(Eval("${n}"), "2");
  EXPECT_EQ(Eval("${__fifoSize(none)}"), "0");
}

TEST_F(FifoFunctionsTest, FifoGetReadsTheFirstValueAndLeavesIt) {
  fifos.queues["Q"] = {"x", "y"};
  EXPECT_EQ(Eval("${__fifoGet(Q,v)}"), "x");
  EXPECT_EQ(Eval("${v}"), "x");
  EXPECT_EQ(fifos.queues["Q"].size(), 2u);
  EXPECT_EQ(Eval("[${__fifoGet(empty)}]"), "[]");
}

TEST_F(FifoFunctionsTest, WithoutARunTheCallsStayAsWritten) {
  run.fifos = nullptr;
  EXPECT_EQ(Eval("${__fifoSize(Q)}"), "${__fifoSize(Q)}");
}

}  // namespace
}  // namespace barrage
