#include "http/static_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/errors.h"
#include "http/internal/text.h"

namespace roms::http {

namespace fs = std::filesystem;

namespace static_detail {

const char* content_type_for(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, const char*>, 24> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".map", "application/json; charset=utf-8"},
      {".webmanifest", "application/manifest+json; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".xml", "application/xml; charset=utf-8"},
      {".svg", "image/svg+xml; charset=utf-8"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".avif", "image/avif"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".otf", "font/otf"},
      {".wasm", "application/wasm"},
      {".pdf", "application/pdf"},
  }};
  std::string ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [e, t] : kTypes)
    if (e == ext) return t;
  return "application/octet-stream";
}

bool is_hashed_asset(std::string_view name) {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view stem = name.substr(0, dot);
  // "[name]-[hash]" (Vite/Rollup: 8 characters of base64url, which may themselves hold '-'
  // or '_': "index-Cq3_zZ-1") or "[name].[hash]" (hex, esbuild/webpack style). A plain word
  // ("bootstrap-template") is not a hash: it needs a digit or an upper-case letter.
  auto looks_hashed = [](std::string_view h, bool allow_dash) {
    if (h.size() < 8 || h.size() > 64 || (allow_dash && h.size() != 8)) return false;
    bool digit_or_upper = false;
    for (char c : h) {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && !(allow_dash && (c == '_' || c == '-'))) return false;
      if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) digit_or_upper = true;
    }
    return digit_or_upper;
  };
  for (size_t i = 1; i < stem.size(); ++i) {
    if (stem[i] != '-' && stem[i] != '.') continue;
    std::string_view h = stem.substr(i + 1);
    if (looks_hashed(h, /*allow_dash=*/true) || looks_hashed(h, /*allow_dash=*/false)) return true;
  }
  return false;
}

bool is_spa_route(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  auto under = [&](std::string_view prefix) {
    // "/api" itself, "/api/…"
    return path == prefix || (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
                              path[prefix.size()] == '/');
  };
  if (under("/api") || under("/webhooks") || under("/healthz") || under("/metrics")) return false;
  std::string_view last = path;
  while (!last.empty() && last.back() == '/') last.remove_suffix(1);
  auto slash = last.rfind('/');
  if (slash != std::string_view::npos) last = last.substr(slash + 1);
  return last.find('.') == std::string_view::npos;
}

}  // namespace static_detail

namespace {

bool is_api_path(std::string_view path) {
  for (std::string_view p : {"/api", "/webhooks"})
    if (path == p || (path.size() > p.size() && path.substr(0, p.size()) == p && path[p.size()] == '/'))
      return true;
  return false;
}

// One path segment is safe when, however many times it is percent-decoded, it is never "." or
// "..", never holds a '/', '\' or a control character.
bool safe_segment(std::string_view raw) {
  std::string s(raw);
  for (int round = 0; round < 4; ++round) {
    if (s == "." || s == "..") return false;
    for (unsigned char c : s)
      if (c < 0x20 || c == 0x7f || c == '\\' || (round > 0 && c == '/')) return false;
    if (s.find('%') == std::string::npos) return true;
    auto d = internal::percent_decode(s);
    if (!d) return false;
    s = std::move(*d);
  }
  return false;  // encoded four times over: nobody does that by accident
}

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string fnv1a_etag(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

// If-None-Match: a list of entity tags or "*"; weak comparison (W/ ignored).
bool etag_matches(std::string_view header, std::string_view etag) {
  size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',' || header[i] == '\t')) ++i;
    size_t j = header.find(',', i);
    if (j == std::string_view::npos) j = header.size();
    std::string_view tag = header.substr(i, j - i);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.size() > 2 && tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    i = j + 1;
  }
  return false;
}

struct file_entry {
  std::uintmax_t size = 0;
  std::int64_t mtime_ns = 0;
  std::shared_ptr<const std::string> body;
  std::string etag;
};

constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

class static_site {
 public:
  static_site(fs::path root, static_files_options o) : root_(std::move(root)), opts_(o) {}

