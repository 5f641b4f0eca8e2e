#include "events/upcast.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "core/errc.h"

namespace roms::events {
namespace {

envelope event(std::string type, uint32_t version, std::string payload) {
  envelope e;
  e.id = "id-1";
  e.type = std::move(type);
  e.version = version;
  e.stream = "s-1";
  e.payload = std::move(payload);
  return e;
}

void register_order_upcasters(upcaster_registry& r) {
  // v1 -> v2: "total" renamed "total_rupiah"; v2 -> v3: "currency" added.
  r.add("order.placed", 1, [](std::string_view p) { return rename_field(p, "total", "total_rupiah"); });
  r.add("order.placed", 2, [](std::string_view p) { return set_field(p, "currency", R"("IDR")"); });
}

TEST(Upcaster, AppliesTheChainToTheLatestVersion) {
  upcaster_registry r;
  register_order_upcasters(r);
  EXPECT_EQ(r.latest_version("order.placed"), 3u);
  auto up = r.upcast(event("order.placed", 1, R"({"total":45000,"note":"x"})"));
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(up.value().version, 3u);
  EXPECT_EQ(up.value().payload, R"({"total_rupiah":45000,"note":"x","currency":"IDR"})");
  EXPECT_EQ(up.value().id, "id-1");
  EXPECT_EQ(up.value().stream, "s-1");
}

TEST(Upcaster, StartsFromTheEventsOwnVersion) {
  upcaster_registry r;
  register_order_upcasters(r);
  auto up = r.upcast(event("order.placed", 2, R"({"total_rupiah":1})"));
  ASSERT_TRUE(up);
  EXPECT_EQ(up.value().version, 3u);
  EXPECT_EQ(up.value().payload, R"({"total_rupiah":1,"currency":"IDR"})");
}

TEST(Upcaster, PassesLatestAndNewerVersionsThrough) {
  upcaster_registry r;
  register_order_upcasters(r);
  for (uint32_t v : {3u, 4u, 100u}) {
    auto e = event("order.placed", v, R"({"whatever":true})");
    auto up = r.upcast(e);
    ASSERT_TRUE(up);
    EXPECT_EQ(up.value(), e);
  }
}

TEST(Upcaster, PassesUnknownTypesThrough) {
  upcaster_registry r;
  register_order_upcasters(r);
  EXPECT_EQ(r.latest_version("stock.adjusted"), 1u);
  auto e = event("stock.adjusted", 1, R"({"qty":-2})");
  auto up = r.upcast(e);
  ASSERT_TRUE(up);
  EXPECT_EQ(up.value(), e);
}

TEST(Upcaster, ReportsAMissingStep) {
  upcaster_registry r;
  r.add("order.placed", 1, [](std::string_view p) { return result_msg<std::string>(std::string(p)); });
  r.add("order.placed", 3, [](std::string_view p) { return result_msg<std::string>(std::string(p)); });
  EXPECT_EQ(r.latest_version("order.placed"), 4u);
  auto up = r.upcast(event("order.placed", 1, "{}"));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, errc::unsupported);
  EXPECT_EQ(up.error().message, "upcasting 'order.placed' v2 to v3: no upcaster registered");
}

TEST(Upcaster, PrefixesAStepsOwnError) {
  upcaster_registry r;
  r.add("order.placed", 1, [](std::string_view) -> result_msg<std::string> {
    return failure(error_info{make_error_code(errc::invalid_argument), "field 'total': not a number"});
  });
  auto up = r.upcast(event("order.placed", 1, "{}"));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, errc::invalid_argument);
  EXPECT_EQ(up.error().message, "upcasting 'order.placed' v1 to v2: field 'total': not a number");
}

TEST(Upcaster, RejectsAStepThatReturnsSomethingOtherThanAnObject) {
  upcaster_registry r;
  r.add("order.placed", 1, [](std::string_view) { return result_msg<std::string>(std::string("[]")); });
  auto up = r.upcast(event("order.placed", 1, "{}"));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, errc::invalid_argument);
}

TEST(Upcaster, RefusesDuplicateAndInvalidRegistrations) {
  upcaster_registry r;
  auto id = [](std::string_view p) { return result_msg<std::string>(std::string(p)); };
  r.add("order.placed", 1, id);
  EXPECT_THROW(r.add("order.placed", 1, id), std::logic_error);
  EXPECT_THROW(r.add("order.placed", 0, id), std::logic_error);
  EXPECT_THROW(r.add("order.placed", 2, upcaster_fn{}), std::logic_error);
}

TEST(Upcaster, DefaultRegistryIsShared) {
  const std::string type = "upcasttest.defaulted";
  EXPECT_EQ(latest_version(type), 1u);
  register_upcaster(type, 1, [](std::string_view p) { return set_field(p, "b", "2"); });
  EXPECT_EQ(&default_upcasters(), &default_upcasters());
  EXPECT_EQ(latest_version(type), 2u);
  auto up = upcast(event(type, 1, R"({"a":1})"));
  ASSERT_TRUE(up);
  EXPECT_EQ(up.value().payload, R"({"a":1,"b":2})");
}

TEST(UpcastHelpers, RenameKeepsOrderAndValuesVerbatim) {
  auto r = rename_field(R"( {"a" : 1.50, "b":{"x":[1, 2]} ,"c":"s\n\u00e9", "d":null,"e":[ ]} )", "b", "B");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), R"({"a":1.50,"B":{"x":[1, 2]},"c":"s\n\u00e9","d":null,"e":[ ]})");
}

TEST(UpcastHelpers, RenameOfAbsentMemberIsANoOp) {
  auto r = rename_field(R"({"a":1})", "zzz", "y");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), R"({"a":1})");
}

TEST(UpcastHelpers, RenameRefusesToOverwrite) {
  auto r = rename_field(R"({"a":1,"b":2})", "a", "b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::conflict);
}

TEST(UpcastHelpers, SetReplacesInPlaceOrAppends) {
  auto r = set_field(R"({"a":1,"b":2,"c":3})", "b", R"({"n":[true]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), R"({"a":1,"b":{"n":[true]},"c":3})");
  r = set_field("{}", "k\"ey", "\"v\"");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), R"({"k\"ey":"v"})");
}

TEST(UpcastHelpers, SetRejectsAValueThatIsNotJson) {
  for (std::string_view bad : {"", "tru", "1,2", "{", "'x'"}) {
    auto r = set_field("{}", "k", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
  }
}

TEST(UpcastHelpers, RemoveDropsTheMember) {
  auto r = remove_field(R"({"a":1,"b":[1,{"c":2}],"d":3})", "b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), R"({"a":1,"d":3})");
  r = remove_field(R"({"a":1})", "a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), "{}");
}

TEST(UpcastHelpers, RejectPayloadsThatAreNotObjects) {
  for (std::string_view bad : {"", "[]", "{\"a\":tru}", "{} {}"}) {
    EXPECT_FALSE(rename_field(bad, "a", "b")) << bad;
    EXPECT_FALSE(set_field(bad, "a", "1")) << bad;
    EXPECT_FALSE(remove_field(bad, "a")) << bad;
  }
}

}  // namespace
}  // namespace roms::events
