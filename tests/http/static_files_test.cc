// The web app's static files through a real server on loopback: content types, caching
// headers, the SPA fallback, 404s, and refusal of path traversal (encoded variants, symlinks).
#include "http/static_files.h"

#include <gtest/gtest.h>

#include <fstream>

#include "http/router.h"
#include "http/server.h"
#include "tests/http/http_client.h"
#include "tests/testing/temp_dir.h"

namespace roms::http {
namespace {

namespace fs = std::filesystem;
using roms::testing::http_conn;
using roms::testing::http_get;
using roms::testing::http_reply;
using roms::testing::http_request;

void write_file(const fs::path& p, std::string_view content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() / "dist";
    write_file(root_ / "index.html", "<!doctype html><title>ROMS</title>");
    write_file(root_ / "assets/index-B2x9kLmQ.js", "console.log('app')");
    write_file(root_ / "assets/index-Cq3_zZ-1.css", "body{}");
    write_file(root_ / "favicon.svg", "<svg/>");
    write_file(root_ / "robots.txt", "User-agent: *");
    write_file(root_ / ".env", "SECRET=1");
    write_file(tmp_.path() / "secret.txt", "outside the root");
    router_.add("GET", "/api/v1/orders", [](request&&, path_params&&, responder out) {
      out.respond({.body = R"({"items":[]})"});
    });
    router_.add("GET", "/healthz", [](request&&, path_params&&, responder out) {
      out.respond({.body = R"({"status":"ok"})"});
    });
    router_.fallback(static_files(root_));
    server::options o;
    o.listen = "127.0.0.1:0";
    srv_ = std::make_unique<server>(o);
    ASSERT_TRUE(srv_->start(router_.as_handler()));
  }
  void TearDown() override { srv_->stop(); }

  http_reply get(std::string_view target, std::string_view headers = "") {
    http_conn c(srv_->port());
    c.send(http_get(target, headers));
    auto r = c.read_reply();
    EXPECT_TRUE(r) << target;
    return r.value_or(http_reply{});
  }
  http_reply send(std::string_view method, std::string_view target) {
    http_conn c(srv_->port());
    c.send(http_request(method, target, ""));
    auto r = c.read_reply(method == "HEAD");
    EXPECT_TRUE(r) << method << " " << target;
    return r.value_or(http_reply{});
  }