  void handle(request&& req, const responder& out) {
    if (is_api_path(req.path))
      return out.respond(error_response(404, "not_found", "no route for " + req.method + " " + req.path));
    if (req.method != "GET" && req.method != "HEAD") {
      auto r = error_response(405, "method_not_allowed", req.method + " is not allowed on " + req.path);
      r.headers.emplace_back("Allow", "GET, HEAD");
      return out.respond(std::move(r));
    }
    // The raw target first (encoded variants), then the decoded path.
    std::string_view raw = req.target;
    raw = raw.substr(0, raw.find('?'));
    raw = raw.substr(0, raw.find('#'));
    for (auto seg : split(raw))
      if (!safe_segment(seg)) return refuse(out);
    auto parts = split(req.path);
    for (auto seg : parts) {
      if (seg == "." || seg == "..") return refuse(out);
      for (unsigned char c : seg)
        if (c < 0x20 || c == 0x7f || c == '\\') return refuse(out);
    }
    bool dotfile = false;
    fs::path rel;
    for (auto seg : parts) {
      if (seg.front() == '.') dotfile = true;
      rel /= fs::path(std::string(seg));
    }
    if (!dotfile && !parts.empty()) {
      if (serve_file(req, out, rel, /*index=*/false)) return;
    }
    if (parts.empty() || (!dotfile && static_detail::is_spa_route(req.path))) {
      if (serve_file(req, out, "index.html", /*index=*/true)) return;
    }
    out.respond(error_response(404, "not_found", "no file " + req.path));
  }

 private:
  static void refuse(const responder& out) {
    out.respond(error_response(400, "malformed_request", "path traversal is not allowed"));
  }

  // The real path of `rel` under the real root, or empty when it is not a regular file
  // inside the root (missing, a directory, a symlink leading out).
  fs::path resolve(const fs::path& rel) {
    std::error_code ec;
    fs::path real_root = fs::canonical(root_, ec);
    if (ec) return {};
    fs::path real = fs::canonical(real_root / rel, ec);
    if (ec) return {};
    auto [r_end, _] = std::mismatch(real_root.begin(), real_root.end(), real.begin(), real.end());
    if (r_end != real_root.end()) return {};  // outside the root
    if (!fs::is_regular_file(real, ec) || ec) return {};
    return real;
  }

  std::optional<file_entry> load(const fs::path& real) {
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    std::int64_t mtime = std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    auto size = static_cast<std::uintmax_t>(st.st_size);
    if (size > opts_.max_file_bytes) return std::nullopt;
    {
      std::lock_guard lk(mu_);
      auto it = cache_.find(real.native());
      if (it != cache_.end() && it->second.size == size && it->second.mtime_ns == mtime)
        return it->second;
    }
    std::ifstream in(real, std::ios::binary);
    if (!in) return std::nullopt;
    std::string body(size, '\0');
    in.read(body.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size) return std::nullopt;
    file_entry e;
    e.size = size;
    e.mtime_ns = mtime;
    e.etag = fnv1a_etag(body);
    e.body = std::make_shared<const std::string>(std::move(body));
    if (size <= opts_.cache_bytes) {
      std::lock_guard lk(mu_);
      auto it = cache_.find(real.native());
      if (it != cache_.end()) {
        cached_bytes_ -= it->second.size;
        cache_.erase(it);
      }
      if (cached_bytes_ + size > opts_.cache_bytes) {
        cache_.clear();
        cached_bytes_ = 0;
      }
      cache_.emplace(real.native(), e);
      cached_bytes_ += size;
    }
    return e;
  }

  bool serve_file(const request& req, const responder& out, const fs::path& rel, bool index) {
    fs::path real = resolve(rel);
    if (real.empty()) return false;
    auto e = load(real);
    if (!e) return false;
    const std::string name = real.filename().string();
    const char* type = static_detail::content_type_for(real);
    response r;
    r.content_type = type;
    bool immutable = !index && static_detail::is_hashed_asset(name);
    r.headers.emplace_back("Cache-Control",
                           immutable ? "public, max-age=31536000, immutable" : "no-cache");
    r.headers.emplace_back("ETag", e->etag);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (std::string_view(type).rfind("text/html", 0) == 0) {
      r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
      r.headers.emplace_back("X-Frame-Options", "DENY");
      r.headers.emplace_back("Referrer-Policy", "same-origin");
    }
    if (req.has_header("If-None-Match") && etag_matches(req.header("If-None-Match"), e->etag)) {
      r.status = 304;
      r.content_type.clear();
      out.respond(std::move(r));
      return true;
    }
    r.body = *e->body;
    out.respond(std::move(r));
    return true;
  }

  fs::path root_;
  static_files_options opts_;
  std::mutex mu_;
  std::unordered_map<std::string, file_entry> cache_;
  std::size_t cached_bytes_ = 0;
};

}  // namespace

handler static_files(fs::path root) { return static_files(std::move(root), {}); }

handler static_files(fs::path root, static_files_options options) {
  auto site = std::make_shared<static_site>(std::move(root), options);
  return [site](request&& req, responder out) { site->handle(std::move(req), out); };
}

}  // namespace roms::http
