//! A driver's phone as the client services see it: storage that outlives the app, the phone's
//! belief about its network, and the wake-ups and timers of the simulated event loop.
//!
//! PhoneStorage keeps what the app wrote across app restarts (it belongs to the phone, not to the
//! app object). PhoneConnectivity answers as a phone's NetInfo would: offline inside an offline
//! window (a tunnel) or while the app's link is switched off, online otherwise, including during
//! a network partition, which a phone cannot see. SimSignals and SimTimer implement the model's
//! Signal and Timer ports on the kernel: a signal suspends the waiting fiber until notified; a
//! timer runs its callback on the kernel context.
//! Left out: storage latency and quota, and a phone's own clock (device time is drawn by the
//! workload).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "model/client_ports.h"
#include "sim/kernel/simulation.h"
#include "sim/world/network.h"

namespace tracksim::sim {

class PhoneStorage final : public model::LocalStorage {
 public:
  std::optional<std::string> get(const std::string& key) const override;
  void put(const std::string& key, std::string value) override;
  void remove(const std::string& key) override { values_.erase(key); }
  std::uint64_t writes() const { return writes_; }

 private:
  std::map<std::string, std::string> values_;
  std::uint64_t writes_ = 0;
};

class PhoneConnectivity final : public model::Connectivity {
 public:
  PhoneConnectivity(const Simulation& sim, const Network& network, const AppLink& link)
      : sim_(sim), network_(network), link_(link) {}
  bool online() const override;

 private:
  const Simulation& sim_;
  const Network& network_;
  const AppLink& link_;
};

class SimSignals final : public model::SignalFactory {
 public:
  explicit SimSignals(Simulation& sim) : sim_(sim) {}
  std::unique_ptr<model::Signal> make_signal() override;

 private:
  Simulation& sim_;
};

class SimTimer final : public model::Timer {
 public:
  explicit SimTimer(Simulation& sim) : sim_(sim) {}
  void call_at(Nanos time_ns, std::function<void()> callback) override;

 private:
  Simulation& sim_;
};

}  // namespace tracksim::sim
