#include "worker/more_controllers.h"

#include <strings.h>

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/functions.h"
#include "common/java_lang.h"

namespace barrage {

size_t SwitchSelection(const std::string& value, const std::vector<std::string>& names) {
  if (std::optional<int32_t> index = JavaParseInt(value)) {  // Integer.parseInt
    return *index >= 0 && static_cast<size_t>(*index) < names.size() ? static_cast<size_t>(*index) : 0;
  }
  if (value.empty()) return 0;
  size_t chosen = names.size();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == value) return i;
    if (strcasecmp(names[i].c_str(), "default") == 0) chosen = i;
  }
  return chosen;
}

namespace {

// ---------------------------------------------------------------------------------------
// SwitchController: picks one child when a pass starts and runs only that one (a sampler
// once, a controller for its whole pass); then the pass is over.

class SwitchRt : public ControllerRt {
 public:
  explicit SwitchRt(const SwitchController& n) : ControllerRt(n), sw_(n) {}
  const Sampler* Next(VuServices& vu) override {
    if (first_) {
      std::vector<std::string> names;
      names.reserve(items_.size());
      for (const Item& item : items_) names.push_back(item.sampler ? item.sampler->name : item.controller->node().name);
      current_ = SwitchSelection(Evaluate(sw_.value, vu.context()), names);
    }
    return NextGeneric(vu);
  }

 protected:
  // JMeter's SwitchController.incrementCurrent: after the chosen child the pass ends.
  const Sampler* NextIsASampler(const Sampler* s, VuServices& vu) override {
    current_ = kPassOver;
    vu.OnSamplerChosen(this);
    return s;
  }
  void CurrentReturnedNull(ControllerRt* c) override {
    if (c->IsDone()) {
      RemoveCurrent();
    } else {
      current_ = kPassOver;
    }
  }

 private:
  static constexpr size_t kPassOver = std::numeric_limits<size_t>::max();
  const SwitchController& sw_;
};

// ---------------------------------------------------------------------------------------
// RandomOrderController: every child once per pass, in an order shuffled when the
// controller starts and again at each new pass (JMeter's reorder: Fisher-Yates).

class RandomOrderRt : public ControllerRt {
 public:
  explicit RandomOrderRt(const Node& n) : ControllerRt(n) {}
  const Sampler* Next(VuServices& vu) override {
    if (!shuffled_) Shuffle(vu);
    return NextGeneric(vu);
  }

 protected:
  void ReInitialize() override {  // a new pass, also one cut short (triggerEndOfLoop)
    ControllerRt::ReInitialize();
    shuffled_ = false;
  }

 private:
  void Shuffle(VuServices& vu) {
    for (size_t i = items_.size(); i > 1; --i) {
      std::uniform_int_distribution<size_t> pick(0, i - 1);
      std::swap(items_[i - 1], items_[pick(vu.context().rng)]);
    }
    shuffled_ = true;
  }

  bool shuffled_ = false;
};

// ---------------------------------------------------------------------------------------
// CriticalSectionController: a pass runs while the user holds the named lock (one per
// name in the engine, reentrant). The lock is asked for when the pass starts and the user
// waits for it, parked, before its next sampler runs; it is given up when the pass ends,
// is cut short, or the user stops (VuServices::ReleaseLocks).

class CriticalSectionRt : public ControllerRt {
 public:
  explicit CriticalSectionRt(const CriticalSectionController& n) : ControllerRt(n), cs_(n) {}
  const Sampler* Next(VuServices& vu) override {
    if (first_ && held_.empty()) {
      std::string name = Evaluate(cs_.lock_name, vu.context());
      if (!name.empty()) {
        held_ = std::move(name);
        vu.RequestLock(held_);
      }
    }
    const Sampler* s = NextGeneric(vu);
    if (!s) Release(vu);
    return s;
  }
  void TriggerEndOfLoop(VuServices& vu) override {
    Release(vu);
    ControllerRt::TriggerEndOfLoop(vu);
  }

 private:
  void Release(VuServices& vu) {
    if (held_.empty()) return;
    vu.ReleaseLock(held_);
    held_.clear();
  }

  const CriticalSectionController& cs_;
  std::string held_;  // the lock of this pass ("" none)
};

}  // namespace

std::unique_ptr<ControllerRt> MakeMoreController(const Node& node) {
  switch (node.kind) {
    case ElementKind::kSwitchController: return std::make_unique<SwitchRt>(node.As<SwitchController>());
    case ElementKind::kRandomOrderController: return std::make_unique<RandomOrderRt>(node);
    case ElementKind::kCriticalSectionController:
      return std::make_unique<CriticalSectionRt>(node.As<CriticalSectionController>());
    default: return nullptr;
  }
}

}  // namespace barrage
