#include "events/codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/errc.h"

namespace roms::events {
namespace {

envelope sample() {
  envelope e;
  e.id = "0192f3a4-5b6c-7d8e-9f01-23456789abcd";
  e.type = "order.placed";
  e.version = 2;
  e.stream = "order-42";
  e.time = *parse_rfc3339("2026-11-24T03:16:20.123456Z");
  e.actor = "user:7";
  e.correlation_id = "req-1";
  e.causation_id = "0192f3a4-0000-7000-8000-000000000000";
  e.payload = R"({"total":45000,"items":[{"sku":"A-1","qty":2}],"note":"a \"quoted\" note"})";
  return e;
}

constexpr std::string_view kSampleJson =
    R"({"id":"0192f3a4-5b6c-7d8e-9f01-23456789abcd","type":"order.placed","version":2,)"
    R"("stream":"order-42","time":"2026-11-24T03:16:20.123456Z","actor":"user:7",)"
    R"("correlation_id":"req-1","causation_id":"0192f3a4-0000-7000-8000-000000000000",)"
    R"("payload":{"total":45000,"items":[{"sku":"A-1","qty":2}],"note":"a \"quoted\" note"}})";

// A decode that must fail: returns the error for inspection.
error_info decode_error(std::string_view json) {
  auto r = decode_envelope(json);
  EXPECT_FALSE(r) << "decoded: " << json;
  if (r) return {};
  return r.error();
}

std::string replace(std::string s, std::string_view from, std::string_view to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(EnvelopeCodec, EncodesFieldsInDocumentedOrder) {
  EXPECT_EQ(encode_envelope(sample()), kSampleJson);
}

TEST(EnvelopeCodec, EncodesStoredWithPositionFirst) {
  stored_event s{{0, 42}, sample()};
  auto single = encode_stored(s, true);
  EXPECT_EQ(single.substr(0, 19), R"({"position":"42","i)");
  EXPECT_EQ(single.substr(17), std::string(kSampleJson.substr(1)));
  s.position = {3, 42};
  EXPECT_EQ(encode_stored(s, false).substr(0, 20), R"({"position":"3:42",")");
}

TEST(EnvelopeCodec, RoundTrips) {
  auto r = decode_envelope(encode_envelope(sample()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), sample());
}

TEST(EnvelopeCodec, RoundTripsStoredAndIgnoresPosition) {
  auto r = decode_envelope(encode_stored({{2, 7}, sample()}, false));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), sample());
}

TEST(EnvelopeCodec, RoundTripsWholeSecondsAndEmptyOptionalFields) {
  envelope e;
  e.id = "x";
  e.type = "stock.adjusted";
  e.stream = "sku-1";
  e.time = *parse_rfc3339("2026-01-01T00:00:00Z");
  auto json = encode_envelope(e);
  EXPECT_NE(json.find(R"("time":"2026-01-01T00:00:00Z")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("actor":"","correlation_id":"","causation_id":"","payload":{}})"),
            std::string::npos)
      << json;
  auto r = decode_envelope(json);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), e);
}

TEST(EnvelopeCodec, RoundTripsUnicodeAndEscapes) {
  envelope e = sample();
  e.actor = "user:Łukasz 🙂 \"q\" \\ \n\t\x01";
  e.stream = "kunde-Ärger";
  e.payload = R"({"name":"Siti \u00e9 😀 \ud83d\ude00","ctl":"\u0001\n"})";
  auto r = decode_envelope(encode_envelope(e));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), e);
  EXPECT_EQ(r.value().payload, e.payload) << "payload must stay verbatim, escapes included";
}

TEST(EnvelopeCodec, KeepsPayloadVerbatimButTrimmed) {
  auto json = replace(std::string(kSampleJson), R"("payload":{"total":45000,)",
                      "\"payload\" :  {  \"total\" : 45000.0 ,");
  json = replace(json, "note\"}}", "note\" } \n }");
  auto r = decode_envelope(json);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().payload,
            R"({  "total" : 45000.0 ,"items":[{"sku":"A-1","qty":2}],"note":"a \"quoted\" note" })");
}

