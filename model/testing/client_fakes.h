// In-memory implementations of the client-side ports, for unit tests of the phone's services and
// the socket hub.
//
// Everything runs on the test's one thread with no tasks, so nothing can truly wait:
//   - ImmediateSignals hands out signals whose wait() must find them notified already (a test
//     that would block fails a check instead of hanging);
//   - BackendTransport calls a real backend directly; a scripted fault per request can lose the
//     request (never applied) or the reply (applied, unseen), and a lost reply costs the caller
//     its whole timeout on the fake clock, as it would on a phone; `during_call` runs while a
//     request is "in flight", so a test can start a second operation from there;
//   - ManualTimer keeps callbacks until the test runs the due ones.
// Left out: latency on anything but lost replies.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/client_ports.h"
#include "model/socket_hub.h"
#include "model/testing/in_memory_store.h"

namespace tracksim::model::testing {

class MemoryLocalStorage final : public LocalStorage {
 public:
  std::optional<std::string> get(const std::string& key) const override;
  void put(const std::string& key, std::string value) override {
    values[key] = std::move(value);
    ++writes_;
  }
  void remove(const std::string& key) override { values.erase(key); }
  std::map<std::string, std::string> values;
  int writes() const { return writes_; }

 private:
  int writes_ = 0;
};

// Online when told so, or once the clock reaches `back_online_at_ns`.
class FakeConnectivity final : public Connectivity {
 public:
  explicit FakeConnectivity(const Clock& clock) : clock_(clock) {}
  bool online() const override {
    return is_online || (back_online_at_ns.has_value() && clock_.now() >= *back_online_at_ns);
  }
  bool is_online = true;
  std::optional<Nanos> back_online_at_ns;

 private:
  const Clock& clock_;
};

class ImmediateSignals final : public SignalFactory {
 public:
  std::unique_ptr<Signal> make_signal() override;
};

enum class TransportFault : unsigned char {
  kLoseRequest,  // the server never sees it
  kLoseReply,    // the server applies it; the reply never arrives
};

class BackendTransport final : public Transport {
 public:
  BackendTransport(DeliveryBackend& backend, FakeClock& clock) : backend_(backend), clock_(clock) {}

  std::optional<ApiResponse> call(const ApiRequest& request, Nanos timeout_ns) override;

  // Decides the fate of each request, by its number (0-based) among all calls.
  std::function<std::optional<TransportFault>(const ApiRequest&, int call)> faults;
  // Runs while the request is in flight, before the server sees it.
  std::function<void(const ApiRequest&)> during_call;
  // Every request sent, in order.
  std::vector<ApiRequest> requests;
  // The most requests in flight at once.
  int max_in_flight = 0;

 private:
  DeliveryBackend& backend_;
  FakeClock& clock_;
  int in_flight_ = 0;
};

// Records what a service tells its listener.
class RecordingListener final : public ClientListener {
 public:
  void on_invoke(const ApiRequest& request) override { invoked.push_back(request); }
  void on_attempt(const ApiRequest& request, const std::optional<ApiResponse>& reply) override {
    attempts.emplace_back(request, reply);
  }
  void on_settle(const OperationSettlement& s) override { settled.push_back(s); }
  void on_location_queued(const QueuedLocation& u) override { queued.push_back(u); }
  void on_location_batch(const std::string& operation_id,
                         const std::vector<std::string>& update_ids) override {
    batches.emplace_back(operation_id, update_ids);
  }
  void on_location_dropped(const QueuedLocation& u, std::string_view why) override {
    dropped.emplace_back(u, std::string(why));
  }

  std::vector<ApiRequest> invoked;
  std::vector<std::pair<ApiRequest, std::optional<ApiResponse>>> attempts;
  std::vector<OperationSettlement> settled;
  std::vector<QueuedLocation> queued;
  std::vector<std::pair<std::string, std::vector<std::string>>> batches;
  std::vector<std::pair<QueuedLocation, std::string>> dropped;
};

class ManualTimer final : public Timer {
 public:
  explicit ManualTimer(FakeClock& clock) : clock_(clock) {}
  void call_at(Nanos time_ns, std::function<void()> callback) override;
  // Advances the clock to each due callback in time order (ties in the order asked) and runs it,
  // up to `until_ns`; then sets the clock to `until_ns`.
  void run_until(Nanos until_ns);
  std::size_t pending() const { return callbacks_.size(); }

 private:
  FakeClock& clock_;
  std::multimap<Nanos, std::function<void()>> callbacks_;
};

class RecordingChannel final : public SubscriberChannel {
 public:
  void send(const std::string& subscriber_id, const HubMessage& message) override {
    sent.emplace_back(subscriber_id, message);
  }
  std::vector<HubMessage> to(const std::string& subscriber_id) const;
  std::vector<std::pair<std::string, HubMessage>> sent;
};

// A fixed backend on an in-memory store, with a phone's ports around it.
struct PhoneWorld {
  explicit PhoneWorld(std::uint64_t seed = 1);
  ClientPorts phone_ports();

  TestWorld server;
  std::unique_ptr<DeliveryBackend> backend;
  BackendTransport transport;
  MemoryLocalStorage storage;
  FakeConnectivity connectivity;
  ImmediateSignals signals;
  RecordingListener listener;
  CountingProbes phone_probes;
  SeededRandom phone_random;
};

// A position `metres_north` north of a fixed point in the city of make_delivery, at `time_ns`.
Location position_at(double metres_north, Nanos time_ns);

}  // namespace tracksim::model::testing
