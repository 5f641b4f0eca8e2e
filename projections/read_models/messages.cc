#include "projections/read_models/messages.h"

#include <algorithm>
#include <charconv>

#include "core/time.h"
#include "projections/read_models/fold_util.h"
#include "projections/read_models/keys.h"

namespace roms::projections {
namespace {

using namespace std::string_view_literals;

int rank(std::string_view status) {
  if (status == "queued") return 0;
  if (status == "sending") return 1;
  if (status == "sent") return 2;
  if (status == "delivered") return 3;
  if (status == "read") return 4;
  return -1;  // failed, received
}


std::string message_key(std::string_view id) { return key("m", id); }

void set_status(fold_context& ctx, message_record& m, std::string_view to) {
  const std::string t = fixed20(m.created_us);
  if (!m.status.empty()) ctx.del(key("s", m.status, t, m.id));
  m.status = std::string(to);
  ctx.put(key("s", m.status, t, m.id), "");
}

void unqueue(fold_context& ctx, const message_record& m) {
  ctx.del(key("q", fixed20(m.ready_us), m.id));
}

void enqueue(fold_context& ctx, message_record& m, int64_t ready_us) {
  m.ready_us = ready_us;
  ctx.put(key("q", fixed20(m.ready_us), m.id), "");
}

void index_gateway_id(fold_context& ctx, message_record& m, std::string_view gateway,
                      std::string_view gateway_id) {
  if (gateway_id.empty()) return;
  if (!gateway.empty()) m.gateway = std::string(gateway);
  if (m.gateway_message_id == gateway_id) return;
  m.gateway_message_id = std::string(gateway_id);
  ctx.put(key("g", m.gateway, gateway_key(m.gateway, gateway_id)), m.id);
}

void bump_last_inbound(fold_context& ctx, std::string_view k, int64_t us) {
  auto cur = ctx.peek(k);
  if (cur && parse_i64(*cur) >= us) return;
  ctx.put(k, std::to_string(us));
}

// Leaves the queue / the in-flight list when the message reaches a state outside them.
void leave_work_lists(fold_context& ctx, const message_record& m) {
  if (m.status == "queued") unqueue(ctx, m);
  if (m.status == "sending") ctx.del(key("x", m.id));
}

result_msg<void> fold_queued(const events::stored_event& e, fold_context& ctx,
                             const std::string& at) {
  BOOST_OUTCOME_TRY(auto q, decode_event<events::message_queued>(e));
  std::string k = message_key(q.message_id);
  if (ctx.contains(k)) return success();  // queued twice: the first one stands
  message_record m;
  m.id = q.message_id;
  m.direction = "outbound";
  m.customer_id = q.customer_id;
  m.conversation_id = q.conversation_id;
  m.to = q.to;
  m.kind = q.kind;
  m.body = q.body;
  m.template_id = q.template_id;
  m.wa_template = q.wa_template;
  m.media = q.media;
  m.idempotency_key = q.idempotency_key;
  m.cause = q.cause;
  m.queued_event_id = e.event.id;
  m.created_at = at;
  m.created_us = to_micros(e.event.time);
  m.updated_at = at;
  const std::string t = fixed20(m.created_us);
  ctx.put(key("a", t, m.id), "");
  if (!m.customer_id.empty()) ctx.put(key("c", m.customer_id, t, m.id), "");
  set_status(ctx, m, "queued");
  enqueue(ctx, m, m.created_us);
  store(ctx, k, m);
  return success();
}

result_msg<void> fold_received(const events::stored_event& e, fold_context& ctx,
                               const std::string& at) {
  BOOST_OUTCOME_TRY(auto r, decode_event<events::message_received>(e));
  std::string k = message_key(r.message_id);
  const int64_t us = to_micros(e.event.time);
  if (!r.customer_id.empty()) bump_last_inbound(ctx, key("li", "c", r.customer_id), us);
  if (!r.from.empty()) bump_last_inbound(ctx, key("li", "p", r.from), us);
  if (ctx.contains(k)) return success();
  message_record m;
  m.id = r.message_id;
  m.direction = "inbound";
  m.customer_id = r.customer_id;
  m.conversation_id = r.conversation_id;
  m.from = r.from;
  m.body = r.text;
  m.media = r.media;
  m.queued_event_id = e.event.id;
  m.created_at = at;
  m.created_us = us;
  m.updated_at = at;
  const std::string t = fixed20(m.created_us);
  ctx.put(key("a", t, m.id), "");
  if (!m.customer_id.empty()) ctx.put(key("c", m.customer_id, t, m.id), "");
  set_status(ctx, m, "received");
  index_gateway_id(ctx, m, r.gateway, r.gateway_message_id);
  store(ctx, k, m);
  return success();
}

result_msg<void> fold_sending(const events::stored_event& e, fold_context& ctx,
                              const std::string& at) {
  BOOST_OUTCOME_TRY(auto s, decode_event<events::message_sending>(e));
  std::string k = message_key(s.message_id);
  auto m = load<message_record>(ctx, k);
  if (!m || m->direction != "outbound") return success();
  // Only a queued message starts an attempt, and only a newer one than any before.
  if (m->status != "queued" || s.attempt <= m->attempts) return success();
  unqueue(ctx, *m);
  m->attempts = s.attempt;
  m->gateway = s.gateway;
  m->sending_us = to_micros(e.event.time);
  m->updated_at = at;
  set_status(ctx, *m, "sending");
  ctx.put(key("x", m->id), "");
  store(ctx, k, *m);
  return success();
}

result_msg<void> fold_sent(const events::stored_event& e, fold_context& ctx,
                           const std::string& at) {
  BOOST_OUTCOME_TRY(auto s, decode_event<events::message_sent>(e));
  std::string k = message_key(s.message_id);
  auto m = load<message_record>(ctx, k);
  if (!m || m->direction != "outbound") return success();
  index_gateway_id(ctx, *m, s.gateway, s.gateway_message_id);
  if (m->sent_at.empty()) m->sent_at = at;
  const bool reopen_doubt = m->status == "failed" && m->in_doubt;
  if (rank(m->status) >= 0 && rank(m->status) < rank("sent"sv)) {
    leave_work_lists(ctx, *m);
    set_status(ctx, *m, "sent");
  } else if (reopen_doubt) {
    m->in_doubt = false;
    set_status(ctx, *m, "sent");
  }
  m->updated_at = at;
  store(ctx, k, *m);
  return success();
}

// delivered / read: forward only; a failure in doubt is proven wrong by them.
result_msg<void> fold_progress(const events::stored_event& e, fold_context& ctx,
                               const std::string& at, std::string_view to,
                               const std::string& message_id, const std::string& gateway_id) {
  std::string k = message_key(message_id);
  auto m = load<message_record>(ctx, k);
  if (!m || m->direction != "outbound") return success();
  (void)e;
  if (!gateway_id.empty() && m->gateway_message_id.empty())
    index_gateway_id(ctx, *m, m->gateway, gateway_id);
  std::string& stamp = to == "read" ? m->read_at : m->delivered_at;
  if (stamp.empty()) stamp = at;
  if (m->status == "failed") {
    if (!m->in_doubt) {
      store(ctx, k, *m);
      return success();  // the gateway reported a failure: a late receipt does not undo it
    }
    m->in_doubt = false;
    set_status(ctx, *m, to);
  } else if (rank(m->status) < rank(to)) {
    leave_work_lists(ctx, *m);
    set_status(ctx, *m, to);
  }
  if (m->sent_at.empty()) m->sent_at = at;
  m->updated_at = at;
  store(ctx, k, *m);
  return success();
}

result_msg<void> fold_failed(const events::stored_event& e, fold_context& ctx,
                             const std::string& at) {
  BOOST_OUTCOME_TRY(auto f, decode_event<events::message_failed>(e));
  std::string k = message_key(f.message_id);
  auto m = load<message_record>(ctx, k);
  if (!m || m->direction != "outbound") return success();
  const int64_t now_us = to_micros(e.event.time);
  auto record_error = [&] {
    m->error = f.error;
    m->error_code = f.code;
    m->failed_at = at;
    m->updated_at = at;
  };
  if (m->status == "queued" || m->status == "sending") {
    leave_work_lists(ctx, *m);
    record_error();
    if (f.retryable) {
      if (f.code != "disconnected") m->failures += 1;
      int64_t ready = now_us;
      if (!f.retry_at.empty()) {
        if (auto t = parse_rfc3339(f.retry_at)) ready = to_micros(*t);
      }
      set_status(ctx, *m, "queued");
      enqueue(ctx, *m, ready);
    } else {
      m->in_doubt = f.in_doubt;
      set_status(ctx, *m, "failed");
    }
  } else if (f.code == "gateway_failed" &&
             (m->status == "sent" || (m->status == "failed" && m->in_doubt))) {
    // The gateway accepted it, then reported it could not be delivered.
    record_error();
    m->in_doubt = false;
    set_status(ctx, *m, "failed");
  } else {
    return success();  // late or repeated: status only moves forward
  }
  store(ctx, k, *m);
  return success();
}

result_msg<void> fold_retry(const events::stored_event& e, fold_context& ctx,
                            const std::string& at) {
  BOOST_OUTCOME_TRY(auto r, decode_event<events::message_retry_requested>(e));
  std::string k = message_key(r.message_id);
  auto m = load<message_record>(ctx, k);
  if (!m || m->direction != "outbound" || m->status != "failed") return success();
  if (r.after_attempt != m->attempts) return success();  // a stale request
  m->in_doubt = false;
  m->failures = 0;
  m->updated_at = at;
  set_status(ctx, *m, "queued");
  enqueue(ctx, *m, to_micros(e.event.time));
  store(ctx, k, *m);
  return success();
}

}  // namespace

std::string gateway_key(std::string_view gateway, std::string_view id) {
  if (gateway != "waha") return std::string(id);
  // "<fromMe>_<chat>_<short>[_<suffix>]"
  auto first = id.find('_');
  if (first == std::string_view::npos) return std::string(id);
  auto second = id.find('_', first + 1);
  if (second == std::string_view::npos) return std::string(id);
  auto rest = id.substr(second + 1);
  auto third = rest.find('_');
  return std::string(third == std::string_view::npos ? rest : rest.substr(0, third));
}

bool messages_projection::wants(std::string_view type) const {
  return type == events::message_queued::kType || type == events::message_sending::kType ||
         type == events::message_sent::kType || type == events::message_delivered::kType ||
         type == events::message_read::kType || type == events::message_failed::kType ||
         type == events::message_retry_requested::kType ||
         type == events::message_received::kType || type == events::whatsapp_status_changed::kType;
}

result_msg<void> messages_projection::apply(const events::stored_event& e, fold_context& ctx) {
  const std::string at = format_rfc3339(e.event.time);
  const auto& type = e.event.type;
  if (type == events::message_queued::kType) return fold_queued(e, ctx, at);
  if (type == events::message_sending::kType) return fold_sending(e, ctx, at);
  if (type == events::message_sent::kType) return fold_sent(e, ctx, at);
  if (type == events::message_failed::kType) return fold_failed(e, ctx, at);
  if (type == events::message_retry_requested::kType) return fold_retry(e, ctx, at);
  if (type == events::message_received::kType) return fold_received(e, ctx, at);
  if (type == events::message_delivered::kType) {
    BOOST_OUTCOME_TRY(auto d, decode_event<events::message_delivered>(e));
    return fold_progress(e, ctx, at, "delivered", d.message_id, d.gateway_message_id);
  }
  if (type == events::message_read::kType) {
    BOOST_OUTCOME_TRY(auto r, decode_event<events::message_read>(e));
    return fold_progress(e, ctx, at, "read", r.message_id, r.gateway_message_id);
  }
  if (type == events::whatsapp_status_changed::kType) {
    BOOST_OUTCOME_TRY(auto s, decode_event<events::whatsapp_status_changed>(e));
    whatsapp_status_record w;
    w.gateway = s.gateway;
    w.status = s.status;
    w.detail = s.detail;
    w.since = at;
    w.since_us = to_micros(e.event.time);
    store(ctx, "wa", w);
  }
  return success();
}

namespace messages_query {

std::optional<message_record> get(const read_view& v, std::string_view message_id) {
  return load<message_record>(v, message_key(message_id));
}

std::optional<std::string> by_gateway_id(const read_view& v, std::string_view gateway,
                                         std::string_view gateway_message_id) {
  if (gateway_message_id.empty()) return std::nullopt;
  return v.get(key("g", gateway, gateway_key(gateway, gateway_message_id)));
}

std::vector<message_record> due(const read_view& v, int64_t until_us, size_t max) {
  std::vector<std::string> ids;
  const std::string end = key("q", fixed20(until_us + 1));
  v.scan("q/", end, [&](std::string_view k, std::string_view) {
    ids.emplace_back(k.substr(k.rfind('/') + 1));
    return ids.size() < max;
  });
  std::vector<message_record> out;
  out.reserve(ids.size());
  for (const auto& id : ids)
    if (auto m = get(v, id)) out.push_back(std::move(*m));
  return out;
}

std::optional<int64_t> next_due(const read_view& v) {
  std::optional<int64_t> out;
  v.scan("q/", prefix_end("q/"), [&](std::string_view k, std::string_view) {
    auto rest = k.substr(2);
    out = parse_i64(rest.substr(0, rest.find('/')));
    return false;
  });
  return out;
}

std::vector<message_record> sending(const read_view& v, size_t max) {
  std::vector<message_record> out;
  v.scan("x/", prefix_end("x/"), [&](std::string_view k, std::string_view) {
    if (auto m = get(v, k.substr(2))) out.push_back(std::move(*m));
    return out.size() < max;
  });
  return out;
}

message_page list(const read_view& v, const message_filter& f) {
  std::string prefix;
  if (!f.customer_id.empty()) {
    prefix = key("c", f.customer_id) + "/";
  } else if (!f.status.empty()) {
    prefix = key("s", f.status) + "/";
  } else {
    prefix = "a/";
  }
  message_page page;
  page.next_cursor = page_newest_first(
      v, prefix, f.cursor, f.limit, page.items,
      [&](std::string_view k, std::string_view, std::vector<message_record>& items) {
        auto m = get(v, k.substr(k.rfind('/') + 1));
        if (!m) return;
        if (!f.status.empty() && m->status != f.status) return;
        if (!f.direction.empty() && m->direction != f.direction) return;
        items.push_back(std::move(*m));
      });
  return page;
}

int64_t last_inbound_us(const read_view& v, std::string_view customer_id, std::string_view e164) {
  int64_t out = 0;
  if (!customer_id.empty())
    if (auto s = v.get(key("li", "c", customer_id))) out = std::max(out, parse_i64(*s));
  if (!e164.empty())
    if (auto s = v.get(key("li", "p", e164))) out = std::max(out, parse_i64(*s));
  return out;
}

std::optional<whatsapp_status_record> whatsapp_status(const read_view& v) {
  return load<whatsapp_status_record>(v, "wa");
}

}  // namespace messages_query

}  // namespace roms::projections
