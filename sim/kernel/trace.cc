// Trace lines: hand-built JSON (the hot path must not allocate per field) and FNV-1a digests.
#include "sim/kernel/trace.h"

#include <cassert>
#include <charconv>
#include <cstdio>

#include "sim/kernel/rng.h"

namespace tracksim::sim {
namespace {

void append_key(std::string& out, std::string_view key) {
  out += ',';
  out += '"';
  out += key;  // keys are identifiers chosen in code, never user text
  out += "\":";
}

template <class Int>
void append_int(std::string& out, Int value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  assert(ec == std::errc());
  out.append(digits, end);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string format_digest(std::uint64_t digest) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(digest));
  return text;
}

Trace::Line Trace::event(Nanos time_ns, std::string_view kind) {
  if (mode_ == TraceMode::kOff) return Line(nullptr);
  buffer_.clear();
  buffer_ += "{\"i\":";
  append_int(buffer_, count_);
  buffer_ += ",\"t\":";
  append_int(buffer_, time_ns);
  buffer_ += ",\"ev\":";
  append_json_string(buffer_, kind);
  return Line(this);
}

void Trace::finish_line() {
  buffer_ += '}';
  const std::uint64_t line_hash = fnv1a(buffer_);
  digest_ = fnv1a(buffer_, digest_);
  digest_ = fnv1a("\n", digest_);
  if (keep_hashes_) hashes_.push_back(line_hash);
  if (count_ == capture_index_) captured_ = buffer_;
  if (out_ != nullptr) {
    buffer_ += '\n';
    out_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  }
  ++count_;
}

Trace::Line::~Line() {
  if (trace_ != nullptr) trace_->finish_line();
}

Trace::Line& Trace::Line::field(std::string_view key, std::int64_t value) {
  if (trace_ == nullptr) return *this;
  append_key(trace_->buffer_, key);
  append_int(trace_->buffer_, value);
  return *this;
}

Trace::Line& Trace::Line::field(std::string_view key, std::uint64_t value) {
  if (trace_ == nullptr) return *this;
  append_key(trace_->buffer_, key);
  append_int(trace_->buffer_, value);
  return *this;
}

Trace::Line& Trace::Line::field(std::string_view key, double value) {
  if (trace_ == nullptr) return *this;
  append_key(trace_->buffer_, key);
  // Shortest round-trip form: exact, and the same text on every build.
  char digits[32];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  assert(ec == std::errc());
  trace_->buffer_.append(digits, end);
  return *this;
}

Trace::Line& Trace::Line::field(std::string_view key, bool value) {
  if (trace_ == nullptr) return *this;
  append_key(trace_->buffer_, key);
  trace_->buffer_ += value ? "true" : "false";
  return *this;
}

Trace::Line& Trace::Line::field(std::string_view key, std::string_view value) {
  if (trace_ == nullptr) return *this;
  append_key(trace_->buffer_, key);
  append_json_string(trace_->buffer_, value);
  return *this;
}

}  // namespace tracksim::sim
