#include "events/position.h"

#include <gtest/gtest.h>

namespace roms::events {
namespace {

TEST(LogPosition, PrintsOffsetAloneForSinglePartition) {
  EXPECT_EQ(to_string({0, 42}, true), "42");
  EXPECT_EQ(to_string({0, 0}, true), "0");
}

TEST(LogPosition, PrintsPartitionAndOffsetOtherwise) {
  EXPECT_EQ(to_string({3, 42}, false), "3:42");
  EXPECT_EQ(to_string({0, 42}, false), "0:42");
  EXPECT_EQ(to_string({2147483647, 9223372036854775807}, false), "2147483647:9223372036854775807");
}

TEST(LogPosition, ParsesBothForms) {
  EXPECT_EQ(parse_position("42"), (log_position{0, 42}));
  EXPECT_EQ(parse_position("0"), (log_position{0, 0}));
  EXPECT_EQ(parse_position("3:42"), (log_position{3, 42}));
  EXPECT_EQ(parse_position("0:0"), (log_position{0, 0}));
  EXPECT_EQ(parse_position("007"), (log_position{0, 7}));
  EXPECT_EQ(parse_position("2147483647:9223372036854775807"),
            (log_position{2147483647, 9223372036854775807}));
}

TEST(LogPosition, RoundTrips) {
  for (log_position p : {log_position{0, 0}, {0, 1}, {5, 123456789012}, {0, 9223372036854775807}}) {
    EXPECT_EQ(parse_position(to_string(p, false)), p);
    if (p.partition == 0) {
      EXPECT_EQ(parse_position(to_string(p, true)), p);
    }
  }
}

TEST(LogPosition, RejectsNegativesGarbageAndOverflow) {
  for (std::string_view bad :
       {"", "-1", "-0", "+1", " 1", "1 ", "1x", "x", "0x10", "1.5", "1e3", ":", "1:", ":1",
        "-1:1", "1:-1", "1:2:3", "1::2", "9223372036854775808", "99999999999999999999",
        "2147483648:0", "0:9223372036854775808", "\xef\xbc\x91"}) {
    EXPECT_EQ(parse_position(bad), std::nullopt) << bad;
  }
}

TEST(LogPosition, OrdersByPartitionThenOffset) {
  EXPECT_LT((log_position{0, 9}), (log_position{1, 0}));
  EXPECT_LT((log_position{1, 1}), (log_position{1, 2}));
}

}  // namespace
}  // namespace roms::events
