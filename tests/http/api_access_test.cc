// Who may call what (CONTRACT.md "Roles", API key scopes, CSRF), the public endpoints
// (/healthz, /metrics, /api/v1/openapi.json), the read-only mode and the error mapping.
#include <set>

#include "core/errc.h"
#include "http/errors.h"
#include "tests/http/api_test_util.h"

namespace roms::testing {
namespace {

class ApiAccess : public ApiFixture {};

struct route {
  std::string_view method, path, body;
};

// Every route this part of the API serves (a concrete path per pattern).
const route kRoutes[] = {
    {"GET", "/api/v1/orders", ""},
    {"POST", "/api/v1/orders", "{}"},
    {"GET", "/api/v1/orders/ord_x", ""},
    {"POST", "/api/v1/orders/ord_x/status", R"({"status":"processed"})"},
    {"GET", "/api/v1/products", ""},
    {"POST", "/api/v1/products", "{}"},
    {"GET", "/api/v1/products/prd_x", ""},
    {"PATCH", "/api/v1/products/prd_x", "{}"},
    {"GET", "/api/v1/stock", ""},
    {"POST", "/api/v1/stock/adjust", "{}"},
    {"POST", "/api/v1/stock/transfer", "{}"},
    {"GET", "/api/v1/warehouses", ""},
    {"POST", "/api/v1/warehouses", "{}"},
    {"GET", "/api/v1/customers", ""},
    {"GET", "/api/v1/customers/cus_x", ""},
    {"PATCH", "/api/v1/customers/cus_x", "{}"},
    {"GET", "/api/v1/dashboard/today", ""},
    {"GET", "/api/v1/reports/top-customers", ""},
    {"GET", "/api/v1/reports/geo", ""},
    {"GET", "/api/v1/settings", ""},
    {"PATCH", "/api/v1/settings", "{}"},
};

TEST_F(ApiAccess, EveryRouteNeedsCredentials) {
  int64_t end = stack().log_end();
  for (const auto& r : kRoutes) {
    for (std::string_view auth : {std::string_view(""), std::string_view("X-API-Key: wrong\r\n"),
                                  std::string_view("Cookie: roms_session=stale\r\n")}) {
      auto a = as(auth).request(r.method, r.path, r.body);
      EXPECT_EQ(a.status, 401) << r.method << " " << r.path << " with [" << auth << "] → " << a;
      EXPECT_EQ(a.code(), "unauthorized") << r.path;
    }
  }
  EXPECT_EQ(stack().log_end(), end);
}

TEST_F(ApiAccess, ApiKeyScopes) {
  product("KOPI-250", 45000, 10);
  auto reader = as(kReadKey);
  EXPECT_EQ(reader.get("/api/v1/orders").status, 200);
  EXPECT_EQ(reader.get("/api/v1/products").status, 200);
  EXPECT_EQ(reader.get("/api/v1/dashboard/today").status, 200);
  auto post = reader.post("/api/v1/orders", order_body("KOPI-250", 1, "081234567890"));
  EXPECT_EQ(post.status, 403) << post;
  EXPECT_EQ(post.code(), "forbidden");
  EXPECT_EQ(post.at("error").as_object().at("details").as_object().at("required").as_string(),
            "orders:write");
  EXPECT_EQ(reader.post("/api/v1/products", R"({"sku":"A-1","name":"a"})").code(), "forbidden");

  auto orders = as(kOrdersKey);
  auto placed = orders.post("/api/v1/orders", order_body("KOPI-250", 1, "081234567890"));
  EXPECT_EQ(placed.status, 201) << placed;
  auto read = orders.get("/api/v1/orders");
  EXPECT_EQ(read.status, 403) << "reading needs the read scope";
  EXPECT_EQ(orders.post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":1})").status, 403);

  auto catalog = as(kCatalogKey);
  EXPECT_EQ(catalog.post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":1})").status, 200);
  EXPECT_EQ(catalog.post("/api/v1/orders", order_body("KOPI-250", 1, "081234567890")).status, 403);
  EXPECT_EQ(admin().patch("/api/v1/settings", R"({"shop_name":"X"})").status, 403)
      << "settings are for Admin sessions, never API keys";
}

