// Users, sessions and API keys. Streams: the user id ("usr_…") for user and session events,
// so a password change or a disabled account is totally ordered with the sessions it ends
// (even across Kafka partitions); the key id ("key_…") for API key events.
//
// Secrets never enter the log: a password only as its argon2id PHC string, a session token
// and an API key only as the hex SHA-256 of the raw value (both are 256-bit random values,
// so the hash cannot be reversed or guessed). The raw key is shown once, at creation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roms::events {

// user.created v1.
struct user_created {
  static constexpr std::string_view kType = "user.created";
  static constexpr uint32_t kVersion = 1;
  std::string user_id;
  std::string email;          // lower-cased; unique (the service checks; the fold converges)
  std::string role;           // "admin" | "cs"
  std::string password_hash;  // argon2id PHC string ("$argon2id$v=19$m=…,t=…,p=…$salt$hash")
  std::string display_name;
  template <class V>
  void fields(V& v) {
    v("user_id", user_id); v("email", email); v("role", role);
    v("password_hash", password_hash); v("display_name", display_name);
  }
};

// user.updated v1: the fields present changed. A new password_hash or disabled=true ends
// every session the user has.
struct user_updated {
  static constexpr std::string_view kType = "user.updated";
  static constexpr uint32_t kVersion = 1;
  std::string user_id;
  std::optional<std::string> role, display_name, password_hash;
  std::optional<bool> disabled;
  template <class V>
  void fields(V& v) {
    v("user_id", user_id); v("role", role); v("display_name", display_name);
    v("password_hash", password_hash); v("disabled", disabled);
  }
};

// session.started v1: a successful login. The expiry rules travel with the session so a
// configuration change applies to new sessions only and the fold needs no configuration.
struct session_started {
  static constexpr std::string_view kType = "session.started";
  static constexpr uint32_t kVersion = 1;
  std::string session_id;  // "ses_…": public handle (listing, ending)
  std::string user_id;
  std::string token_hash;  // hex SHA-256 of the cookie's token
  int64_t expires_us = 0;  // absolute end (µs since the epoch)
  int64_t idle_timeout_s = 0;  // ends when idle (no activity recorded) this long
  std::string remote_address;  // audit: where the login came from
  std::string user_agent;      // audit, truncated
  template <class V>
  void fields(V& v) {
    v("session_id", session_id); v("user_id", user_id); v("token_hash", token_hash);
    v("expires_us", expires_us); v("idle_timeout_s", idle_timeout_s);
    v("remote_address", remote_address); v("user_agent", user_agent);
  }
};

// session.refreshed v1: the session was in use at the event's time (recorded at most about
// once an hour per session, so the idle timeout survives a restart without an event per
// request).
struct session_refreshed {
  static constexpr std::string_view kType = "session.refreshed";
  static constexpr uint32_t kVersion = 1;
  std::string session_id;
  std::string user_id;
  template <class V>
  void fields(V& v) { v("session_id", session_id); v("user_id", user_id); }
};

// session.ended v1: logout (or revoked by an Admin).
struct session_ended {
  static constexpr std::string_view kType = "session.ended";
  static constexpr uint32_t kVersion = 1;
  std::string session_id;
  std::string user_id;
  std::string reason;  // "logout" | "revoked"
  template <class V>
  void fields(V& v) { v("session_id", session_id); v("user_id", user_id); v("reason", reason); }
};

// apikey.created v1.
struct apikey_created {
  static constexpr std::string_view kType = "apikey.created";
  static constexpr uint32_t kVersion = 1;
  std::string key_id;
  std::string name;
  std::vector<std::string> scopes;  // "orders:write", "catalog:write", "read"
  std::string key_hash;             // hex SHA-256 of the raw key
  std::string prefix;               // the key's first characters, for display ("roms_AbCdEfGh")
  template <class V>
  void fields(V& v) {
    v("key_id", key_id); v("name", name); v("scopes", scopes); v("key_hash", key_hash);
    v("prefix", prefix);
  }
};

// apikey.revoked v1: final; the key answers 401 from then on.
struct apikey_revoked {
  static constexpr std::string_view kType = "apikey.revoked";
  static constexpr uint32_t kVersion = 1;
  std::string key_id;
  template <class V>
  void fields(V& v) { v("key_id", key_id); }
};

}  // namespace roms::events
