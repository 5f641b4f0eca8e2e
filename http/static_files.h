// The web app's static files (web/dist) as an HTTP handler: the router's fallback after the
// API routes.
//
//   roms::http::router r;
//   ... r.add(...) the API routes ...
//   r.fallback(roms::http::static_files("/path/to/web/dist"));
//
// What it answers:
// - GET and HEAD of a regular file under `root`: the file, with Content-Type from its
//   extension (text types with "; charset=utf-8"), a strong ETag (a hash of the content;
//   If-None-Match answers 304), X-Content-Type-Options: nosniff, and Cache-Control:
//     * hashed build assets ("assets/index-B2x9kLmQ.js": a name ending in -<8+ chars of
//       [A-Za-z0-9_-]> before the extension): "public, max-age=31536000, immutable";
//     * index.html and every other file: "no-cache" (revalidate with the ETag).
//   HTML answers also carry a Content-Security-Policy that allows only the same origin
//   (no CDN, no inline script), X-Frame-Options: DENY and Referrer-Policy: same-origin.
// - The single-page app fallback: a GET/HEAD of a path that names no file, is not under
//   /api/ or /webhooks/, is not /healthz or /metrics, and whose last segment has no file
//   extension ("/orders/ord_12", "/settings") answers root/index.html (no-cache), so a
//   reloaded deep link works. "/" is index.html.
// - 404 JSON ({"error":{"code":"not_found",…}}) otherwise: a missing "/assets/x.js", any
//   unmatched /api/… path (whatever the method), a missing index.html.
// - 405 JSON (Allow: GET, HEAD) for other methods outside /api/ and /webhooks/.
// - Path traversal is refused (400 "malformed_request"): "." or ".." segments, in the raw
//   target or after percent-decoding (%2e%2e, %2f, double-encoded %25), backslashes, NUL and
//   other control characters. Dot-files (".env", ".git/…") are never served (404), and a
//   file whose real path (symlinks resolved) lies outside the real root is not served (404).
//
// Files are read on first use and kept in memory (bounded, revalidated by size and mtime on
// every request), so a rebuilt web/dist is served without a restart. The handler is
// thread-safe and never blocks on anything but a stat and, on a cache miss, a small read.
// `root` need not exist when the handler is made (the app may be built later); until it
// does, every app path answers 404 JSON.
#pragma once

#include <cstddef>
#include <filesystem>

#include "http/server.h"

namespace roms::http {

struct static_files_options {
  // Total bytes of file content kept in memory. Files larger than this are read per request.
  // Default: 32 MiB.
  std::size_t cache_bytes = 32u << 20;
  // Largest file served. Default: 64 MiB.
  std::size_t max_file_bytes = 64u << 20;
};

handler static_files(std::filesystem::path root);
handler static_files(std::filesystem::path root, static_files_options options);

// Helpers, exposed for tests.
namespace static_detail {
// "text/javascript; charset=utf-8" for "x.js"; "application/octet-stream" when unknown.
const char* content_type_for(const std::filesystem::path& file);
// Whether a file name looks like a content-hashed build asset ("index-B2x9kLmQ.js").
bool is_hashed_asset(std::string_view file_name);
// Whether `path` (decoded, starting with '/') is an app route served by index.html.
bool is_spa_route(std::string_view path);
}  // namespace static_detail

}  // namespace roms::http
