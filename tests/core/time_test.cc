#include "core/time.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace roms {
namespace {

using namespace std::chrono_literals;

timestamp at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, int64_t us = 0) {
  using namespace std::chrono;
  sys_days date{year{y} / month{mo} / day{d}};
  return time_point_cast<microseconds>(date) + hours{h} + minutes{mi} + seconds{s} + microseconds{us};
}

TEST(Rfc3339Format, WritesUtcWithZ) {
  EXPECT_EQ(format_rfc3339(at(2026, 11, 24, 3, 16, 20)), "2026-11-24T03:16:20Z");
  EXPECT_EQ(format_rfc3339(timestamp{}), "1970-01-01T00:00:00Z");
}

TEST(Rfc3339Format, WritesMicrosecondsOnlyWhenNonZero) {
  EXPECT_EQ(format_rfc3339(at(2026, 11, 24, 3, 16, 20, 123456)), "2026-11-24T03:16:20.123456Z");
  EXPECT_EQ(format_rfc3339(at(2026, 11, 24, 3, 16, 20, 120000)), "2026-11-24T03:16:20.120000Z");
  EXPECT_EQ(format_rfc3339(at(2026, 11, 24, 3, 16, 20, 1)), "2026-11-24T03:16:20.000001Z");
}

TEST(Rfc3339Format, HandlesTimesBeforeTheEpoch) {
  EXPECT_EQ(format_rfc3339(from_micros(-1)), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(from_micros(-1'000'000)), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(at(1900, 3, 1, 12)), "1900-03-01T12:00:00Z");
}

TEST(Rfc3339Format, DoesNotOverflowAtTheExtremes) {
  // Outside years 0000-9999 the text is not RFC 3339, but formatting must stay defined.
  EXPECT_FALSE(format_rfc3339(from_micros(std::numeric_limits<int64_t>::min())).empty());
  EXPECT_FALSE(format_rfc3339(from_micros(std::numeric_limits<int64_t>::max())).empty());
}

TEST(Rfc3339Format, HandlesCalendarEdges) {
  EXPECT_EQ(format_rfc3339(at(2024, 2, 29, 23, 59, 59, 999999)), "2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(at(2000, 1, 1)), "2000-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(at(9999, 12, 31, 23, 59, 59)), "9999-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(at(0, 1, 1)), "0000-01-01T00:00:00Z");
}

TEST(Rfc3339Parse, ReadsUtc) {
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20Z"), at(2026, 11, 24, 3, 16, 20));
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), timestamp{});
}

TEST(Rfc3339Parse, ReadsFractionalSecondsOfAnyLength) {
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20.1Z"), at(2026, 11, 24, 3, 16, 20, 100000));
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20.123Z"), at(2026, 11, 24, 3, 16, 20, 123000));
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20.123456Z"), at(2026, 11, 24, 3, 16, 20, 123456));
  // Beyond microseconds: truncated (toward the past), never rounded into the next second.
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20.1234569Z"), at(2026, 11, 24, 3, 16, 20, 123456));
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20.999999999999999999999Z"),
            at(2026, 11, 24, 3, 16, 20, 999999));
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20.000Z"), at(2026, 11, 24, 3, 16, 20));
}

TEST(Rfc3339Parse, AppliesOffsets) {
  EXPECT_EQ(parse_rfc3339("2026-11-24T10:16:20+07:00"), at(2026, 11, 24, 3, 16, 20));
  EXPECT_EQ(parse_rfc3339("2026-11-23T22:16:20-05:00"), at(2026, 11, 24, 3, 16, 20));
  EXPECT_EQ(parse_rfc3339("2026-11-24T08:46:20.5+05:30"), at(2026, 11, 24, 3, 16, 20, 500000));
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20+00:00"), at(2026, 11, 24, 3, 16, 20));
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:20-00:00"), at(2026, 11, 24, 3, 16, 20));
  // Across a day, month and year boundary.
  EXPECT_EQ(parse_rfc3339("2027-01-01T06:00:00+07:00"), at(2026, 12, 31, 23));
  EXPECT_EQ(parse_rfc3339("2026-12-31T23:30:00-01:00"), at(2027, 1, 1, 0, 30));
}

TEST(Rfc3339Parse, AcceptsLowercaseSeparators) {
  EXPECT_EQ(parse_rfc3339("2026-11-24t03:16:20z"), at(2026, 11, 24, 3, 16, 20));
  EXPECT_EQ(parse_rfc3339("2026-11-24 03:16:20Z"), at(2026, 11, 24, 3, 16, 20));  // RFC 3339 §5.6 note
}

