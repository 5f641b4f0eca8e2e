#include "http/router.h"

#include <algorithm>
#include <stdexcept>

#include "http/errors.h"
#include "http/internal/text.h"

namespace roms::http {

std::string_view path_params::get(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return v;
  return {};
}

bool path_params::has(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return true;
  return false;
}

namespace {

enum class seg_kind { literal = 0, param = 1, rest = 2 };

struct segment {
  seg_kind kind;
  std::string text;  // the literal, or the parameter's name
};

struct method_route {
  std::string method;
  std::vector<std::string> param_names;  // in segment order
  route_handler h;
};

// One path shape ("/orders/{}"): its segments and the methods registered for it.
struct shape {
  std::string key;
  std::string pattern;  // as first registered, for match_info
  std::vector<segment> segs;
  std::vector<method_route> methods;
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") return out;
  path.remove_prefix(1);  // leading '/'
  size_t i = 0;
  while (true) {
    size_t j = path.find('/', i);
    out.push_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

// True if `s` matches `segs`; fills `values` with the decoded parameters in order.
bool match_shape(const shape& s, const std::vector<std::string>& parts,
                 std::vector<std::string>& values) {
  values.clear();
  size_t n = s.segs.size();
  bool rest = n > 0 && s.segs.back().kind == seg_kind::rest;
  if (rest ? parts.size() < n - 1 : parts.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    const auto& seg = s.segs[i];
    if (seg.kind == seg_kind::literal) {
      if (parts[i] != seg.text) return false;
    } else if (seg.kind == seg_kind::param) {
      if (parts[i].empty()) return false;
      values.push_back(parts[i]);
    } else {
      std::string joined;
      for (size_t k = i; k < parts.size(); ++k) {
        if (k > i) joined += '/';
        joined += parts[k];
      }
      values.push_back(std::move(joined));
    }
  }
  return true;
}

// Negative if a is more specific than b.
int compare_specificity(const shape& a, const shape& b) {
  size_t n = std::min(a.segs.size(), b.segs.size());
  for (size_t i = 0; i < n; ++i) {
    int ka = static_cast<int>(a.segs[i].kind), kb = static_cast<int>(b.segs[i].kind);
    if (ka != kb) return ka - kb;
  }
  // "/a/{rest...}" vs "/a": the exact one (fewer segments here means no rest) wins.
  return static_cast<int>(a.segs.size()) - static_cast<int>(b.segs.size());
}

}  // namespace

struct router::impl {
  std::vector<shape> shapes;
  handler fallback;
};

router::router() : impl_(std::make_unique<impl>()) {}
router::~router() = default;
router::router(router&&) noexcept = default;
router& router::operator=(router&&) noexcept = default;

router& router::add(std::string_view method, std::string_view pattern, route_handler h) {
  if (method.empty() || !h) throw std::invalid_argument("router: empty method or handler");
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("router: pattern must start with '/': " + std::string(pattern));
  shape s;
  s.pattern = std::string(pattern);
  std::vector<std::string> names;
  auto parts = split_path(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      std::string_view name = p.substr(1, p.size() - 2);
      seg_kind kind = seg_kind::param;
      if (name.ends_with("...")) {
        if (i + 1 != parts.size())
          throw std::invalid_argument("router: {name...} must be last: " + s.pattern);
        name.remove_suffix(3);
        kind = seg_kind::rest;
      }
      if (name.empty() || name.find_first_of("{}/") != std::string_view::npos)
        throw std::invalid_argument("router: bad parameter in " + s.pattern);
      if (std::find(names.begin(), names.end(), name) != names.end())
        throw std::invalid_argument("router: parameter named twice in " + s.pattern);
      names.emplace_back(name);
      s.segs.push_back({kind, std::string(name)});
      s.key += kind == seg_kind::rest ? "/{...}" : "/{}";
    } else {
      if (p.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("router: bad segment in " + s.pattern);
      s.segs.push_back({seg_kind::literal, std::string(p)});
      s.key += '/';
      s.key += p;
    }
  }
  auto it = std::find_if(impl_->shapes.begin(), impl_->shapes.end(),
                         [&](const shape& x) { return x.key == s.key; });
  if (it == impl_->shapes.end()) {
    impl_->shapes.push_back(std::move(s));
    it = impl_->shapes.end() - 1;
  }
  for (const auto& m : it->methods)
    if (m.method == method)
      throw std::invalid_argument("router: " + std::string(method) + " " + std::string(pattern) +
                                  " registered twice");
  it->methods.push_back({std::string(method), std::move(names), std::move(h)});
  return *this;
}

router& router::fallback(handler h) {
  impl_->fallback = std::move(h);
  return *this;
}

namespace {

struct found {
  const shape* s = nullptr;
  const method_route* m = nullptr;
  std::vector<std::string> values;
  bool bad_path = false;
};

found find(const std::vector<shape>& shapes, std::string_view method, std::string_view target) {
  found f;
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (path.empty() || path.front() != '/') {
    f.bad_path = true;
    return f;
  }
  std::vector<std::string> parts;
  for (auto raw : split_path(path)) {
    auto d = internal::percent_decode(raw);
    if (!d) {
      f.bad_path = true;
      return f;
    }
    parts.push_back(std::move(*d));
  }
  std::vector<std::string> values;
  for (const auto& s : shapes) {
    if (!match_shape(s, parts, values)) continue;
    if (!f.s || compare_specificity(s, *f.s) < 0) {
      f.s = &s;
      f.values = values;
    }
  }
  if (!f.s) return f;
  const method_route* get = nullptr;
  for (const auto& m : f.s->methods) {
    if (m.method == method) {
      f.m = &m;
      break;
    }
    if (m.method == "GET") get = &m;
  }
  if (!f.m && method == "HEAD") f.m = get;
  return f;
}

std::string allow_list(const shape& s) {
  std::vector<std::string> ms;
  for (const auto& m : s.methods) ms.push_back(m.method);
  if (std::find(ms.begin(), ms.end(), "GET") != ms.end() &&
      std::find(ms.begin(), ms.end(), "HEAD") == ms.end())
    ms.push_back("HEAD");
  std::sort(ms.begin(), ms.end());
  std::string out;
  for (const auto& m : ms) {
    if (!out.empty()) out += ", ";
    out += m;
  }
  return out;
}

path_params make_params(const method_route& m, std::vector<std::string>& values) {
  path_params p;
  for (size_t i = 0; i < m.param_names.size() && i < values.size(); ++i)
    p.add(m.param_names[i], std::move(values[i]));
  return p;
}

}  // namespace

router::match_info router::match(std::string_view method, std::string_view target) const {
  match_info info{match_info::kind::not_found, {}, {}, {}};
  auto f = find(impl_->shapes, method, target);
  if (f.bad_path) {
    info.result = match_info::kind::bad_path;
    return info;
  }
  if (!f.s) return info;
  info.pattern = f.s->pattern;
  if (!f.m) {
    info.result = match_info::kind::method_not_allowed;
    info.allow = allow_list(*f.s);
    return info;
  }
  info.result = match_info::kind::found;
  info.params = make_params(*f.m, f.values);
  return info;
}

void router::operator()(request&& req, responder out) const {
  auto f = find(impl_->shapes, req.method, req.target);
  if (f.bad_path) {
    out.respond(error_response(400, "malformed_request", "malformed path"));
    return;
  }
  if (!f.s) {
    if (impl_->fallback) {
      impl_->fallback(std::move(req), std::move(out));
      return;
    }
    out.respond(error_response(404, "not_found", "no route for " + req.method + " " + req.path));
    return;
  }
  if (!f.m) {
    auto r =
        error_response(405, "method_not_allowed", req.method + " is not allowed on " + req.path);
    r.headers.emplace_back("Allow", allow_list(*f.s));
    out.respond(std::move(r));
    return;
  }
  f.m->h(std::move(req), make_params(*f.m, f.values), std::move(out));
}

handler router::as_handler() const {
  return [this](request&& req, responder out) { (*this)(std::move(req), std::move(out)); };
}

}  // namespace roms::http
