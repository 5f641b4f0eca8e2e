// The CS inbox (CONTRACT.md "Conversations (CS inbox)"; consumers/README.md "CS inbox").
//
//   POST /api/v1/agents/me/status         {"status":"online|offline"}      (Admin or CS session)
//   POST /api/v1/agents/me/heartbeat      keeps an ONLINE agent online       (Admin or CS session)
//   GET  /api/v1/agents                   users with status and open count   (Admin or CS)
//   GET  /api/v1/conversations            ?view=mine|unassigned|all&state=open|closed&limit&cursor
//                                         or ?customer_id= (that customer's, any view)
//   GET  /api/v1/conversations/{id}
//   GET  /api/v1/conversations/{id}/messages   ?limit&cursor (oldest first; cursor → older)
//   POST /api/v1/conversations/{id}/messages   {"text"} → message.queued kind reply (outbox), or
//        multipart/form-data: "file" (stored content-addressed in <data>/media) + "text" caption
//   POST /api/v1/conversations/{id}/assign     {"agent_id"} (Admin; null or "" = unassigned)
//   POST /api/v1/conversations/{id}/resolve
//   GET  /api/v1/inbox/settings, PATCH /api/v1/inbox/settings (Admin)
//
// These routes append their events to the log themselves (like the webhooks), not through the
// command executor: each is one event whose id is derived from what it decides
// (core/inbox.h keys), so the inbox runner and the API deciding "the next assignment" or "the
// next status" at once collide in the log's id index and the log keeps one. A route that finds
// its id taken waits for the read models to catch up and decides again (at most 3 times, then
// 409 conflict). Answers come once the read models have applied the event (bounded wait, else
// 202 {"status":"applying"}), with X-Roms-Position.
#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cctype>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "consumers/derived_id.h"
#include "consumers/media_link.h"
#include "consumers/runner.h"
#include "core/errc.h"
#include "core/inbox.h"
#include "events/log.h"
#include "events/payload.h"
#include "events/types/inbox.h"
#include "events/types/messaging.h"
#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/errors.h"
#include "projections/read_models/auth.h"
#include "projections/read_models/conversations.h"
#include "projections/read_models/customers.h"
#include "projections/read_models/messages.h"
#include "projections/store.h"

