// Wire names for statuses, the idempotency window, and the declared indexes.
#include "model/delivery_tracking.h"

#include <algorithm>
#include <array>

namespace tracksim::model {
namespace {

constexpr std::array<std::string_view, kDeliveryStatusCount> kStatusNames = {
    "pending",    "assigned",  "heading_to_pickup", "at_pickup", "picked_up", "heading_to_dropoff",
    "at_dropoff", "delivered", "cancelled",         "failed",
};

}  // namespace

std::string_view to_string(DeliveryStatus s) {
  return kStatusNames.at(static_cast<std::size_t>(s));
}

std::optional<DeliveryStatus> delivery_status_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<DeliveryStatus>(i);
  }
  return std::nullopt;
}

bool has_applied(const DeliveryTracking& doc, std::string_view operation_id) {
  if (operation_id.empty()) return false;
  if (doc.last_operation_id == operation_id) return true;
  const auto& ids = doc.recent_operation_ids;
  return std::find(ids.begin(), ids.end(), operation_id) != ids.end();
}

void record_applied(DeliveryTracking& doc, const std::string& operation_id) {
  doc.last_operation_id = operation_id;
  doc.recent_operation_ids.push_back(operation_id);
  if (doc.recent_operation_ids.size() > kRecentOperationWindow) {
    doc.recent_operation_ids.erase(doc.recent_operation_ids.begin());
  }
}

std::vector<IndexSpec> seed_schema_indexes() {
  return {
      IndexSpec{.fields = {"operationLock"}, .unique = false, .expire_after_seconds = 30},
      IndexSpec{.fields = {"version"}, .unique = false, .expire_after_seconds = std::nullopt},
      IndexSpec{.fields = {"deliveryPersonId", "status"},
                .unique = false,
                .expire_after_seconds = std::nullopt},
  };
}

std::vector<IndexSpec> safe_schema_indexes() {
  auto indexes = seed_schema_indexes();
  indexes.front().expire_after_seconds.reset();
  return indexes;
}

}  // namespace tracksim::model
