// Typed event payloads, declared once. A payload type lists its fields in a `fields` member
// template; encode_payload / decode_payload are generic over that list, so the JSON shape
// and the struct cannot drift apart:
//
//   struct order_cancelled {
//     static constexpr std::string_view kType = "order.cancelled";
//     static constexpr uint32_t kVersion = 1;
//     std::string order_id;
//     int64_t refund = 0;
//     template <class V> void fields(V& v) { v("order_id", order_id); v("refund", refund); }
//   };
//   std::string json = encode_payload(p);
//   result_msg<order_cancelled> back = decode_payload<order_cancelled>(json);
//
// Supported member types: std::string, int64_t, int32_t, uint32_t, bool, double,
// std::optional<T>, std::vector<T>, and nested structs with their own `fields`. Unknown keys
// are ignored on decode (forward compatibility); absent keys keep the member's default;
// `null` resets an optional. A key present with the wrong JSON type is an error naming it.
// The JSON parser (simdjson) stays inside events/payload.cc: this header does not include it.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/errc.h"
#include "core/result.h"
#include "events/json_writer.h"

namespace roms::events {

// A cursor over one JSON value, implemented with simdjson in payload.cc.
class json_value {
 public:
  virtual ~json_value() = default;
  virtual bool is_null() = 0;
  virtual result<std::string_view> get_string() = 0;
  virtual result<int64_t> get_int64() = 0;
  virtual result<bool> get_bool() = 0;
  virtual result<double> get_double() = 0;
  // Calls f(key, value) for each member of an object; stops at the first error.
  virtual result<void> for_each_field(
      const std::function<result<void>(std::string_view, json_value&)>& f) = 0;
  virtual result<void> for_each_element(const std::function<result<void>(json_value&)>& f) = 0;
  // The raw JSON text of this value (for payload fields kept as JSON).
  virtual result<std::string_view> raw() = 0;
};

// Parses `json` (must be an object) and calls f(key, value) for each top-level member.
// On failure `where` names the field that failed.
result<void> parse_object(std::string_view json,
                          const std::function<result<void>(std::string_view, json_value&)>& f,
                          std::string* where);

// A JSON value kept verbatim (e.g. the "changes" of a settings event).
struct raw_json {
  std::string text = "null";
  friend bool operator==(const raw_json&, const raw_json&) = default;
};

namespace detail {

struct fields_probe {
  template <class U>
  void operator()(std::string_view, U&) {}
};
template <class T, class = void>
struct has_fields : std::false_type {};
template <class T>
struct has_fields<T, std::void_t<decltype(std::declval<T&>().fields(
                         std::declval<fields_probe&>()))>> : std::true_type {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

template <class T>
void write_value(json_writer& w, const T& v);

struct encoder {
  json_writer& w;
  template <class T>
  void operator()(std::string_view name, const T& v) {
    if constexpr (is_optional<T>::value) {
      if (!v) return;  // absent optionals are omitted
      w.key(name);
      write_value(w, *v);
    } else {
      w.key(name);
      write_value(w, v);
    }
  }
};

template <class T>
void write_value(json_writer& w, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    w.value(std::string_view(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    w.value(v);
  } else if constexpr (std::is_same_v<T, raw_json>) {
    w.raw(v.text);
  } else if constexpr (std::is_integral_v<T>) {
    w.value(static_cast<int64_t>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    w.value(static_cast<double>(v));
  } else if constexpr (is_vector<T>::value) {
    w.begin_array();
    for (const auto& e : v) write_value(w, e);
    w.end_array();
  } else if constexpr (is_optional<T>::value) {
    if (v) write_value(w, *v); else w.null();
  } else {
    static_assert(has_fields<T>::value, "payload member type not supported");
    w.begin_object();
    encoder e{w};
    const_cast<T&>(v).fields(e);  // fields() only reads through the encoder
    w.end_object();
  }
}

template <class T>
result<void> read_value(json_value& j, T& out);

struct decoder {
  std::string_view key;
  json_value& value;
  bool matched = false;
  result<void> status = success();
  template <class T>
  void operator()(std::string_view name, T& member) {
    if (matched || name != key) return;
    matched = true;
    status = read_value(value, member);
  }
};

template <class T>
result<void> read_fields(json_value& j, T& out) {
  return j.for_each_field([&](std::string_view k, json_value& v) -> result<void> {
    decoder d{k, v};
    out.fields(d);
    return d.status;
  });
}

template <class T>
result<void> read_value(json_value& j, T& out) {
  if constexpr (is_optional<T>::value) {
    if (j.is_null()) {
      out.reset();
      return success();
    }
    typename T::value_type v{};
    BOOST_OUTCOME_TRY(read_value(j, v));
    out = std::move(v);
    return success();
  } else if constexpr (std::is_same_v<T, std::string>) {
    BOOST_OUTCOME_TRY(auto s, j.get_string());
    out.assign(s);
    return success();
  } else if constexpr (std::is_same_v<T, raw_json>) {
    BOOST_OUTCOME_TRY(auto s, j.raw());
    out.text.assign(s);
    return success();
  } else if constexpr (std::is_same_v<T, bool>) {
    BOOST_OUTCOME_TRY(auto b, j.get_bool());
    out = b;
    return success();
  } else if constexpr (std::is_integral_v<T>) {
    BOOST_OUTCOME_TRY(auto i, j.get_int64());
    if (!std::in_range<T>(i)) return roms::errc::invalid_argument;
    out = static_cast<T>(i);
    return success();
  } else if constexpr (std::is_floating_point_v<T>) {
    BOOST_OUTCOME_TRY(auto d, j.get_double());
    out = static_cast<T>(d);
    return success();
  } else if constexpr (is_vector<T>::value) {
    out.clear();
    return j.for_each_element([&](json_value& e) -> result<void> {
      typename T::value_type v{};
      BOOST_OUTCOME_TRY(read_value(e, v));
      out.push_back(std::move(v));
      return success();
    });
  } else {
    static_assert(has_fields<T>::value, "payload member type not supported");
    return read_fields(j, out);
  }
}

}  // namespace detail

template <class T>
std::string encode_payload(const T& p) {
  json_writer w;
  detail::write_value(w, p);
  return std::move(w).str();
}

template <class T>
result_msg<T> decode_payload(std::string_view json) {
  T out{};
  std::string where;
  auto r = parse_object(
      json,
      [&](std::string_view k, json_value& v) -> result<void> {
        detail::decoder d{k, v};
        out.fields(d);
        if (!d.status) where = std::string(k);
        return d.status;
      },
      &where);
  if (!r) {
    return error_info{r.error(), where.empty() ? std::string("payload: malformed JSON")
                                               : "payload field '" + where + "': wrong type"};
  }
  return out;
}

}  // namespace roms::events
