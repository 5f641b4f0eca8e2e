#include "http/router.h"

#include <gtest/gtest.h>

namespace roms::http {
namespace {

using kind = router::match_info::kind;

void nop(request&&, path_params&&, responder) {}

router sample() {
  router r;
  r.add("GET", "/api/v1/orders", nop)
      .add("POST", "/api/v1/orders", nop)
      .add("GET", "/api/v1/orders/{id}", nop)
      .add("POST", "/api/v1/orders/{id}/status", nop)
      .add("GET", "/api/v1/orders/export", nop)
      .add("GET", "/assets/{file...}", nop)
      .add("GET", "/", nop);
  return r;
}

TEST(Router, MatchesLiteralAndParameterSegments) {
  auto r = sample();
  auto m = r.match("GET", "/api/v1/orders/ord_1?x=1");
  ASSERT_EQ(m.result, kind::found);
  EXPECT_EQ(m.pattern, "/api/v1/orders/{id}");
  EXPECT_EQ(m.params["id"], "ord_1");
  EXPECT_EQ(m.params["nope"], "");
  EXPECT_FALSE(m.params.has("nope"));

  auto s = r.match("POST", "/api/v1/orders/ord_1/status");
  ASSERT_EQ(s.result, kind::found);
  EXPECT_EQ(s.params.get("id"), "ord_1");

  EXPECT_EQ(r.match("GET", "/").result, kind::found);
  EXPECT_EQ(r.match("GET", "/api/v1/orders").result, kind::found);
  EXPECT_EQ(r.match("GET", "/api/v1/orders/").result, kind::found);  // trailing slash
}

TEST(Router, LiteralBeatsParameter) {
  auto r = sample();
  auto m = r.match("GET", "/api/v1/orders/export");
  ASSERT_EQ(m.result, kind::found);
  EXPECT_EQ(m.pattern, "/api/v1/orders/export");
  EXPECT_TRUE(m.params.items().empty());
}

TEST(Router, RestParameterTakesTheRemainingPath) {
  auto r = sample();
  auto m = r.match("GET", "/assets/js/app.js");
  ASSERT_EQ(m.result, kind::found);
  EXPECT_EQ(m.params["file"], "js/app.js");
  EXPECT_EQ(r.match("GET", "/assets").params["file"], "");
}

TEST(Router, DecodesParametersPerSegment) {
  auto r = sample();
  auto m = r.match("GET", "/api/v1/orders/a%2Fb%20c");
  ASSERT_EQ(m.result, kind::found);
  EXPECT_EQ(m.params["id"], "a/b c");
  EXPECT_EQ(r.match("GET", "/api/v1/orders/%zz").result, kind::bad_path);
}

TEST(Router, WrongMethodIs405WithAllow) {
  auto r = sample();
  auto m = r.match("DELETE", "/api/v1/orders");
  ASSERT_EQ(m.result, kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  auto e = r.match("POST", "/api/v1/orders/export");  // the literal wins, then lacks POST
  ASSERT_EQ(e.result, kind::method_not_allowed);
  EXPECT_EQ(e.allow, "GET, HEAD");
}

TEST(Router, HeadFallsBackToGet) {
  auto r = sample();
  EXPECT_EQ(r.match("HEAD", "/api/v1/orders/1").result, kind::found);
  EXPECT_EQ(r.match("HEAD", "/api/v1/orders/1/status").result, kind::method_not_allowed);
}

TEST(Router, UnknownPathIs404) {
  auto r = sample();
  EXPECT_EQ(r.match("GET", "/api/v2/orders").result, kind::not_found);
  EXPECT_EQ(r.match("GET", "/api/v1/orders/1/status/x").result, kind::not_found);
  EXPECT_EQ(r.match("GET", "/api/v1/orders//status").result, kind::not_found);  // empty id
}

TEST(Router, RejectsBadOrDuplicateRoutes) {
  router r;
  r.add("GET", "/a/{id}", nop);
  EXPECT_THROW(r.add("GET", "/a/{other}", nop), std::invalid_argument);  // same shape
  EXPECT_NO_THROW(r.add("PATCH", "/a/{id}", nop));
  EXPECT_THROW(r.add("GET", "no-slash", nop), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/{x}/{x}", nop), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/{rest...}/b", nop), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/b{c}", nop), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/{}", nop), std::invalid_argument);
}

}  // namespace
}  // namespace roms::http
