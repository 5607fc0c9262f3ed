// Model-based command tests of the fixed backend's atomic update on the in-memory document store,
// against a reference model small enough to be obviously right.
//
// Each command is one request (a status change, completing, a position, a resend of an earlier
// request) on one of two deliveries or a missing one, under one store fault plan (none, a lost
// reply of the first acquisition or commit, a failed first call, every call failing). The
// reference model says what the answer must be and what the stored document must look like
// afterwards: status, version, position, history length, and no lock left behind. RapidCheck
// generates command sequences and shrinks a failing one to the shortest it can find.
//
// The same commands run against planted bugs must fail: a model-based test that cannot tell a
// broken atomic update from a good one would prove nothing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>
#include <memory>
#include <set>

#include "model/backend.h"
#include "model/delivery_service.h"
#include "model/status_machine.h"
#include "model/testing/in_memory_store.h"
#include "properties/rc_quiet.h"

namespace tracksim::properties {
namespace {

using model::ApiRequest;
using model::ApiResponse;
using model::DeliveryStatus;
using model::ErrorClass;
using model::OperationKind;
namespace mt = model::testing;

const std::vector<std::string> kDeliveries = {"d1", "d2"};
const std::string kMissing = "d-missing";

enum class FaultPlan : unsigned char {
  kNone,
  kAcquireReplyLost,  // the first lock acquisition is applied, its reply lost
  kCommitReplyLost,   // the first updateOne (a commit or a release) is applied, its reply lost
  kFirstCallFails,    // the first store call fails before applying
  kEveryCallFails,    // storage is down for the whole request
};

const char* to_string(FaultPlan f) {
  switch (f) {
    case FaultPlan::kNone:
      return "no fault";
    case FaultPlan::kAcquireReplyLost:
      return "acquire reply lost";
    case FaultPlan::kCommitReplyLost:
      return "updateOne reply lost";
    case FaultPlan::kFirstCallFails:
      return "first call fails";
    case FaultPlan::kEveryCallFails:
      return "every call fails";
  }
  return "?";
}

enum class Place : unsigned char { kElsewhere, kPickup, kDropoff };

// What the reference model knows of one delivery.
struct Reference {
  DeliveryStatus status = DeliveryStatus::kAssigned;
  std::int64_t version = 0;
  std::optional<Nanos> position_ns;  // device time of the current position
  std::size_t history = 1;
  std::set<std::string> applied;
};

struct Model {
  std::map<std::string, Reference> docs;
  std::vector<ApiRequest> sent;  // every request so far, for resends
  int next_operation = 0;
};

// The system under test: the fixed backend (or a mutant) on the in-memory ports.
struct Sut {
  explicit Sut(std::vector<std::string> mutants = {}) {
    for (const std::string& id : kDeliveries)
      world.store.put(mt::make_delivery(id, world.clock.now()));
    model::BackendConfig config;
    config.mutants = std::move(mutants);
    backend = model::make_backend(config, world.ports());
  }
  mt::TestWorld world;
  std::unique_ptr<model::DeliveryBackend> backend;
};

model::Location place(const std::string& delivery, Place p, Nanos device_time_ns) {
  const model::DeliveryTracking doc = mt::make_delivery(delivery, 0);
  const model::GeoPoint at = p == Place::kPickup    ? doc.pickup
                             : p == Place::kDropoff ? doc.dropoff
                                                    : model::GeoPoint{38.70, -9.20};
  return model::Location{
      .lat = at.lat, .lng = at.lng, .accuracy_m = 5, .device_time_ns = device_time_ns};
}

Place place_of(const std::string& delivery, const model::Location& l) {
  const model::DeliveryTracking doc = mt::make_delivery(delivery, 0);
  if (l.lat == doc.pickup.lat && l.lng == doc.pickup.lng) return Place::kPickup;
  if (l.lat == doc.dropoff.lat && l.lng == doc.dropoff.lng) return Place::kDropoff;
  return Place::kElsewhere;
}

// The reference's verdict on one request.
struct Expected {
  bool success = false;
  ErrorClass error_class = ErrorClass::kNone;
  std::string_view message;  // checked on success
};

Expected predict(Reference& ref, const ApiRequest& r) {
  if (ref.applied.count(r.operation_id) != 0) {
    return {true, ErrorClass::kNone, model::kMessageAlreadyApplied};
  }
  if (r.kind == OperationKind::kUpdateLocation) {
    const model::Location& l = r.locations.back();
    if (ref.position_ns && l.device_time_ns < *ref.position_ns) {
      return {true, ErrorClass::kNone, model::kMessageStaleLocation};
    }
    ref.position_ns = l.device_time_ns;
    const Place p = place_of(r.delivery_id, l);
    if (ref.status == DeliveryStatus::kHeadingToPickup && p == Place::kPickup) {
      ref.status = DeliveryStatus::kAtPickup;
      ++ref.history;
    } else if (ref.status == DeliveryStatus::kHeadingToDropoff && p == Place::kDropoff) {
      ref.status = DeliveryStatus::kAtDropoff;
      ++ref.history;
    }
    ++ref.version;
    ref.applied.insert(r.operation_id);
    return {true, ErrorClass::kNone, model::kMessageLocationUpdated};
  }
  const DeliveryStatus to =
      r.kind == OperationKind::kCompleteDelivery ? DeliveryStatus::kDelivered : r.status;
  if (!model::is_allowed_transition(ref.status, to)) {
    return {false, ErrorClass::kInvalidTransition, ""};
  }
  ref.status = to;
  ++ref.history;
  ++ref.version;
  ref.applied.insert(r.operation_id);
  return {true, ErrorClass::kNone,
          r.kind == OperationKind::kCompleteDelivery ? model::kMessageDeliveryCompleted
                                                     : model::kMessageStatusUpdated};
}

// Installs `plan` on the store for the next request.
void install(Sut& sut, FaultPlan plan) {
  auto first = std::make_shared<bool>(true);
  sut.world.store.faults = [plan, first](mt::StoreCall call,
                                         const std::string&) -> std::optional<mt::InjectedFault> {
    switch (plan) {
      case FaultPlan::kNone:
        return std::nullopt;
      case FaultPlan::kEveryCallFails:
        return mt::InjectedFault{.error_class = ErrorClass::kServerError, .after_apply = false};
      case FaultPlan::kFirstCallFails:
        if (!std::exchange(*first, false)) return std::nullopt;
        return mt::InjectedFault{.error_class = ErrorClass::kServerError, .after_apply = false};
      case FaultPlan::kAcquireReplyLost:
        if (call != mt::StoreCall::kFindOneAndUpdate || !std::exchange(*first, false)) break;
        return mt::InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
      case FaultPlan::kCommitReplyLost:
        if (call != mt::StoreCall::kUpdateOne || !std::exchange(*first, false)) break;
        return mt::InjectedFault{.error_class = ErrorClass::kNetworkTimeout, .after_apply = true};
    }
    return std::nullopt;
  };
}

void show_request(std::ostream& os, const ApiRequest& r) {
  os << r.operation_id << ": " << model::to_string(r.kind) << " " << r.delivery_id;
  if (r.kind == OperationKind::kUpdateStatus) os << " to " << model::to_string(r.status);
  for (const model::Location& l : r.locations) {
    os << " at " << to_seconds(l.device_time_ns) << " s ("
       << (place_of(r.delivery_id, l) == Place::kPickup    ? "pickup"
           : place_of(r.delivery_id, l) == Place::kDropoff ? "dropoff"
                                                           : "elsewhere")
       << ")";
  }
}

// One request under one fault plan; the subclasses only choose the request.
struct RequestCommand : rc::state::Command<Model, Sut> {
  ApiRequest request;
  FaultPlan plan = FaultPlan::kNone;

