// Automations (CONTRACT.md "Automations, messages, alerts"):
//   GET|POST /api/v1/templates, GET|PATCH|DELETE /api/v1/templates/{id}
//   GET|POST /api/v1/reminders, GET|PATCH|DELETE /api/v1/reminders/{id}
//   GET /api/v1/alerts?state=open|acknowledged|resolved, GET /api/v1/alerts/{id},
//   POST /api/v1/alerts/{id}/ack
// Access: templates are read by Admin, CS and read keys, written by Admin; reminder rules are
// Admin's (reads too); alerts are read like templates and acknowledged by Admin or CS.
// Writes are commands (core/decide_automation.cc): an unknown {variable} in a body is a 400
// naming it. Reads come from the automation read model.
#include "core/automation.h"
#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/api/internal/dto.h"
#include "http/api/internal/render.h"
#include "projections/read_models.h"
#include "projections/store.h"

namespace roms::http::api {
namespace {

using internal::rendered;
using projections::alert_record;
using projections::reminder_rule_record;
using projections::template_record;

// ---------------------------------------------------------------- bodies

struct string_holder {
  std::optional<std::string> v;
  template <class V>
  void fields(V& x) {
    x("v", v);
  }
};

// A PATCH member that may be absent, null or a string (product_id: null = every product) is
// decoded as raw JSON with the sentinel "" for absent. nullopt: absent; "": null; else the
// string. An error names the field.
outcome::result<std::optional<std::string>, internal::body_error, outcome::policy::terminate>
read_nullable(const events::raw_json& raw, std::string_view field) {
  if (raw.text.empty()) return std::optional<std::string>{};
  auto s = events::decode_payload<string_holder>("{\"v\":" + raw.text + "}");
  if (!s) {
    return internal::body_error{make_error_code(errc::invalid_argument),
                                std::string(field) + ": a string or null", std::string(field)};
  }
  return std::optional<std::string>(s.value().v.value_or(""));
}

struct template_body {
  std::string name, type, body, wa_template_name, wa_language;
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("type", type);
    v("body", body);
    v("wa_template_name", wa_template_name);
    v("wa_language", wa_language);
  }
  commands::create_template to_command() && {
    return {std::move(name), std::move(type), std::move(body), std::move(wa_template_name),
            std::move(wa_language)};
  }
};

struct template_patch {
  std::optional<std::string> name, type, body, wa_template_name, wa_language;
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("type", type);
    v("body", body);
    v("wa_template_name", wa_template_name);
    v("wa_language", wa_language);
  }
  commands::update_template to_command(std::string id) && {
    commands::update_template c;
    c.template_id = std::move(id);
    c.name = std::move(name);
    c.kind = std::move(type);
    c.body = std::move(body);
    c.wa_template_name = std::move(wa_template_name);
    c.wa_language = std::move(wa_language);
    return c;
  }
};

struct rule_body {
  std::string name;
  int64_t days_after_delivery = 0;
  std::optional<std::string> product_id, template_id, body;
  bool enabled = true;
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("days_after_delivery", days_after_delivery);
    v("product_id", product_id);
    v("template_id", template_id);
    v("body", body);
    v("enabled", enabled);
  }
  commands::create_reminder_rule to_command() && {
    commands::create_reminder_rule c;
    c.name = std::move(name);
    c.days_after_delivery = days_after_delivery;
    c.product_id = product_id.value_or("");
    c.template_id = template_id.value_or("");
    c.body = body.value_or("");
    c.enabled = enabled;
    return c;
  }
};

struct rule_patch {
  std::optional<std::string> name;
  std::optional<int64_t> days_after_delivery;
  events::raw_json product_id{""}, template_id{""}, body{""};
  std::optional<bool> enabled;
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("days_after_delivery", days_after_delivery);
    v("product_id", product_id);
    v("template_id", template_id);
    v("body", body);
    v("enabled", enabled);
  }
};

// ---------------------------------------------------------------- rendering