namespace roms::http::api {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using projections::conversation_record;

constexpr auto kApplyWait = 2s;
constexpr size_t kMaxText = 4096;

response json_answer(int status, const json::value& body, std::string position = "") {
  response r;
  r.status = status;
  r.body = json::serialize(body);
  if (!position.empty()) r.headers.emplace_back("X-Roms-Position", std::move(position));
  return r;
}

json::value str_or_null(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

std::shared_ptr<const projections::read_view> view(context& ctx, std::string_view name) {
  auto v = ctx.store->view(name);
  return v ? v.value() : nullptr;
}

// ---------------------------------------------------------------- rendering

json::object conversation_json(const conversation_record& c,
                               const projections::read_view* customers) {
  json::object o;
  o["id"] = c.id;
  o["customer_id"] = str_or_null(c.customer_id);
  json::value customer = nullptr;
  if (customers && !c.customer_id.empty()) {
    if (auto r = projections::customers_query::get(*customers, c.customer_id)) {
      customer = json::object{{"id", r->id},
                              {"name", r->name},
                              {"phone", r->phone},
                              {"email", str_or_null(r->email)},
                              {"primary_segment", str_or_null(r->primary_segment)}};
    }
  }
  o["customer"] = std::move(customer);
  o["phone"] = c.phone;
  o["assignee_id"] = str_or_null(c.assignee_id);
  o["assigned_at"] = str_or_null(c.assigned_at);
  o["state"] = c.state;
  o["close_reason"] = str_or_null(c.close_reason);
  o["opened_at"] = c.opened_at;
  o["closed_at"] = str_or_null(c.closed_at);
  o["last_message_at"] = c.last_message_at;
  o["last_message"] =
      json::object{{"preview", c.last_preview}, {"direction", str_or_null(c.last_direction)}};
  o["last_direction"] = str_or_null(c.last_direction);
  o["unread"] = c.unread;
  o["message_count"] = c.message_count;
  return o;
}

json::object message_json(const projections::message_record& m) {
  json::object o;
  o["id"] = m.id;
  o["conversation_id"] = str_or_null(m.conversation_id);
  o["direction"] = m.direction;
  o["status"] = m.status;
  o["text"] = m.body;
  o["kind"] = str_or_null(m.kind);
  if (m.media) {
    json::object media{{"mime_type", m.media->mime_type}, {"filename", m.media->filename}};
    if (!m.media->sha256.empty()) {
      media["sha256"] = m.media->sha256;
      media["url"] = "/api/v1/media/" + m.media->sha256;
    }
    o["media"] = std::move(media);
  } else {
    o["media"] = nullptr;
  }
  o["error"] = m.error.empty()
                   ? json::value(nullptr)
                   : json::value(json::object{{"code", m.error_code}, {"message", m.error}});
  o["created_at"] = m.created_at;
  o["sent_at"] = str_or_null(m.sent_at);
  o["delivered_at"] = str_or_null(m.delivered_at);
  o["read_at"] = str_or_null(m.read_at);
  o["failed_at"] = str_or_null(m.failed_at);
  return o;
}

json::object agent_json(const projections::user_record* u, const projections::agent_record& a) {
  json::object o;
  o["id"] = a.id;
  o["email"] = u ? json::value(u->email) : json::value(nullptr);
  o["name"] =
      u ? json::value(u->display_name.empty() ? u->email : u->display_name) : json::value(a.id);
  o["role"] = u ? json::value(u->role) : json::value(nullptr);
  o["status"] = a.status;
  o["status_reason"] = str_or_null(a.reason);
  o["status_since"] = str_or_null(a.since);
  o["last_seen_at"] = str_or_null(a.last_seen_at);
  o["open_conversations"] = a.open;
  return o;
}

projections::agent_record agent_or_default(const projections::read_view& v, const std::string& id) {
  auto a = projections::conversations_query::agent(v, id);
  if (a) return *a;
  projections::agent_record r;
  r.id = id;
  return r;
}

json::object settings_json(const projections::inbox_settings_record& s) {
  return json::object{{"close_after_minutes", s.close_after_minutes},
                      {"agent_idle_minutes", s.agent_idle_minutes},
                      {"max_open_per_agent", s.max_open_per_agent},
                      {"reassign_after_minutes", s.reassign_after_minutes}};
}

// ---------------------------------------------------------------- writing

bool refuse_read_only(const context& ctx, const responder& out) {
  if (ctx.cfg.read_only || !ctx.log) {
    out.respond(error_response(403, "read_only", "this server is read-only"));
    return true;
  }
  return false;
}

// Waits (bounded) until the read models have applied everything the log holds now.
void catch_up(context& ctx) {
  if (!ctx.runner || !ctx.log) return;
  auto st = ctx.log->stats();
  if (!st) return;
  const auto& end = st.value().end_offsets;
  for (size_t p = 0; p < end.size(); ++p)
    if (end[p] > 0)
      ctx.runner->wait_for(events::log_position{static_cast<int32_t>(p), end[p] - 1}, kApplyWait);
}

template <class T>
events::envelope make_event(context& ctx, std::string id, std::string stream, const principal& who,
                            const request& req, const T& payload) {
  events::envelope e;
  e.id = std::move(id);
  e.type = std::string(T::kType);
  e.version = T::kVersion;
  e.stream = std::move(stream);
  e.time = ctx.clk->now();
  e.actor = who.actor;
  e.correlation_id = internal::correlation_id(req);
  e.payload = events::encode_payload(payload);
  return e;
}

struct appended {
  events::log_position position;
  bool duplicate = false;
};

std::optional<appended> append_one(context& ctx, const events::envelope& e, const responder& out) {
  auto a = ctx.log->append(std::span<const events::envelope>(&e, 1));
  if (!a) {
    out.respond(error_response(503, "unavailable", "the log could not record it"));
    return std::nullopt;
  }
  return appended{a.value()[0].position, a.value()[0].duplicate};
}

// Whether the read models applied `p` within the bounded wait.
bool applied(context& ctx, events::log_position p) {
  return !ctx.runner || ctx.runner->wait_for(p, kApplyWait);
}

std::string pos_text(const context& ctx, events::log_position p) {
  return events::to_string(p, ctx.cfg.single_partition);
}

void answer_applying(context& ctx, const responder& out, events::log_position p) {
  out.respond(json_answer(202, json::object{{"status", "applying"}, {"position", pos_text(ctx, p)}},
                          pos_text(ctx, p)));
}

std::optional<json::object> parse_object(const request& req, const responder& out) {
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec || !v.is_object()) {
    out.respond(error_response(400, "malformed_json", "the body must be a JSON object"));
    return std::nullopt;
  }
  return std::move(v.as_object());
}

bool agent_principal(const principal& who, const responder& out) {
  if (who.via != principal::kind::session) {
    out.respond(error_response(403, "forbidden", "agents are users: sign in"));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- agents

void set_status(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::cs_work);
  if (!who || !agent_principal(*who, out) || refuse_read_only(ctx, out)) return;
  auto body = parse_object(req, out);
  if (!body) return;
  auto it = body->find("status");
  if (it == body->end() || !it->value().is_string() ||
      (it->value().as_string() != "online" && it->value().as_string() != "offline"))
    return internal::answer_bad_param(out, "status", "status: online or offline");
  const bool online = it->value().as_string() == "online";
  internal::defer([&ctx, who = *who, req = std::move(req), online, out] {
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto v = view(ctx, "conversations");
      if (!v) return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
      auto a = agent_or_default(*v, who.id);
      if ((a.status == "online") == online && a.status_seq > 0) {
        auto users = view(ctx, "auth");
        auto u = users ? projections::auth_query::user(*users, who.id) : std::nullopt;
        return out.respond(json_answer(200, agent_json(u ? &*u : nullptr, a)));
      }
      if (!online && a.status_seq == 0) {
        auto users = view(ctx, "auth");
        auto u = users ? projections::auth_query::user(*users, who.id) : std::nullopt;
        return out.respond(json_answer(200, agent_json(u ? &*u : nullptr, a)));
      }
      events::agent_status_changed c{who.id, online ? "online" : "offline", "manual",
                                     a.status_seq + 1};
      auto e = make_event(ctx, consumers::derived_event_id(inbox::status_key(who.id, c.seq)),
                          who.id, who, req, c);
      auto r = append_one(ctx, e, out);
      if (!r) return;
      if (r->duplicate) {  // someone (the inbox runner) recorded that seq first: look again
        catch_up(ctx);
        continue;
      }
      if (!applied(ctx, r->position)) return answer_applying(ctx, out, r->position);
      auto v2 = view(ctx, "conversations");
      auto users = view(ctx, "auth");
      auto u = users ? projections::auth_query::user(*users, who.id) : std::nullopt;
      return out.respond(json_answer(200,
                                     agent_json(u ? &*u : nullptr, agent_or_default(*v2, who.id)),
                                     pos_text(ctx, r->position)));
    }
    out.respond(error_response(409, "conflict", "the status changed meanwhile; try again"));
  });
}

void heartbeat(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::cs_work);
  if (!who || !agent_principal(*who, out) || refuse_read_only(ctx, out)) return;
  internal::defer([&ctx, who = *who, req = std::move(req), out] {
    const timestamp now = ctx.clk->now();
    events::agent_seen s{who.id};
    auto e = make_event(ctx, consumers::derived_event_id(inbox::seen_key(who.id, to_micros(now))),
                        who.id, who, req, s);
    auto r = append_one(ctx, e, out);
    if (!r) return;
    auto v = view(ctx, "conversations");
    std::string status = v ? agent_or_default(*v, who.id).status : "offline";
    out.respond(json_answer(200, json::object{{"status", status}}, pos_text(ctx, r->position)));
  });
}

