#include "projections/read_models/conversations.h"

#include <algorithm>

#include "core/time.h"
#include "events/types/inbox.h"
#include "events/types/messaging.h"
#include "projections/read_models/fold_util.h"
#include "projections/read_models/keys.h"

namespace roms::projections {
namespace {

void unindex(fold_context& ctx, const conversation_record& c) {
  const std::string t = fixed20(c.last_us);
  ctx.del(key("l", t, c.id));
  ctx.del(key("s", c.state, t, c.id));
  if (!c.assignee_id.empty()) ctx.del(key("a", c.assignee_id, c.state, t, c.id));
  if (c.assignee_id.empty() && c.state == "open") ctx.del(key("u", t, c.id));
  if (!c.customer_id.empty()) ctx.del(key("p", c.customer_id, t, c.id));
}

void index(fold_context& ctx, const conversation_record& c) {
  const std::string t = fixed20(c.last_us);
  ctx.put(key("l", t, c.id), "");
  ctx.put(key("s", c.state, t, c.id), "");
  if (!c.assignee_id.empty()) ctx.put(key("a", c.assignee_id, c.state, t, c.id), "");
  if (c.assignee_id.empty() && c.state == "open") ctx.put(key("u", t, c.id), "");
  if (!c.customer_id.empty()) ctx.put(key("p", c.customer_id, t, c.id), "");
}

agent_record load_agent(fold_context& ctx, const std::string& id) {
  auto a = load<agent_record>(ctx, key("g", id));
  if (a) return *a;
  agent_record r;
  r.id = id;
  return r;
}

void add_open(fold_context& ctx, const std::string& agent, int64_t delta) {
  if (agent.empty()) return;
  auto a = load_agent(ctx, agent);
  a.open = std::max<int64_t>(a.open + delta, 0);
  store(ctx, key("g", agent), a);
}

void add_message(fold_context& ctx, conversation_record& c, const std::string& message_id,
                 int64_t t, const std::string& at, bool inbound, const std::string& preview) {
  ctx.put(key("m", c.id, fixed20(t), message_id), inbound ? "in" : "out");
  ++c.message_count;
  if (t >= c.last_us) {
    c.last_us = t;
    c.last_message_at = at;
    c.last_preview = preview;
    c.last_direction = inbound ? "inbound" : "outbound";
  }
  if (inbound) {
    ++c.unread;
  } else {
    c.unread = 0;
  }
}

}  // namespace

bool conversations_projection::wants(std::string_view type) const {
  return type.starts_with("conversation.") || type.starts_with("agent.") ||
         type == events::message_queued::kType || type == events::inbox_settings_changed::kType ||
         type == events::message_media_fetched::kType;
}

result_msg<void> conversations_projection::apply(const events::stored_event& e, fold_context& ctx) {
  const auto& type = e.event.type;
  const int64_t t = to_micros(e.event.time);
  const std::string at = format_rfc3339(e.event.time);
  if (type == events::conversation_opened::kType) {
    BOOST_OUTCOME_TRY(auto o, decode_event<events::conversation_opened>(e));
    if (ctx.contains(key("c", o.conversation_id))) return success();
    conversation_record c;
    c.id = o.conversation_id;
    c.customer_id = o.customer_id;
    c.phone = o.phone;
    c.state = "open";
    c.opened_at = at;
    c.last_us = t;
    c.last_message_at = at;
    if (!o.message_id.empty()) add_message(ctx, c, o.message_id, t, at, true, o.preview);
    store(ctx, key("c", c.id), c);
    index(ctx, c);
  } else if (type == events::conversation_message_linked::kType) {
    BOOST_OUTCOME_TRY(auto l, decode_event<events::conversation_message_linked>(e));
    auto c = load<conversation_record>(ctx, key("c", l.conversation_id));
    if (!c) return success();
    if (ctx.contains(key("m", c->id, fixed20(t), l.message_id))) return success();
    unindex(ctx, *c);
    add_message(ctx, *c, l.message_id, t, at, true, l.preview);
    store(ctx, key("c", c->id), *c);
    index(ctx, *c);
  } else if (type == events::message_queued::kType) {
    BOOST_OUTCOME_TRY(auto q, decode_event<events::message_queued>(e));
    if (q.conversation_id.empty()) return success();
    auto c = load<conversation_record>(ctx, key("c", q.conversation_id));
    if (!c) return success();
    if (ctx.contains(key("m", c->id, fixed20(t), q.message_id))) return success();
    unindex(ctx, *c);
    std::string preview = q.body.size() > 200 ? q.body.substr(0, 200) : q.body;
    while (!preview.empty() && preview.size() < q.body.size() &&
           (static_cast<unsigned char>(q.body[preview.size()]) & 0xC0) == 0x80)
      preview.pop_back();
    add_message(ctx, *c, q.message_id, t, at, false, preview);
    store(ctx, key("c", c->id), *c);
    index(ctx, *c);
  } else if (type == events::conversation_assigned::kType) {
    BOOST_OUTCOME_TRY(auto a, decode_event<events::conversation_assigned>(e));
    auto c = load<conversation_record>(ctx, key("c", a.conversation_id));
    if (!c || a.seq <= c->assignment_seq) return success();
    unindex(ctx, *c);
    if (c->state == "open" && c->assignee_id != a.agent_id) {
      add_open(ctx, c->assignee_id, -1);
      add_open(ctx, a.agent_id, +1);
    }
    c->assignee_id = a.agent_id;
    c->assignment_seq = a.seq;
    c->assigned_at = at;
    store(ctx, key("c", c->id), *c);
    index(ctx, *c);
  } else if (type == events::conversation_closed::kType) {
    BOOST_OUTCOME_TRY(auto x, decode_event<events::conversation_closed>(e));
    auto c = load<conversation_record>(ctx, key("c", x.conversation_id));
    if (!c || c->state != "open") return success();
    unindex(ctx, *c);
    add_open(ctx, c->assignee_id, -1);
    c->state = "closed";
    c->close_reason = x.reason;
    c->closed_at = at;
    store(ctx, key("c", c->id), *c);
    index(ctx, *c);
  } else if (type == events::agent_status_changed::kType) {
    BOOST_OUTCOME_TRY(auto s, decode_event<events::agent_status_changed>(e));
    auto a = load_agent(ctx, s.agent_id);
    if (s.seq <= a.status_seq) return success();
    a.status = s.status == "online" ? "online" : "offline";
    a.reason = s.reason;
    a.status_seq = s.seq;
    a.since = at;
    if (a.status == "online") a.last_seen_at = at;
    store(ctx, key("g", a.id), a);
  } else if (type == events::agent_seen::kType) {
    BOOST_OUTCOME_TRY(auto s, decode_event<events::agent_seen>(e));
    auto a = load_agent(ctx, s.agent_id);
    a.last_seen_at = at;
    store(ctx, key("g", a.id), a);
  } else if (type == events::message_media_fetched::kType) {
    BOOST_OUTCOME_TRY(auto f, decode_event<events::message_media_fetched>(e));
    store(ctx, key("md", f.message_id),
          fetched_media_record{f.sha256, f.mime_type, f.filename, f.size, f.error});
  } else if (type == events::inbox_settings_changed::kType) {
    BOOST_OUTCOME_TRY(auto s, decode_event<events::inbox_settings_changed>(e));
    auto r = load<inbox_settings_record>(ctx, "settings").value_or(inbox_settings_record{});
    if (s.close_after_minutes) r.close_after_minutes = *s.close_after_minutes;
    if (s.agent_idle_minutes) r.agent_idle_minutes = *s.agent_idle_minutes;
    if (s.max_open_per_agent) r.max_open_per_agent = *s.max_open_per_agent;
    if (s.reassign_after_minutes) r.reassign_after_minutes = *s.reassign_after_minutes;
    store(ctx, "settings", r);
  }
  return success();
}

namespace conversations_query {

std::optional<conversation_record> get(const read_view& v, std::string_view id) {
  return load<conversation_record>(v, key("c", id));
}

conversation_page list(const read_view& v, const conversation_filter& f) {
  std::string prefix;
  if (!f.customer_id.empty()) {
    prefix = key("p", f.customer_id) + "/";
  } else if (f.view == "unassigned") {
    prefix = "u/";
  } else if (f.view == "mine") {
    prefix = key("a", f.agent_id, f.state.empty() ? std::string("open") : f.state) + "/";
  } else if (!f.state.empty()) {
    prefix = key("s", f.state) + "/";
  } else {
    prefix = "l/";
  }
  conversation_page page;
  page.next_cursor = page_newest_first(
      v, prefix, f.cursor, f.limit, page.items,
      [&](std::string_view k, std::string_view, std::vector<conversation_record>& items) {
        if (auto c = get(v, k.substr(k.rfind('/') + 1))) items.push_back(std::move(*c));
      });
  return page;
}

conversation_message_page messages(const read_view& v, std::string_view conversation_id,
                                   size_t limit, std::string_view cursor) {
  const std::string prefix = key("m", conversation_id) + "/";
  conversation_message_page page;
  page.next_cursor = page_newest_first(
      v, prefix, cursor, limit, page.items,
      [&](std::string_view k, std::string_view val, std::vector<conversation_message_ref>& items) {
        auto rest = k.substr(prefix.size());  // <time:20>/<message_id>
        auto slash = rest.find('/');
        conversation_message_ref r;
        r.time_us = std::stoll(std::string(rest.substr(0, slash)));
        r.message_id = std::string(rest.substr(slash + 1));
        r.direction = val == "out" ? "outbound" : "inbound";
        items.push_back(std::move(r));
      });
  std::reverse(page.items.begin(), page.items.end());
  return page;
}

std::optional<agent_record> agent(const read_view& v, std::string_view agent_id) {
  return load<agent_record>(v, key("g", agent_id));
}

std::vector<agent_record> agents(const read_view& v) {
  std::vector<agent_record> out;
  v.scan("g/", prefix_end("g/"), [&](std::string_view, std::string_view val) {
    if (auto a = decode_record<agent_record>(val)) out.push_back(std::move(a).value());
    return true;
  });
  return out;
}

std::optional<fetched_media_record> fetched_media(const read_view& v, std::string_view message_id) {
  return load<fetched_media_record>(v, key("md", message_id));
}

inbox_settings_record settings(const read_view& v) {
  return load<inbox_settings_record>(v, "settings").value_or(inbox_settings_record{});
}

}  // namespace conversations_query

}  // namespace roms::projections
