// The error classes of the delivery-tracking backend, and the value that carries them.
//
// Faults the system must handle (a version conflict, a timeout) travel as values of Result<T>,
// never as exceptions: the caller decides what to do by class. An exception in model code means a
// broken invariant of the code itself. The class names are the ones the backend reports to its
// clients, so histories, monitoring and reports all speak of the same ten things.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tracksim::model {

enum class ErrorClass : unsigned char {
  kNone = 0,
  // Mongoose: save() on a document instance while an earlier save() of it is pending.
  kParallelSaveError,
  // A versioned write found that the stored version had moved on.
  kVersionError,
  // No reply in time: the request may or may not have been applied.
  kNetworkTimeout,
  // The requested status change is not allowed from the current status.
  kInvalidTransition,
  // The database or server answered with an error (failover, crash, internal error).
  kServerError,
  // The operation lock stayed held by someone else for longer than the caller would wait.
  kLockTimeout,
  kDocumentNotFound,
  // A unique index rejected an insert or upsert.
  kDuplicateKey,
  // The driver's connection pool had no free connection within its wait-queue timeout.
  kPoolTimeout,
  // A validator rejected the document before it was written.
  kValidationError,
};

inline constexpr int kErrorClassCount = 11;

std::string_view to_string(ErrorClass c);
// Parses the names produced by to_string; nullopt for anything else.
std::optional<ErrorClass> error_class_from_string(std::string_view name);

// An error with its class and a human-readable message.
struct Error {
  ErrorClass error_class = ErrorClass::kNone;
  std::string message;
};

// Either a value or an Error. Deliberately small: ok(), error(), value(), and nothing clever.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : error_(std::move(error)) {
    assert(error_.error_class != ErrorClass::kNone);
  }

  bool ok() const { return value_.has_value(); }
  const Error& error() const { return error_; }
  ErrorClass error_class() const { return error_.error_class; }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
  Error error_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() {
  return Status(Unit{});
}

}  // namespace tracksim::model