void list_agents(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::cs_work)) return;
  after_min_position(ctx, req, out, [&ctx, out] {
    internal::defer([&ctx, out] {
      auto v = view(ctx, "conversations");
      auto users = view(ctx, "auth");
      if (!v || !users)
        return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
      std::map<std::string, projections::agent_record> status;
      for (auto& a : projections::conversations_query::agents(*v)) status[a.id] = a;
      json::array items;
      std::string cursor;
      for (;;) {
        auto page = projections::auth_query::users(*users, 500, cursor);
        for (const auto& u : page.items) {
          if (u.disabled) continue;
          auto a = status.count(u.id) ? status[u.id] : projections::agent_record{};
          a.id = u.id;
          status.erase(u.id);
          items.push_back(agent_json(&u, a));
        }
        if (page.next_cursor.empty()) break;
        cursor = page.next_cursor;
      }
      // Agents that are not users of this server (tests with stand-in sign-ins).
      for (const auto& [id, a] : status) items.push_back(agent_json(nullptr, a));
      out.respond(
          json_answer(200, json::object{{"items", std::move(items)}, {"next_cursor", nullptr}}));
    });
  });
}

// ---------------------------------------------------------------- conversations

void list_conversations(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::cs_work);
  if (!who) return;
  projections::conversation_filter f;
  f.customer_id = std::string(req.query_param("customer_id"));
  f.view = std::string(req.query_param("view"));
  if (f.view.empty()) f.view = who->user_role == role::admin ? "all" : "mine";
  if (f.view != "mine" && f.view != "unassigned" && f.view != "all")
    return internal::answer_bad_param(out, "view", "view: mine, unassigned or all");
  // A customer's conversations (the customer panel) are open to CS like the customer is.
  if (f.view == "all" && who->user_role != role::admin && f.customer_id.empty())
    return out.respond(error_response(403, "forbidden", "only an Admin sees every conversation",
                                      R"({"required":"admin"})"));
  f.agent_id = who->id;
  f.state = std::string(req.query_param("state"));
  if (!f.state.empty() && f.state != "open" && f.state != "closed")
    return internal::answer_bad_param(out, "state", "state: open or closed");
  if (f.view == "unassigned" && f.state == "closed")
    return internal::answer_bad_param(out, "state", "unassigned conversations are open");
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  f.limit = *limit;
  std::string sig = internal::signature("conversations:" + who->id, req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  f.cursor = std::move(*cursor);
  after_min_position(ctx, req, out, [&ctx, f = std::move(f), sig, out]() mutable {
    internal::defer([&ctx, f = std::move(f), sig, out] {
      auto v = view(ctx, "conversations");
      if (!v) return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
      auto customers = view(ctx, "customers");
      auto page = projections::conversations_query::list(*v, f);
      json::array items;
      for (const auto& c : page.items) items.push_back(conversation_json(c, customers.get()));
      std::string next = internal::make_cursor(sig, page.next_cursor);
      out.respond(json_answer(
          200, json::object{{"items", std::move(items)}, {"next_cursor", str_or_null(next)}}));
    });
  });
}

