#include "http/errors.h"

#include <gtest/gtest.h>

#include "core/errc.h"

namespace roms::http {
namespace {

TEST(HttpErrors, MapsEveryCodeToItsStatus) {
  struct row {
    errc code;
    int status;
  };
  const row table[] = {
      {errc::invalid_argument, 400}, {errc::malformed_json, 400}, {errc::not_found, 404},
      {errc::conflict, 409},         {errc::duplicate, 409},      {errc::invalid_transition, 409},
      {errc::out_of_stock, 409},     {errc::locked, 409},         {errc::too_large, 413},
      {errc::unavailable, 503},      {errc::timeout, 504},        {errc::io_error, 500},
      {errc::corruption, 500},       {errc::closed, 500},         {errc::unsupported, 500},
  };
  for (const auto& r : table) EXPECT_EQ(status_for(r.code), r.status) << error_name(r.code);
  EXPECT_EQ(status_for(std::make_error_code(std::errc::io_error)), 500);
}

TEST(HttpErrors, BodyFollowsTheContractFormat) {
  auto r = error_response(errc::invalid_transition, "order ord_1 is already delivered",
                          R"({"from":"delivered","to":"pending"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            R"({"error":{"code":"invalid_transition","message":"order ord_1 is already delivered",)"
            R"("details":{"from":"delivered","to":"pending"}}})");
}

TEST(HttpErrors, ExplicitStatusAndCode) {
  auto r = error_response(429, "rate_limited", "slow down");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, R"({"error":{"code":"rate_limited","message":"slow down","details":{}}})");
  auto f = error_response(errc::invalid_argument, "qty must be positive", field_details("qty"));
  EXPECT_EQ(f.body, R"({"error":{"code":"invalid_argument","message":"qty must be positive",)"
                    R"("details":{"field":"qty"}}})");
}

TEST(HttpErrors, EscapesMessages) {
  auto r = error_response(400, "bad", "a \"quote\", a \\ and a\nnewline \x01 \xff");
  EXPECT_EQ(r.body,
            "{\"error\":{\"code\":\"bad\",\"message\":\"a \\\"quote\\\", a \\\\ and a\\nnewline "
            "\\u0001 \xEF\xBF\xBD\",\"details\":{}}}");
  auto u = error_response(400, "bad", "Rp 45.000 — ok ✓");  // valid UTF-8 passes through
  EXPECT_NE(u.body.find("Rp 45.000 — ok ✓"), std::string::npos);
}

TEST(HttpErrors, ForeignCodesAreInternalWithoutTheirMessage) {
  auto r = error_response(std::make_error_code(std::errc::permission_denied), "");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":{"code":"internal","message":"internal error","details":{}}})");
  auto d = error_response(errc::not_found, "");
  EXPECT_EQ(d.body, R"({"error":{"code":"not_found","message":"not_found","details":{}}})");
}

}  // namespace
}  // namespace roms::http
