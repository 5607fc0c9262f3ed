// Names of the error classes, as they appear in traces, reports and scenario files.
#include "model/errors.h"

#include <array>

namespace tracksim::model {
namespace {

constexpr std::array<std::string_view, kErrorClassCount> kNames = {
    "None",           "ParallelSaveError", "VersionError",
    "NetworkTimeout", "InvalidTransition", "ServerError",
    "LockTimeout",    "DocumentNotFound",  "DuplicateKey",
    "PoolTimeout",    "ValidationError",
};

}  // namespace

std::string_view to_string(ErrorClass c) {
  return kNames.at(static_cast<std::size_t>(c));
}

std::optional<ErrorClass> error_class_from_string(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<ErrorClass>(i);
  }
  return std::nullopt;
}

}  // namespace tracksim::model