  roms::testing::temp_dir tmp_;
  fs::path root_;
  router router_;
  std::unique_ptr<server> srv_;
};

TEST_F(StaticFiles, ServesIndexAtTheRootWithNoCache) {
  auto r = get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<!doctype html><title>ROMS</title>");
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_FALSE(r.header("ETag").empty());
  EXPECT_NE(r.header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
}

TEST_F(StaticFiles, HashedAssetsAreImmutableWithTheirContentType) {
  auto js = get("/assets/index-B2x9kLmQ.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log('app')");
  EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.header("Cache-Control"), "public, max-age=31536000, immutable");
  auto css = get("/assets/index-Cq3_zZ-1.css");
  EXPECT_EQ(css.header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(css.header("Cache-Control"), "public, max-age=31536000, immutable");
  auto svg = get("/favicon.svg");
  EXPECT_EQ(svg.status, 200);
  EXPECT_EQ(svg.header("Content-Type"), "image/svg+xml; charset=utf-8");
  EXPECT_EQ(svg.header("Cache-Control"), "no-cache");  // not hashed: revalidate
  EXPECT_EQ(get("/robots.txt").header("Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(StaticFiles, EtagRevalidationAnswers304) {
  auto first = get("/assets/index-B2x9kLmQ.js");
  std::string etag = first.header("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = get("/assets/index-B2x9kLmQ.js", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.header("ETag"), etag);
  auto weak = get("/assets/index-B2x9kLmQ.js", "If-None-Match: \"zzz\", W/" + etag + "\r\n");
  EXPECT_EQ(weak.status, 304);
  auto other = get("/assets/index-B2x9kLmQ.js", "If-None-Match: \"0000\"\r\n");
  EXPECT_EQ(other.status, 200);
}

TEST_F(StaticFiles, ChangedFileGetsANewEtagWithoutRestart) {
  auto before = get("/index.html");
  write_file(root_ / "index.html", "<!doctype html><title>ROMS v2, longer</title>");
  auto after = get("/index.html");
  EXPECT_EQ(after.body, "<!doctype html><title>ROMS v2, longer</title>");
  EXPECT_NE(before.header("ETag"), after.header("ETag"));
}

TEST_F(StaticFiles, AppRoutesWithoutExtensionFallBackToIndex) {
  for (std::string_view p : {"/orders", "/orders/ord_123", "/customers/cus_9/", "/settings"}) {
    auto r = get(p);
    EXPECT_EQ(r.status, 200) << p;
    EXPECT_EQ(r.body, "<!doctype html><title>ROMS</title>") << p;
    EXPECT_EQ(r.header("Cache-Control"), "no-cache") << p;
  }
  auto q = get("/orders?status=pending");
  EXPECT_EQ(q.status, 200);
}

TEST_F(StaticFiles, MissingFilesAndApiPathsAre404Json) {
  for (std::string_view p : {"/assets/missing-B2x9kLmQ.js", "/nothing.png", "/api/v1/nope",
                             "/api", "/webhooks/unknown", "/healthz/x"}) {
    auto r = get(p);
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(r.header("Content-Type"), "application/json") << p;
    EXPECT_NE(r.body.find(R"("code":"not_found")"), std::string::npos) << p;
  }
  // An unmatched API path answers 404 JSON whatever the method.
  EXPECT_EQ(send("POST", "/api/v1/nope").status, 404);
  // The API routes still win.
  EXPECT_EQ(get("/api/v1/orders").body, R"({"items":[]})");
  EXPECT_EQ(get("/healthz").body, R"({"status":"ok"})");
}

TEST_F(StaticFiles, HeadAnswersHeadersOnlyAndOtherMethods405) {
  auto h = send("HEAD", "/assets/index-B2x9kLmQ.js");
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.body.empty());
  EXPECT_EQ(h.header("Content-Length"), std::to_string(std::string("console.log('app')").size()));
  auto p = send("POST", "/orders");
  EXPECT_EQ(p.status, 405);
  EXPECT_EQ(p.header("Allow"), "GET, HEAD");
}

TEST_F(StaticFiles, RefusesTraversalInEveryEncoding) {
  for (std::string_view p :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/%252e%252e/secret.txt", "/assets/..%5c..%5csecret.txt", "/assets/%00.js",
        "/./index.html"}) {
    auto r = get(p);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << p << " → " << r.status;
    EXPECT_EQ(r.body.find("outside the root"), std::string::npos) << p;
    EXPECT_EQ(r.body.find("<!doctype"), std::string::npos) << p;
  }
}

TEST_F(StaticFiles, NeverServesDotFilesOrSymlinksLeavingTheRoot) {
  EXPECT_EQ(get("/.env").status, 404);
  fs::create_symlink(tmp_.path() / "secret.txt", root_ / "leak.txt");
  fs::create_directory_symlink(tmp_.path(), root_ / "up");
  auto a = get("/leak.txt");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body.find("outside the root"), std::string::npos);
  auto b = get("/up/secret.txt");
  EXPECT_EQ(b.status, 404);
  // A symlink that stays inside the root is fine.
  fs::create_symlink(root_ / "robots.txt", root_ / "robots2.txt");
  EXPECT_EQ(get("/robots2.txt").body, "User-agent: *");
}

TEST_F(StaticFiles, MissingRootAnswers404UntilBuilt) {
  router r;
  r.fallback(static_files(tmp_.path() / "not-built-yet"));
  server::options o;
  o.listen = "127.0.0.1:0";
  server s(o);
  ASSERT_TRUE(s.start(r.as_handler()));
  http_conn c(s.port());
  c.send(http_get("/orders"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  s.stop();
}

TEST(StaticFilesDetail, Helpers) {
  using namespace static_detail;
  EXPECT_TRUE(is_hashed_asset("index-B2x9kLmQ.js"));
  EXPECT_TRUE(is_hashed_asset("vendor-a1b2c3d4.css"));
  EXPECT_FALSE(is_hashed_asset("index.html"));
  EXPECT_FALSE(is_hashed_asset("favicon.svg"));
  EXPECT_FALSE(is_hashed_asset("bootstrap-template.js"));
  EXPECT_TRUE(is_hashed_asset("index-Cq3_zZ-1.css"));
  EXPECT_TRUE(is_hashed_asset("vendor-lib-a_B-c9dE.js"));
  EXPECT_TRUE(is_hashed_asset("main.3f9a1c2b7d.js"));
  EXPECT_FALSE(is_hashed_asset("my-file-v2.js"));
  EXPECT_TRUE(is_spa_route("/"));
  EXPECT_TRUE(is_spa_route("/orders/ord_1"));
  EXPECT_FALSE(is_spa_route("/app.js"));
  EXPECT_FALSE(is_spa_route("/api/v1/x"));
  EXPECT_FALSE(is_spa_route("/webhooks/shopify"));
  EXPECT_FALSE(is_spa_route("/metrics"));
  EXPECT_FALSE(is_spa_route("/healthz"));
  EXPECT_TRUE(is_spa_route("/apis"));  // only the /api segment is reserved
  EXPECT_STREQ(content_type_for("x.woff2"), "font/woff2");
  EXPECT_STREQ(content_type_for("x.unknown"), "application/octet-stream");
}

}  // namespace
}  // namespace roms::http
