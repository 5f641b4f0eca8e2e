// What the v1 route files share beyond context.h: the command flow, error answers with field
// details, query-parameter parsing (limit, cursor, times, booleans), the worker threads reads
// and answers run on, and small crypto helpers. Private to http/api.
//
// The command flow (README.md "How a command request flows"):
//
//   auto b = decode_body<product_body>(req.body);            // 400 malformed_json / field
//   if (!b) return answer_body_error(out, b.error());
//   run_command(ctx, *who, req, out, std::move(b).value().to_command(), 201,
//               [store = ctx.store](const commands::outcome& o) -> std::optional<rendered> {
//                 … read the product o.id from store->view("catalog") and render it …
//               });
//
// run_command submits to the executor; once the events are durable and the read models have
// applied them, `render` runs on a worker thread and its body is the answer: `created_status`
// (201 for creations, 200 for changes), 200 for an idempotent repeat, with X-Roms-Position.
// Not applied within the executor's bounded wait → 202 {"status":"applying","position":…}.
// A rejection → its status from http/errors.h with {"field": …} details when the message
// names one ("items[0].qty: …").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "commands/executor.h"
#include "core/result.h"
#include "http/api/context.h"
#include "http/api/internal/dto.h"
#include "http/errors.h"

namespace roms::http::api::internal {

// ---------------------------------------------------------------- threads

// Runs `f` on the API's worker threads (two, started on first use; they live as long as the
// process). For work that must not run on an I/O thread or a runner/executor callback thread:
// rendering a command's answer, list scans, reports.
void defer(std::function<void()> f);

// ---------------------------------------------------------------- answers

// A rejection from core (or the executor): status from status_for(); details {"field": …}
// when the message starts with a field path ("items[0].qty: a whole number …").
void answer_error(const responder& out, const error_info& e);
void answer_body_error(const responder& out, const body_error& e);
// 400 invalid_argument naming a query parameter.
void answer_bad_param(const responder& out, std::string_view field, std::string message);
// 404 not_found.
void answer_not_found(const responder& out, std::string message);

// The field a core message names ("items[0].qty: …" → "items[0].qty"), or "".
std::string field_of(std::string_view message);

// ---------------------------------------------------------------- commands

struct rendered {
  std::string body;      // the resource as JSON
  std::string position;  // X-Roms-Position when the command appended nothing (a repeat); may be ""
};
// Reads the resource the outcome names and renders it; nullopt when it is not visible (the
// answer is then 202 "applying").
using render_fn = std::function<std::optional<rendered>(const commands::outcome&)>;

// `location`: for 201 answers, the Location header is location + outcome.id ("" = none).
void run_command(context& ctx, const principal& who, const request& req, const responder& out,
                 commands::any_command cmd, int created_status, render_fn render,
                 std::string location = "");

// The request's correlation id: X-Request-Id when it is sane (≤ 128 printable ASCII), else a
// new one ("req_<hex>").
std::string correlation_id(const request& req);

// ---------------------------------------------------------------- query parameters

// `limit`: absent → `def`; an integer in 1..max, else 400 (answered; nullopt returned).
std::optional<size_t> parse_limit(const request& req, const responder& out, size_t def = 50,
                                  size_t max = 500);

// Cursors are opaque to clients: base64url of "<signature>|<read-model key>". The signature
// ties a cursor to the list and filters it came from, so a cursor replayed with other
// filters answers 400 instead of silently restarting. `list_signature` is built by the route
// from its name and filters (signature() below).
std::string make_cursor(std::string_view list_signature, std::string_view key);
// The key inside `cursor` ("" when absent). 400 (answered; nullopt) when malformed or from
// another list.
std::optional<std::string> parse_cursor(const request& req, const responder& out,
                                        std::string_view list_signature);
// A short hash of the list's name and the query parameters other than limit and cursor.
std::string signature(std::string_view list, const request& req);

// An RFC 3339 time parameter as micros since the epoch; 0 when absent; 400 (answered,
// nullopt) when malformed.
std::optional<int64_t> parse_time_param(const request& req, const responder& out,
                                        std::string_view name);
// "true"/"1" → true, "false"/"0"/absent → false, anything else 400.
std::optional<bool> parse_bool_param(const request& req, const responder& out,
                                     std::string_view name);

// ---------------------------------------------------------------- crypto

// Lower-case hex SHA-256.
// The WhatsApp channel's state as the API reports it (GET /api/v1/whatsapp/status and the
// dashboard): off → disconnected; otherwise the last status the channel reported (the messages
// read model), "not checked yet" before the first. Defined in messaging_routes.cc.
struct whatsapp_state {
  std::string status;  // connected | disconnected | pairing
  std::string detail;
  std::string since;  // RFC 3339, "" when unknown
};
whatsapp_state whatsapp_state_of(const context& ctx);

std::string sha256_hex(std::string_view data);
// Whether a presented secret equals the expected one, in time that depends on the lengths
// only. Never true for an empty secret (a principal without a CSRF token matches nothing).
bool secret_equal(std::string_view a, std::string_view b);

std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace roms::http::api::internal