TEST(EnvelopeCodec, AcceptsFieldsInAnyOrderAndWhitespace) {
  std::string json =
      " \n{ \"payload\" : {\"a\":1} , \"stream\":\"s\", \"time\":\"2026-11-24T10:16:20+07:00\","
      " \"type\":\"order.placed\", \"id\":\"i\" }\r\n\t";
  auto r = decode_envelope(json);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().id, "i");
  EXPECT_EQ(r.value().version, 1u) << "version defaults to 1";
  EXPECT_EQ(r.value().actor, "");
  EXPECT_EQ(r.value().payload, R"({"a":1})");
  EXPECT_EQ(r.value().time, *parse_rfc3339("2026-11-24T03:16:20Z"));
}

TEST(EnvelopeCodec, IgnoresUnknownFieldsButValidatesThem) {
  auto json = replace(std::string(kSampleJson), "{\"id\"", R"({"extra":[1,{"b":null},"x"],"id")");
  ASSERT_TRUE(decode_envelope(json));
  auto bad = replace(std::string(kSampleJson), "{\"id\"", R"({"extra":[1,tru],"id")");
  EXPECT_EQ(decode_error(bad).code, errc::malformed_json);
}

TEST(EnvelopeCodec, RejectsMalformedJson) {
  for (std::string_view bad : {"", "   ", "{", "}", "{\"id\":}", "{\"id\" \"x\"}", "nul",
                               "{\"id\":\"x\",}", "[1,2]", "\"str\"", "42",
                               "{\"id\":\"unterminated}"}) {
    auto e = decode_error(bad);
    EXPECT_EQ(e.code, errc::malformed_json) << bad << " -> " << e.message;
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(EnvelopeCodec, RejectsTrailingContent) {
  EXPECT_EQ(decode_error(std::string(kSampleJson) + " {}").code, errc::malformed_json);
  EXPECT_EQ(decode_error(std::string(kSampleJson) + "x").code, errc::malformed_json);
}

TEST(EnvelopeCodec, RejectsInvalidUtf8) {
  auto json = replace(std::string(kSampleJson), "user:7", "user:\xff\xfe");
  EXPECT_EQ(decode_error(json).code, errc::malformed_json);
}

TEST(EnvelopeCodec, RejectsLoneSurrogateEscapes) {
  // They have no UTF-8 form: accepting them would make encode(decode(x)) differ from x.
  auto e = decode_error(replace(std::string(kSampleJson), "user:7", "\\ud800"));
  EXPECT_EQ(e.code, errc::malformed_json);
  EXPECT_EQ(e.message.rfind("field 'actor': ", 0), 0u) << e.message;
  e = decode_error(replace(std::string(kSampleJson), R"("note":"a)", R"("note":"\udc00a)"));
  EXPECT_EQ(e.code, errc::malformed_json);
  EXPECT_EQ(e.message.rfind("field 'payload': ", 0), 0u) << e.message;
}

TEST(EnvelopeCodec, RejectsMalformedPayloadInsides) {
  for (std::string_view p : {R"({"a":tru})", R"({"a" 1})", R"({"a":[1,}])", R"({"a":01})",
                             R"({"a":"\x"})"}) {
    auto json = replace(std::string(kSampleJson),
                        R"({"total":45000,"items":[{"sku":"A-1","qty":2}],"note":"a \"quoted\" note"})",
                        p);
    auto e = decode_error(json);
    EXPECT_EQ(e.code, errc::malformed_json) << p << " -> " << e.message;
  }
}

TEST(EnvelopeCodec, RejectsMissingRequiredFields) {
  struct tc {
    std::string_view field, from, to;
  };
  for (auto [field, from, to] : {
           tc{"id", R"("id":"0192f3a4-5b6c-7d8e-9f01-23456789abcd",)", ""},
           tc{"type", R"("type":"order.placed",)", ""},
           tc{"stream", R"("stream":"order-42",)", ""},
           tc{"time", R"("time":"2026-11-24T03:16:20.123456Z",)", ""},
           tc{"payload", R"(,"payload":{"total":45000,"items":[{"sku":"A-1","qty":2}],"note":"a \"quoted\" note"})", ""},
       }) {
    auto e = decode_error(replace(std::string(kSampleJson), from, to));
    EXPECT_EQ(e.code, errc::invalid_argument) << field;
    EXPECT_EQ(e.message, "field '" + std::string(field) + "': missing");
  }
}

