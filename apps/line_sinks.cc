// Progress lines and trace line sinks; see line_sinks.h.
#include "apps/line_sinks.h"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace tracksim::cli {

// --- Progress ------------------------------------------------------------------------------------

namespace {
constexpr auto kFirstProgressAfter = std::chrono::seconds(5);
constexpr auto kProgressEvery = std::chrono::seconds(10);
}  // namespace

Progress::Progress(std::string label, double total_virtual_s, bool enabled)
    : label_(std::move(label)),
      total_virtual_s_(total_virtual_s),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void Progress::maybe_print(std::string_view text) {
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < kFirstProgressAfter) return;
  if (last_print_ != start_ && now - last_print_ < kProgressEvery) return;
  last_print_ = now;

  // Every trace line starts {"i":N,"t":T,...} with T in virtual nanoseconds.
  std::int64_t t_ns = 0;
  const auto at = text.find("\"t\":");
  if (at != std::string_view::npos) {
    std::from_chars(text.data() + at + 4, text.data() + text.size(), t_ns);
  }
  const double virtual_s = static_cast<double>(t_ns) / 1e9;
  const double wall_s = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr,
               "progress: %s: %.0f of %.0f virtual s (%.0f%%), %llu trace lines, %.0f wall s\n",
               label_.c_str(), virtual_s, total_virtual_s_,
               total_virtual_s_ > 0 ? 100.0 * virtual_s / total_virtual_s_ : 0.0,
               static_cast<unsigned long long>(lines_), wall_s);
  std::fflush(stderr);
}

// --- Line sinks ----------------------------------------------------------------------------------

std::streamsize LineSink::xsputn(const char* s, std::streamsize n) {
  const char* p = s;
  const char* end = s + n;
  while (p < end) {
    const char* newline =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (newline == nullptr) {
      partial_.append(p, end);
      break;
    }
    if (partial_.empty()) {
      on_line(std::string_view(p, static_cast<std::size_t>(newline - p)));
    } else {
      partial_.append(p, newline);
      on_line(partial_);
      partial_.clear();
    }
    p = newline + 1;
  }
  return n;
}

LineSink::int_type LineSink::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  xsputn(&ch, 1);
  return c;
}

void ProgressSink::on_line(std::string_view line) {
  progress_.line(line);
  if (out_ == nullptr) return;
  out_->write(line.data(), static_cast<std::streamsize>(line.size()));
  out_->put('\n');
}

TraceComparer::TraceComparer(std::ifstream& file, std::uint64_t expected_lines, Progress& progress)
    : file_(file), expected_lines_(expected_lines), progress_(progress) {}

void TraceComparer::on_line(std::string_view line) {
  progress_.line(line);
  const std::uint64_t index = seen_++;
  if (diverged()) return;
  if (index >= expected_lines_) {
    divergent_line_ = index;
    expected_ = "(the trace ends before this line)";
    actual_ = line;
    return;
  }
  if (!std::getline(file_, buffer_)) buffer_ = "(the trace file ends here)";
  if (buffer_ != line) {
    divergent_line_ = index;
    expected_ = buffer_;
    actual_ = line;
  }
}

void TraceComparer::finish() {
  if (diverged() || seen_ >= expected_lines_) return;
  divergent_line_ = seen_;
  if (!std::getline(file_, expected_)) expected_ = "(the trace file ends here)";
  actual_ = "(the rerun ended before this line)";
}

}  // namespace tracksim::cli
