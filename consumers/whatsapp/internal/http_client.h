// A small blocking HTTP client over libcurl for the gateway adapters. Private to
// consumers/whatsapp: libcurl stays in http_client.cc.
//
//   http_call c{.method = "POST", .url = base + "/api/sendText", .body = json};
//   c.headers = {{"X-Api-Key", key}, {"Content-Type", "application/json"}};
//   http_outcome r = perform(c);
//   if (r.failure == transport_failure::none) { r.status, r.body }
//
// What it tells the caller beyond the answer is whether the request could have reached the
// gateway: a failure before any byte of the request was sent (DNS, connect, TLS) is
// `not_sent`; a failure after (timeout waiting for the answer, connection reset) is
// `no_answer` — the gateway may have acted on it.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace roms::consumers::whatsapp::internal {

struct http_call {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Default: 5 s to connect, 30 s for the whole exchange.
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{30'000};
};

enum class transport_failure { none, not_sent, no_answer };

struct http_outcome {
  transport_failure failure = transport_failure::none;
  std::string error;  // libcurl's sentence when failure != none (no URL query, no headers)
  bool timed_out = false;
  int status = 0;
  std::string content_type;
  std::string body;
};

http_outcome perform(const http_call& c);

// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view s);

}  // namespace roms::consumers::whatsapp::internal