TEST(EnvelopeCodec, RejectsEmptyRequiredFields) {
  auto e = decode_error(replace(std::string(kSampleJson), R"("stream":"order-42")", R"("stream":"")"));
  EXPECT_EQ(e.code, errc::invalid_argument);
  EXPECT_EQ(e.message, "field 'stream': must not be empty");
}

TEST(EnvelopeCodec, RejectsWrongTypes) {
  struct tc {
    std::string_view field, from, to;
  };
  for (auto [field, from, to] : {
           tc{"id", R"("id":"0192f3a4-5b6c-7d8e-9f01-23456789abcd")", R"("id":12)"},
           tc{"type", R"("type":"order.placed")", R"("type":null)"},
           tc{"stream", R"("stream":"order-42")", R"("stream":["order-42"])"},
           tc{"actor", R"("actor":"user:7")", R"("actor":{"id":7})"},
           tc{"correlation_id", R"("correlation_id":"req-1")", R"("correlation_id":true)"},
           tc{"causation_id", R"("causation_id":"0192f3a4-0000-7000-8000-000000000000")",
              R"("causation_id":1.5)"},
           tc{"time", R"("time":"2026-11-24T03:16:20.123456Z")", R"("time":1764000000)"},
           tc{"version", R"("version":2)", R"("version":"2")"},
           tc{"version", R"("version":2)", R"("version":2.5)"},
           tc{"version", R"("version":2)", R"("version":null)"},
       }) {
    auto e = decode_error(replace(std::string(kSampleJson), from, to));
    EXPECT_EQ(e.code, errc::invalid_argument) << to << " -> " << e.message;
    EXPECT_EQ(e.message.rfind("field '" + std::string(field) + "': ", 0), 0u) << e.message;
  }
}

TEST(EnvelopeCodec, RejectsVersionOutOfRange) {
  for (std::string_view v : {"0", "-1", "4294967296", "99999999999999999999999"}) {
    auto e = decode_error(replace(std::string(kSampleJson), R"("version":2)",
                                  "\"version\":" + std::string(v)));
    EXPECT_EQ(e.code, errc::invalid_argument) << v << " -> " << e.message;
    EXPECT_EQ(e.message.rfind("field 'version': ", 0), 0u) << e.message;
  }
  auto r = decode_envelope(replace(std::string(kSampleJson), R"("version":2)", R"("version":4294967295)"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().version, 4294967295u);
}

TEST(EnvelopeCodec, RejectsBadTime) {
  for (std::string_view t : {"", "yesterday", "2026-11-24", "2026-11-24T03:16:20",
                             "2026-13-24T03:16:20Z", "2026-02-30T03:16:20Z",
                             "2026-11-24T03:16:20+7:00", "2026-11-24T03:16:20Zjunk"}) {
    auto e = decode_error(replace(std::string(kSampleJson), "2026-11-24T03:16:20.123456Z", t));
    EXPECT_EQ(e.code, errc::invalid_argument) << t;
    EXPECT_EQ(e.message, "field 'time': not an RFC 3339 timestamp");
  }
}

TEST(EnvelopeCodec, RejectsPayloadThatIsNotAnObject) {
  for (std::string_view p : {"[]", "[{\"a\":1}]", "\"{}\"", "null", "1", "true"}) {
    auto e = decode_error(replace(std::string(kSampleJson),
                                  R"({"total":45000,"items":[{"sku":"A-1","qty":2}],"note":"a \"quoted\" note"})",
                                  p));
    EXPECT_EQ(e.code, errc::invalid_argument) << p;
    EXPECT_EQ(e.message, "field 'payload': not a JSON object");
  }
}

TEST(EnvelopeCodec, RejectsDuplicateFields) {
  auto e = decode_error(replace(std::string(kSampleJson), R"("type":"order.placed",)",
                                R"("type":"order.placed","type":"order.cancelled",)"));
  EXPECT_EQ(e.code, errc::invalid_argument);
  EXPECT_EQ(e.message, "field 'type': appears more than once");
}

