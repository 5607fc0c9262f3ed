// Percent-escaped fields and exact numbers; see client_record.h.
#include "model/client_record.h"

#include <charconv>
#include <cmath>

namespace tracksim::model {
namespace {

bool needs_escape(char c) {
  return c == '%' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0';
}

void append_escaped(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // An empty text still needs a field of its own.
  if (value.empty()) {
    out += "%-";
    return;
  }
  for (char c : value) {
    if (!needs_escape(c)) {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> unescape(std::string_view field) {
  if (field == "%-") return std::string();
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '%') {
      out += field[i];
      continue;
    }
    if (i + 2 >= field.size()) return std::nullopt;
    const int high = hex_value(field[i + 1]);
    const int low = hex_value(field[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace

RecordWriter::RecordWriter(std::string_view name) {
  append_escaped(line_, name);
}

RecordWriter& RecordWriter::text(std::string_view value) {
  line_ += ' ';
  append_escaped(line_, value);
  return *this;
}

RecordWriter& RecordWriter::integer(std::int64_t value) {
  line_ += ' ';
  line_ += std::to_string(value);
  return *this;
}

RecordWriter& RecordWriter::number(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  line_ += ' ';
  line_.append(buffer, result.ptr);
  return *this;
}

RecordWriter& RecordWriter::location(const Location& value) {
  return number(value.lat).number(value.lng).number(value.accuracy_m).integer(value.device_time_ns);
}

RecordReader::RecordReader(std::string_view line) {
  std::size_t start = 0;
  while (start <= line.size()) {
    const std::size_t end = std::min(line.find(' ', start), line.size());
    fields_.emplace_back(line.substr(start, end - start));
    start = end + 1;
  }
  if (fields_.empty() || fields_.front().empty()) {
    failed_ = true;
    return;
  }
  auto name = unescape(fields_.front());
  if (!name) {
    failed_ = true;
    return;
  }
  name_ = std::move(*name);
  next_ = 1;
}

bool RecordReader::text(std::string& out) {
  if (failed_ || next_ >= fields_.size()) return !(failed_ = true);
  auto value = unescape(fields_[next_]);
  if (!value) return !(failed_ = true);
  out = std::move(*value);
  ++next_;
  return true;
}

bool RecordReader::integer(std::int64_t& out) {
  if (failed_ || next_ >= fields_.size()) return !(failed_ = true);
  const std::string& field = fields_[next_];
  const auto result = std::from_chars(field.data(), field.data() + field.size(), out);
  if (result.ec != std::errc() || result.ptr != field.data() + field.size()) {
    return !(failed_ = true);
  }
  ++next_;
  return true;
}

bool RecordReader::number(double& out) {
  if (failed_ || next_ >= fields_.size()) return !(failed_ = true);
  const std::string& field = fields_[next_];
  const auto result = std::from_chars(field.data(), field.data() + field.size(), out);
  if (result.ec != std::errc() || result.ptr != field.data() + field.size() ||
      !std::isfinite(out)) {
    return !(failed_ = true);
  }
  ++next_;
  return true;
}

bool RecordReader::location(Location& out) {
  return number(out.lat) && number(out.lng) && number(out.accuracy_m) &&
         integer(out.device_time_ns);
}

std::vector<std::string_view> record_lines(std::string_view value) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < value.size()) {
    std::size_t end = value.find('\n', start);
    if (end == std::string_view::npos) end = value.size();
    if (end > start) lines.push_back(value.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace tracksim::model
