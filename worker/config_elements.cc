#include "worker/config_elements.h"
#include "common/java_lang.h"
#include "common/utf8.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <random>
#include <utility>
#include <vector>

namespace barrage {
namespace {

// Java's long arithmetic wraps.
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// A format fixed at compile time is parsed once; a ${...} one on every use.
struct CachedFormat {
  bool dynamic = false;
  std::optional<JavaDecimalFormat> format;  // literal, valid and not empty

  explicit CachedFormat(const Value& pattern) : dynamic(pattern.dynamic()) {
    if (!dynamic && !pattern.empty()) {
      Result<JavaDecimalFormat> f = JavaDecimalFormat::Parse(pattern.text);
      if (f.ok()) format = std::move(f).value();
    }
  }
  std::string Format(int64_t value, const Value& pattern, ThreadContext& ctx) const {
    if (dynamic) return FormatJavaLong(value, Evaluate(pattern, ctx));
    return format ? format->Format(value) : std::to_string(value);
  }
};

template <typename T>
void ForEachNode(const Node& node, ElementKind kind, const T& fn) {
  if (node.kind == kind) fn(node);
  for (const auto& e : node.elements) ForEachNode(*e, kind, fn);
  for (const auto& c : node.children) ForEachNode(*c, kind, fn);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// java.util.Random.

namespace {
constexpr uint64_t kMultiplier = 0x5DEECE66DULL;
constexpr uint64_t kMask = (uint64_t{1} << 48) - 1;
}  // namespace

JavaRandom::JavaRandom(int64_t seed) : seed_((static_cast<uint64_t>(seed) ^ kMultiplier) & kMask) {}

int32_t JavaRandom::Next(int bits) {
  seed_ = (seed_ * kMultiplier + 0xBULL) & kMask;
  // (int)(seed >>> (48 - bits)): the low 32 bits of the shifted seed, as a signed int.
  return static_cast<int32_t>(static_cast<uint32_t>(seed_ >> (48 - bits)));
}

int32_t JavaRandom::NextInt(int32_t bound) {
  assert(bound > 0);
  int32_t r = Next(31);
  const int32_t m = bound - 1;
  if ((bound & m) == 0) return static_cast<int32_t>((static_cast<int64_t>(bound) * r) >> 31);
  // Reject the top values that would bias the modulo (Java's overflow test, without UB).
  for (int32_t u = r; static_cast<int64_t>(u) - (r = u % bound) + m > INT32_MAX; u = Next(31)) {
  }
  return r;
}

double JavaRandom::NextDouble() {
  // (((long)next(26) << 27) + next(27)) * 0x1.0p-53: both parts are non-negative.
  const int64_t high = Next(26);
  const int64_t low = Next(27);
  return static_cast<double>((high << 27) + low) * 0x1.0p-53;
}

// ---------------------------------------------------------------------------------------
// Per-user state.

namespace {
// A Random Variable's generator with the bounds read when it was created.
struct Generator {
  JavaRandom rng;
  int64_t minimum;
  int32_t range;  // <= 0: maximum < minimum, set nothing
};
}  // namespace

struct ConfigUserState::UserRandom {
  Generator g;
};

ConfigUserState::ConfigUserState() = default;
ConfigUserState::~ConfigUserState() = default;

// ---------------------------------------------------------------------------------------
// Counter.

struct CounterRegistry::Entry {
  std::atomic<int64_t> global{INT64_MIN};  // Long.MIN_VALUE: not used yet
  CachedFormat format;
  explicit Entry(const Counter& node) : format(node.format) {}
};

CounterRegistry::CounterRegistry() = default;
CounterRegistry::~CounterRegistry() = default;

CounterRegistry::CounterRegistry(const Plan& plan) {
  if (!plan.root) return;
  ForEachNode(*plan.root, ElementKind::kCounter, [this](const Node& n) { Add(n.As<Counter>()); });
}

void CounterRegistry::Add(const Counter& node) {
  if (!entries_.count(&node)) entries_.emplace(&node, std::make_unique<Entry>(node));
}

void CounterRegistry::IterationStart(const Counter& node, ThreadContext& ctx, ConfigUserState& user,
                                     int64_t thread_group_iteration) const {
  auto it = entries_.find(&node);
  assert(it != entries_.end() && "Counter not added to the registry");
  if (it == entries_.end()) return;
  Entry& entry = *it->second;

  const int64_t start = PropertyAsLong(Evaluate(node.start, ctx));
  const std::string end_text = Evaluate(node.end, ctx);
  int64_t end = PropertyAsLong(end_text);
  if (end == 0 && end_text.empty()) end = INT64_MAX;
  const int64_t increment = PropertyAsLong(Evaluate(node.increment, ctx));

  int64_t value;
  if (!node.per_user) {
    int64_t current = entry.global.load();
    int64_t next;
    do {
      value = (current == INT64_MIN || current > end) ? start : current;
      next = WrapAdd(value, increment);
    } while (!entry.global.compare_exchange_weak(current, next));
  } else {
    auto [slot, inserted] = user.counters_.try_emplace(&node);
    ConfigUserState::UserCounter& c = slot->second;
    if (inserted) c.next = start;
    if (node.reset_on_thread_group_iteration) {
      if (thread_group_iteration != c.last_iteration) c.next = start;
      c.last_iteration = thread_group_iteration;
    }
    value = c.next;
    c.next = WrapAdd(c.next, increment);
    if (c.next > end) c.next = start;
  }
  ctx.vars.Put(Evaluate(node.variable, ctx), entry.format.Format(value, node.format, ctx));
}

// ---------------------------------------------------------------------------------------
// Random Variable.

struct RandomVariableRegistry::Entry {
  std::mutex mu;
  std::optional<Generator> global;  // created on first use
  CachedFormat format;
  explicit Entry(const RandomVariable& node) : format(node.output_format) {}
};

namespace {

// RandomVariableConfig.init + createRandom. `unseeded` seeds when no usable seed is set.
Generator MakeGenerator(const RandomVariable& node, ThreadContext& ctx, uint64_t unseeded) {
  const int64_t minimum = JavaParseLong(Evaluate(node.minimum, ctx)).value_or(0);
  const int64_t maximum = JavaParseLong(Evaluate(node.maximum, ctx)).value_or(0);
  int32_t range;
  if (minimum > maximum) {
    range = 0;
  } else {
    const int64_t span = WrapAdd(WrapAdd(maximum, -minimum), 1);  // may overflow, as in Java
    range = (span > INT32_MAX || span <= 0) ? INT32_MAX : static_cast<int32_t>(span);
  }
  const std::string seed_text = Evaluate(node.seed, ctx);
  std::optional<int64_t> seed = seed_text.empty() ? std::nullopt : JavaParseLong(seed_text);
  return {JavaRandom(seed ? *seed : static_cast<int64_t>(unseeded)), minimum, range};
}

}  // namespace

RandomVariableRegistry::RandomVariableRegistry() = default;
RandomVariableRegistry::~RandomVariableRegistry() = default;

RandomVariableRegistry::RandomVariableRegistry(const Plan& plan) {
  if (!plan.root) return;
  ForEachNode(*plan.root, ElementKind::kRandomVariable, [this](const Node& n) { Add(n.As<RandomVariable>()); });
}

void RandomVariableRegistry::Add(const RandomVariable& node) {
  if (!entries_.count(&node)) entries_.emplace(&node, std::make_unique<Entry>(node));
}

void RandomVariableRegistry::IterationStart(const RandomVariable& node, ThreadContext& ctx,
                                            ConfigUserState& user) const {
  auto it = entries_.find(&node);
  assert(it != entries_.end() && "Random Variable not added to the registry");
  if (it == entries_.end()) return;
  Entry& entry = *it->second;

  int64_t value;
  if (node.per_thread) {
    auto& slot = user.randoms_[&node];
    if (!slot) {
      slot = std::make_unique<ConfigUserState::UserRandom>(
          ConfigUserState::UserRandom{MakeGenerator(node, ctx, ctx.rng())});
    }
    Generator& g = slot->g;
    if (g.range <= 0) return;
    value = WrapAdd(g.minimum, g.rng.NextInt(g.range));
  } else {
    std::lock_guard<std::mutex> lock(entry.mu);
    if (!entry.global) entry.global = MakeGenerator(node, ctx, std::random_device{}());
    if (entry.global->range <= 0) return;
    value = WrapAdd(entry.global->minimum, entry.global->rng.NextInt(entry.global->range));
  }
  ctx.vars.Put(Evaluate(node.variable, ctx), entry.format.Format(value, node.output_format, ctx));
}

}  // namespace barrage