void get_conversation(context& ctx, request&& req, path_params&& p, responder out) {
  if (!require(ctx, req, out, access::cs_work)) return;
  after_min_position(ctx, req, out, [&ctx, id = std::string(p["id"]), out] {
    internal::defer([&ctx, id, out] {
      auto v = view(ctx, "conversations");
      if (!v) return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
      auto c = projections::conversations_query::get(*v, id);
      if (!c) return internal::answer_not_found(out, "no conversation " + id);
      auto customers = view(ctx, "customers");
      out.respond(json_answer(200, conversation_json(*c, customers.get())));
    });
  });
}

void list_messages(context& ctx, request&& req, path_params&& p, responder out) {
  if (!require(ctx, req, out, access::cs_work)) return;
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  std::string id(p["id"]);
  std::string sig = internal::signature("conversation_messages:" + id, req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  after_min_position(ctx, req, out, [&ctx, id, n = *limit, cursor = *cursor, sig, out] {
    internal::defer([&ctx, id, n, cursor, sig, out] {
      auto v = view(ctx, "conversations");
      auto msgs = view(ctx, "messages");
      if (!v || !msgs)
        return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
      if (!projections::conversations_query::get(*v, id))
        return internal::answer_not_found(out, "no conversation " + id);
      auto page = projections::conversations_query::messages(*v, id, n, cursor);
      json::array items;
      for (const auto& ref : page.items) {
        if (auto m = projections::messages_query::get(*msgs, ref.message_id)) {
          // An inbound file the media fetcher stored: served from here, not the gateway.
          if (m->media && m->media->sha256.empty()) {
            if (auto f = projections::conversations_query::fetched_media(*v, m->id);
                f && !f->sha256.empty()) {
              m->media->sha256 = f->sha256;
              if (m->media->mime_type.empty()) m->media->mime_type = f->mime_type;
            }
          }
          auto o = message_json(*m);
          if (m->conversation_id.empty()) o["conversation_id"] = id;
          items.push_back(std::move(o));
        }
      }
      std::string next = internal::make_cursor(sig, page.next_cursor);
      out.respond(json_answer(
          200, json::object{{"items", std::move(items)}, {"next_cursor", str_or_null(next)}}));
    });
  });
}

// ---------------------------------------------------------------- attachments

struct upload {
  std::string text;
  std::string filename;
  std::string mime_type;
  std::string data;
  bool has_file = false;
};

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
    v.remove_suffix(1);
  return v;
}

