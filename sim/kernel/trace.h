// The trace: one JSON object per step that matters, and a digest of all of them.
//
// Every observable step of a run (a fiber spawned or woken, a message sent or delivered, a store
// call and its reply, a fault injected) becomes one line such as
//   {"i":42,"t":1500000,"ev":"store.reply","fiber":3,"op":"update_one","matched":1}
// where "i" is the line's index and "t" the virtual time in nanoseconds. The digest is FNV-1a over
// the exact bytes of every line, so two runs agree on the digest exactly when they agree on every
// line. Lines can go to a stream (a trace file), to nowhere (digest only), or be skipped entirely
// for benchmarks; and the per-line hashes can be kept so that two runs can be compared to find the
// first line where they diverge without holding millions of lines in memory.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "model/time.h"

namespace tracksim::sim {

enum class TraceMode : unsigned char {
  kOff,     // no lines are built; digest stays at its initial value (benchmarks only)
  kDigest,  // lines are built and hashed, then dropped
};

class Trace {
 public:
  // Builds one line; the line is finished and counted when the builder goes out of scope.
  class Line {
   public:
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;
    ~Line();

    Line& field(std::string_view key, std::int64_t value);
    Line& field(std::string_view key, std::uint64_t value);
    Line& field(std::string_view key, int value) { return field(key, std::int64_t{value}); }
    Line& field(std::string_view key, double value);
    Line& field(std::string_view key, bool value);
    Line& field(std::string_view key, std::string_view value);
    Line& field(std::string_view key, const char* value) {
      return field(key, std::string_view(value));
    }
    Line& field(std::string_view key, const std::string& value) {
      return field(key, std::string_view(value));
    }

   private:
    friend class Trace;
    explicit Line(Trace* trace) : trace_(trace) {}
    Trace* trace_;  // null when tracing is off
  };

  explicit Trace(TraceMode mode = TraceMode::kDigest) : mode_(mode) {}

  Line event(Nanos time_ns, std::string_view kind);

  // Lines are also written to `out` (newline-terminated) while it is set.
  void set_output(std::ostream* out) { out_ = out; }
  void keep_line_hashes(bool keep) { keep_hashes_ = keep; }
  // Remembers the text of line `index` when it is written (for divergence reports).
  void capture_line(std::uint64_t index) { capture_index_ = index; }

  TraceMode mode() const { return mode_; }
  std::uint64_t digest() const { return digest_; }
  std::uint64_t line_count() const { return count_; }
  const std::vector<std::uint64_t>& line_hashes() const { return hashes_; }
  const std::string& captured_line() const { return captured_; }

 private:
  void finish_line();

  TraceMode mode_;
  std::string buffer_;
  std::uint64_t digest_ = 0xcbf29ce484222325ULL;
  std::uint64_t count_ = 0;
  std::ostream* out_ = nullptr;
  bool keep_hashes_ = false;
  std::vector<std::uint64_t> hashes_;
  std::uint64_t capture_index_ = UINT64_MAX;
  std::string captured_;
};

// Appends `text` to `out` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);
// Formats a digest the way runs print it: 16 lowercase hex digits.
std::string format_digest(std::uint64_t digest);

}  // namespace tracksim::sim
