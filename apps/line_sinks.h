//! The streams a run writes its trace lines to, while it runs.
//!
//! ProgressSink forwards the lines (to a trace file, or nowhere) and prints a progress line to
//! stderr on long runs; TraceComparer checks them against an existing trace file and remembers the
//! first line that differs, so a replay needs no second copy of the trace in memory. Both read the
//! wall clock only to decide when to print progress, which never reaches the run: the lines they
//! see are the same whether anyone watches or not.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace tracksim::cli {

// Prints "progress: LABEL: X of Y virtual s (P%), N trace lines, W wall s" to stderr, at most
// every few wall seconds and only once a run has lasted a few seconds.
class Progress {
 public:
  Progress(std::string label, double total_virtual_s, bool enabled);
  // Called with each trace line; cheap unless a line is due.
  void line(std::string_view text) {
    if (enabled_ && (++lines_ & 0xffff) == 0) maybe_print(text);
  }

 private:
  void maybe_print(std::string_view text);

  std::string label_;
  double total_virtual_s_;
  bool enabled_;
  std::uint64_t lines_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// A stream buffer that hands each complete line (without its newline) to on_line().
class LineSink : public std::streambuf {
 protected:
  virtual void on_line(std::string_view line) = 0;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int_type overflow(int_type c) override;

 private:
  std::string partial_;
};

// Forwards every line to `out` (when set) while feeding `progress`.
class ProgressSink final : public LineSink {
 public:
  ProgressSink(std::ostream* out, Progress& progress) : out_(out), progress_(progress) {}

 protected:
  void on_line(std::string_view line) override;

 private:
  std::ostream* out_;
  Progress& progress_;
};

// Compares the lines of a rerun with the event lines of a trace file.
class TraceComparer final : public LineSink {
 public:
  // `file` is positioned just after the header; the file holds `expected_lines` event lines.
  TraceComparer(std::ifstream& file, std::uint64_t expected_lines, Progress& progress);

  // Call once the run is over: a rerun that stopped short diverges at its last line.
  void finish();

  bool diverged() const { return divergent_line_.has_value(); }
  std::uint64_t divergent_line() const { return divergent_line_.value_or(0); }
  const std::string& expected() const { return expected_; }  // the file's line there
  const std::string& actual() const { return actual_; }      // the rerun's line there
  std::uint64_t lines_seen() const { return seen_; }

 protected:
  void on_line(std::string_view line) override;

 private:
  std::ifstream& file_;
  std::uint64_t expected_lines_;
  Progress& progress_;
  std::uint64_t seen_ = 0;
  std::optional<std::uint64_t> divergent_line_;
  std::string expected_;
  std::string actual_;
  std::string buffer_;
};

}  // namespace tracksim::cli