TEST(Rfc3339Parse, AcceptsLeapDaysAndLeapSeconds) {
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), at(2024, 2, 29));
  // 23:59:60 has no Unix time of its own: it lands on the next second.
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), at(2017, 1, 1));
  EXPECT_EQ(parse_rfc3339("2017-01-01T06:59:60+07:00"), at(2017, 1, 1));
  EXPECT_EQ(parse_rfc3339("2016-12-31T18:14:60.5-05:45"), at(2017, 1, 1, 0, 0, 0, 500000));
}

TEST(Rfc3339Parse, RejectsSecond60OutsideALeapSecond) {
  EXPECT_EQ(parse_rfc3339("2026-11-24T03:16:60Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:58:60Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60+07:00"), std::nullopt);
}

TEST(Rfc3339Parse, RejectsMalformedInput) {
  for (std::string_view bad : {
           "", "2026", "2026-11-24", "2026-11-24T03:16", "2026-11-24T03:16:20",
           "2026-11-24T03:16:20.Z", "2026-11-24T03:16:20.123", "2026-11-24T03:16:20Zjunk",
           " 2026-11-24T03:16:20Z", "2026-11-24T03:16:20Z ", "2026/11/24T03:16:20Z",
           "2026-11-24X03:16:20Z", "26-11-24T03:16:20Z", "2026-1-24T03:16:20Z",
           "2026-11-24T3:16:20Z", "+2026-11-24T03:16:20Z", "2026-11-24T03:16:20,5Z",
           "2026-11-24T03:16:20+07", "2026-11-24T03:16:20+0700", "2026-11-24T03:16:20+7:00",
           "2026-11-24T03:16:20+07:0", "2026-11-24T03:16:20+07:00:00", "2026-11-24T03:16:20+",
           "2026-11-24T03:16:20+24:00", "2026-11-24T03:16:20+07:60", "2026-11-24T03:16:20UTC",
           "2026-11-24T03:16:20.-1Z", "2026-11-24T03:16:20.1e3Z", "abcd-ef-ghTij:kl:mnZ",
           "2026-11-24T03:16:20\0Z",
       }) {
    EXPECT_EQ(parse_rfc3339(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_rfc3339(std::string_view("2026-11-24T03:16:20Z\0", 21)), std::nullopt);
}

TEST(Rfc3339Parse, RejectsOutOfRangeFields) {
  for (std::string_view bad : {
           "2026-00-24T03:16:20Z", "2026-13-24T03:16:20Z", "2026-11-00T03:16:20Z",
           "2026-11-31T03:16:20Z", "2026-02-29T03:16:20Z", "2100-02-29T00:00:00Z",
           "2026-11-24T24:00:00Z", "2026-11-24T03:60:20Z", "2026-11-24T03:16:61Z",
       }) {
    EXPECT_EQ(parse_rfc3339(bad), std::nullopt) << bad;
  }
}

TEST(Rfc3339, RoundTrips) {
  for (int64_t us : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1'795'000'000'123'456},
                     int64_t{1'795'000'000'000'000}, int64_t{-2'208'988'800'000'000},
                     int64_t{253'402'300'799'999'999}, int64_t{-62'167'219'200'000'000}}) {
    auto t = from_micros(us);
    auto back = parse_rfc3339(format_rfc3339(t));
    ASSERT_TRUE(back) << format_rfc3339(t);
    EXPECT_EQ(*back, t) << format_rfc3339(t);
  }
}

TEST(Rfc3339, RoundTripsEveryHourOfALeapYear) {
  for (auto t = at(2024, 1, 1, 0, 0, 0, 7); t < at(2025, 1, 1); t += 1h + 1s + 1us) {
    ASSERT_EQ(parse_rfc3339(format_rfc3339(t)), t) << format_rfc3339(t);
  }
}

TEST(Clock, SystemClockIsCloseToTheRealTime) {
  auto before = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  auto now = system_clock().now();
  auto after = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_EQ(&system_clock(), &system_clock());
}

TEST(Micros, ConvertBothWays) {
  EXPECT_EQ(to_micros(from_micros(1234567)), 1234567);
  EXPECT_EQ(to_micros(from_micros(-5)), -5);
}

}  // namespace
}  // namespace roms