  void draw_plan() {
    plan = *rc::gen::weightedElement<FaultPlan>({{6, FaultPlan::kNone},
                                                 {1, FaultPlan::kAcquireReplyLost},
                                                 {1, FaultPlan::kCommitReplyLost},
                                                 {1, FaultPlan::kFirstCallFails},
                                                 {1, FaultPlan::kEveryCallFails}});
  }

  void apply(Model& m) const override {
    m.sent.push_back(request);
    ++m.next_operation;
    if (plan == FaultPlan::kEveryCallFails) return;
    auto it = m.docs.find(request.delivery_id);
    if (it != m.docs.end()) predict(it->second, request);
  }

  void run(const Model& m, Sut& sut) const override {
    // The prediction, on a copy of the reference as it stood before this command.
    Expected expected{false, ErrorClass::kDocumentNotFound, ""};
    Reference after;
    auto it = m.docs.find(request.delivery_id);
    if (plan == FaultPlan::kEveryCallFails) {
      expected = {false, ErrorClass::kServerError, ""};
      if (it != m.docs.end()) after = it->second;
    } else if (it != m.docs.end()) {
      after = it->second;
      expected = predict(after, request);
    }

    // A commit whose reply was lost is found applied by the handler's own retry, which answers
    // as for a duplicate.
    const bool writes = expected.message == model::kMessageLocationUpdated ||
                        expected.message == model::kMessageStatusUpdated ||
                        expected.message == model::kMessageDeliveryCompleted;
    if (plan == FaultPlan::kCommitReplyLost && writes) {
      expected.message = model::kMessageAlreadyApplied;
    }

    install(sut, plan);
    sut.world.clock.advance(millis(10));
    const ApiResponse got = sut.backend->handle(request);
    sut.world.store.faults = nullptr;

    RC_ASSERT(got.success == expected.success);
    RC_ASSERT(got.error_class == expected.error_class);
    if (expected.success) RC_ASSERT(got.message == std::string(expected.message));
    if (it == m.docs.end()) return;
    const auto stored = sut.world.store.peek(request.delivery_id);
    RC_ASSERT(stored.has_value());
    RC_ASSERT(stored->status == after.status);
    RC_ASSERT(stored->version == after.version);
    RC_ASSERT(stored->status_history.size() == after.history);
    RC_ASSERT(stored->current_location.has_value() == after.position_ns.has_value());
    if (after.position_ns)
      RC_ASSERT(stored->current_location->device_time_ns == *after.position_ns);
    // Whatever happened, the request leaves no lock behind.
    RC_ASSERT(!stored->operation_lock_ns.has_value());
  }