TEST(EnvelopeCodec, RejectsOversizedFields) {
  auto e = decode_error(replace(std::string(kSampleJson), "order-42", std::string(kMaxIdBytes + 1, 's')));
  EXPECT_EQ(e.code, errc::invalid_argument);
  EXPECT_EQ(e.message.rfind("field 'stream': 257 bytes, over the limit of 256", 0), 0u) << e.message;
  EXPECT_TRUE(decode_envelope(replace(std::string(kSampleJson), "order-42", std::string(kMaxIdBytes, 's'))));
}

TEST(EnvelopeCodec, RejectsOversizedPayload) {
  std::string big = R"({"blob":")" + std::string(kMaxPayloadBytes, 'x') + R"("})";
  auto e = decode_error(replace(std::string(kSampleJson),
                                R"({"total":45000,"items":[{"sku":"A-1","qty":2}],"note":"a \"quoted\" note"})",
                                big));
  EXPECT_EQ(e.code, errc::invalid_argument);
  EXPECT_EQ(e.message.rfind("field 'payload': ", 0), 0u) << e.message;
}

TEST(EnvelopeCodec, AcceptsPayloadAtTheLimit) {
  std::string blob = R"({"blob":")";
  blob += std::string(kMaxPayloadBytes - blob.size() - 2, 'x');
  blob += R"("})";
  ASSERT_EQ(blob.size(), kMaxPayloadBytes);
  envelope e = sample();
  e.payload = blob;
  auto r = decode_envelope(encode_envelope(e));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().payload.size(), kMaxPayloadBytes);
}

TEST(EnvelopeCodec, RejectsHugeInputBeforeParsing) {
  std::string huge(kMaxEnvelopeBytes + 1, ' ');
  auto e = decode_error(huge);
  EXPECT_EQ(e.code, errc::too_large);
  EXPECT_NE(e.message.find("limit"), std::string::npos);
}

TEST(EnvelopeCodec, RejectsDeepNestingWithoutBlowingTheStack) {
  const std::string from =
      R"({"total":45000,"items":[{"sku":"A-1","qty":2}],"note":"a \"quoted\" note"})";
  // 1 MiB of '[' would recurse half a million times if depth were not bounded.
  for (size_t depth : {size_t{5000}, kMaxPayloadBytes / 2 - 8}) {
    std::string p = "{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
    auto r = decode_envelope(replace(std::string(kSampleJson), from, p));
    ASSERT_FALSE(r) << depth;
    EXPECT_EQ(r.error().code, errc::malformed_json);
    EXPECT_NE(r.error().message.find("payload"), std::string::npos) << r.error().message;
    auto u = decode_envelope(replace(std::string(kSampleJson), "{\"id\"", "{\"x\":" + p + ",\"id\""));
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().code, errc::malformed_json);
  }
  // Deep but within the limit is fine.
  std::string ok = "{\"a\":" + std::string(1000, '[') + std::string(1000, ']') + "}";
  EXPECT_TRUE(decode_envelope(replace(std::string(kSampleJson), from, ok)));
}

TEST(EnvelopeCodec, DecodesFromUnpaddedViewsOfLargerBuffers) {
  std::string buf = std::string(kSampleJson) + "GARBAGE";
  auto r = decode_envelope(std::string_view(buf).substr(0, kSampleJson.size()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), sample());
}

TEST(EnvelopeCodec, SurvivesRandomMutations) {
  // Decoding never throws or crashes, whatever the bytes; what it accepts re-encodes and
  // decodes to the same envelope.
  std::mt19937 rng(20261124);
  const std::string base = encode_stored({{1, 2}, sample()}, false);
  const std::string_view alphabet = "{}[]\":,\\ 0123456789.eE+-tfnul\x01\xff\xc3" "abc";
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(at, 1 + rng() % 3); break;
        default: s.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
      if (s.empty()) s = "{";
    }
    auto r = decode_envelope(s);
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
      continue;
    }
    ++accepted;
    auto again = decode_envelope(encode_envelope(r.value()));
    ASSERT_TRUE(again) << s << " -> " << again.error().message;
    EXPECT_EQ(again.value(), r.value()) << s;
  }
  EXPECT_GT(accepted, 0);
}

