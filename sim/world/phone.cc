// The phone's ports on the simulator; see phone.h.
#include "sim/world/phone.h"

#include <cassert>
#include <cstring>

namespace tracksim::sim {
namespace {

class SimSignal final : public model::Signal {
 public:
  explicit SimSignal(Simulation& sim) : sim_(sim) {}

  void notify() override {
    if (notified_) return;
    notified_ = true;
    if (waiter_ != nullptr) sim_.wake(waiter_, generation_);
  }

  void wait() override {
    assert(waiter_ == nullptr);
    while (!notified_) {
      waiter_ = sim_.current_fiber();
      assert(waiter_ != nullptr);  // the kernel context must never wait
      generation_ = sim_.prepare_wait();
      sim_.block("signal");
      waiter_ = nullptr;
    }
  }

 private:
  Simulation& sim_;
  bool notified_ = false;
  FiberRecord* waiter_ = nullptr;
  std::uint64_t generation_ = 0;
};

}  // namespace

std::optional<std::string> PhoneStorage::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

void PhoneStorage::put(const std::string& key, std::string value) {
  values_[key] = std::move(value);
  ++writes_;
}

bool PhoneConnectivity::online() const {
  if (link_.offline()) return false;
  const char* why = network_.cut_reason(link_.client(), sim_.now());
  return why == nullptr || std::strcmp(why, "offline") != 0;
}

std::unique_ptr<model::Signal> SimSignals::make_signal() {
  return std::make_unique<SimSignal>(sim_);
}

void SimTimer::call_at(Nanos time_ns, std::function<void()> callback) {
  sim_.at(std::max(time_ns, sim_.now()), std::move(callback));
}

}  // namespace tracksim::sim
