// Wire names of the operation kinds.
#include "model/api.h"

#include <array>

namespace tracksim::model {
namespace {

constexpr std::array<std::string_view, kOperationKindCount> kKindNames = {
    "updateStatus",
    "updateLocation",
    "completeDelivery",
};

}  // namespace

std::string_view to_string(OperationKind k) {
  return kKindNames.at(static_cast<std::size_t>(k));
}

std::optional<OperationKind> operation_kind_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<OperationKind>(i);
  }
  return std::nullopt;
}

}  // namespace tracksim::model