TEST(EnvelopeValidate, AcceptsAWellFormedEnvelope) {
  auto r = validate_envelope(sample());
  EXPECT_TRUE(r) << r.error().message;
}

TEST(EnvelopeValidate, RejectsEmptyRequiredFields) {
  for (auto member : {&envelope::id, &envelope::type, &envelope::stream}) {
    envelope e = sample();
    e.*member = "";
    auto r = validate_envelope(e);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_NE(r.error().message.find("must not be empty"), std::string::npos);
  }
}

TEST(EnvelopeValidate, RejectsOversizedStrings) {
  for (auto [member, name] : {std::pair{&envelope::id, "id"}, {&envelope::type, "type"},
                              {&envelope::stream, "stream"}, {&envelope::actor, "actor"},
                              {&envelope::correlation_id, "correlation_id"},
                              {&envelope::causation_id, "causation_id"}}) {
    envelope e = sample();
    e.*member = std::string(kMaxIdBytes + 1, 'a');
    auto r = validate_envelope(e);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_EQ(r.error().message.rfind("field '" + std::string(name) + "': ", 0), 0u)
        << r.error().message;
  }
}

TEST(EnvelopeValidate, RejectsInvalidUtf8InStrings) {
  envelope e = sample();
  e.actor = "user:\xc3";
  auto r = validate_envelope(e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "field 'actor': not valid UTF-8");
}

TEST(EnvelopeValidate, RejectsTimesOutsideFourDigitYears) {
  envelope e = sample();
  e.time = *parse_rfc3339("9999-12-31T23:59:59.999999Z");
  EXPECT_TRUE(validate_envelope(e));
  EXPECT_TRUE(decode_envelope(encode_envelope(e)));
  e.time += std::chrono::microseconds(1);
  auto r = validate_envelope(e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "field 'time': outside the years 0000 to 9999");
  e.time = *parse_rfc3339("0000-01-01T00:00:00Z") - std::chrono::microseconds(1);
  EXPECT_FALSE(validate_envelope(e));
}

TEST(EnvelopeValidate, RejectsVersionZero) {
  envelope e = sample();
  e.version = 0;
  auto r = validate_envelope(e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "field 'version': must be at least 1");
}

TEST(EnvelopeValidate, RejectsPayloadThatIsNotAnObject) {
  for (std::string_view p : {"", "[]", "null", "{", "{} {}", "{\"a\":1,}", "{\"a\":tru}"}) {
    envelope e = sample();
    e.payload = p;
    auto r = validate_envelope(e);
    ASSERT_FALSE(r) << p;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_EQ(r.error().message, "field 'payload': not a JSON object");
  }
}

TEST(EnvelopeValidate, RejectsOversizedPayload) {
  envelope e = sample();
  e.payload = R"({"a":")" + std::string(kMaxPayloadBytes, 'x') + R"("})";
  auto r = validate_envelope(e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("field 'payload': ", 0), 0u);
}

TEST(EnvelopeValidate, ChecksTypeNaming) {
  for (std::string_view good : {"order.placed", "order.status_changed", "a.b", "x1.y_2", "stock.adjusted"}) {
    envelope e = sample();
    e.type = good;
    EXPECT_TRUE(validate_envelope(e)) << good;
  }
  for (std::string_view bad : {"order", "Order.placed", "order.Placed", "order.placed.again",
                               ".placed", "order.", "1order.placed", "order._placed",
                               "order-x.placed", "order.placed ", "orderPlaced"}) {
    envelope e = sample();
    e.type = bad;
    auto r = validate_envelope(e);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_EQ(r.error().message.rfind("field 'type': ", 0), 0u);
  }
}