TEST_F(ApiAccess, RolesAndCsrf) {
  product("KOPI-250", 45000, 10);
  auto cs = as(kCsSessionCsrf);
  EXPECT_EQ(cs.get("/api/v1/orders").status, 200);
  EXPECT_EQ(cs.get("/api/v1/customers").status, 200);
  EXPECT_EQ(cs.get("/api/v1/products").status, 200);
  EXPECT_EQ(cs.get("/api/v1/stock").status, 200);
  auto product_write = cs.post("/api/v1/products", R"({"sku":"A-1","name":"a"})");
  EXPECT_EQ(product_write.status, 403) << "CS cannot change products";
  EXPECT_EQ(product_write.code(), "forbidden");
  EXPECT_EQ(cs.post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":1})").status, 403);
  EXPECT_EQ(cs.patch("/api/v1/settings", R"({"shop_name":"X"})").status, 403);

  // An Admin session: state changes need the CSRF token; reads do not.
  EXPECT_EQ(as(kAdminSession).get("/api/v1/orders").status, 200);
  auto no_token =
      as(kAdminSession).post("/api/v1/orders", order_body("KOPI-250", 1, "081234567890"));
  EXPECT_EQ(no_token.status, 403);
  EXPECT_EQ(no_token.code(), "csrf_required");
  auto wrong = as(std::string(kAdminSession) + "X-CSRF-Token: csrf-cs\r\n")
                   .post("/api/v1/orders", order_body("KOPI-250", 1, "081234567890"));
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(wrong.code(), "csrf_required");
  auto ok = as(kAdminSessionCsrf).post("/api/v1/orders", order_body("KOPI-250", 1, "081234567890"));
  EXPECT_EQ(ok.status, 201) << ok;
  EXPECT_EQ(ok.at("timeline").as_array()[0].as_object().at("actor").as_string(), "user:usr_admin");
}

TEST_F(ApiAccess, HealthzIsPublic) {
  auto h = as("").get("/healthz");
  ASSERT_EQ(h.status, 200) << h;
  EXPECT_EQ(h.str("status"), "ok");
  ASSERT_TRUE(h.at("projections").is_array());
  std::set<std::string> names;
  for (const auto& p : h.at("projections").as_array()) {
    names.insert(std::string(p.as_object().at("name").as_string()));
    EXPECT_TRUE(p.as_object().at("lag").is_number());
  }
  EXPECT_TRUE(names.count("orders") && names.count("customers") && names.count("catalog") &&
              names.count("daily"))
      << h;
  EXPECT_TRUE(h.at("log").as_object().at("end_offsets").is_array());
}