// A parameter of a header value: `name=value` or `name="value"` ("" when absent).
std::string header_param(std::string_view value, std::string_view name) {
  size_t at = 0;
  while ((at = value.find(';', at)) != std::string_view::npos) {
    ++at;
    auto rest = trim(value.substr(at));
    if (rest.size() > name.size() && rest.substr(0, name.size()) == name &&
        rest[name.size()] == '=') {
      auto v = rest.substr(name.size() + 1);
      if (!v.empty() && v.front() == '"') {
        v.remove_prefix(1);
        return std::string(v.substr(0, v.find('"')));
      }
      return std::string(trim(v.substr(0, v.find(';'))));
    }
  }
  return {};
}

// multipart/form-data with the parts "file" (one file) and "text" (an optional caption).
// Errors name the field.
result_msg<upload> parse_multipart(std::string_view content_type, std::string_view body) {
  const std::string boundary = header_param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200)
    return error_info{errc::invalid_argument, "Content-Type: multipart/form-data needs a boundary"};
  const std::string delim = "--" + boundary;
  upload u;
  size_t at = body.find(delim);
  if (at == std::string_view::npos)
    return error_info{errc::invalid_argument, "body: not multipart/form-data"};
  for (;;) {
    at += delim.size();
    if (body.substr(at, 2) == "--") break;  // the closing delimiter
    if (body.substr(at, 2) != "\r\n")
      return error_info{errc::invalid_argument, "body: a malformed part"};
    at += 2;
    const size_t head_end = body.find("\r\n\r\n", at);
    if (head_end == std::string_view::npos)
      return error_info{errc::invalid_argument, "body: a part without headers"};
    const std::string_view head = body.substr(at, head_end - at);
    const size_t data_start = head_end + 4;
    const size_t next = body.find("\r\n" + delim, data_start);
    if (next == std::string_view::npos)
      return error_info{errc::invalid_argument, "body: a part without its end"};
    const std::string_view data = body.substr(data_start, next - data_start);
    std::string name, filename, type;
    size_t line = 0;
    while (line <= head.size()) {
      size_t end = head.find("\r\n", line);
      if (end == std::string_view::npos) end = head.size();
      auto h = head.substr(line, end - line);
      auto colon = h.find(':');
      if (colon != std::string_view::npos) {
        std::string key(trim(h.substr(0, colon)));
        for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto value = trim(h.substr(colon + 1));
        if (key == "content-disposition") {
          name = header_param(value, "name");
          filename = header_param(value, "filename");
        } else if (key == "content-type") {
          type = std::string(value);
        }
      }
      line = end + 2;
    }
    if (name == "text") {
      u.text = std::string(data);
    } else if (name == "file") {
      if (u.has_file) return error_info{errc::invalid_argument, "file: one file per message"};
      u.has_file = true;
      u.filename = filename.empty() ? "file" : filename;
      u.mime_type = type.empty() ? "application/octet-stream" : type;
      u.data = std::string(data);
    }
    at = next + 2;
  }
  if (!u.has_file || u.data.empty())
    return error_info{errc::invalid_argument, "file: a non-empty file part named \"file\""};
  return u;
}

