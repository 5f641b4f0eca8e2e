#include "events/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "events/codec.h"

namespace roms::events {
namespace {

std::string as_json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonWriter, WritesNestedStructuresWithCommas) {
  json_writer w;
  w.begin_object();
  w.field("a", int64_t{1});
  w.key("b").begin_array().value(1).value("x").null().value(true).value(false);
  w.begin_object().end_object().begin_array().end_array();
  w.end_array();
  w.key("c").begin_object().field("d", "e").end_object();
  w.key("raw").raw(R"({"k":[1,2]})");
  w.field("u", uint64_t{18446744073709551615u});
  w.field("v", uint32_t{7});
  w.end_object();
  EXPECT_EQ(w.str(),
            R"({"a":1,"b":[1,"x",null,true,false,{},[]],"c":{"d":"e"},"raw":{"k":[1,2]},)"
            R"("u":18446744073709551615,"v":7})");
  EXPECT_TRUE(is_json_object(w.str()));
}

TEST(JsonWriter, WritesTopLevelScalarsAndEmptyContainers) {
  json_writer w;
  w.begin_array().end_array();
  EXPECT_EQ(w.str(), "[]");
  w.clear();
  w.value(int64_t{-9223372036854775807 - 1});
  EXPECT_EQ(w.str(), "-9223372036854775808");
  w.clear();
  w.begin_object().end_object();
  EXPECT_EQ(std::move(w).str(), "{}");
}

TEST(JsonWriter, ClearResetsCommaState) {
  json_writer w;
  w.begin_array().value(1);
  w.clear();
  w.begin_array().value(2).end_array();
  EXPECT_EQ(w.str(), "[2]");
}

TEST(JsonWriter, WritesDoublesInShortestRoundTripForm) {
  auto d = [](double v) {
    json_writer w;
    w.value(v);
    return std::move(w).str();
  };
  EXPECT_EQ(d(0.1), "0.1");
  EXPECT_EQ(d(1.5), "1.5");
  EXPECT_EQ(d(-2.0), "-2");
  EXPECT_EQ(d(0.0), "0");
  EXPECT_EQ(d(1e100), "1e+100");
  EXPECT_EQ(d(123456789.125), "123456789.125");
  EXPECT_EQ(d(5e-324), "5e-324");
  double x = 0.1 + 0.2;
  EXPECT_EQ(std::stod(d(x)), x);
  EXPECT_EQ(d(x), "0.30000000000000004");
}

TEST(JsonWriter, WritesNonFiniteDoublesAsNull) {
  json_writer w;
  w.begin_array();
  w.value(std::numeric_limits<double>::quiet_NaN());
  w.value(std::numeric_limits<double>::infinity());
  w.value(-std::numeric_limits<double>::infinity());
  w.end_array();
  EXPECT_EQ(w.str(), "[null,null,null]");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndNamedControls) {
  EXPECT_EQ(as_json_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(as_json_string("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(as_json_string("/"), R"("/")") << "solidus needs no escape";
  EXPECT_EQ(as_json_string(""), R"("")");
}

TEST(JsonWriter, EscapesOtherControlCharsAsU00XX) {
  EXPECT_EQ(as_json_string(std::string_view("\0", 1)), R"("\u0000")");
  EXPECT_EQ(as_json_string("\x01\x1f\x0b"), R"("\u0001\u001f\u000b")");
  EXPECT_EQ(as_json_string("\x7f"), "\"\x7f\"") << "DEL is not a control char for JSON";
  for (int c = 0; c < 0x20; ++c) {
    std::string s(1, static_cast<char>(c));
    std::string json = "{\"k\":" + as_json_string(s) + "}";
    EXPECT_TRUE(is_json_object(json)) << c;
  }
}

TEST(JsonWriter, KeepsValidUtf8) {
  std::string s = "Łódź 日本 🙂 \xc2\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf";
  EXPECT_EQ(as_json_string(s), "\"" + s + "\"");
}

TEST(JsonWriter, ReplacesInvalidUtf8WithReplacementChar) {
  const std::string r = "\xef\xbf\xbd";
  struct tc {
    std::string_view in;
    std::string out;
  };
  for (const auto& [in, out] : {
           tc{"a\xff" "b", "a" + r + "b"},                       // never valid
           tc{"\x80", r},                                        // lone continuation
           tc{"\xc3", r},                                        // truncated at the end
           tc{"\xc3(", r + "("},                                 // bad continuation
           tc{"\xc0\xaf", r + r},                                // overlong '/'
           tc{"\xe0\x80\xaf", r + r + r},                        // overlong, 3 bytes
           tc{"\xed\xa0\x80", r + r + r},                        // UTF-16 surrogate
           tc{"\xf4\x90\x80\x80", r + r + r + r},                // above U+10FFFF
           tc{"\xf5\x80", r + r},                                // invalid lead
           tc{"\xe2\x82", r},                                    // truncated € (maximal subpart)
           tc{"\xe2\x82x\xe2\x82\xac", r + "x\xe2\x82\xac"},     // then a valid €
           tc{"\xf0\x9f\x99", r},                                // truncated 🙂
       }) {
    EXPECT_EQ(as_json_string(in), "\"" + out + "\"") << testing::PrintToString(std::string(in));
    EXPECT_TRUE(is_json_object("{\"k\":" + as_json_string(in) + "}"));
  }
}

TEST(JsonWriter, EscapesKeys) {
  json_writer w;
  w.begin_object().field("a\"\n\xff", 1).end_object();
  EXPECT_EQ(w.str(), "{\"a\\\"\\n\xef\xbf\xbd\":1}");
}

TEST(JsonWriter, HandlesLongStrings) {
  std::string s(100000, 'x');
  s[50000] = '"';
  s[99999] = '\n';
  auto q = as_json_string(s);
  EXPECT_EQ(q.size(), s.size() + 4);
  EXPECT_EQ(q.substr(50000, 3), "x\\\"");
}

}  // namespace
}  // namespace roms::events
