#include "projections/read_models/auth.h"

#include "events/types/auth.h"
#include "projections/read_models/fold_util.h"
#include "projections/read_models/keys.h"

namespace roms::projections {
namespace {

void end_session(fold_context& ctx, const session_record& s) {
  ctx.del(key("s", s.token_hash));
  ctx.del(key("si", s.id));
  ctx.del(key("us", s.user_id, s.id));
}

std::optional<session_record> load_session(fold_context& ctx, std::string_view session_id) {
  auto hash = ctx.get(key("si", session_id));
  if (!hash) return std::nullopt;
  return load<session_record>(ctx, key("s", *hash));
}

// Calls f(session) for each stored session of `user_id` (collected first: f may delete).
template <class F>
void for_each_session(fold_context& ctx, std::string_view user_id, F&& f) {
  std::string p = key("us", user_id) + "/";
  std::vector<std::string> ids;
  ctx.scan(p, prefix_end(p), [&](std::string_view k, std::string_view) {
    ids.emplace_back(k.substr(p.size()));
    return true;
  });
  for (const auto& id : ids) {
    if (auto s = load_session(ctx, id)) f(*s);
  }
}

}  // namespace

bool auth_projection::wants(std::string_view t) const {
  return t == events::user_created::kType || t == events::user_updated::kType ||
         t == events::session_started::kType || t == events::session_refreshed::kType ||
         t == events::session_ended::kType || t == events::apikey_created::kType ||
         t == events::apikey_revoked::kType;
}

result_msg<void> auth_projection::apply(const events::stored_event& e, fold_context& ctx) {
  const auto& type = e.event.type;
  const int64_t t = to_micros(e.event.time);
  const std::string at = format_rfc3339(e.event.time);

  if (type == events::user_created::kType) {
    BOOST_OUTCOME_TRY(auto c, decode_event<events::user_created>(e));
    if (c.user_id.empty() || ctx.contains(key("u", c.user_id))) return success();
    user_record u{c.user_id, c.email, c.role, c.display_name, c.password_hash, false, at, at};
    store(ctx, key("u", u.id), u);
    std::string ek = key("e", u.email);
    auto owner = ctx.get(ek);
    if (!owner || u.id < *owner) ctx.put(ek, u.id);  // smallest id wins: order-independent
  } else if (type == events::user_updated::kType) {
    BOOST_OUTCOME_TRY(auto c, decode_event<events::user_updated>(e));
    auto u = load<user_record>(ctx, key("u", c.user_id));
    if (!u) return success();
    if (c.role) u->role = *c.role;
    if (c.display_name) u->display_name = *c.display_name;
    if (c.password_hash) u->password_hash = *c.password_hash;
    if (c.disabled) u->disabled = *c.disabled;
    u->updated_at = at;
    store(ctx, key("u", u->id), *u);
    if (c.password_hash || (c.disabled && *c.disabled)) {
      for_each_session(ctx, u->id, [&](const session_record& s) { end_session(ctx, s); });
    }
  } else if (type == events::session_started::kType) {
    BOOST_OUTCOME_TRY(auto c, decode_event<events::session_started>(e));
    if (c.session_id.empty() || c.token_hash.empty()) return success();
    if (!ctx.contains(key("u", c.user_id)) || ctx.contains(key("si", c.session_id)))
      return success();
    // Garbage-collect the user's sessions that were over by now (deterministic: event time).
    for_each_session(ctx, c.user_id, [&](const session_record& s) {
      if (s.expired(t, s.last_seen_us)) end_session(ctx, s);
    });
    session_record s{c.session_id,  c.user_id,        c.token_hash,     t,           t,
                     c.expires_us,  c.idle_timeout_s, c.remote_address, c.user_agent};
    store(ctx, key("s", s.token_hash), s);
    ctx.put(key("si", s.id), s.token_hash);
    ctx.put(key("us", s.user_id, s.id), "");
  } else if (type == events::session_refreshed::kType) {
    BOOST_OUTCOME_TRY(auto c, decode_event<events::session_refreshed>(e));
    auto s = load_session(ctx, c.session_id);
    if (!s || t <= s->last_seen_us) return success();
    s->last_seen_us = t;
    store(ctx, key("s", s->token_hash), *s);
  } else if (type == events::session_ended::kType) {
    BOOST_OUTCOME_TRY(auto c, decode_event<events::session_ended>(e));
    if (auto s = load_session(ctx, c.session_id)) end_session(ctx, *s);
  } else if (type == events::apikey_created::kType) {
    BOOST_OUTCOME_TRY(auto c, decode_event<events::apikey_created>(e));
    if (c.key_id.empty() || ctx.contains(key("k", c.key_id))) return success();
    apikey_record k{c.key_id, c.name, c.scopes, c.prefix, c.key_hash, at, e.event.actor, false, ""};
    store(ctx, key("k", k.id), k);
    if (!k.key_hash.empty()) ctx.put(key("kh", k.key_hash), k.id);
  } else if (type == events::apikey_revoked::kType) {
    BOOST_OUTCOME_TRY(auto c, decode_event<events::apikey_revoked>(e));
    auto k = load<apikey_record>(ctx, key("k", c.key_id));
    if (!k || k->revoked) return success();
    k->revoked = true;
    k->revoked_at = at;
    store(ctx, key("k", k->id), *k);
    ctx.del(key("kh", k->key_hash));
  }
  return success();
}

namespace auth_query {
namespace {

template <class T>
auth_page<T> page(const read_view& v, std::string_view prefix, size_t limit,
                  std::string_view cursor) {
  auth_page<T> out;
  std::string p(prefix);
  std::string begin = cursor.empty() ? p : p + std::string(cursor) + '\0';
  std::string last;
  bool more = false;
  v.scan(begin, prefix_end(p), [&](std::string_view, std::string_view value) {
    if (out.items.size() == limit) {
      more = true;
      return false;
    }
    auto r = decode_record<T>(value);
    if (r) out.items.push_back(std::move(r).value());
    return true;
  });
  if (more && !out.items.empty()) out.next_cursor = out.items.back().id;
  return out;
}

}  // namespace

std::optional<user_record> user(const read_view& v, std::string_view user_id) {
  return load<user_record>(v, projections::key("u", user_id));
}

std::optional<user_record> user_by_email(const read_view& v, std::string_view email) {
  auto id = v.get(projections::key("e", email));
  if (!id) return std::nullopt;
  return user(v, *id);
}

auth_page<user_record> users(const read_view& v, size_t limit, std::string_view cursor) {
  return page<user_record>(v, "u/", limit, cursor);
}

size_t enabled_admins(const read_view& v) {
  size_t n = 0;
  v.scan("u/", prefix_end("u/"), [&](std::string_view, std::string_view value) {
    auto r = decode_record<user_record>(value);
    if (r && !r.value().disabled && r.value().role == "admin") ++n;
    return true;
  });
  return n;
}

std::optional<session_record> session_by_token_hash(const read_view& v, std::string_view hash) {
  return load<session_record>(v, projections::key("s", hash));
}

std::optional<session_record> session(const read_view& v, std::string_view session_id) {
  auto hash = v.get(projections::key("si", session_id));
  if (!hash) return std::nullopt;
  return session_by_token_hash(v, *hash);
}

std::vector<session_record> sessions_of(const read_view& v, std::string_view user_id) {
  std::vector<session_record> out;
  std::string p = projections::key("us", user_id) + "/";
  std::vector<std::string> ids;
  v.scan(p, prefix_end(p), [&](std::string_view k, std::string_view) {
    ids.emplace_back(k.substr(p.size()));
    return true;
  });
  for (const auto& id : ids) {
    if (auto s = session(v, id)) out.push_back(std::move(*s));
  }
  return out;
}

std::optional<apikey_record> key(const read_view& v, std::string_view key_id) {
  return load<apikey_record>(v, projections::key("k", key_id));
}

std::optional<apikey_record> key_by_hash(const read_view& v, std::string_view hash) {
  auto id = v.get(projections::key("kh", hash));
  if (!id) return std::nullopt;
  auto k = auth_query::key(v, *id);
  if (!k || k->revoked) return std::nullopt;
  return k;
}

auth_page<apikey_record> keys(const read_view& v, size_t limit, std::string_view cursor) {
  return page<apikey_record>(v, "k/", limit, cursor);
}

}  // namespace auth_query
}  // namespace roms::projections