void reply(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::cs_work);
  if (!who || refuse_read_only(ctx, out)) return;
  std::string text;
  std::optional<events::media_ref> media;
  std::string file_data;
  const auto content_type = req.header("Content-Type");
  if (content_type.starts_with("multipart/form-data")) {
    if (!ctx.media)
      return out.respond(error_response(415, "unsupported_media_type",
                                        "this server stores no media: send {\"text\"}"));
    auto u = parse_multipart(content_type, req.body);
    if (!u)
      return internal::answer_bad_param(out,
                                        internal::field_of(u.error().message).empty()
                                            ? "body"
                                            : internal::field_of(u.error().message),
                                        u.error().message);
    text = std::move(u.value().text);
    media = events::media_ref{"", u.value().mime_type, u.value().filename, ""};
    file_data = std::move(u.value().data);
  } else if (content_type.starts_with("multipart/")) {
    return out.respond(error_response(415, "unsupported_media_type",
                                      "send {\"text\"} or multipart/form-data with a file"));
  } else {
    auto body = parse_object(req, out);
    if (!body) return;
    auto it = body->find("text");
    if (it == body->end() || !it->value().is_string() || it->value().as_string().empty())
      return internal::answer_bad_param(out, "text", "text: the message to send, not empty");
    text = std::string(it->value().as_string());
  }
  if (text.size() > kMaxText)
    return internal::answer_bad_param(out, "text", "text: at most 4096 bytes");
  std::string idem(req.header("Idempotency-Key"));
  if (idem.size() > 255)
    return internal::answer_bad_param(out, "Idempotency-Key", "Idempotency-Key: 1–255 characters");
  internal::defer([&ctx, who = *who, req = std::move(req), id = std::string(p["id"]),
                   text = std::move(text), media = std::move(media),
                   file_data = std::move(file_data), idem = std::move(idem), out]() mutable {
    auto v = view(ctx, "conversations");
    if (!v) return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
    auto c = projections::conversations_query::get(*v, id);
    if (!c) return internal::answer_not_found(out, "no conversation " + id);
    if (c->state != "open")
      return out.respond(error_response(409, "conversation_closed",
                                        "the conversation is closed; a new message from the "
                                        "customer opens a new one"));
    if (media) {
      auto sha = consumers::store_media_file(ctx.media->dir(), file_data);
      if (!sha) return out.respond(error_response(503, "unavailable", sha.error().message));
      media->sha256 = sha.value();
    }
    const std::string key =
        "reply:" + id + ":" +
        (idem.empty() ? events::new_event_id(ctx.clk->now()) : who.id + ":" + idem);
    events::message_queued q;
    q.message_id = consumers::derived_id("msg", key);
    q.customer_id = c->customer_id;
    q.conversation_id = id;
    q.to = c->phone;
    q.kind = "reply";
    q.body = text;
    q.media = media;
    q.idempotency_key = key;
    q.cause = id;
    auto e = make_event(ctx, consumers::derived_event_id("message.queued:" + key), q.message_id,
                        who, req, q);
    auto r = append_one(ctx, e, out);
    if (!r) return;
    if (!applied(ctx, r->position)) return answer_applying(ctx, out, r->position);
    auto msgs = view(ctx, "messages");
    auto m = msgs ? projections::messages_query::get(*msgs, q.message_id) : std::nullopt;
    if (!m) return answer_applying(ctx, out, r->position);
    out.respond(
        json_answer(r->duplicate ? 200 : 201, message_json(*m), pos_text(ctx, r->position)));
  });
}

