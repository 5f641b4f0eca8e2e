// What the v1 API's route handlers share: the write side (executor), the read models
// (store), the runner (read-your-writes waits), the log, the clock, metrics, who is asking
// (authenticator) and configuration. Routes are thin: parse → command or query → JSON.
//
// Route groups each live in one file and register on the router:
//   add_order_routes(router&, context&)      orders_routes.cc
//   add_catalog_routes(router&, context&)    catalog_routes.cc   (products, stock, warehouses)
//   add_customer_routes(router&, context&)   customer_routes.cc  (customers, reports, dashboard)
//   add_settings_routes(router&, context&)   settings_routes.cc
//   add_auth_routes(router&, context&)       auth_routes.cc      (login, users, API keys)
//   add_webhook_routes(router&, context&)    webhook_routes.cc   (Shopify, WooCommerce)
//   add_messaging_routes(router&, context&)  messaging_routes.cc (messages, WhatsApp status and
//                                            QR, WhatsApp webhooks, signed media links)
//   add_automation_routes(router&, context&) automation_routes.cc (templates, reminders, alerts)
// api.cc assembles them with /healthz, /metrics and /api/v1/openapi.json.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "http/router.h"
#include "http/server.h"

namespace roms::commands {
class executor;
}
namespace roms::projections {
class projection_store;
}
namespace roms::consumers {
class projection_runner;
class channel;
class media_signer;
}  // namespace roms::consumers
namespace roms::events {
class event_log;
}
namespace roms::metrics {
class registry;
}

namespace roms::http::api {

enum class role { admin, cs };

// Who is asking.
struct principal {
  enum class kind { session, api_key } via = kind::session;
  std::string id;     // user id or API key id
  std::string actor;  // "user:<id>" | "apikey:<id>": the actor of the events it causes
  std::string email;  // sessions
  role user_role = role::admin;
  std::vector<std::string> scopes;  // API keys: "orders:write", "catalog:write", "read"
  std::string csrf_token;           // sessions: must come back in X-CSRF-Token on writes
};

// What a route needs (CONTRACT.md "Roles").
enum class access {
  read,           // Admin, CS, or a key with scope read
  orders_write,   // Admin, or a key with orders:write (CS may not create orders by API rules)
  catalog_write,  // Admin, or a key with catalog:write
  customer_edit,  // Admin or CS (rename, edit contact details); keys: orders:write
  admin,          // Admin only (settings, users, keys); never an API key
  cs_work,        // Admin or CS (conversations, agent status)
};

class authenticator {
 public:
  virtual ~authenticator() = default;
  // From X-API-Key or the session cookie. Errors: errc::unauthorized.
  virtual result_msg<principal> authenticate(const request& r) = 0;
};

struct config {
  std::string public_url;
  std::string shopify_secret;      // ROMS_SHOPIFY_SECRET
  std::string woocommerce_secret;  // ROMS_WOOCOMMERCE_SECRET
  std::string metrics_token;       // ROMS_METRICS_TOKEN
  bool test_clock = false;
  bool read_only = false;  // serve --read-only: every write answers 403 read_only
  bool single_partition = true;
  // WhatsApp (messaging_routes.cc; consumers/whatsapp/config.h reads them from the
  // environment): ROMS_WHATSAPP, ROMS_WA_CLOUD_APP_SECRET, ROMS_WA_CLOUD_VERIFY_TOKEN,
  // ROMS_WAHA_HMAC_KEY.
  std::string whatsapp = "off";  // waha | cloud | off
  std::string wa_cloud_app_secret;
  std::string wa_cloud_verify_token;
  std::string waha_hmac_key;
};

struct context {
  commands::executor* executor = nullptr;  // null when read_only
  std::shared_ptr<projections::projection_store> store;
  consumers::projection_runner* runner = nullptr;
  events::event_log* log = nullptr;
  const clock* clk = nullptr;
  metrics::registry* metrics = nullptr;
  authenticator* auth = nullptr;
  config cfg;
  // The WhatsApp gateway (status, pairing QR); null when ROMS_WHATSAPP=off.
  consumers::channel* whatsapp = nullptr;
  // Verifies signed media links and knows <data>/media; null: GET /api/v1/media/{sha256}
  // answers 404.
  const consumers::media_signer* media = nullptr;
};

// Authenticates and authorises. Answers 401/403 itself (and returns nullopt) when refused:
//   auto who = require(ctx, req, out, access::orders_write); if (!who) return;
// A session request that changes state (not GET/HEAD) must carry X-CSRF-Token (403).
std::optional<principal> require(context& ctx, const request& req, const responder& out, access a);

void add_order_routes(router& r, context& ctx);
void add_catalog_routes(router& r, context& ctx);
void add_customer_routes(router& r, context& ctx);
void add_settings_routes(router& r, context& ctx);
void add_auth_routes(router& r, context& ctx);
void add_webhook_routes(router& r, context& ctx);
void add_messaging_routes(router& r, context& ctx);
void add_automation_routes(router& r, context& ctx);
void add_inbox_routes(router& r, context& ctx);  // inbox_routes.cc (agents, conversations)

// The whole API as one handler (all route groups, /healthz, /metrics, openapi.json).
handler make_handler(context& ctx);

// The JSON answer helpers every route uses.
response json(int status, std::string body);
// A read's min_position= (CONTRACT.md): waits (bounded) for the read models, then calls
// `then` on an I/O-free thread. Answers 400 on a malformed position.
void after_min_position(context& ctx, const request& req, const responder& out,
                        std::function<void()> then);

}  // namespace roms::http::api
