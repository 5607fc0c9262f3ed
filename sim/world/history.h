// The recorded history of a run: what clients asked and were told, and what storage committed.
//
// Properties are functions of this record alone. Every client operation appears once with its
// invocation and completion (ok, fail with an error class, or unknown when the client gave up
// waiting), every storage write that changed a document appears as a commit with the version it
// produced, and lock, document and fault events are kept beside them. Records refer to each other
// by index so a violated property can name the operations and commits that break it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/api.h"
#include "model/delivery_tracking.h"
#include "model/errors.h"
#include "model/time.h"

namespace tracksim::sim {

enum class OpOutcome : unsigned char { kPending, kOk, kFail, kUnknown };
std::string_view to_string(OpOutcome o);

struct OperationRecord {
  std::uint64_t index = 0;
  std::string operation_id;
  std::string client;
  std::string delivery_id;
  model::OperationKind kind = model::OperationKind::kUpdateLocation;
  model::DeliveryStatus target_status = model::DeliveryStatus::kPending;
  std::vector<model::Location> locations;
  Nanos invoke_ns = 0;
  Nanos complete_ns = -1;
  OpOutcome outcome = OpOutcome::kPending;
  model::ErrorClass error_class = model::ErrorClass::kNone;
  std::string message;
  int client_attempts = 0;                   // requests the client sent for this operation
  int server_attempts = 0;                   // store attempts the server reported in its last reply
  std::optional<std::int64_t> version_seen;  // the version in the successful reply
};

enum class WriteKind : unsigned char { kUpdateOne, kFindOneAndUpdate, kInstanceSave, kInsert };
std::string_view to_string(WriteKind k);

// A write that changed a stored document.
struct CommitRecord {
  std::uint64_t index = 0;
  Nanos time_ns = 0;
  std::string delivery_id;
  WriteKind kind = WriteKind::kUpdateOne;
  std::string operation_id;  // the writer's tag (lock owner), or the document's lastOperationId
  std::int64_t version_before = 0;
  std::int64_t version_after = 0;
  bool version_checked = false;  // the write's filter named the version it expected
  bool changed_fields = false;   // not just the lock
  model::DeliveryStatus status_before = model::DeliveryStatus::kPending;
  model::DeliveryStatus status_after = model::DeliveryStatus::kPending;
  std::optional<model::Location> location_after;
  std::size_t status_history_size_after = 0;
  std::vector<std::string> operations_applied;  // ids added to the recent-operations window
  // The lock as it stood just before the write, and after it.
  std::string lock_owner_before;
  std::optional<Nanos> lock_until_before;
  std::string lock_owner_after;
  std::optional<Nanos> lock_until_after;
};

enum class DocumentEventKind : unsigned char { kInserted, kDeletedByTtl };
struct DocumentEvent {
  Nanos time_ns = 0;
  std::string delivery_id;
  DocumentEventKind kind = DocumentEventKind::kInserted;
  std::string detail;
};

struct FaultRecord {
  Nanos time_ns = 0;
  std::string kind;    // "server_error", "reply_lost", "partition", ...
  std::string target;  // what it hit
  Nanos duration_ns = 0;
};

// One request as the server handled it. A client's resend, or a message the network duplicated,
// is another request under the same operation id; a request lost on its way never appears.
struct ServerRequestRecord {
  std::uint64_t index = 0;
  std::string operation_id;
  std::string client;
  std::string delivery_id;
  model::OperationKind kind = model::OperationKind::kUpdateLocation;
  Nanos start_ns = 0;
  Nanos end_ns = 0;
  model::ErrorClass error_class = model::ErrorClass::kNone;  // kNone: success
  int attempts = 0;                                          // store attempts the server reported
};

// One call the backend made to storage, as its store client saw it: when it was sent and
// answered, and what came back. Lock acquisitions carry the owner they asked for.
enum class StoreCallKind : unsigned char {
  kFindById,
  kLockAcquire,       // findOneAndUpdate setting operationLock
  kConditionalWrite,  // any other findOneAndUpdate or updateOne (commits, releases)
  kInsert,
  kLoadInstance,
  kSave,
};
struct StoreCallRecord {
  std::uint64_t index = 0;
  StoreCallKind kind = StoreCallKind::kFindById;
  std::string delivery_id;
  std::string operation_id;  // the writer's tag or the lock owner asked for; "" for reads
  std::uint64_t fiber = 0;   // the calling fiber's logical id: one handler's calls share it
  Nanos sent_ns = 0;
  Nanos answered_ns = 0;
  bool matched = false;  // a conditional write's filter matched (ok calls only)
  model::ErrorClass error_class = model::ErrorClass::kNone;
};

// One room event as one subscriber received it, in the order it arrived at that subscriber.
// Whoever runs subscribers (the socket hub's simulated clients) records these; a run without
// subscribers has none, and the subscriber properties then hold vacuously.
struct SubscriberReceipt {
  std::uint64_t index = 0;
  Nanos time_ns = 0;
  std::string subscriber;  // who received it ("customer/delivery-1", ...)
  std::string delivery_id;
  model::RoomEvent::Kind kind = model::RoomEvent::Kind::kLocation;
  std::string operation_id;
  std::int64_t version = 0;
  model::DeliveryStatus status = model::DeliveryStatus::kPending;
  std::optional<model::Location> location;  // the newest position the event carried
  // The room's message number the event came in, and whether it came in a resync (the state a
  // joining subscriber is given); a resync event is recorded only when it told the subscriber
  // something newer than it had, so it never repeats a receipt.
  std::uint64_t sequence = 0;
  bool resync = false;
};

// A position a driver's app queued for sending, and what became of it: the operation (batch)
// that carried it, or why it was dropped. A position the app never queued (it barely moved)
// has no record.
struct QueuedPositionRecord {
  std::uint64_t index = 0;
  Nanos queued_ns = 0;
  std::string update_id;  // unique per position, across app restarts
  std::string client;
  std::string delivery_id;
  model::Location location;
  bool high_priority = false;
  std::string operation_id;  // the batch that carried it; "" while never sent
  std::string dropped;       // "overflow" or "rejected" when given up; "" otherwise
};

// A subscriber still joined to a delivery's room, and connected, when the run ended: it must
// have heard that delivery's final state.
struct SubscriptionAtEnd {
  std::string subscriber;
  std::string delivery_id;
};

class History {
 public:
  // Operations, from the client's side.
  std::uint64_t invoke(OperationRecord op);
  OperationRecord& operation(std::uint64_t index) { return operations_.at(index); }
  void complete(std::uint64_t index, Nanos time_ns, OpOutcome outcome, model::ErrorClass error,
                std::string message);