void write_template(events::json_writer& w, const template_record& t) {
  w.begin_object();
  w.field("id", std::string_view(t.id));
  w.field("name", std::string_view(t.name));
  w.field("type", std::string_view(t.kind));
  w.field("body", std::string_view(t.body));
  w.key("variables").begin_array();
  for (const auto& v : template_variables_used(t.body)) w.value(std::string_view(v));
  w.end_array();
  internal::string_or_null(w, "wa_template_name", t.wa_template_name);
  internal::string_or_null(w, "wa_language", t.wa_language);
  w.field("default", t.builtin);
  internal::string_or_null(w, "created_at", t.created_at);
  internal::string_or_null(w, "updated_at", t.updated_at);
  w.end_object();
}

void write_rule(events::json_writer& w, const reminder_rule_record& r,
                const projections::reminder_counts& c) {
  w.begin_object();
  w.field("id", std::string_view(r.id));
  w.field("name", std::string_view(r.name));
  w.field("days_after_delivery", r.days_after_delivery);
  internal::string_or_null(w, "product_id", r.product_id);
  internal::string_or_null(w, "template_id", r.template_id);
  internal::string_or_null(w, "body", r.body);
  w.field("enabled", r.enabled);
  internal::string_or_null(w, "created_at", r.created_at);
  internal::string_or_null(w, "updated_at", r.updated_at);
  w.key("stats").begin_object();
  w.field("scheduled", c.scheduled);
  w.field("sent", c.sent);
  w.field("cancelled", c.cancelled);
  w.field("pending", std::max<int64_t>(c.scheduled - c.sent - c.cancelled, 0));
  w.end_object();
  w.end_object();
}

void write_alert(events::json_writer& w, const alert_record& a) {
  w.begin_object();
  w.field("id", std::string_view(a.id));
  w.field("kind", std::string_view(a.kind));
  w.field("severity", std::string_view(a.severity));
  w.field("subject", std::string_view(a.subject));
  w.field("title", std::string_view(a.title));
  w.key("recommended_qty");
  if (a.kind == "critical_stock") {
    w.value(a.recommended_qty);
  } else {
    w.null();
  }
  w.field("state", std::string_view(a.state));
  internal::string_or_null(w, "raised_at", a.raised_at);
  internal::string_or_null(w, "acknowledged_at", a.acknowledged_at);
  internal::string_or_null(w, "acknowledged_by", a.acknowledged_by);
  internal::string_or_null(w, "resolved_at", a.resolved_at);
  internal::string_or_null(w, "resolve_reason", a.resolve_reason);
  w.end_object();
}

std::shared_ptr<const projections::read_view> automation_view(
    const projections::projection_store& s) {
  auto v = s.view("automation");
  return v ? std::move(v).value() : nullptr;
}

std::optional<std::string> template_json(const projections::projection_store& s,
                                         std::string_view id) {
  auto v = automation_view(s);
  if (!v) return std::nullopt;
  auto t = projections::automation_query::get_template(*v, id);
  if (!t) return std::nullopt;
  events::json_writer w;
  write_template(w, *t);
  return std::move(w).str();
}

std::optional<std::string> rule_json(const projections::projection_store& s, std::string_view id) {
  auto v = automation_view(s);
  if (!v) return std::nullopt;
  auto r = projections::automation_query::get_rule(*v, id);
  if (!r) return std::nullopt;
  events::json_writer w;
  write_rule(w, *r, projections::automation_query::rule_counts(*v, id));
  return std::move(w).str();
}

std::optional<std::string> alert_json(const projections::projection_store& s, std::string_view id) {
  auto v = automation_view(s);
  if (!v) return std::nullopt;
  auto a = projections::automation_query::get_alert(*v, id);
  if (!a) return std::nullopt;
  events::json_writer w;
  write_alert(w, *a);
  return std::move(w).str();
}

using json_of = std::optional<std::string> (*)(const projections::projection_store&,
                                               std::string_view);