void assign(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who || refuse_read_only(ctx, out)) return;
  auto body = parse_object(req, out);
  if (!body) return;
  auto it = body->find("agent_id");
  if (it == body->end() || !(it->value().is_string() || it->value().is_null()))
    return internal::answer_bad_param(out, "agent_id",
                                      "agent_id: a user id, or null for the unassigned queue");
  std::string agent = it->value().is_string() ? std::string(it->value().as_string()) : "";
  internal::defer([&ctx, who = *who, req = std::move(req), id = std::string(p["id"]),
                   agent = std::move(agent), out] {
    if (!agent.empty()) {
      auto users = view(ctx, "auth");
      auto u = users ? projections::auth_query::user(*users, agent) : std::nullopt;
      auto v = view(ctx, "conversations");
      const bool known_agent = v && projections::conversations_query::agent(*v, agent);
      if ((!u || u->disabled) && !known_agent)
        return internal::answer_bad_param(out, "agent_id", "agent_id: no such (enabled) user");
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto v = view(ctx, "conversations");
      if (!v) return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
      auto c = projections::conversations_query::get(*v, id);
      if (!c) return internal::answer_not_found(out, "no conversation " + id);
      if (c->state != "open")
        return out.respond(
            error_response(409, "conversation_closed", "the conversation is closed"));
      auto customers = view(ctx, "customers");
      if (c->assignee_id == agent)
        return out.respond(json_answer(200, conversation_json(*c, customers.get())));
      events::conversation_assigned a{id, agent, c->assignee_id, "admin", c->assignment_seq + 1};
      auto e = make_event(ctx, consumers::derived_event_id(inbox::assigned_key(id, a.seq)), id, who,
                          req, a);
      auto r = append_one(ctx, e, out);
      if (!r) return;
      if (r->duplicate) {
        catch_up(ctx);
        continue;
      }
      if (!applied(ctx, r->position)) return answer_applying(ctx, out, r->position);
      auto v2 = view(ctx, "conversations");
      auto after = projections::conversations_query::get(*v2, id);
      return out.respond(json_answer(200, conversation_json(after ? *after : *c, customers.get()),
                                     pos_text(ctx, r->position)));
    }
    out.respond(error_response(409, "conflict", "the conversation changed meanwhile; try again"));
  });
}

void resolve(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::cs_work);
  if (!who || refuse_read_only(ctx, out)) return;
  internal::defer([&ctx, who = *who, req = std::move(req), id = std::string(p["id"]), out] {
    auto v = view(ctx, "conversations");
    if (!v) return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
    auto c = projections::conversations_query::get(*v, id);
    if (!c) return internal::answer_not_found(out, "no conversation " + id);
    auto customers = view(ctx, "customers");
    if (c->state != "open")
      return out.respond(json_answer(200, conversation_json(*c, customers.get())));
    events::conversation_closed x{id, "resolved"};
    auto e = make_event(ctx, consumers::derived_event_id(inbox::closed_key(id)), id, who, req, x);
    auto r = append_one(ctx, e, out);
    if (!r) return;
    if (!applied(ctx, r->position)) return answer_applying(ctx, out, r->position);
    auto v2 = view(ctx, "conversations");
    auto after = projections::conversations_query::get(*v2, id);
    out.respond(json_answer(200, conversation_json(after ? *after : *c, customers.get()),
                            pos_text(ctx, r->position)));
  });
}

