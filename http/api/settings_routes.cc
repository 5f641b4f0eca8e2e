// The shop's settings (CONTRACT.md): GET|PATCH /api/v1/settings. Settings are events
// (settings.changed); the daily read model folds them, and GET reads them there.
#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/api/internal/dto.h"
#include "http/api/internal/render.h"
#include "projections/read_models.h"
#include "projections/store.h"

namespace roms::http::api {
namespace {

std::optional<std::string> settings_json(const projections::projection_store& store) {
  auto v = store.view("daily");
  if (!v) return std::nullopt;
  events::json_writer w;
  internal::write_settings(w, projections::daily_query::settings(*v.value()));
  return std::move(w).str();
}

void get_settings(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  after_min_position(ctx, req, out, [store = ctx.store, out] {
    auto body = settings_json(*store);
    if (!body) return out.respond(error_response(500, "internal", "the settings cannot be read"));
    out.respond(json(200, std::move(*body)));
  });
}

void change_settings(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return;
  auto body = internal::decode_body<internal::settings_patch>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(
      ctx, *who, req, out, std::move(body).value().to_command(), 200,
      [store = ctx.store](const commands::outcome&) -> std::optional<internal::rendered> {
        auto b = settings_json(*store);
        if (!b) return std::nullopt;
        return internal::rendered{std::move(*b), {}};
      });
}

}  // namespace

void add_settings_routes(router& r, context& ctx) {
  r.add("GET", "/api/v1/settings", [&ctx](request&& req, path_params&&, responder out) {
    get_settings(ctx, std::move(req), std::move(out));
  });
  r.add("PATCH", "/api/v1/settings", [&ctx](request&& req, path_params&&, responder out) {
    change_settings(ctx, std::move(req), std::move(out));
  });
}

}  // namespace roms::http::api
