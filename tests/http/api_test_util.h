// What the v1 API tests share: a JSON-speaking client over http_client.h and a fixture that
// runs the whole stack (api_stack.h) in a temp dir, with helpers for the usual set-up calls.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "tests/http/api_stack.h"
#include "tests/http/http_client.h"
#include "tests/testing/temp_dir.h"

namespace roms::testing {

namespace json = boost::json;

// Credentials as header lines.
inline constexpr std::string_view kAdminKey = "X-API-Key: test-admin\r\n";
inline constexpr std::string_view kReadKey = "X-API-Key: test-read\r\n";
inline constexpr std::string_view kOrdersKey = "X-API-Key: test-orders\r\n";
inline constexpr std::string_view kCatalogKey = "X-API-Key: test-catalog\r\n";
inline constexpr std::string_view kAdminSession = "Cookie: roms_session=admin-token\r\n";
inline constexpr std::string_view kAdminSessionCsrf =
    "Cookie: roms_session=admin-token\r\nX-CSRF-Token: csrf-admin\r\n";
inline constexpr std::string_view kCsSession = "Cookie: roms_session=cs-token\r\n";
inline constexpr std::string_view kCsSessionCsrf =
    "Cookie: roms_session=cs-token\r\nX-CSRF-Token: csrf-cs\r\n";

struct api_reply {
  int status = 0;
  std::string body;
  json::value json;  // null when the body is not JSON
  http_reply raw;

  std::string header(std::string_view name) const { return raw.header(name); }
  // The error code of an error answer ("" if none).
  std::string code() const {
    if (auto* o = json.if_object())
      if (auto* e = o->if_contains("error"))
        if (auto* c = e->as_object().if_contains("code")) return std::string(c->as_string());
    return {};
  }
  std::string field() const {
    if (auto* o = json.if_object())
      if (auto* e = o->if_contains("error"))
        if (auto* d = e->as_object().if_contains("details"))
          if (auto* f = d->as_object().if_contains("field")) return std::string(f->as_string());
    return {};
  }
  const json::value& at(std::string_view k) const { return json.as_object().at(k); }
  std::string str(std::string_view k) const {
    const auto& v = at(k);
    return v.is_string() ? std::string(v.as_string()) : std::string();
  }
  int64_t num(std::string_view k) const { return at(k).to_number<int64_t>(); }
  const json::array& items() const { return at("items").as_array(); }
};

inline std::ostream& operator<<(std::ostream& os, const api_reply& r) {
  return os << r.status << " " << r.body;
}

class api_client {
 public:
  api_client(uint16_t port, std::string_view auth) : port_(port), auth_(auth) {}

  api_reply request(std::string_view method, std::string_view target, std::string_view body = "",
                    std::string_view extra_headers = "") const {
    http_conn c(port_, std::chrono::seconds(20));
    std::string headers = auth_ + std::string(extra_headers);
    if (!body.empty() || method == "POST" || method == "PATCH")
      headers += "Content-Type: application/json\r\n";
    c.send(http_request(method, target, body, headers));
    api_reply r;
    auto reply = c.read_reply(method == "HEAD");
    if (!reply) {
      ADD_FAILURE() << method << " " << target << ": no answer";
      return r;
    }
    r.raw = std::move(*reply);
    r.status = r.raw.status;
    r.body = r.raw.body;
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (!ec) r.json = std::move(v);
    return r;
  }
  api_reply get(std::string_view target, std::string_view extra = "") const {
    return request("GET", target, "", extra);
  }
  api_reply post(std::string_view target, std::string_view body,
                 std::string_view extra = "") const {
    return request("POST", target, body, extra);
  }
  api_reply patch(std::string_view target, std::string_view body,
                  std::string_view extra = "") const {
    return request("PATCH", target, body, extra);
  }

 private:
  uint16_t port_;
  std::string auth_;
};

// A fresh stack in a temp dir per test.
class ApiFixture : public ::testing::Test {
 protected:
  virtual api_stack_options options() const { return {}; }

  void SetUp() override {
    stack_ = std::make_unique<api_stack>(dir_.path(), options());
    auto r = stack_->start();
    ASSERT_TRUE(r) << r.error().message;
    admin_ = std::make_unique<api_client>(stack_->port(), kAdminKey);
  }
  void TearDown() override {
    if (stack_) stack_->stop();
  }

  const api_client& admin() const { return *admin_; }
  api_client as(std::string_view auth) const { return api_client(stack_->port(), auth); }
  api_stack& stack() { return *stack_; }

  // Defines a product and receives `stock` units in main; returns its id.
  std::string product(std::string_view sku, int64_t price, int64_t stock, int64_t min_stock = 0) {
    auto r = admin().post("/api/v1/products",
                          R"({"sku":")" + std::string(sku) + R"(","name":"Produk )" +
                              std::string(sku) + R"(","price":)" + std::to_string(price) +
                              R"(,"cost":)" + std::to_string(price / 2) + R"(,"min_stock":)" +
                              std::to_string(min_stock) + "}");
    EXPECT_EQ(r.status, 201) << r;
    std::string id = r.json.is_object() ? r.str("id") : "";
    if (stock) {
      auto a = admin().post("/api/v1/stock/adjust", R"({"sku":")" + std::string(sku) +
                                                        R"(","delta":)" + std::to_string(stock) +
                                                        R"(,"reason":"received"})");
      EXPECT_EQ(a.status, 200) << a;
    }
    return id;
  }

  // A small valid order body.
  static std::string order_body(std::string_view sku, int64_t qty, std::string_view phone,
                                std::string_view external_id = "",
                                std::string_view channel = "web") {
    std::string b = R"({"channel":")" + std::string(channel) + R"(",)";
    if (!external_id.empty()) b += R"("external_id":")" + std::string(external_id) + R"(",)";
    b += R"("customer":{"name":"Budi","phone":")" + std::string(phone) +
         R"(","email":"budi@example.com","city":"Bandung","province":"Jawa Barat"},)";
    b += R"("items":[{"sku":")" + std::string(sku) + R"(","qty":)" + std::to_string(qty) + "}],";
    b += R"("payment":{"method":"bank_transfer","timing":"prepaid"},"note":"tolong cepat"})";
    return b;
  }

  // Places an order and expects 201; returns the answer.
  api_reply place(std::string_view body, std::string_view extra = "") {
    auto r = admin().post("/api/v1/orders", body, extra);
    EXPECT_EQ(r.status, 201) << r;
    return r;
  }

 private:
  temp_dir dir_;
  std::unique_ptr<api_stack> stack_;
  std::unique_ptr<api_client> admin_;
};

}  // namespace roms::testing
