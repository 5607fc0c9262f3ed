// The legacy backend: the delivery-tracking server as it was before the fix, for before/after runs.
//
// What it does, faithfully to the pattern that produced ParallelSaveError:
//   - each delivery's document is loaded once as a Mongoose document instance and cached; every
//     handler for that delivery, location and status alike, modifies and save()s that one shared
//     instance, so a handler that saves while another handler's save is pending meets Mongoose's
//     ParallelSaveError;
//   - updateLocation overwrites the current position whatever its device time;
//   - status changes are validated against the cached instance's status, which can be stale;
//   - post-save middleware triggers more work that saves the same instance again: after a
//     position is saved inside a geofence, the automatic status change (at_pickup / at_dropoff)
//     is applied and saved; after a terminal status is saved, the completion timestamp is set
//     and saved. Each second save widens the window in which a concurrent handler collides;
//   - no operation lock, no version-checked commit, no retries, no operation-id idempotency. A
//     failed save leaves its change in the shared instance, where the next successful save of
//     any handler writes it.
// Operation ids still go into history entries and lastOperationId / the recent window, for
// attribution in histories only; nothing reads them. So a change that failed with
// ParallelSaveError but stayed in the shared instance shows up, with its operation id, in the
// next successful save of any handler: an operation reported failed that was applied anyway. Room
// events are published after successful saves; failures are not broadcast (the fix added that).
//
// Left out: the legacy code's own logging and its HTTP layer.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/api.h"
#include "model/backend.h"
#include "model/ports.h"

namespace tracksim::model {

class LegacyBackend final : public DeliveryBackend {
 public:
  // REQUIRES: as make_backend; config.mutants is empty.
  LegacyBackend(const BackendConfig& config, const BackendPorts& ports);

  ApiResponse handle(const ApiRequest& request) override;

  // How many document instances the cache holds (one per delivery touched).
  std::size_t cached_instances() const { return instances_.size(); }

 private:
  ApiResponse dispatch(const ApiRequest& request);
  // The shared instance of `delivery_id`, loading it on first use.
  Result<DocumentInstance*> instance_for(const std::string& delivery_id);
  Status save(DocumentInstance& instance);
  // Post-save middleware: work that a successful save triggers, which saves again.
  Status after_save(DocumentInstance& instance, const std::string& operation_id,
                    std::optional<DeliveryStatus>& automatic_status);
  void publish(const ApiRequest& request, const std::string& operation_id,
               const DeliveryTracking& doc, std::optional<DeliveryStatus> automatic_status);

  BackendConfig config_;
  BackendPorts ports_;
  // One instance per delivery, shared by every handler. Ordered by id, never by address.
  std::map<std::string, std::unique_ptr<DocumentInstance>> instances_;
  // Instances dropped from the cache stay alive: a concurrent handler may still be saving one.
  std::vector<std::unique_ptr<DocumentInstance>> retired_;
};

}  // namespace tracksim::model
