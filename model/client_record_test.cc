// The device-storage record format: exact round trips, and damage noticed rather than guessed.
#include "model/client_record.h"

#include <gtest/gtest.h>

namespace tracksim::model {
namespace {

TEST(ClientRecord, TextWithSpacesPercentAndLineBreaksRoundTrips) {
  const std::string awkward = "Going to pickup 100% sure\nsecond line\t";
  const std::string line = RecordWriter("note").text(awkward).text("").text("plain").line();
  EXPECT_EQ(line.find('\n'), std::string::npos);

  RecordReader r(line);
  std::string a, b, c;
  ASSERT_TRUE(r.text(a));
  ASSERT_TRUE(r.text(b));
  ASSERT_TRUE(r.text(c));
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.name(), "note");
  EXPECT_EQ(a, awkward);
  EXPECT_EQ(b, "");
  EXPECT_EQ(c, "plain");
}

TEST(ClientRecord, NumbersAndLocationsReadBackExactly) {
  const Location where{
      .lat = 38.722300000000004, .lng = -9.1393, .accuracy_m = 0.1, .device_time_ns = -42};
  const std::string line =
      RecordWriter("x").integer(INT64_MIN).number(1e-300).number(0.1 + 0.2).location(where).line();
  RecordReader r(line);
  std::int64_t i = 0;
  double tiny = 0, sum = 0;
  Location back;
  ASSERT_TRUE(r.integer(i) && r.number(tiny) && r.number(sum) && r.location(back));
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(i, INT64_MIN);
  EXPECT_EQ(tiny, 1e-300);
  EXPECT_EQ(sum, 0.1 + 0.2);
  EXPECT_EQ(back, where);
}

TEST(ClientRecord, MalformedFieldsAreReportedNotGuessed) {
  std::int64_t i = 0;
  double d = 0;
  std::string s;
  RecordReader not_a_number("n 12x");
  EXPECT_FALSE(not_a_number.integer(i));
  EXPECT_FALSE(not_a_number.complete());

  RecordReader missing("n");
  EXPECT_FALSE(missing.number(d));

  RecordReader bad_escape("t %4");
  EXPECT_FALSE(bad_escape.text(s));

  RecordReader extra("n 1 2");
  ASSERT_TRUE(extra.integer(i));
  EXPECT_FALSE(extra.complete());

  RecordReader not_finite("n nan");
  EXPECT_FALSE(not_finite.number(d));
}

TEST(ClientRecord, LinesSkipBlanks) {
  const auto lines = record_lines("a 1\n\nb 2\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "a 1");
  EXPECT_EQ(lines[1], "b 2");
}

}  // namespace
}  // namespace tracksim::model