internal::render_fn render_with(std::shared_ptr<projections::projection_store> store, json_of f) {
  return [store = std::move(store), f](const commands::outcome& o) -> std::optional<rendered> {
    auto body = f(*store, o.id);
    if (!body) return std::nullopt;
    return rendered{std::move(*body), {}};
  };
}

// {"id": …, "deleted": true} once the deletion is applied.
internal::render_fn render_deleted(std::shared_ptr<projections::projection_store> store,
                                   json_of still_there) {
  return [store = std::move(store),
          still_there](const commands::outcome& o) -> std::optional<rendered> {
    if (still_there(*store, o.id)) return std::nullopt;
    events::json_writer w;
    w.begin_object().field("id", std::string_view(o.id)).field("deleted", true).end_object();
    return rendered{std::move(w).str(), {}};
  };
}

void get_one(context& ctx, request&& req, path_params&& p, responder out, access a, json_of f,
             std::string what) {
  if (!require(ctx, req, out, a)) return;
  after_min_position(ctx, req, out, [store = ctx.store, id = std::string(p["id"]), out, f, what] {
    auto body = f(*store, id);
    if (!body) return internal::answer_not_found(out, "no " + what + " " + id);
    out.respond(json(200, std::move(*body)));
  });
}

// ---------------------------------------------------------------- templates

void list_templates(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  std::string type(req.query_param("type"));
  if (!type.empty() && !valid_template_kind(type))
    return internal::answer_bad_param(out, "type",
                                      "type: one of order_confirmation, greeting, bank_info, "
                                      "shipping, reminder, broadcast, custom");
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  std::string sig = internal::signature("templates", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  after_min_position(
      ctx, req, out, [store = ctx.store, type, limit = *limit, cursor = *cursor, sig, out] {
        internal::defer([store, type, limit, cursor, sig, out] {
          auto v = automation_view(*store);
          if (!v) return out.respond(error_response(500, "internal", "no read model"));
          auto page = projections::automation_query::templates(*v, type, {limit, cursor});
          events::json_writer w;
          internal::begin_list(w);
          for (const auto& t : page.items) write_template(w, t);
          internal::end_list(w, internal::make_cursor(sig, page.next_cursor));
          out.respond(json(200, std::move(w).str()));
        });
      });
}

void create_template(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return;
  auto body = internal::decode_body<template_body>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(ctx, *who, req, out, std::move(body).value().to_command(), 201,
                        render_with(ctx.store, template_json), "/api/v1/templates/");
}

void update_template(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return;
  auto body = internal::decode_body<template_patch>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(ctx, *who, req, out,
                        std::move(body).value().to_command(std::string(p["id"])), 200,
                        render_with(ctx.store, template_json));
}

void delete_template(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return;
  internal::run_command(ctx, *who, req, out, commands::delete_template{std::string(p["id"])}, 200,
                        render_deleted(ctx.store, template_json));
}

// ---------------------------------------------------------------- reminder rules

void list_rules(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::admin)) return;
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  std::string sig = internal::signature("reminders", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  after_min_position(ctx, req, out,
                     [store = ctx.store, limit = *limit, cursor = *cursor, sig, out] {
                       internal::defer([store, limit, cursor, sig, out] {
                         auto v = automation_view(*store);
                         if (!v)
                           return out.respond(error_response(500, "internal", "no read model"));
                         auto page = projections::automation_query::rules(*v, {limit, cursor});
                         events::json_writer w;
                         internal::begin_list(w);
                         for (const auto& r : page.items)
                           write_rule(w, r, projections::automation_query::rule_counts(*v, r.id));
                         internal::end_list(w, internal::make_cursor(sig, page.next_cursor));
                         out.respond(json(200, std::move(w).str()));
                       });
                     });
}

void create_rule(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return;
  auto body = internal::decode_body<rule_body>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(ctx, *who, req, out, std::move(body).value().to_command(), 201,
                        render_with(ctx.store, rule_json), "/api/v1/reminders/");
}

