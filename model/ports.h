// The ports through which the delivery-tracking model touches the world.
//
// The model depends on nothing else: not on the simulator, not on a database driver, not on a
// clock. tracksim implements these interfaces with simulated time, storage and networks; a
// production build would implement them with a MongoDB driver and a steady clock. A call that
// "blocks" (a store request, a sleep) suspends only the calling task; in the simulator that is a
// fiber waiting for a simulated reply.
//
// The DocumentStore speaks MongoDB's vocabulary, restricted to what the backend uses: find by id,
// atomic conditional single-document updates (findOneAndUpdate / updateOne with a filter), insert
// with unique indexes, and Mongoose's save() of a document instance with its parallel-save guard.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/delivery_tracking.h"
#include "model/errors.h"
#include "model/time.h"

namespace tracksim::model {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Nanos now() const = 0;
};

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Suspends the calling task for `duration_ns` of the clock's time.
  virtual void sleep_for(Nanos duration_ns) = 0;
};

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual std::uint64_t next_u64() = 0;
  // Uniform in [0, 1), from the top 53 bits.
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi], inclusive; lo <= hi.
  std::int64_t next_in(std::int64_t lo, std::int64_t hi);
};

// Which lock states a filter accepts.
struct LockCondition {
  enum class Kind : unsigned char {
    kAny,            // no condition on the lock
    kFree,           // operationLock is absent
    kFreeOrExpired,  // absent, or its lease ended at or before `now_ns`
    kHeldBy,         // held by `owner` and its lease ends after `now_ns`
  };
  Kind kind = Kind::kAny;
  Nanos now_ns = 0;  // the caller's clock, as MongoDB filters compare with a client-sent Date
  std::string owner;
};

// The filter of a conditional single-document write: by id, optionally by version and lock state.
struct Filter {
  std::string delivery_id;
  std::optional<std::int64_t> version;
  LockCondition lock;
};

// What a conditional write changes, applied atomically to the one matching document.
struct Update {
  enum class LockChange : unsigned char { kKeep, kSet, kClear };
  // $set of every field but _id, version and the lock fields, from this document.
  std::optional<DeliveryTracking> set_fields;
  LockChange lock_change = LockChange::kKeep;
  Nanos lock_until_ns = 0;  // with kSet
  std::string lock_owner;   // with kSet
  bool increment_version = false;
  // A tag recorded with the commit so histories can name the writer; not stored in the document.
  std::string operation_id;
};

// A Mongoose document instance: a client-side copy of a document with its own identity. Two code
// paths holding the same instance share its parallel-save guard.
struct DocumentInstance {
  std::uint64_t instance_id = 0;
  DeliveryTracking doc;
  // Whether save() checks and raises `version` (Mongoose's optimisticConcurrency).
  bool versioned = false;
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;

  virtual Result<std::optional<DeliveryTracking>> find_by_id(const std::string& delivery_id) = 0;

  // findOneAndUpdate(filter, update, {new: true}): the document after the update, or nullopt when
  // nothing matched the filter.
  virtual Result<std::optional<DeliveryTracking>> find_one_and_update(const Filter& filter,
                                                                      const Update& update) = 0;

  // updateOne(filter, update): the number of documents matched and modified, 0 or 1.
  virtual Result<std::int64_t> update_one(const Filter& filter, const Update& update) = 0;

  // insertOne: kDuplicateKey when a unique index already holds the key.
  virtual Status insert_one(const DeliveryTracking& doc) = 0;

  // Loads a new document instance with a fresh instance id; kDocumentNotFound when absent.
  virtual Result<DocumentInstance> load_instance(const std::string& delivery_id) = 0;

  // Mongoose's doc.save(): kParallelSaveError while an earlier save of the same instance is
  // pending (or its guard was left set by a failed validation); kVersionError for a versioned
  // instance whose stored version moved on. On success the instance holds the stored document.
  virtual Status save(DocumentInstance& instance) = 0;
};

}  // namespace tracksim::model

namespace tracksim::model {

// Counts rare paths by name ("lock.stolen_after_expiry"), so a run can report which ones it reached
// and a test can demand that a scenario reaches them.
class Probes {
 public:
  virtual ~Probes() = default;
  virtual void hit(std::string_view probe) = 0;
};

}  // namespace tracksim::model