TEST(IsJsonObject, AcceptsExactlyOneObject) {
  EXPECT_TRUE(is_json_object("{}"));
  EXPECT_TRUE(is_json_object("  {\"a\":[1,2,{\"b\":null}]}\n"));
  EXPECT_TRUE(is_json_object(R"({"a":"\u00e9","b":-1.5e10,"c":true})"));
  EXPECT_FALSE(is_json_object(""));
  EXPECT_FALSE(is_json_object("[]"));
  EXPECT_FALSE(is_json_object("\"{}\""));
  EXPECT_FALSE(is_json_object("{}{}"));
  EXPECT_FALSE(is_json_object("{} x"));
  EXPECT_FALSE(is_json_object("{\"a\":1"));
  EXPECT_FALSE(is_json_object("{\"a\":NaN}"));
  EXPECT_FALSE(is_json_object("{'a':1}"));
  EXPECT_FALSE(is_json_object("{\"a\":\"\xff\"}"));
}

// new_event_id lives in envelope.h; there is no envelope_test.cc, so its tests are here.
bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

TEST(EventId, IsLowercaseUuidText) {
  auto id = new_event_id(system_clock().now());
  ASSERT_EQ(id.size(), 36u) << id;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      EXPECT_EQ(id[i], '-') << id;
    } else {
      EXPECT_TRUE(is_lower_hex(id[i])) << id;
    }
  }
}

TEST(EventId, HasVersion7AndRfc9562Variant) {
  for (int i = 0; i < 1000; ++i) {
    auto id = new_event_id(system_clock().now());
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
  }
}

TEST(EventId, CarriesTheUnixMillisecondsOfItsTime) {
  auto t = *parse_rfc3339("2021-06-01T12:00:00.250999Z");
  // Far from the generator's recent timestamps, so not bent by monotonic counting.
  auto id = new_event_id(t);
  std::string hex = id.substr(0, 8) + id.substr(9, 4);
  EXPECT_EQ(std::stoull(hex, nullptr, 16), static_cast<unsigned long long>(to_micros(t) / 1000));
  EXPECT_EQ(hex, "0179c771e2fa");
}

TEST(EventId, SortsInGenerationOrderWithinOneMillisecond) {
  auto t = system_clock().now();
  std::vector<std::string> ids;
  ids.reserve(10000);
  for (int i = 0; i < 10000; ++i) ids.push_back(new_event_id(t));  // all the same ms
  for (size_t i = 1; i < ids.size(); ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
  }
}

TEST(EventId, SortsInGenerationOrderAcrossRealTime) {
  std::vector<std::string> ids;
  ids.reserve(10000);
  for (int i = 0; i < 10000; ++i) ids.push_back(new_event_id(system_clock().now()));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(CompactId, IsThePrefixAnd26Base32CharactersInGenerationOrder) {
  auto t = system_clock().now();
  std::vector<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.push_back(new_compact_id("ord", i % 2 ? t : system_clock().now()));
  for (const auto& id : ids) {
    ASSERT_EQ(id.size(), 30u) << id;
    EXPECT_EQ(id.substr(0, 4), "ord_") << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdefghjkmnpqrstvwxyz", 4), std::string::npos) << id;
  }
  // Keys built from them arrive in ascending order (projection::ascending_prefixes()).
  for (size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
  // The time is in the leading characters: an id of a later millisecond sorts after.
  EXPECT_LT(new_compact_id("ord", *parse_rfc3339("2021-06-01T12:00:00Z")),
            new_compact_id("ord", *parse_rfc3339("2021-06-01T12:00:00.002Z")));
}

TEST(EventId, StaysMonotonicOverASmallClockStepBack) {
  auto t = system_clock().now();
  auto a = new_event_id(t);
  auto b = new_event_id(t - std::chrono::milliseconds(5));
  EXPECT_LT(a, b);
}

TEST(EventId, IsUniqueAcrossThreads) {
  constexpr int kThreads = 4, kPer = 5000;
  std::vector<std::vector<std::string>> per(kThreads);
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&, i] {
      for (int j = 0; j < kPer; ++j) per[i].push_back(new_event_id(system_clock().now()));
    });
  }
  for (auto& t : ts) t.join();
  std::set<std::string> all;
  for (auto& v : per) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), size_t{kThreads * kPer});
}

}  // namespace
}  // namespace roms::events