  void show(std::ostream& os) const override {
    show_request(os, request);
    os << " [" << to_string(plan) << "]";
  }
};

std::string pick_delivery() {
  return *rc::gen::weightedElement<std::string>(
      {{4, kDeliveries[0]}, {4, kDeliveries[1]}, {1, kMissing}});
}

struct ChangeStatus : RequestCommand {
  explicit ChangeStatus(const Model& m) {
    request.kind = OperationKind::kUpdateStatus;
    request.delivery_id = pick_delivery();
    request.operation_id = "op-" + std::to_string(m.next_operation);
    request.status = static_cast<DeliveryStatus>(*rc::gen::inRange(0, model::kDeliveryStatusCount));
    draw_plan();
  }
};

struct CompleteDelivery : RequestCommand {
  explicit CompleteDelivery(const Model& m) {
    request.kind = OperationKind::kCompleteDelivery;
    request.delivery_id = pick_delivery();
    request.operation_id = "op-" + std::to_string(m.next_operation);
    request.status = DeliveryStatus::kDelivered;
    draw_plan();
  }
};

struct SendPosition : RequestCommand {
  explicit SendPosition(const Model& m) {
    request.kind = OperationKind::kUpdateLocation;
    request.delivery_id = pick_delivery();
    request.operation_id = "op-" + std::to_string(m.next_operation);
    const Place p = *rc::gen::element(Place::kElsewhere, Place::kPickup, Place::kDropoff);
    request.locations.push_back(place(request.delivery_id, p, seconds(*rc::gen::inRange(0, 60))));
    draw_plan();
  }
};

struct Resend : RequestCommand {
  explicit Resend(const Model& m) {
    RC_PRE(!m.sent.empty());
    request = *rc::gen::elementOf(m.sent);
    draw_plan();
  }
};

void check_backend(const std::vector<std::string>& mutants) {
  Model initial;
  for (const std::string& id : kDeliveries)
    initial.docs[id] = Reference{};
  Sut sut(mutants);
  RC_ASSERT(sut.backend != nullptr);
  rc::state::check(initial, sut,
                   rc::state::gen::execOneOfWithArgs<ChangeStatus, CompleteDelivery, SendPosition,
                                                     SendPosition, Resend>());
}

RC_GTEST_PROP(AtomicUpdateModel, FixedBackendMatchesTheReference, ()) {
  check_backend({});
}

// A planted bug must make the same property fail; RapidCheck runs quietly here, and the test
// only asks whether it found a counterexample within its usual number of cases.
bool model_test_fails(const std::vector<std::string>& mutants) {
  return fails_quietly(
      "AtomicUpdateModel/planted", [mutants] { check_backend(mutants); }, /*shrink=*/false);
}

TEST(AtomicUpdateModel, CatchesPlantedBugsVisibleOneRequestAtATime) {
  // The control: the same quiet run finds nothing in the fixed code.
  EXPECT_FALSE(model_test_fails({}));
  for (const char* mutant : {"accept_stale_location", "auto_transition_skips_validation",
                             "retry_not_idempotent_after_timeout", "lock_not_released_on_error"}) {
    EXPECT_TRUE(model_test_fails({mutant})) << mutant;
  }
}

}  // namespace
}  // namespace tracksim::properties
