#include "events/payload.h"

#include <simdjson.h>

namespace roms::events {
namespace {

namespace od = simdjson::ondemand;

std::error_code map(simdjson::error_code e) {
  switch (e) {
    case simdjson::SUCCESS:
      return {};
    case simdjson::INCORRECT_TYPE:
    case simdjson::NUMBER_OUT_OF_RANGE:
      return roms::errc::invalid_argument;
    default:
      return roms::errc::malformed_json;
  }
}

class value_impl final : public json_value {
 public:
  explicit value_impl(od::value v) : v_(v) {}

  bool is_null() override {
    bool n = false;
    if (v_.is_null().get(n)) return false;
    return n;
  }
  result<std::string_view> get_string() override {
    std::string_view s;
    if (auto e = v_.get_string().get(s)) return map(e);
    return s;
  }
  result<int64_t> get_int64() override {
    int64_t i;
    if (auto e = v_.get_int64().get(i)) return map(e);
    return i;
  }
  result<bool> get_bool() override {
    bool b;
    if (auto e = v_.get_bool().get(b)) return map(e);
    return b;
  }
  result<double> get_double() override {
    double d;
    if (auto e = v_.get_double().get(d)) return map(e);
    return d;
  }
  result<void> for_each_field(
      const std::function<result<void>(std::string_view, json_value&)>& f) override {
    od::object obj;
    if (auto e = v_.get_object().get(obj)) return map(e);
    return iterate(obj, f);
  }
  result<void> for_each_element(const std::function<result<void>(json_value&)>& f) override {
    od::array arr;
    if (auto e = v_.get_array().get(arr)) return map(e);
    for (auto el : arr) {
      od::value v;
      if (auto e = el.get(v)) return map(e);
      value_impl child(v);
      BOOST_OUTCOME_TRY(f(child));
    }
    return success();
  }
  result<std::string_view> raw() override {
    std::string_view s;
    od::json_type t;
    if (auto e = v_.type().get(t)) return map(e);
    if (t == od::json_type::object) {
      od::object o;
      if (auto e = v_.get_object().get(o)) return map(e);
      if (auto e = o.raw_json().get(s)) return map(e);
    } else if (t == od::json_type::array) {
      od::array a;
      if (auto e = v_.get_array().get(a)) return map(e);
      if (auto e = a.raw_json().get(s)) return map(e);
    } else {
      s = v_.raw_json_token();
    }
    // raw_json keeps trailing whitespace up to the next token; trim it.
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' ||
                          s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  }

  static result<void> iterate(od::object& obj,
                              const std::function<result<void>(std::string_view,
                                                               json_value&)>& f) {
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return map(e);
      od::value v;
      if (auto e = field.value().get(v)) return map(e);
      value_impl child(v);
      BOOST_OUTCOME_TRY(f(key, child));
    }
    return success();
  }

 private:
  od::value v_;
};

}  // namespace

result<void> parse_object(std::string_view json,
                          const std::function<result<void>(std::string_view, json_value&)>& f,
                          std::string* where) {
  thread_local od::parser parser;
  // simdjson needs SIMDJSON_PADDING readable bytes after the input.
  thread_local std::string buf;
  buf.assign(json);
  buf.resize(json.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (auto e = parser.iterate(buf.data(), json.size(), buf.size()).get(doc)) return map(e);
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (where) where->clear();
    return map(e);
  }
  return value_impl::iterate(obj, f);
}

}  // namespace roms::events