TEST_F(ApiAccess, MetricsFromLoopback) {
  admin().get("/api/v1/orders");
  auto m = as("").get("/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.header("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(m.body.find("roms_http_requests_total"), std::string::npos);
  EXPECT_NE(m.body.find("roms_projection_"), std::string::npos);
}

TEST_F(ApiAccess, OpenApiDescribesEveryRoute) {
  auto doc = as("").get("/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  ASSERT_TRUE(doc.json.is_object()) << "openapi.json is valid JSON";
  EXPECT_EQ(doc.str("openapi").rfind("3.0", 0), 0u);
  const auto& paths = doc.at("paths").as_object();
  const std::pair<std::string_view, std::string_view> documented[] = {
      {"get", "/api/v1/orders"},
      {"post", "/api/v1/orders"},
      {"get", "/api/v1/orders/{id}"},
      {"post", "/api/v1/orders/{id}/status"},
      {"get", "/api/v1/products"},
      {"post", "/api/v1/products"},
      {"get", "/api/v1/products/{id}"},
      {"patch", "/api/v1/products/{id}"},
      {"get", "/api/v1/stock"},
      {"post", "/api/v1/stock/adjust"},
      {"post", "/api/v1/stock/transfer"},
      {"get", "/api/v1/warehouses"},
      {"post", "/api/v1/warehouses"},
      {"get", "/api/v1/customers"},
      {"get", "/api/v1/customers/{id}"},
      {"patch", "/api/v1/customers/{id}"},
      {"get", "/api/v1/dashboard/today"},
      {"get", "/api/v1/reports/top-customers"},
      {"get", "/api/v1/reports/geo"},
      {"get", "/api/v1/settings"},
      {"patch", "/api/v1/settings"},
      {"get", "/healthz"},
      {"get", "/metrics"},
      {"get", "/api/v1/openapi.json"},
      {"post", "/api/v1/auth/login"},
      {"get", "/api/v1/auth/me"},
      {"post", "/api/v1/auth/logout"},
      {"get", "/api/v1/users"},
      {"post", "/api/v1/users"},
      {"patch", "/api/v1/users/{id}"},
      {"get", "/api/v1/apikeys"},
      {"post", "/api/v1/apikeys"},
      {"delete", "/api/v1/apikeys/{id}"},
      {"post", "/webhooks/shopify"},
      {"post", "/webhooks/woocommerce"},
  };
  for (const auto& [method, path] : documented) {
    auto* p = paths.if_contains(path);
    ASSERT_TRUE(p) << path << " is not documented";
    auto* op = p->as_object().if_contains(method);
    ASSERT_TRUE(op) << method << " " << path << " is not documented";
    EXPECT_TRUE(op->as_object().contains("responses")) << method << " " << path;
  }
  // Every $ref resolves.
  const auto& schemas = doc.at("components").as_object().at("schemas").as_object();
  const auto& responses = doc.at("components").as_object().at("responses").as_object();
  const auto& parameters = doc.at("components").as_object().at("parameters").as_object();
  const auto& headers = doc.at("components").as_object().at("headers").as_object();
  std::function<void(const json::value&)> walk = [&](const json::value& v) {
    if (auto* o = v.if_object()) {
      if (auto* ref = o->if_contains("$ref")) {
        std::string r(ref->as_string());
        auto name = r.substr(r.rfind('/') + 1);
        if (r.rfind("#/components/schemas/", 0) == 0)
          EXPECT_TRUE(schemas.contains(name)) << r;
        else if (r.rfind("#/components/responses/", 0) == 0)
          EXPECT_TRUE(responses.contains(name)) << r;
        else if (r.rfind("#/components/parameters/", 0) == 0)
          EXPECT_TRUE(parameters.contains(name)) << r;
        else if (r.rfind("#/components/headers/", 0) == 0)
          EXPECT_TRUE(headers.contains(name)) << r;
        else
          ADD_FAILURE() << "unexpected $ref " << r;
      }
      for (const auto& [k, c] : *o) walk(c);
    } else if (auto* a = v.if_array()) {
      for (const auto& c : *a) walk(c);
    }
  };
  walk(doc.json);
}

TEST(ApiErrors, DomainCodesMapToTheContractStatuses) {
  EXPECT_EQ(http::status_for(errc::duplicate_sku), 409);
  EXPECT_EQ(http::status_for(errc::idempotency_key_reused), 409);
  EXPECT_EQ(http::status_for(errc::invalid_transition), 409);
  EXPECT_EQ(http::status_for(errc::out_of_stock), 409);
  EXPECT_EQ(http::status_for(errc::conflict), 409);
  EXPECT_EQ(http::status_for(errc::unknown_sku), 400);
  EXPECT_EQ(http::status_for(errc::invalid_argument), 400);
  EXPECT_EQ(http::status_for(errc::malformed_json), 400);
  EXPECT_EQ(http::status_for(errc::unauthorized), 401);
  EXPECT_EQ(http::status_for(errc::forbidden), 403);
  EXPECT_EQ(http::status_for(errc::not_found), 404);
  EXPECT_EQ(http::status_for(errc::too_large), 413);
  EXPECT_EQ(http::status_for(errc::rate_limited), 429);
}

// `serve --read-only` on a data dir: reads work, every write answers 403 read_only.
TEST(ApiReadOnly, ServesReadsRefusesWrites) {
  temp_dir dir;
  std::string order_id;
  {
    api_stack s(dir.path());
    ASSERT_TRUE(s.start());
    api_client c(s.port(), kAdminKey);
    ASSERT_EQ(c.post("/api/v1/products", R"({"sku":"A-1","name":"A","price":10})").status, 201);
    ASSERT_EQ(c.post("/api/v1/stock/adjust", R"({"sku":"A-1","delta":5})").status, 200);
    auto o =
        c.post("/api/v1/orders", R"({"customer":{"name":"B"},"items":[{"sku":"A-1","qty":1}]})");
    ASSERT_EQ(o.status, 201) << o;
    order_id = o.str("id");
  }
  api_stack_options o;
  o.read_only = true;
  api_stack s(dir.path(), o);
  auto started = s.start();
  ASSERT_TRUE(started) << started.error().message;
  api_client c(s.port(), kAdminKey);
  EXPECT_EQ(c.get("/api/v1/orders/" + order_id).status, 200);
  EXPECT_EQ(c.get("/api/v1/orders").items().size(), 1u);
  auto w = c.post("/api/v1/products", R"({"sku":"B-1","name":"B","price":10})");
  EXPECT_EQ(w.status, 403) << w;
  EXPECT_EQ(w.code(), "read_only");
  auto session =
      api_client(s.port(), kAdminSessionCsrf).patch("/api/v1/settings", R"({"shop_name":"X"})");
  EXPECT_EQ(session.code(), "read_only");
  EXPECT_EQ(c.get("/api/v1/orders?min_position=999999").field(), "min_position");
  auto h = api_client(s.port(), "").get("/healthz");
  EXPECT_EQ(h.status, 200) << h;
  EXPECT_TRUE(h.at("read_only").as_bool());
}

}  // namespace
}  // namespace roms::testing
