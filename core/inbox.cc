#include "core/inbox.h"

#include <algorithm>

namespace roms::inbox {
namespace {

constexpr int64_t kMinuteUs = 60'000'000;

std::string agent_of_actor(std::string_view actor) {
  constexpr std::string_view kUser = "user:";
  if (actor.rfind(kUser, 0) == 0) return std::string(actor.substr(kUser.size()));
  return {};
}

}  // namespace

void settings::apply(const events::inbox_settings_changed& c) {
  if (c.close_after_minutes) close_after_minutes = *c.close_after_minutes;
  if (c.agent_idle_minutes) agent_idle_minutes = *c.agent_idle_minutes;
  if (c.max_open_per_agent) max_open_per_agent = *c.max_open_per_agent;
  if (c.reassign_after_minutes) reassign_after_minutes = *c.reassign_after_minutes;
}

bool wants(std::string_view type) {
  for (std::string_view t :
       {"message.received", "message.queued", "clock.ticked", "customer.registered",
        "session.started", "session.refreshed", "session.ended", "user.updated",
        "conversation.opened", "conversation.message_linked", "conversation.assigned",
        "conversation.closed", "agent.status_changed", "agent.seen", "inbox.settings_changed"})
    if (type == t) return true;
  return false;
}

std::string assigned_key(std::string_view conversation_id, int64_t seq) {
  return "conversation.assigned:" + std::string(conversation_id) + ":" + std::to_string(seq);
}
std::string closed_key(std::string_view conversation_id) {
  return "conversation.closed:" + std::string(conversation_id);
}
std::string status_key(std::string_view agent_id, int64_t seq) {
  return "agent.status_changed:" + std::string(agent_id) + ":" + std::to_string(seq);
}
std::string seen_key(std::string_view agent_id, int64_t time_us) {
  return "agent.seen:" + std::string(agent_id) + ":" + std::to_string(time_us / kMinuteUs);
}

std::string preview_of(std::string_view text) {
  constexpr size_t kMax = 200;
  if (text.size() <= kMax) return std::string(text);
  size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return std::string(text.substr(0, n));
}

const conversation_info* state::conversation(std::string_view id) const {
  auto it = conversations_.find(id);
  return it == conversations_.end() ? nullptr : &it->second;
}

std::optional<std::string> state::open_conversation_of(std::string_view phone) const {
  auto it = open_by_phone_.find(phone);
  if (it == open_by_phone_.end()) return std::nullopt;
  return it->second;
}

agent_info& state::agent(const std::string& id) { return agents_[id]; }

std::optional<std::string> state::pick(std::string_view exclude) {
  const size_t n = ring_.size();
  for (size_t i = 0; i < n; ++i) {
    const size_t k = (cursor_ + i) % n;
    const auto& id = ring_[k];
    const auto& a = agents_[id];
    if (!a.online || a.disabled || id == exclude) continue;
    if (settings_.max_open_per_agent > 0 && a.open >= settings_.max_open_per_agent) continue;
    cursor_ = (k + 1) % n;
    return id;
  }
  return std::nullopt;
}

void state::unqueue(const std::string& conversation_id) {
  auto it = std::find(unassigned_.begin(), unassigned_.end(), conversation_id);
  if (it != unassigned_.end()) unassigned_.erase(it);
}

void state::move_agent(conversation_info& conv, const std::string& to) {
  if (conv.agent == to) return;
  if (conv.open && !conv.agent.empty()) {
    auto& a = agent(conv.agent);
    if (a.open > 0) --a.open;
  }
  if (conv.open && !to.empty()) ++agent(to).open;
  if (conv.open) {
    if (to.empty()) {
      if (std::find(unassigned_.begin(), unassigned_.end(), conv.id) == unassigned_.end())
        unassigned_.push_back(conv.id);
    } else if (conv.agent.empty()) {
      unqueue(conv.id);
    }
  }
  conv.agent = to;
}

void state::assign(ctx& c, conversation_info& conv, const std::string& to,
                   std::string_view reason) {
  events::conversation_assigned a;
  a.conversation_id = conv.id;
  a.agent_id = to;
  a.previous_agent_id = conv.agent;
  a.reason = std::string(reason);
  a.seq = conv.seq + 1;
  conv.seq = a.seq;
  move_agent(conv, to);
  c.out.push_back({assigned_key(conv.id, a.seq), conv.id, std::move(a)});
}

void state::close(ctx& c, conversation_info& conv, std::string_view reason, bool emit) {
  if (!conv.open) return;
  if (!conv.agent.empty()) {
    auto& a = agent(conv.agent);
    if (a.open > 0) --a.open;
  } else {
    unqueue(conv.id);
  }
  conv.open = false;
  if (auto it = open_by_phone_.find(conv.phone);
      it != open_by_phone_.end() && it->second == conv.id)
    open_by_phone_.erase(it);
  if (emit) {
    events::conversation_closed e;
    e.conversation_id = conv.id;
    e.reason = std::string(reason);
    c.out.push_back({closed_key(conv.id), conv.id, std::move(e)});
  }
  // A place freed under the cap goes to the oldest waiting conversation.
  if (c.decide && settings_.max_open_per_agent > 0) drain(c, "capacity");
}

void state::drain(ctx& c, std::string_view reason) {
  if (!c.decide) return;
  while (!unassigned_.empty()) {
    auto who = pick();
    if (!who) return;
    auto it = conversations_.find(unassigned_.front());
    if (it == conversations_.end() || !it->second.open) {
      unassigned_.pop_front();
      continue;
    }
    assign(c, it->second, *who, reason);
  }
}

void state::set_status(ctx& c, const std::string& id, bool online, std::string_view reason) {
  auto& a = agent(id);
  if (a.online == online) return;
  a.online = online;
  ++a.status_seq;
  events::agent_status_changed e;
  e.agent_id = id;
  e.status = online ? "online" : "offline";
  e.reason = std::string(reason);
  e.seq = a.status_seq;
  c.out.push_back({status_key(id, e.seq), id, std::move(e)});
}

void state::on_received(ctx& c, const events::message_received& m) {
  const int64_t now = c.in.time_us;
  const std::string& phone = m.from;
  if (phone.empty()) return;
  std::string customer = m.customer_id;
  if (customer.empty()) {
    if (auto it = customer_by_phone_.find(phone); it != customer_by_phone_.end()) {
      customer = it->second;
    } else if (c.decide) {
      // Match or create: an unknown phone becomes a customer (named after the phone until
      // someone renames them).
      events::customer_registered r;
      r.customer_id = make_id_("cus", "phone:" + phone);
      r.phone = phone;
      r.phone_valid = phone.size() > 1 && phone[0] == '+';
      r.name = phone;
      r.source = "chat:whatsapp";
      customer = r.customer_id;
      customer_by_phone_.emplace(phone, customer);
      c.out.push_back({"customer.registered:phone:" + phone, customer, std::move(r)});
    }
  }
  if (auto it = open_by_phone_.find(phone); it != open_by_phone_.end()) {
    auto& conv = conversations_[it->second];
    conv.last_activity_us = std::max(conv.last_activity_us, now);
    if (conv.awaiting_us == 0) conv.awaiting_us = now;
    if (conv.customer_id.empty()) conv.customer_id = customer;
    if (!c.decide) return;
    events::conversation_message_linked l;
    l.conversation_id = conv.id;
    l.message_id = m.message_id;
    l.preview = preview_of(m.text);
    c.out.push_back({"conversation.message_linked:" + m.message_id, conv.id, std::move(l)});
    return;
  }
  if (!c.decide) return;
  conversation_info conv;
  conv.id = make_id_("cnv", "conversation:" + c.in.event_id);
  conv.customer_id = customer;
  conv.phone = phone;
  conv.opened_us = now;
  conv.last_activity_us = now;
  conv.awaiting_us = now;
  events::conversation_opened o;
  o.conversation_id = conv.id;
  o.customer_id = customer;
  o.phone = phone;
  o.message_id = m.message_id;
  o.preview = preview_of(m.text);
  c.out.push_back({"conversation.opened:" + conv.id, conv.id, std::move(o)});
  auto& stored = conversations_[conv.id] = std::move(conv);
  open_by_phone_[phone] = stored.id;
  // Everyone waiting before it goes first (only possible under a capacity cap).
  if (!unassigned_.empty()) {
    unassigned_.push_back(stored.id);
    drain(c, "round_robin");
    return;
  }
  if (auto who = pick()) {
    assign(c, stored, *who, "round_robin");
  } else {
    unassigned_.push_back(stored.id);
  }
}

void state::on_tick(ctx& c) {
  const int64_t now = c.in.time_us;
  // Agents: sessions that expired or went idle end; no live session left, or no heartbeat
  // for agent_idle_minutes → OFFLINE.
  for (auto& [id, a] : agents_) {
    bool had_sessions = !a.sessions.empty();
    std::erase_if(a.sessions, [&](const auto& kv) {
      const auto& s = kv.second;
      return (s.expires_us > 0 && s.expires_us <= now) ||
             (s.idle_us > 0 && s.last_us + s.idle_us <= now);
    });
    if (!a.online || !c.decide) continue;
    if (had_sessions && a.sessions.empty()) {
      set_status(c, id, false, "session_ended");
    } else if (settings_.agent_idle_minutes > 0 &&
               a.last_seen_us + settings_.agent_idle_minutes * kMinuteUs <= now) {
      set_status(c, id, false, "idle");
    }
  }
  if (!c.decide) return;
  // Conversations: silent ones close; unanswered ones move on (when configured).
  std::vector<std::string> open;
  open.reserve(open_by_phone_.size());
  for (const auto& [phone, id] : open_by_phone_) open.push_back(id);
  std::sort(open.begin(), open.end());
  for (const auto& id : open) {
    auto& conv = conversations_[id];
    if (settings_.close_after_minutes > 0 &&
        conv.last_activity_us + settings_.close_after_minutes * kMinuteUs <= now) {
      close(c, conv, "silent", true);
      continue;
    }
    if (settings_.reassign_after_minutes > 0 && !conv.agent.empty() && conv.awaiting_us > 0 &&
        conv.awaiting_us + settings_.reassign_after_minutes * kMinuteUs <= now) {
      if (auto who = pick(conv.agent)) {
        assign(c, conv, *who, "reassign_timeout");
        conv.awaiting_us = now;  // the new agent gets the full time
      }
    }
  }
}

std::vector<output> state::apply(const input& in, bool decide) {
  std::vector<output> out;
  ctx c{in, decide, out};
  const int64_t now = in.time_us;
  if (auto who = agent_of_actor(in.actor); !who.empty()) {
    auto it = agents_.find(who);
    if (it != agents_.end()) it->second.last_seen_us = std::max(it->second.last_seen_us, now);
  }
  std::visit(
      [&]<class T>(const T& p) {
        if constexpr (std::is_same_v<T, events::message_received>) {
          on_received(c, p);
        } else if constexpr (std::is_same_v<T, events::message_queued>) {
          if (p.conversation_id.empty()) return;
          auto it = conversations_.find(p.conversation_id);
          if (it == conversations_.end() || !it->second.open) return;
          it->second.last_activity_us = std::max(it->second.last_activity_us, now);
          if (p.kind == "reply" || p.kind == "manual") it->second.awaiting_us = 0;
        } else if constexpr (std::is_same_v<T, events::clock_ticked>) {
          on_tick(c);
        } else if constexpr (std::is_same_v<T, events::customer_registered>) {
          if (!p.phone.empty()) customer_by_phone_.emplace(p.phone, p.customer_id);
        } else if constexpr (std::is_same_v<T, events::session_started>) {
          auto& a = agent(p.user_id);
          a.sessions[p.session_id] = {p.expires_us, p.idle_timeout_s * 1'000'000, now};
          a.last_seen_us = std::max(a.last_seen_us, now);
        } else if constexpr (std::is_same_v<T, events::session_refreshed>) {
          auto it = agents_.find(p.user_id);
          if (it == agents_.end()) return;
          if (auto s = it->second.sessions.find(p.session_id); s != it->second.sessions.end())
            s->second.last_us = std::max(s->second.last_us, now);
          it->second.last_seen_us = std::max(it->second.last_seen_us, now);
        } else if constexpr (std::is_same_v<T, events::session_ended>) {
          auto it = agents_.find(p.user_id);
          if (it == agents_.end()) return;
          it->second.sessions.erase(p.session_id);
          if (decide && it->second.online && it->second.sessions.empty())
            set_status(c, p.user_id, false, "session_ended");
        } else if constexpr (std::is_same_v<T, events::user_updated>) {
          auto it = agents_.find(p.user_id);
          if (p.disabled) {
            if (*p.disabled) {
              auto& a = agent(p.user_id);
              a.disabled = true;
              a.sessions.clear();
              if (decide && a.online) set_status(c, p.user_id, false, "disabled");
            } else if (it != agents_.end()) {
              it->second.disabled = false;
            }
          }
          if (p.password_hash && it != agents_.end()) {
            // A new password ends every session the user has.
            bool had = !it->second.sessions.empty();
            it->second.sessions.clear();
            if (decide && had && it->second.online)
              set_status(c, p.user_id, false, "session_ended");
          }
        } else if constexpr (std::is_same_v<T, events::conversation_opened>) {
          if (conversations_.count(p.conversation_id)) return;
          // Recorded by a decision this fold did not make (older code): follow the log.
          conversation_info conv;
          conv.id = p.conversation_id;
          conv.customer_id = p.customer_id;
          conv.phone = p.phone;
          conv.opened_us = conv.last_activity_us = conv.awaiting_us = now;
          if (auto o = open_by_phone_.find(p.phone); o != open_by_phone_.end()) {
            auto& old = conversations_[o->second];
            close(c, old, "", false);
          }
          auto& stored = conversations_[conv.id] = std::move(conv);
          open_by_phone_[p.phone] = stored.id;
          unassigned_.push_back(stored.id);
        } else if constexpr (std::is_same_v<T, events::conversation_assigned>) {
          auto it = conversations_.find(p.conversation_id);
          if (it == conversations_.end()) return;
          auto& conv = it->second;
          if (p.seq < conv.seq) return;  // superseded
          conv.seq = p.seq;
          move_agent(conv, p.agent_id);
          if (decide && p.agent_id.empty()) drain(c, "round_robin");
          // An Admin taking work off someone under the cap frees a place.
          if (decide && settings_.max_open_per_agent > 0 && !p.previous_agent_id.empty())
            drain(c, "capacity");
        } else if constexpr (std::is_same_v<T, events::conversation_closed>) {
          auto it = conversations_.find(p.conversation_id);
          if (it == conversations_.end()) return;
          close(c, it->second, p.reason, false);
        } else if constexpr (std::is_same_v<T, events::agent_status_changed>) {
          auto& a = agent(p.agent_id);
          const bool online = p.status == "online";
          if (p.seq < a.status_seq || (p.seq == a.status_seq && online == a.online)) return;
          a.status_seq = p.seq;
          const bool was = a.online;
          a.online = online;
          if (online) {
            a.last_seen_us = std::max(a.last_seen_us, now);
            if (std::find(ring_.begin(), ring_.end(), p.agent_id) == ring_.end())
              ring_.push_back(p.agent_id);
            if (!was) drain(c, "came_online");
          }
        } else if constexpr (std::is_same_v<T, events::agent_seen>) {
          auto& a = agent(p.agent_id);
          a.last_seen_us = std::max(a.last_seen_us, now);
        } else if constexpr (std::is_same_v<T, events::inbox_settings_changed>) {
          settings_.apply(p);
          if (decide && settings_.max_open_per_agent >= 0) drain(c, "capacity");
        }
      },
      in.body);
  return out;
}

}  // namespace roms::inbox