  void add_commit(CommitRecord commit);
  void add_document_event(DocumentEvent event) { document_events_.push_back(std::move(event)); }
  void add_fault(FaultRecord fault) { faults_.push_back(std::move(fault)); }
  void add_server_request(ServerRequestRecord request) {
    request.index = server_requests_.size();
    server_requests_.push_back(std::move(request));
  }
  void add_store_call(StoreCallRecord call) {
    call.index = store_calls_.size();
    store_calls_.push_back(std::move(call));
  }
  void add_receipt(SubscriberReceipt receipt) {
    receipt.index = receipts_.size();
    receipts_.push_back(std::move(receipt));
  }
  std::uint64_t add_queued_position(QueuedPositionRecord p) {
    p.index = queued_positions_.size();
    queued_positions_.push_back(std::move(p));
    return queued_positions_.back().index;
  }
  QueuedPositionRecord& queued_position(std::uint64_t index) { return queued_positions_.at(index); }
  const std::vector<QueuedPositionRecord>& queued_positions() const { return queued_positions_; }
  void add_subscription_at_end(SubscriptionAtEnd s) {
    subscriptions_at_end_.push_back(std::move(s));
  }
  void set_final_documents(std::map<std::string, model::DeliveryTracking> docs) {
    final_documents_ = std::move(docs);
  }
  void set_initial_documents(std::map<std::string, model::DeliveryTracking> docs) {
    initial_documents_ = std::move(docs);
  }

  const std::vector<OperationRecord>& operations() const { return operations_; }
  const std::vector<CommitRecord>& commits() const { return commits_; }
  const std::vector<DocumentEvent>& document_events() const { return document_events_; }
  const std::vector<FaultRecord>& faults() const { return faults_; }
  const std::vector<ServerRequestRecord>& server_requests() const { return server_requests_; }
  const std::vector<StoreCallRecord>& store_calls() const { return store_calls_; }
  const std::vector<SubscriberReceipt>& receipts() const { return receipts_; }
  const std::vector<SubscriptionAtEnd>& subscriptions_at_end() const {
    return subscriptions_at_end_;
  }
  const std::map<std::string, model::DeliveryTracking>& initial_documents() const {
    return initial_documents_;
  }
  const std::map<std::string, model::DeliveryTracking>& final_documents() const {
    return final_documents_;
  }

 private:
  std::vector<OperationRecord> operations_;
  std::vector<CommitRecord> commits_;
  std::vector<DocumentEvent> document_events_;
  std::vector<FaultRecord> faults_;
  std::vector<ServerRequestRecord> server_requests_;
  std::vector<StoreCallRecord> store_calls_;
  std::vector<SubscriberReceipt> receipts_;
  std::vector<SubscriptionAtEnd> subscriptions_at_end_;
  std::vector<QueuedPositionRecord> queued_positions_;
  std::map<std::string, model::DeliveryTracking> initial_documents_;
  std::map<std::string, model::DeliveryTracking> final_documents_;
};

}  // namespace tracksim::sim
