// In-memory client ports; see client_fakes.h.
#include "model/testing/client_fakes.h"

#include <algorithm>

#include "model/check.h"

namespace tracksim::model::testing {
namespace {

class ImmediateSignal final : public Signal {
 public:
  void notify() override { notified_ = true; }
  // A single-threaded test has nobody to notify a waiting task later.
  void wait() override { TRACKSIM_CHECK(notified_); }

 private:
  bool notified_ = false;
};

}  // namespace

std::optional<std::string> MemoryLocalStorage::get(const std::string& key) const {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::unique_ptr<Signal> ImmediateSignals::make_signal() {
  return std::make_unique<ImmediateSignal>();
}

std::optional<ApiResponse> BackendTransport::call(const ApiRequest& request, Nanos timeout_ns) {
  const int number = static_cast<int>(requests.size());
  requests.push_back(request);
  ++in_flight_;
  max_in_flight = std::max(max_in_flight, in_flight_);
  if (during_call) during_call(request);

  const std::optional<TransportFault> fault =
      faults ? faults(request, number) : std::optional<TransportFault>();
  std::optional<ApiResponse> reply;
  if (fault != TransportFault::kLoseRequest) reply = backend_.handle(request);
  if (fault.has_value()) {
    clock_.advance(timeout_ns);
    reply.reset();
  }
  --in_flight_;
  return reply;
}

void ManualTimer::call_at(Nanos time_ns, std::function<void()> callback) {
  callbacks_.emplace(std::max(time_ns, clock_.now()), std::move(callback));
}

void ManualTimer::run_until(Nanos until_ns) {
  while (!callbacks_.empty() && callbacks_.begin()->first <= until_ns) {
    auto first = callbacks_.begin();
    std::function<void()> callback = std::move(first->second);
    clock_.set(first->first);
    callbacks_.erase(first);
    callback();
  }
  if (clock_.now() < until_ns) clock_.set(until_ns);
}

std::vector<HubMessage> RecordingChannel::to(const std::string& subscriber_id) const {
  std::vector<HubMessage> messages;
  for (const auto& [id, message] : sent) {
    if (id == subscriber_id) messages.push_back(message);
  }
  return messages;
}

PhoneWorld::PhoneWorld(std::uint64_t seed)
    : server(seed),
      backend(make_backend(BackendConfig{}, server.ports())),
      transport(*backend, server.clock),
      connectivity(server.clock),
      phone_random(seed ^ 0x5eed) {
  TRACKSIM_CHECK(backend != nullptr);
}

ClientPorts PhoneWorld::phone_ports() {
  return ClientPorts{.clock = &server.clock,
                     .sleeper = &server.sleeper,
                     .random = &phone_random,
                     .transport = &transport,
                     .storage = &storage,
                     .connectivity = &connectivity,
                     .signals = &signals,
                     .listener = &listener,
                     .probes = &phone_probes};
}

Location position_at(double metres_north, Nanos time_ns) {
  // One degree of latitude is 111.2 km on the mean sphere. West of make_delivery's pickup and
  // dropoff by about 1.5 km, so no position here crosses their geofences.
  return Location{.lat = 38.70 + metres_north / 111'195.0,
                  .lng = -9.16,
                  .accuracy_m = 5,
                  .device_time_ns = time_ns};
}

}  // namespace tracksim::model::testing
