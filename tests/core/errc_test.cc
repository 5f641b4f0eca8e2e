#include "core/errc.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/result.h"

namespace roms {
namespace {

TEST(Errc, ConvertsToErrorCodeInTheRomsCategory) {
  std::error_code ec = errc::not_found;
  EXPECT_EQ(ec.category(), roms_category());
  EXPECT_EQ(ec.value(), static_cast<int>(errc::not_found));
  EXPECT_EQ(ec, errc::not_found);
  EXPECT_NE(ec, errc::conflict);
  EXPECT_STREQ(roms_category().name(), "roms");
}

TEST(Errc, OkIsNotAnError) {
  std::error_code ec = errc::ok;
  EXPECT_FALSE(ec);
  EXPECT_TRUE(std::error_code(errc::invalid_argument));
}

TEST(Errc, HasStableSnakeCaseWireNames) {
  const std::pair<errc, std::string_view> expected[] = {
      {errc::ok, "ok"},
      {errc::invalid_argument, "invalid_argument"},
      {errc::malformed_json, "malformed_json"},
      {errc::too_large, "too_large"},
      {errc::not_found, "not_found"},
      {errc::conflict, "conflict"},
      {errc::duplicate, "duplicate"},
      {errc::invalid_transition, "invalid_transition"},
      {errc::out_of_stock, "out_of_stock"},
      {errc::io_error, "io_error"},
      {errc::corruption, "corruption"},
      {errc::unavailable, "unavailable"},
      {errc::timeout, "timeout"},
      {errc::closed, "closed"},
      {errc::unsupported, "unsupported"},
      {errc::locked, "locked"},
  };
  std::set<std::string_view> seen;
  for (auto [e, name] : expected) {
    EXPECT_EQ(error_name(e), name);
    EXPECT_EQ(std::error_code(e).message(), name);
    EXPECT_TRUE(seen.insert(name).second) << name;
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
  }
}

TEST(Errc, ForeignAndUnknownCodesAreInternal) {
  EXPECT_EQ(error_name(std::make_error_code(std::errc::io_error)), "internal");
  EXPECT_EQ(error_name(std::error_code(999, roms_category())), "internal");
  EXPECT_EQ(error_name(std::error_code(-1, roms_category())), "internal");
  EXPECT_EQ(std::error_code(999, roms_category()).message(), "unknown roms error");
}

TEST(Errc, WorksWithResult) {
  auto fails = []() -> result<int> { return errc::out_of_stock; };
  auto passes = []() -> result<int> {
    BOOST_OUTCOME_TRY(auto v, result<int>(41));
    return v + 1;
  };
  auto propagates = [&]() -> result<int> {
    BOOST_OUTCOME_TRY(auto v, fails());
    return v;
  };
  EXPECT_EQ(fails().error(), errc::out_of_stock);
  EXPECT_EQ(passes().value(), 42);
  EXPECT_EQ(propagates().error(), errc::out_of_stock);
}

TEST(Errc, ResultMsgCarriesAMessage) {
  result_msg<int> r = failure(error_info{errc::invalid_argument, "field 'x': missing"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_EQ(r.error().message, "field 'x': missing");
}

}  // namespace
}  // namespace roms
