// The auth read model (column family "auth"): users, their sessions, API keys. What the auth
// service (http/api/auth.h) reads on every authenticated request and on login.
//
// Key layout:
//   u/<user_id>                        → user_record
//   e/<email>                          → user_id (lower-cased email; see "Convergence")
//   s/<token_hash>                     → session_record (hex SHA-256 of the cookie token)
//   si/<session_id>                    → token_hash
//   us/<user_id>/<session_id>          → ""  a user's open sessions
//   k/<key_id>                         → apikey_record (revoked keys stay, flagged)
//   kh/<key_hash>                      → key_id, for keys that are not revoked
//
// Events: user.created, user.updated, session.started|refreshed|ended, apikey.created|revoked
// (events/types/auth.h). No secret is stored: only argon2id PHC strings and SHA-256 hashes of
// 256-bit random tokens and keys.
//
// Sessions: session.ended deletes a session; user.updated with a new password or disabled=true
// deletes all of the user's sessions; session.started also deletes the user's sessions that had
// expired by its time (garbage collection driven by the user's own stream, so it is
// deterministic). Expiry itself is checked by the reader against its clock: a session whose
// expires_us or last_seen_us + idle_timeout_s has passed is refused even while stored.
//
// Convergence across partitions (Kafka): user and session events share the user's stream and
// key events the key's stream, so each is totally ordered; nothing reads across streams except
// the email index. Two user.created claiming one email (two nodes racing, or an event appended
// by hand) converge: e/<email> points to the smallest user id (ids are time-ordered), whatever
// the order the events arrive in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/projection.h"

namespace roms::projections {

struct user_record {
  std::string id;
  std::string email;
  std::string role;  // "admin" | "cs"
  std::string display_name;
  std::string password_hash;  // argon2id PHC string; never sent to clients
  bool disabled = false;
  std::string created_at;
  std::string updated_at;
  template <class V>
  void fields(V& v) {
    v("id", id); v("email", email); v("role", role); v("display_name", display_name);
    v("password_hash", password_hash); v("disabled", disabled); v("created_at", created_at);
    v("updated_at", updated_at);
  }
};

struct session_record {
  std::string id;
  std::string user_id;
  std::string token_hash;
  int64_t started_us = 0;
  int64_t last_seen_us = 0;  // the latest session.started/refreshed time
  int64_t expires_us = 0;
  int64_t idle_timeout_s = 0;
  std::string remote_address;
  std::string user_agent;
  template <class V>
  void fields(V& v) {
    v("id", id); v("user_id", user_id); v("token_hash", token_hash); v("started_us", started_us);
    v("last_seen_us", last_seen_us); v("expires_us", expires_us);
    v("idle_timeout_s", idle_timeout_s); v("remote_address", remote_address);
    v("user_agent", user_agent);
  }
  // Whether the session is over at `now_us` given its last activity `seen_us` (≥ last_seen_us
  // when the reader knows of later activity).
  bool expired(int64_t now_us, int64_t seen_us) const {
    return now_us >= expires_us || now_us >= seen_us + idle_timeout_s * 1'000'000;
  }
};

struct apikey_record {
  std::string id;
  std::string name;
  std::vector<std::string> scopes;
  std::string prefix;
  std::string key_hash;
  std::string created_at;
  std::string created_by;  // the actor that created it ("user:usr_…", "cli")
  bool revoked = false;
  std::string revoked_at;
  template <class V>
  void fields(V& v) {
    v("id", id); v("name", name); v("scopes", scopes); v("prefix", prefix);
    v("key_hash", key_hash); v("created_at", created_at); v("created_by", created_by);
    v("revoked", revoked); v("revoked_at", revoked_at);
  }
};

class auth_projection final : public projection {
 public:
  std::string_view name() const override { return "auth"; }
  uint32_t version() const override { return 2; }  // 2: binary records (record_codec.h)
  // Version 1 stored the same records as JSON, which still decodes (record_codec.h).
  bool reads_stored_version(uint32_t v) const override { return v == 1; }
  bool wants(std::string_view type) const override;
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override;
  std::vector<std::string> scanned_prefixes() const override { return {"us/"}; }  // sessions
};

template <class T>
struct auth_page {
  std::vector<T> items;
  std::string next_cursor;  // "" when there is no further page
};

namespace auth_query {
std::optional<user_record> user(const read_view& v, std::string_view user_id);
std::optional<user_record> user_by_email(const read_view& v, std::string_view email);
// Users in id order (ids begin with their creation millisecond) after `cursor` (a user id;
// "" = from the start).
auth_page<user_record> users(const read_view& v, size_t limit, std::string_view cursor);
// Enabled users with role admin.
size_t enabled_admins(const read_view& v);

std::optional<session_record> session_by_token_hash(const read_view& v, std::string_view hash);
std::optional<session_record> session(const read_view& v, std::string_view session_id);
std::vector<session_record> sessions_of(const read_view& v, std::string_view user_id);

std::optional<apikey_record> key(const read_view& v, std::string_view key_id);
// A key that is not revoked, by the hex SHA-256 of the raw key.
std::optional<apikey_record> key_by_hash(const read_view& v, std::string_view hash);
auth_page<apikey_record> keys(const read_view& v, size_t limit, std::string_view cursor);
}  // namespace auth_query

}  // namespace roms::projections
