// Counter (CounterConfig) and Random Variable (RandomVariableConfig) at run time, and
// java.util.Random, which they need to print exactly what JMeter prints (DecimalFormat for
// integers is common/java_decimal_format.h).
//
// When the engine calls them: both are JMeter LoopIterationListeners, registered with the
// nearest controller they are declared under. Call IterationStart for a virtual user at
// the start of each iteration of that controller: for an element directly under a thread
// group, at each thread-group iteration; under a Loop Controller, at each of its loops;
// under a Simple/Transaction/If controller, each time the controller is entered.
//
// Values (start, end, increment, names, formats, bounds, seeds) are evaluated with the
// calling user's context, as JMeter evaluates these elements' properties.
//
// Threading: the registries are shared by all event-loop threads and thread-safe once
// built; build them (constructor or Add) before the run starts. ConfigUserState belongs
// to one virtual user.
#ifndef BARRAGE_WORKER_CONFIG_ELEMENTS_H_
#define BARRAGE_WORKER_CONFIG_ELEMENTS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/functions.h"
#include "common/java_decimal_format.h"
#include "common/plan.h"
#include "common/status.h"

namespace barrage {

// java.util.Random: the same 48-bit generator, so a seeded Random Variable gives JMeter's
// sequence.
class JavaRandom {
 public:
  explicit JavaRandom(int64_t seed);
  // Random.nextInt(bound), bound > 0: uniform in [0, bound).
  int32_t NextInt(int32_t bound);
  // Random.nextDouble(): uniform in [0, 1), 53 bits.
  double NextDouble();

 private:
  int32_t Next(int bits);
  uint64_t seed_;
};

// One virtual user's per-user counters and per-thread random generators. Not thread-safe;
// must not outlive the registries it was used with.
class ConfigUserState {
 public:
  ConfigUserState();
  ~ConfigUserState();
  ConfigUserState(const ConfigUserState&) = delete;
  ConfigUserState& operator=(const ConfigUserState&) = delete;

 private:
  friend class CounterRegistry;
  friend class RandomVariableRegistry;
  struct UserCounter {
    int64_t next = 0;
    int64_t last_iteration = 1;
  };
  struct UserRandom;
  std::unordered_map<const Counter*, UserCounter> counters_;
  std::unordered_map<const RandomVariable*, std::unique_ptr<UserRandom>> randoms_;
};

// The run's Counters. Global counters are shared by every user (lock-free); per-user
// counters live in each user's ConfigUserState.
//
// CounterConfig semantics: start, end and increment are longs ("" or not a number = 0;
// "" end = Long.MAX_VALUE). Global: the first value is start; after each use the counter
// grows by increment, and a counter past end goes back to start before its next use.
// Per user: the same, wrapping as soon as the next value passes end; with "reset on each
// thread group iteration", the counter goes back to start when the user's thread-group
// iteration number changes. The variable holds FormatJavaLong(value, format).
class CounterRegistry {
 public:
  CounterRegistry();
  // Adds every Counter in the plan (thread groups, controllers, module copies).
  explicit CounterRegistry(const Plan& plan);
  ~CounterRegistry();
  CounterRegistry(const CounterRegistry&) = delete;
  CounterRegistry& operator=(const CounterRegistry&) = delete;

  // Before the run; adding an element twice keeps the first state.
  void Add(const Counter& node);

  // Sets the counter's variable for `ctx`. `thread_group_iteration` is the user's current
  // thread-group iteration, 1-based (JMeterVariables.getIteration()). The node must have
  // been added.
  void IterationStart(const Counter& node, ThreadContext& ctx, ConfigUserState& user,
                      int64_t thread_group_iteration) const;

 private:
  struct Entry;
  std::unordered_map<const Counter*, std::unique_ptr<Entry>> entries_;
};

// The run's Random Variables. RandomVariableConfig semantics: at each iteration the
// variable gets minimum + nextInt(maximum - minimum + 1) through the output format, from
// one generator shared by all users or one per user (per_thread). Minimum and maximum are
// read when a generator is created (not a number = 0); maximum < minimum sets nothing; a
// range wider than Integer.MAX_VALUE is cut to it. A seed that is a long seeds every
// generator with it (so per-user generators all give the same sequence, as in JMeter);
// without one, a global generator is seeded at random and a per-user one from the user's
// ThreadContext::rng.
class RandomVariableRegistry {
 public:
  RandomVariableRegistry();
  // Adds every Random Variable in the plan.
  explicit RandomVariableRegistry(const Plan& plan);
  ~RandomVariableRegistry();
  RandomVariableRegistry(const RandomVariableRegistry&) = delete;
  RandomVariableRegistry& operator=(const RandomVariableRegistry&) = delete;

  // Before the run; adding an element twice keeps the first state.
  void Add(const RandomVariable& node);

  // Sets the variable for `ctx`. The node must have been added.
  void IterationStart(const RandomVariable& node, ThreadContext& ctx, ConfigUserState& user) const;

 private:
  struct Entry;
  std::unordered_map<const RandomVariable*, std::unique_ptr<Entry>> entries_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_CONFIG_ELEMENTS_H_
