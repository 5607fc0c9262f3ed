// The text format in which the phone's services keep their state in LocalStorage.
//
// A stored value is lines; a line is one record of space-separated fields, its first field the
// record's name. Text fields are percent-escaped, so no field holds a space, a line break or a
// percent sign of its own. Numbers are written so they read back exactly: integers in decimal,
// doubles in their shortest round-trip form. A reader that meets anything else says so instead of
// guessing, so a damaged value is noticed and never half-loaded.
//
// Left out: versions of the format beyond the first (each service writes a header line naming
// its format and version, and refuses any other).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/delivery_tracking.h"

namespace tracksim::model {

class RecordWriter {
 public:
  explicit RecordWriter(std::string_view name);
  RecordWriter& text(std::string_view value);
  RecordWriter& integer(std::int64_t value);
  RecordWriter& number(double value);
  // lat lng accuracy_m device_time_ns
  RecordWriter& location(const Location& value);
  // The record, without a line break.
  const std::string& line() const { return line_; }

 private:
  std::string line_;
};

class RecordReader {
 public:
  explicit RecordReader(std::string_view line);
  const std::string& name() const { return name_; }
  // Each returns false, and marks the reader failed, when the next field is missing or malformed.
  bool text(std::string& out);
  bool integer(std::int64_t& out);
  bool number(double& out);
  bool location(Location& out);
  // True when every field was read and nothing failed.
  bool complete() const { return !failed_ && next_ == fields_.size(); }

 private:
  std::string name_;
  std::vector<std::string> fields_;
  std::size_t next_ = 0;
  bool failed_ = false;
};

// Splits a stored value into its non-empty lines.
std::vector<std::string_view> record_lines(std::string_view value);

}  // namespace tracksim::model
