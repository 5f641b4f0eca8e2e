#include "events/upcast.h"

#include <simdjson.h>

#include <mutex>
#include <stdexcept>

#include "core/errc.h"
#include "events/codec.h"
#include "events/json_writer.h"

namespace roms::events {

namespace {

namespace od = simdjson::ondemand;

error_info make_error(errc code, std::string message) {
  return error_info{make_error_code(code), std::move(message)};
}

std::string step_name(std::string_view type, uint32_t from) {
  std::string s = "upcasting '";
  s += type;
  s += "' v" + std::to_string(from) + " to v" + std::to_string(from + 1);
  return s;
}

}  // namespace

void upcaster_registry::add(std::string type, uint32_t from_version, upcaster_fn fn) {
  if (from_version < 1) throw std::logic_error("upcaster from version 0 of " + type);
  if (!fn) throw std::logic_error("empty upcaster for " + type);
  std::unique_lock lock(mu_);
  auto& steps = types_[type].steps;
  if (!steps.emplace(from_version, std::move(fn)).second) {
    throw std::logic_error("upcaster registered twice: " + step_name(type, from_version));
  }
}

uint32_t upcaster_registry::latest_version(std::string_view type) const {
  std::shared_lock lock(mu_);
  auto it = types_.find(type);
  if (it == types_.end() || it->second.steps.empty()) return 1;
  return it->second.steps.rbegin()->first + 1;
}

result_msg<envelope> upcaster_registry::upcast(envelope e) const {
  std::shared_lock lock(mu_);
  auto it = types_.find(std::string_view(e.type));
  if (it == types_.end() || it->second.steps.empty()) return e;
  const auto& steps = it->second.steps;
  const uint32_t latest = steps.rbegin()->first + 1;
  while (e.version < latest) {
    auto step = steps.find(e.version);
    if (step == steps.end()) {
      return failure(make_error(errc::unsupported,
                                step_name(e.type, e.version) + ": no upcaster registered"));
    }
    auto next = step->second(e.payload);
    if (!next) {
      auto err = std::move(next).error();
      err.message = step_name(e.type, e.version) + ": " + err.message;
      return failure(std::move(err));
    }
    if (!is_json_object(next.value())) {
      return failure(make_error(errc::invalid_argument,
                                step_name(e.type, e.version) + ": result is not a JSON object"));
    }
    e.payload = std::move(next).value();
    ++e.version;
  }
  return e;
}

std::vector<std::string> upcaster_registry::types() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [type, t] : types_) {
    if (!t.steps.empty()) out.push_back(type);
  }
  return out;
}

void upcaster_registry::clear() {
  std::unique_lock lock(mu_);
  types_.clear();
}

upcaster_registry& default_upcasters() {
  static upcaster_registry r;
  return r;
}

void register_upcaster(std::string type, uint32_t from_version, upcaster_fn fn) {
  default_upcasters().add(std::move(type), from_version, std::move(fn));
}

uint32_t latest_version(std::string_view type) { return default_upcasters().latest_version(type); }

result_msg<envelope> upcast(envelope e) { return default_upcasters().upcast(std::move(e)); }

// --- helpers ---------------------------------------------------------------------------------

namespace {

enum class action { keep, rename, replace, remove };

// Copies the members of `payload` to a new object, letting `decide(key)` rename, replace or
// drop each; `append` (if non-empty) is written as a last member "key":value when no member
// was replaced.
template <class Decide>
result_msg<std::string> rewrite(std::string_view payload, std::string_view what, Decide decide,
                                std::string_view new_key, std::string_view new_value,
                                bool append_if_absent, bool fail_if_new_key_exists) {
  auto bad_input = [&] {
    return failure(make_error(errc::invalid_argument,
                              std::string(what) + ": payload is not a JSON object"));
  };
  if (!is_json_object(payload)) return bad_input();  // full validation; below trusts it

  thread_local od::parser parser;
  thread_local std::string buf;
  buf.reserve(payload.size() + simdjson::SIMDJSON_PADDING);
  buf.assign(payload);
  od::document doc;
  od::object obj;
  if (parser.iterate(simdjson::padded_string_view(buf.data(), buf.size(), buf.capacity())).get(doc) ||
      doc.get_object().get(obj)) {
    return bad_input();
  }

  json_writer w;
  w.reserve(payload.size() + new_key.size() + new_value.size() + 8);
  w.begin_object();
  bool done = false;
  for (auto f : obj) {
    std::string_view key;
    od::value v;
    if (f.unescaped_key().get(key) || f.value().get(v)) return bad_input();
    action a = decide(key);
    if (fail_if_new_key_exists && key == new_key) {
      return failure(make_error(errc::conflict, std::string(what) + ": member '" +
                                                    std::string(new_key) + "' already exists"));
    }
    if (a == action::remove) {
      done = true;
      continue;  // on-demand skips the unread value
    }
    if (a == action::replace) {
      w.key(key).raw(new_value);
      done = true;
      continue;
    }
    // Keep the value's text verbatim.
    std::string_view raw;
    od::json_type t;
    if (v.type().get(t)) return bad_input();
    if (t == od::json_type::object) {
      od::object o;
      if (v.get_object().get(o) || o.raw_json().get(raw)) return bad_input();
    } else if (t == od::json_type::array) {
      od::array arr;
      if (v.get_array().get(arr) || arr.raw_json().get(raw)) return bad_input();
    } else {
      raw = v.raw_json_token();
    }
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                            raw.back() == '\t')) {
      raw.remove_suffix(1);
    }
    if (a == action::rename) {
      w.key(new_key);
      done = true;
    } else {
      w.key(key);
    }
    w.raw(raw);
  }
  if (!done && append_if_absent) w.key(new_key).raw(new_value);
  w.end_object();
  return std::move(w).str();
}

}  // namespace

result_msg<std::string> rename_field(std::string_view payload, std::string_view from,
                                     std::string_view to) {
  if (from == to) {
    if (!is_json_object(payload)) {
      return failure(make_error(errc::invalid_argument, "rename_field: payload is not a JSON object"));
    }
    return std::string(payload);
  }
  return rewrite(
      payload, "rename_field", [&](std::string_view k) { return k == from ? action::rename : action::keep; },
      to, {}, false, true);
}

result_msg<std::string> set_field(std::string_view payload, std::string_view key,
                                  std::string_view json_value) {
  std::string probe = "{\"k\":";
  probe += json_value;
  probe += '}';
  if (!is_json_object(probe)) {
    return failure(make_error(errc::invalid_argument, "set_field: value for '" + std::string(key) +
                                                          "' is not one JSON value"));
  }
  return rewrite(
      payload, "set_field", [&](std::string_view k) { return k == key ? action::replace : action::keep; },
      key, json_value, true, false);
}

result_msg<std::string> remove_field(std::string_view payload, std::string_view key) {
  return rewrite(
      payload, "remove_field", [&](std::string_view k) { return k == key ? action::remove : action::keep; },
      {}, {}, false, false);
}

}  // namespace roms::events