void update_rule(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return;
  auto body = internal::decode_body<rule_patch>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  auto& b = body.value();
  commands::update_reminder_rule c;
  c.rule_id = std::string(p["id"]);
  c.name = std::move(b.name);
  c.days_after_delivery = b.days_after_delivery;
  c.enabled = b.enabled;
  auto product = read_nullable(b.product_id, "product_id");
  if (!product) return internal::answer_body_error(out, product.error());
  auto tpl = read_nullable(b.template_id, "template_id");
  if (!tpl) return internal::answer_body_error(out, tpl.error());
  auto text = read_nullable(b.body, "body");
  if (!text) return internal::answer_body_error(out, text.error());
  c.product_id = std::move(product).value();
  c.template_id = std::move(tpl).value();
  c.body = std::move(text).value();
  internal::run_command(ctx, *who, req, out, std::move(c), 200, render_with(ctx.store, rule_json));
}

void delete_rule(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return;
  internal::run_command(ctx, *who, req, out, commands::delete_reminder_rule{std::string(p["id"])},
                        200, render_deleted(ctx.store, rule_json));
}

// ---------------------------------------------------------------- alerts

void list_alerts(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  std::string state(req.query_param("state"));
  if (!state.empty() && state != "open" && state != "acknowledged" && state != "resolved")
    return internal::answer_bad_param(out, "state", "state: open, acknowledged or resolved");
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  std::string sig = internal::signature("alerts", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  after_min_position(
      ctx, req, out, [store = ctx.store, state, limit = *limit, cursor = *cursor, sig, out] {
        internal::defer([store, state, limit, cursor, sig, out] {
          auto v = automation_view(*store);
          if (!v) return out.respond(error_response(500, "internal", "no read model"));
          auto page = projections::automation_query::alerts(*v, state, {limit, cursor});
          events::json_writer w;
          internal::begin_list(w);
          for (const auto& a : page.items) write_alert(w, a);
          internal::end_list(w, internal::make_cursor(sig, page.next_cursor));
          out.respond(json(200, std::move(w).str()));
        });
      });
}

void ack_alert(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::cs_work);
  if (!who) return;
  internal::run_command(ctx, *who, req, out, commands::acknowledge_alert{std::string(p["id"])}, 200,
                        render_with(ctx.store, alert_json));
}

}  // namespace

void add_automation_routes(router& r, context& ctx) {
  r.add("GET", "/api/v1/templates", [&ctx](request&& req, path_params&&, responder out) {
    list_templates(ctx, std::move(req), std::move(out));
  });
  r.add("POST", "/api/v1/templates", [&ctx](request&& req, path_params&&, responder out) {
    create_template(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/templates/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_one(ctx, std::move(req), std::move(p), std::move(out), access::read, template_json,
            "template");
  });
  r.add("PATCH", "/api/v1/templates/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    update_template(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("DELETE", "/api/v1/templates/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    delete_template(ctx, std::move(req), std::move(p), std::move(out));
  });

  r.add("GET", "/api/v1/reminders", [&ctx](request&& req, path_params&&, responder out) {
    list_rules(ctx, std::move(req), std::move(out));
  });
  r.add("POST", "/api/v1/reminders", [&ctx](request&& req, path_params&&, responder out) {
    create_rule(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/reminders/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_one(ctx, std::move(req), std::move(p), std::move(out), access::admin, rule_json,
            "reminder rule");
  });
  r.add("PATCH", "/api/v1/reminders/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    update_rule(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("DELETE", "/api/v1/reminders/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    delete_rule(ctx, std::move(req), std::move(p), std::move(out));
  });

  r.add("GET", "/api/v1/alerts", [&ctx](request&& req, path_params&&, responder out) {
    list_alerts(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/alerts/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_one(ctx, std::move(req), std::move(p), std::move(out), access::read, alert_json, "alert");
  });
  r.add("POST", "/api/v1/alerts/{id}/ack", [&ctx](request&& req, path_params&& p, responder out) {
    ack_alert(ctx, std::move(req), std::move(p), std::move(out));
  });
}

}  // namespace roms::http::api
