#include "events/codec.h"

#include <simdjson.h>

#include <cstdint>
#include <utility>

#include "core/errc.h"
#include "events/json_writer.h"

namespace roms::events {

namespace {

namespace od = simdjson::ondemand;

// One parser of each kind per thread (simdjson: parsers are not thread-safe and are
// expensive to create; reusing one keeps its buffers warm).
od::parser& ondemand_parser() {
  thread_local od::parser p;
  return p;
}

simdjson::dom::parser& dom_parser() {
  thread_local simdjson::dom::parser p;
  return p;
}

// A copy of the input with SIMDJSON_PADDING spare bytes, reused per thread. Callers hand us
// string_views whose memory past the end we may not read.
std::string& padded_buffer(std::string_view json) {
  thread_local std::string buf;
  buf.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buf.assign(json);
  return buf;
}

error_info make_error(errc code, std::string message) {
  return error_info{make_error_code(code), std::move(message)};
}

error_info field_error(errc code, std::string_view field, std::string_view what) {
  std::string m = "field '";
  m += field;
  m += "': ";
  m += what;
  return make_error(code, std::move(m));
}

// simdjson errors that mean "the JSON is fine but this value has another type or range".
bool is_type_error(simdjson::error_code e) {
  return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE;
}

error_info json_error(std::string_view field, simdjson::error_code e) {
  std::string what = "malformed JSON (";
  what += simdjson::error_message(e);
  what += ')';
  if (field.empty()) return make_error(errc::malformed_json, std::move(what));
  return field_error(errc::malformed_json, field, what);
}

// Nesting deeper than this is refused (on-demand does not enforce the parser's max_depth,
// and validate_value recurses). Default: simdjson's DEFAULT_MAX_DEPTH, 1024.
constexpr int kMaxDepth = static_cast<int>(simdjson::DEFAULT_MAX_DEPTH);

simdjson::error_code validate_value(od::value v, int depth);

// Visits every member of `o` (see validate_value); `depth` is the object's own depth.
simdjson::error_code validate_members(od::object& o, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  for (auto f : o) {
    std::string_view k;
    od::value v;
    SIMDJSON_TRY(f.unescaped_key().get(k));
    SIMDJSON_TRY(f.value().get(v));
    SIMDJSON_TRY(validate_value(v, depth + 1));
  }
  return simdjson::SUCCESS;
}

// Visits every value below `v` so that on-demand parsing validates it fully (on-demand
// otherwise skips what it is not asked for without checking it).
simdjson::error_code validate_value(od::value v, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type t;
  SIMDJSON_TRY(v.type().get(t));
  switch (t) {
    case od::json_type::array: {
      od::array a;
      SIMDJSON_TRY(v.get_array().get(a));
      for (auto item : a) {
        od::value x;
        SIMDJSON_TRY(item.get(x));
        SIMDJSON_TRY(validate_value(x, depth + 1));
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object o;
      SIMDJSON_TRY(v.get_object().get(o));
      return validate_members(o, depth);
    }
    case od::json_type::number:
      // As a double: integers too big for 64 bits are still valid JSON. (simdjson refuses
      // numbers beyond the double range, e.g. 1e400, as NUMBER_ERROR.)
      return v.get_double().error();
    case od::json_type::string:
      return v.get_string().error();
    case od::json_type::boolean:
      return v.get_bool().error();
    case od::json_type::null: {
      bool is_null = false;
      SIMDJSON_TRY(v.is_null().get(is_null));
      return is_null ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// The error for a value of `field` that failed with `err` where `expected` was wanted: a
// mistyped but well-formed value is invalid_argument, anything else malformed_json.
error_info value_error(od::value& v, std::string_view field, simdjson::error_code err,
                       std::string_view expected) {
  if (!is_type_error(err)) return json_error(field, err);
  // A failed get_*() leaves the value unconsumed, so it can still be checked.
  if (auto bad = validate_value(v, 2)) return json_error(field, bad);
  return field_error(errc::invalid_argument, field, expected);
}

// `json` must be followed by SIMDJSON_PADDING readable bytes.
bool is_json_object_padded(std::string_view json) {
  simdjson::dom::element root;
  if (dom_parser().parse(json.data(), json.size(), false).get(root)) return false;
  return root.is_object();
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

bool is_lower_word(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// ^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$ (CONTRACT.md: aggregate.past_tense_verb).
bool is_event_type_name(std::string_view t) {
  auto dot = t.find('.');
  if (dot == std::string_view::npos) return false;
  return is_lower_word(t.substr(0, dot)) && is_lower_word(t.substr(dot + 1));
}

std::string size_over(size_t size, size_t limit) {
  return std::to_string(size) + " bytes, over the limit of " + std::to_string(limit) + " bytes";
}

// The checks shared by decode and validate. `parsed` is set by the decoder: the strings
// came out of simdjson (valid UTF-8) and the payload was already checked to be an object.
result_msg<void> check_fields(const envelope& e, bool parsed) {
  struct named {
    std::string_view name;
    const std::string& value;
    bool required;
  };
  const named fields[] = {
      {"id", e.id, true},         {"type", e.type, true},
      {"stream", e.stream, true}, {"actor", e.actor, false},
      {"correlation_id", e.correlation_id, false}, {"causation_id", e.causation_id, false},
  };
  for (const auto& f : fields) {
    if (f.required && f.value.empty()) {
      return failure(field_error(errc::invalid_argument, f.name, "must not be empty"));
    }
    if (f.value.size() > kMaxIdBytes) {
      return failure(field_error(errc::invalid_argument, f.name, size_over(f.value.size(), kMaxIdBytes)));
    }
    if (!parsed && !simdjson::validate_utf8(f.value.data(), f.value.size())) {
      return failure(field_error(errc::invalid_argument, f.name, "not valid UTF-8"));
    }
  }
  if (e.version < 1) {
    return failure(field_error(errc::invalid_argument, "version", "must be at least 1"));
  }
  // RFC 3339 has four-digit years: outside them format_rfc3339 writes text nobody can read
  // back, so such an event could be appended but never decoded.
  static constexpr int64_t kMinMicros = -62'167'219'200'000'000;  // 0000-01-01T00:00:00Z
  static constexpr int64_t kMaxMicros = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z
  if (to_micros(e.time) < kMinMicros || to_micros(e.time) > kMaxMicros) {
    return failure(field_error(errc::invalid_argument, "time", "outside the years 0000 to 9999"));
  }
  if (e.payload.size() > kMaxPayloadBytes) {
    return failure(field_error(errc::invalid_argument, "payload",
                               size_over(e.payload.size(), kMaxPayloadBytes)));
  }
  if (!parsed && !is_json_object(e.payload)) {
    return failure(field_error(errc::invalid_argument, "payload", "not a JSON object"));
  }
  return success();
}

enum field_bit : unsigned {
  k_id = 1, k_type = 2, k_version = 4, k_stream = 8, k_time = 16, k_actor = 32,
  k_correlation = 64, k_causation = 128, k_payload = 256, k_position = 512,
};

void write_envelope_fields(json_writer& w, const envelope& e) {
  w.field("id", std::string_view(e.id));
  w.field("type", std::string_view(e.type));
  w.field("version", e.version);
  w.field("stream", std::string_view(e.stream));
  w.field("time", std::string_view(format_rfc3339(e.time)));
  w.field("actor", std::string_view(e.actor));
  w.field("correlation_id", std::string_view(e.correlation_id));
  w.field("causation_id", std::string_view(e.causation_id));
  w.key("payload");
  w.raw(e.payload);
}

size_t estimate(const envelope& e) {
  return 160 + e.id.size() + e.type.size() + e.stream.size() + e.actor.size() +
         e.correlation_id.size() + e.causation_id.size() + e.payload.size();
}

}  // namespace

std::string encode_envelope(const envelope& e) {
  json_writer w;
  w.reserve(estimate(e));
  w.begin_object();
  write_envelope_fields(w, e);
  w.end_object();
  return std::move(w).str();
}

std::string encode_stored(const stored_event& e, bool single_partition) {
  json_writer w;
  w.reserve(estimate(e.event) + 32);
  w.begin_object();
  w.field("position", std::string_view(to_string(e.position, single_partition)));
  write_envelope_fields(w, e.event);
  w.end_object();
  return std::move(w).str();
}

result_msg<envelope> decode_envelope(std::string_view json) {
  if (json.size() > kMaxEnvelopeBytes) {
    return failure(make_error(errc::too_large,
                              "envelope of " + size_over(json.size(), kMaxEnvelopeBytes)));
  }
  std::string& buf = padded_buffer(json);
  od::document doc;
  if (auto err = ondemand_parser()
                     .iterate(simdjson::padded_string_view(buf.data(), buf.size(), buf.capacity()))
                     .get(doc)) {
    return failure(json_error({}, err));
  }
  od::object obj;
  if (auto err = doc.get_object().get(obj)) {
    if (err == simdjson::INCORRECT_TYPE) {
      return failure(make_error(errc::malformed_json, "an envelope must be a JSON object"));
    }
    return failure(json_error({}, err));
  }

  envelope e;
  e.payload.clear();
  unsigned seen = 0;
  for (auto f : obj) {
    std::string_view key;
    if (auto err = f.unescaped_key().get(key)) return failure(json_error({}, err));
    od::value v;
    if (auto err = f.value().get(v)) return failure(json_error(key, err));

    unsigned bit = 0;
    std::string* target = nullptr;
    if (key == "id") { bit = k_id; target = &e.id; }
    else if (key == "type") { bit = k_type; target = &e.type; }
    else if (key == "stream") { bit = k_stream; target = &e.stream; }
    else if (key == "actor") { bit = k_actor; target = &e.actor; }
    else if (key == "correlation_id") { bit = k_correlation; target = &e.correlation_id; }
    else if (key == "causation_id") { bit = k_causation; target = &e.causation_id; }
    else if (key == "version") { bit = k_version; }
    else if (key == "time") { bit = k_time; }
    else if (key == "payload") { bit = k_payload; }
    else if (key == "position") { bit = k_position; }

    if (bit != 0 && (seen & bit) != 0) {
      return failure(field_error(errc::invalid_argument, key, "appears more than once"));
    }
    seen |= bit;

    if (target != nullptr) {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return failure(value_error(v, key, err, "expected a string"));
      target->assign(s);
    } else if (bit == k_version) {
      int64_t n = 0;
      if (auto err = v.get_int64().get(n)) return failure(value_error(v, key, err, "expected an integer"));
      if (n < 1 || n > int64_t{UINT32_MAX}) {
        return failure(field_error(errc::invalid_argument, key,
                                   "must be an integer between 1 and 4294967295"));
      }
      e.version = static_cast<uint32_t>(n);
    } else if (bit == k_time) {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return failure(value_error(v, key, err, "expected a string"));
      auto t = parse_rfc3339(s);
      if (!t) return failure(field_error(errc::invalid_argument, key, "not an RFC 3339 timestamp"));
      e.time = *t;
    } else if (bit == k_payload) {
      // The payload's text runs from its '{' to the token after its '}'. Walking it (rather
      // than skipping it with raw_json(), which does not validate what it skips) checks it
      // fully in the same pass.
      const char* start = v.raw_json_token().data();
      od::object p;
      if (auto err = v.get_object().get(p)) return failure(value_error(v, key, err, "not a JSON object"));
      if (auto err = validate_members(p, 2)) return failure(json_error(key, err));
      const char* end = nullptr;
      if (auto err = doc.current_location().get(end)) return failure(json_error(key, err));
      e.payload.assign(trim(std::string_view(start, static_cast<size_t>(end - start))));
    } else {
      // "position" (ignored) and fields of newer writers: validated, not kept.
      if (auto err = validate_value(v, 2)) return failure(json_error(key, err));
    }
  }
  // simdjson 3.0 has no document::at_end(): current_location() is OUT_OF_BOUNDS there.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return failure(make_error(errc::malformed_json, "malformed JSON (content after the envelope)"));
  }

  static constexpr std::pair<unsigned, std::string_view> kRequired[] = {
      {k_id, "id"}, {k_type, "type"}, {k_stream, "stream"}, {k_time, "time"}, {k_payload, "payload"}};
  for (const auto& [bit, name] : kRequired) {
    if ((seen & bit) == 0) return failure(field_error(errc::invalid_argument, name, "missing"));
  }
  BOOST_OUTCOME_TRY(check_fields(e, /*parsed=*/true));
  return e;
}

result_msg<void> validate_envelope(const envelope& e) {
  BOOST_OUTCOME_TRY(check_fields(e, /*parsed=*/false));
  if (!is_event_type_name(e.type)) {
    return failure(field_error(errc::invalid_argument, "type",
                               "must be named aggregate.past_tense_verb in lowercase "
                               "(^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$)"));
  }
  return success();
}

bool is_json_object(std::string_view json) {
  std::string& buf = padded_buffer(json);
  return is_json_object_padded(buf);
}

}  // namespace roms::events
