// A small router: method + path pattern -> handler, with named path parameters.
//
//   roms::http::router r;
//   r.add("GET", "/api/v1/orders/{id}", [](request&& req, path_params&& p, responder out) {
//     std::string_view id = p["id"];   // percent-decoded
//     ...
//   });
//   r.add("GET", "/assets/{file...}", serve_static);   // a last "{name...}" takes the rest
//   server.start(r.as_handler());                       // r must outlive the server
//
// Matching: the query string is ignored; one trailing slash is ignored ("/a/" == "/a").
// When several patterns match a path, the most specific wins, segment by segment from the
// left: a literal beats a parameter, which beats a rest parameter. The winning pattern's
// methods decide: a method it lacks answers 405 with an Allow header (HEAD falls back to
// GET); no matching pattern answers 404 (or calls the fallback). Both in the error format
// of CONTRACT.md.
//
// Routes are added before serving; matching is then read-only and thread-safe. Adding an
// invalid pattern or the same method and pattern shape twice is a programmer error and
// throws std::invalid_argument.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/server.h"

namespace roms::http {

class path_params {
 public:
  // The decoded value of parameter `name`, or "" when the pattern has none.
  std::string_view get(std::string_view name) const;
  std::string_view operator[](std::string_view name) const { return get(name); }
  bool has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

using route_handler = std::function<void(request&&, path_params&&, responder)>;

class router {
 public:
  router();
  ~router();
  router(router&&) noexcept;
  router& operator=(router&&) noexcept;

  // `method` is matched exactly ("GET", "POST", ...). `pattern` starts with '/'; segments
  // are literals or "{name}"; the last may be "{name...}" (zero or more segments, joined
  // with '/').
  router& add(std::string_view method, std::string_view pattern, route_handler h);

  // Handles unmatched paths (e.g. the web app's index.html). Default: 404 JSON.
  router& fallback(handler h);

  // Dispatches one request.
  void operator()(request&& req, responder out) const;

  // A server handler that dispatches to this router (which must outlive the server).
  handler as_handler() const;

  // What a path matches, without dispatching (tests, OpenAPI checks).
  struct match_info {
    enum class kind { found, not_found, method_not_allowed, bad_path } result;
    std::string pattern;  // the matching pattern, when found or 405
    std::string allow;    // "GET, HEAD, POST" for 405
    path_params params;   // when found
  };
  match_info match(std::string_view method, std::string_view target) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace roms::http
