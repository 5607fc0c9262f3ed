// The timeline's data, derived from a history; see timeline.h.
#include "reports/timeline.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace tracksim::reports {
namespace {

double ms(Nanos t) {
  // Microsecond resolution is finer than any pixel of the timeline and keeps the page small.
  return static_cast<double>(t / kNanosPerMicro) / 1000.0;
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      // Compare the two runs of digits as numbers: fewer significant digits is smaller.
      std::size_t i_end = i, j_end = j;
      while (i_end < a.size() && digit(a[i_end]))
        ++i_end;
      while (j_end < b.size() && digit(b[j_end]))
        ++j_end;
      std::size_t i_lead = i, j_lead = j;
      while (i_lead + 1 < i_end && a[i_lead] == '0')
        ++i_lead;
      while (j_lead + 1 < j_end && b[j_lead] == '0')
        ++j_lead;
      const std::string_view x = a.substr(i_lead, i_end - i_lead);
      const std::string_view y = b.substr(j_lead, j_end - j_lead);
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      i = i_end;
      j = j_end;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
  return a < b;  // equal as numbers ("01" and "1"): any fixed order will do
}

Nanos history_end(const sim::History& history) {
  Nanos end = millis(1);
  for (const sim::OperationRecord& op : history.operations()) {
    end = std::max({end, op.invoke_ns, op.complete_ns});
  }
  for (const sim::CommitRecord& c : history.commits())
    end = std::max(end, c.time_ns);
  for (const sim::FaultRecord& f : history.faults())
    end = std::max(end, f.time_ns + f.duration_ns);
  for (const sim::DocumentEvent& e : history.document_events())
    end = std::max(end, e.time_ns);
  return end;
}

std::vector<LockLease> lock_leases(const sim::History& history, Nanos end_ns) {
  std::vector<LockLease> leases;
  // The open lease of each delivery, as an index into `leases`.
  std::map<std::string, std::size_t> open;
  auto close = [&](std::size_t i, Nanos at_ns) {
    LockLease& lease = leases[i];
    if (at_ns > lease.until_ns) {
      lease.end_ns = lease.until_ns;
      lease.ended = "expired";
    } else {
      lease.end_ns = at_ns;
    }
  };

  for (const sim::CommitRecord& c : history.commits()) {
    const bool lock_changed =
        c.lock_owner_before != c.lock_owner_after || c.lock_until_before != c.lock_until_after;
    if (!lock_changed) continue;
    if (auto it = open.find(c.delivery_id); it != open.end()) {
      leases[it->second].ended = c.lock_owner_after.empty() ? "released" : "replaced";
      close(it->second, c.time_ns);
      open.erase(it);
    }
    if (!c.lock_owner_after.empty() && c.lock_until_after) {
      open[c.delivery_id] = leases.size();
      leases.push_back(LockLease{.delivery_id = c.delivery_id,
                                 .owner = c.lock_owner_after,
                                 .start_ns = c.time_ns,
                                 .until_ns = *c.lock_until_after,
                                 .end_ns = *c.lock_until_after,
                                 .ended = "open"});
    }
  }
  for (const auto& [delivery, i] : open) {
    leases[i].ended = "open";
    close(i, end_ns);
  }
  return leases;
}

nlohmann::json timeline_data(const sim::History& history,
                             const std::vector<properties::PropertyResult>& results) {
  const Nanos end_ns = history_end(history);

  // Deliveries in name order; a delivery index is a position in this list.
  std::set<std::string> names;
  for (const auto& [id, doc] : history.initial_documents())
    names.insert(id);
  for (const sim::OperationRecord& op : history.operations())
    names.insert(op.delivery_id);
  for (const sim::CommitRecord& c : history.commits())
    names.insert(c.delivery_id);
  std::vector<std::string> deliveries(names.begin(), names.end());
  std::sort(deliveries.begin(), deliveries.end(), natural_less);
  std::map<std::string, std::size_t> positions;
  for (std::size_t i = 0; i < deliveries.size(); ++i)
    positions[deliveries[i]] = i;
  auto delivery_index = [&](const std::string& id) { return positions.at(id); };

  nlohmann::json ops = nlohmann::json::array();
  for (const sim::OperationRecord& op : history.operations()) {
    const bool done = op.outcome != sim::OpOutcome::kPending;
    ops.push_back(
        {op.index, delivery_index(op.delivery_id), std::string(model::to_string(op.kind)),
         ms(op.invoke_ns), done ? nlohmann::json(ms(op.complete_ns)) : nlohmann::json(nullptr),
         std::string(sim::to_string(op.outcome)),
         op.error_class == model::ErrorClass::kNone ? std::string()
                                                    : std::string(model::to_string(op.error_class)),
         op.client_attempts, op.server_attempts, op.operation_id, op.client,
         op.kind == model::OperationKind::kUpdateLocation
             ? std::string()
             : std::string(model::to_string(op.target_status)),
         op.message});
  }

  nlohmann::json commits = nlohmann::json::array();
  nlohmann::json transitions = nlohmann::json::array();
  for (const sim::CommitRecord& c : history.commits()) {
    commits.push_back({c.index, delivery_index(c.delivery_id), ms(c.time_ns),
                       std::string(sim::to_string(c.kind)), c.version_before, c.version_after,
                       c.operation_id, c.changed_fields});
    if (c.kind != sim::WriteKind::kInsert && c.status_before != c.status_after) {
      transitions.push_back({delivery_index(c.delivery_id), ms(c.time_ns),
                             std::string(model::to_string(c.status_before)),
                             std::string(model::to_string(c.status_after)), c.index});
    }
  }

  nlohmann::json leases = nlohmann::json::array();
  for (const LockLease& lease : lock_leases(history, end_ns)) {
    leases.push_back({delivery_index(lease.delivery_id), ms(lease.start_ns), ms(lease.end_ns),
                      ms(lease.until_ns), lease.owner, lease.ended});
  }

  nlohmann::json faults = nlohmann::json::array();
  for (const sim::FaultRecord& f : history.faults()) {
    faults.push_back({f.kind, f.target, ms(f.time_ns), ms(f.time_ns + f.duration_ns)});
  }

  nlohmann::json documents = nlohmann::json::array();
  for (const sim::DocumentEvent& e : history.document_events()) {
    documents.push_back(
        {delivery_index(e.delivery_id), ms(e.time_ns),
         e.kind == sim::DocumentEventKind::kInserted ? "inserted" : "deleted_by_ttl", e.detail});
  }

  // Which properties name each operation and commit as a witness.
  std::map<std::uint64_t, std::vector<std::string>> op_violations;
  std::map<std::uint64_t, std::vector<std::string>> commit_violations;
  for (const properties::PropertyResult& result : results) {
    for (const properties::Witness& w : result.witnesses) {
      for (std::uint64_t i : w.operations)
        op_violations[i].push_back(result.name);
      for (std::uint64_t i : w.commits)
        commit_violations[i].push_back(result.name);
    }
  }
  auto as_object = [](const std::map<std::uint64_t, std::vector<std::string>>& m) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [index, names] : m) {
      std::vector<std::string> unique = names;
      unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
      out[std::to_string(index)] = unique;
    }
    return out;
  };

  return {
      {"end_ms", ms(end_ns)},
      {"deliveries", deliveries},
      {"ops", ops},
      {"commits", commits},
      {"transitions", transitions},
      {"leases", leases},
      {"faults", faults},
      {"documents", documents},
      {"op_violations", as_object(op_violations)},
      {"commit_violations", as_object(commit_violations)},
  };
}

}  // namespace tracksim::reports