// ---------------------------------------------------------------- settings

void get_settings(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::cs_work)) return;
  after_min_position(ctx, req, out, [&ctx, out] {
    auto v = view(ctx, "conversations");
    if (!v) return out.respond(error_response(503, "unavailable", "the inbox is unavailable"));
    out.respond(json_answer(200, settings_json(projections::conversations_query::settings(*v))));
  });
}

void patch_settings(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who || refuse_read_only(ctx, out)) return;
  auto body = parse_object(req, out);
  if (!body) return;
  events::inbox_settings_changed s;
  struct field {
    const char* name;
    std::optional<int64_t>* dst;
    int64_t min, max;
  };
  const field fields[] = {{"close_after_minutes", &s.close_after_minutes, 1, 525'600},
                          {"agent_idle_minutes", &s.agent_idle_minutes, 0, 1'440},
                          {"max_open_per_agent", &s.max_open_per_agent, 0, 10'000},
                          {"reassign_after_minutes", &s.reassign_after_minutes, 0, 10'080}};
  for (const auto& [k, val] : *body) {
    const field* f = nullptr;
    for (const auto& c : fields)
      if (k == c.name) f = &c;
    if (!f)
      return internal::answer_bad_param(out, std::string(k), std::string(k) + ": unknown setting");
    if (!val.is_int64() || val.as_int64() < f->min || val.as_int64() > f->max)
      return internal::answer_bad_param(out, f->name,
                                        std::string(f->name) + ": a whole number from " +
                                            std::to_string(f->min) + " to " +
                                            std::to_string(f->max));
    *f->dst = val.as_int64();
  }
  internal::defer([&ctx, who = *who, req = std::move(req), s, out] {
    auto e = make_event(ctx, events::new_event_id(ctx.clk->now()), "inbox", who, req, s);
    auto r = append_one(ctx, e, out);
    if (!r) return;
    if (!applied(ctx, r->position)) return answer_applying(ctx, out, r->position);
    auto v = view(ctx, "conversations");
    out.respond(json_answer(200, settings_json(projections::conversations_query::settings(*v)),
                            pos_text(ctx, r->position)));
  });
}

}  // namespace

void add_inbox_routes(router& r, context& ctx) {
  r.add("POST", "/api/v1/agents/me/status", [&ctx](request&& req, path_params&&, responder out) {
    set_status(ctx, std::move(req), std::move(out));
  });
  r.add("POST", "/api/v1/agents/me/heartbeat", [&ctx](request&& req, path_params&&, responder out) {
    heartbeat(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/agents", [&ctx](request&& req, path_params&&, responder out) {
    list_agents(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/conversations", [&ctx](request&& req, path_params&&, responder out) {
    list_conversations(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/conversations/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_conversation(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("GET", "/api/v1/conversations/{id}/messages",
        [&ctx](request&& req, path_params&& p, responder out) {
          list_messages(ctx, std::move(req), std::move(p), std::move(out));
        });
  r.add("POST", "/api/v1/conversations/{id}/messages",
        [&ctx](request&& req, path_params&& p, responder out) {
          reply(ctx, std::move(req), std::move(p), std::move(out));
        });
  r.add("POST", "/api/v1/conversations/{id}/assign",
        [&ctx](request&& req, path_params&& p, responder out) {
          assign(ctx, std::move(req), std::move(p), std::move(out));
        });
  r.add("POST", "/api/v1/conversations/{id}/resolve",
        [&ctx](request&& req, path_params&& p, responder out) {
          resolve(ctx, std::move(req), std::move(p), std::move(out));
        });
  r.add("GET", "/api/v1/inbox/settings", [&ctx](request&& req, path_params&&, responder out) {
    get_settings(ctx, std::move(req), std::move(out));
  });
  r.add("PATCH", "/api/v1/inbox/settings", [&ctx](request&& req, path_params&&, responder out) {
    patch_settings(ctx, std::move(req), std::move(out));
  });
}

}  // namespace roms::http::api
