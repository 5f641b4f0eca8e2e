// The v1 catalog API (products, stock, warehouses) against the real stack (api_stack.h).
#include <map>
#include <set>

#include "tests/http/api_test_util.h"

namespace roms::testing {
namespace {

class ApiCatalog : public ApiFixture {};

TEST_F(ApiCatalog, DefinesReadsAndUpdatesAProduct) {
  auto r = admin().post("/api/v1/products",
                        R"({"sku":"KOPI-250","name":"Kopi Arabika 250g","price":45000,"cost":30000,
                            "min_stock":5,"category":"kopi","cross_sell":"Coba juga Teh Melati",
                            "image_url":"https://example.com/kopi.jpg"})");
  ASSERT_EQ(r.status, 201) << r;
  std::string id = r.str("id");
  EXPECT_EQ(id.rfind("prd_", 0), 0u);
  EXPECT_EQ(r.header("Location"), "/api/v1/products/" + id);
  EXPECT_FALSE(r.header("X-Roms-Position").empty());
  EXPECT_EQ(r.str("sku"), "KOPI-250");
  EXPECT_EQ(r.num("price"), 45000);
  EXPECT_EQ(r.num("cost"), 30000);
  EXPECT_EQ(r.num("min_stock"), 5);
  EXPECT_EQ(r.str("category"), "kopi");
  EXPECT_TRUE(r.at("active").as_bool());
  EXPECT_EQ(r.num("available"), 0);
  EXPECT_TRUE(r.at("below_min").as_bool());
  EXPECT_TRUE(r.at("stock").as_array().empty());

  auto g = admin().get("/api/v1/products/" + id);
  ASSERT_EQ(g.status, 200) << g;
  EXPECT_EQ(g.str("name"), "Kopi Arabika 250g");
  EXPECT_EQ(g.str("cross_sell"), "Coba juga Teh Melati");

  auto p = admin().patch("/api/v1/products/" + id, R"({"price":47000,"active":false})");
  ASSERT_EQ(p.status, 200) << p;
  EXPECT_EQ(p.num("price"), 47000);
  EXPECT_FALSE(p.at("active").as_bool());
  EXPECT_EQ(p.str("name"), "Kopi Arabika 250g") << "absent fields are unchanged";

  int64_t end = stack().log_end();
  auto nothing = admin().patch("/api/v1/products/" + id, R"({"unknown":1})");
  EXPECT_EQ(nothing.status, 200) << nothing;
  EXPECT_EQ(stack().log_end(), end);
}

TEST_F(ApiCatalog, ProductErrors) {
  std::string id = product("KOPI-250", 45000, 0);
  product("TEH-100", 20000, 0);
  auto dup = admin().post("/api/v1/products", R"({"sku":"KOPI-250","name":"Lagi","price":1})");
  EXPECT_EQ(dup.status, 409) << dup;
  EXPECT_EQ(dup.code(), "duplicate_sku");
  auto rename = admin().patch("/api/v1/products/" + id, R"({"sku":"TEH-100"})");
  EXPECT_EQ(rename.status, 409) << rename;
  EXPECT_EQ(rename.code(), "duplicate_sku");
  auto bad_sku = admin().post("/api/v1/products", R"({"sku":"kopi 250","name":"x","price":1})");
  EXPECT_EQ(bad_sku.status, 400);
  EXPECT_EQ(bad_sku.field(), "sku");
  auto no_name = admin().post("/api/v1/products", R"({"sku":"X-1","price":1})");
  EXPECT_EQ(no_name.status, 400);
  EXPECT_EQ(no_name.field(), "name");
  auto negative = admin().post("/api/v1/products", R"({"sku":"X-1","name":"x","price":-5})");
  EXPECT_EQ(negative.status, 400);
  EXPECT_EQ(negative.field(), "price");
  auto type = admin().post("/api/v1/products", R"({"sku":"X-1","name":"x","price":"45.000"})");
  EXPECT_EQ(type.status, 400);
  EXPECT_EQ(type.code(), "invalid_argument");
  EXPECT_EQ(type.field(), "price");
  auto fraction = admin().patch("/api/v1/products/" + id, R"({"price":450.5})");
  EXPECT_EQ(fraction.status, 400) << "money is an integer";
  EXPECT_EQ(fraction.field(), "price");
  auto active = admin().patch("/api/v1/products/" + id, R"({"active":"yes"})");
  EXPECT_EQ(active.field(), "active");
  EXPECT_EQ(admin().get("/api/v1/products/prd_nope").status, 404);
  auto patch_missing = admin().patch("/api/v1/products/prd_nope", R"({"price":1})");
  EXPECT_EQ(patch_missing.status, 404) << patch_missing;
  EXPECT_EQ(admin().post("/api/v1/products", "{").code(), "malformed_json");
}

TEST_F(ApiCatalog, ListsProductsWithFiltersAndCursors) {
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.insert(product("KOPI-" + std::to_string(i), 10000 + i * 1000, i));
  ids.insert(product("TEH-1", 5000, 0));
  std::set<std::string> seen;
  std::string target = "/api/v1/products?limit=2";
  for (int page = 0; page < 10; ++page) {
    auto r = admin().get(target);
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_LE(r.items().size(), 2u);
    for (const auto& p : r.items()) seen.insert(std::string(p.as_object().at("id").as_string()));
    if (r.at("next_cursor").is_null()) break;
    target = "/api/v1/products?limit=2&cursor=" + r.str("next_cursor");
  }
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(admin().get("/api/v1/products?q=teh").items().size(), 1u);
  EXPECT_EQ(admin().get("/api/v1/products?in_stock=true").items().size(), 4u);
  EXPECT_EQ(admin().get("/api/v1/products?min_price=12000&max_price=13000").items().size(), 2u);
  EXPECT_EQ(admin().get("/api/v1/products?in_stock=maybe").field(), "in_stock");
  EXPECT_EQ(admin().get("/api/v1/products?min_price=-1").field(), "min_price");
  EXPECT_EQ(admin().get("/api/v1/products?limit=1000").field(), "limit");
}

TEST_F(ApiCatalog, AdjustsAndTransfersStockBetweenWarehouses) {
  std::string id = product("KOPI-250", 45000, 0, 3);
  auto a = admin().post("/api/v1/stock/adjust",
                        R"({"sku":"KOPI-250","warehouse":"main","delta":10,"reason":"received"})");
  ASSERT_EQ(a.status, 200) << a;
  EXPECT_EQ(a.str("id"), id);
  EXPECT_EQ(a.num("on_hand"), 10);
  EXPECT_FALSE(a.header("X-Roms-Position").empty());

  auto w = admin().post("/api/v1/warehouses", R"({"id":"bandung","name":"Gudang Bandung"})");
  ASSERT_EQ(w.status, 201) << w;
  EXPECT_EQ(w.str("id"), "bandung");
  EXPECT_EQ(w.str("name"), "Gudang Bandung");
  auto list = admin().get("/api/v1/warehouses");
  ASSERT_EQ(list.status, 200);
  std::set<std::string> names;
  for (const auto& x : list.items()) names.insert(std::string(x.as_object().at("id").as_string()));
  EXPECT_TRUE(names.count("main") && names.count("bandung")) << list;
  EXPECT_TRUE(list.at("next_cursor").is_null());

  auto t = admin().post("/api/v1/stock/transfer",
                        R"({"product_id":")" + id + R"(","from":"main","to":"bandung","qty":4})");
  ASSERT_EQ(t.status, 200) << t;
  EXPECT_EQ(t.num("on_hand"), 10);
  std::map<std::string, int64_t> per;
  for (const auto& s : t.at("stock").as_array())
    per[std::string(s.as_object().at("warehouse").as_string())] =
        s.as_object().at("available").to_number<int64_t>();
  EXPECT_EQ(per["main"], 6);
  EXPECT_EQ(per["bandung"], 4);

  int64_t end = stack().log_end();
  auto too_many = admin().post("/api/v1/stock/transfer",
                               R"({"sku":"KOPI-250","from":"bandung","to":"main","qty":5})");
  EXPECT_EQ(too_many.status, 409) << too_many;
  EXPECT_EQ(too_many.code(), "out_of_stock");
  auto below_zero = admin().post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":-7})");
  EXPECT_EQ(below_zero.status, 409) << below_zero;
  EXPECT_EQ(below_zero.code(), "out_of_stock");
  auto zero = admin().post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":0})");
  EXPECT_EQ(zero.status, 400);
  EXPECT_EQ(zero.field(), "delta");
  auto nowhere = admin().post("/api/v1/stock/transfer",
                              R"({"sku":"KOPI-250","from":"main","to":"mars","qty":1})");
  EXPECT_EQ(nowhere.status, 400);
  EXPECT_EQ(nowhere.field(), "to");
  auto unknown = admin().post("/api/v1/stock/adjust", R"({"sku":"NOPE","delta":1})");
  EXPECT_EQ(unknown.status, 404) << unknown;
  EXPECT_EQ(unknown.field(), "sku");
  auto neither = admin().post("/api/v1/stock/adjust", R"({"delta":1})");
  EXPECT_EQ(neither.status, 400) << neither;
  auto type = admin().post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":"ten"})");
  EXPECT_EQ(type.field(), "delta");
  EXPECT_EQ(stack().log_end(), end);

  auto dup = admin().post("/api/v1/warehouses", R"({"id":"bandung","name":"Lagi"})");
  EXPECT_EQ(dup.status, 409) << dup;
  EXPECT_EQ(dup.code(), "conflict");
  auto bad = admin().post("/api/v1/warehouses", R"({"id":"Gudang 2","name":"x"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.field(), "id");
}

TEST_F(ApiCatalog, StockRowsPerWarehouseAndBelowMinimum) {
  std::string kopi = product("KOPI-250", 45000, 10, 5);
  std::string teh = product("TEH-100", 20000, 2, 5);
  std::string gula = product("GULA-1", 15000, 8, 0);
  ASSERT_EQ(admin().post("/api/v1/warehouses", R"({"id":"bandung","name":"Bandung"})").status, 201);
  ASSERT_EQ(admin()
                .post("/api/v1/stock/transfer",
                      R"({"sku":"KOPI-250","from":"main","to":"bandung","qty":3})")
                .status,
            200);
  auto all = admin().get("/api/v1/stock");
  ASSERT_EQ(all.status, 200) << all;
  EXPECT_EQ(all.items().size(), 4u) << all;
  for (const auto& row : all.items()) {
    const auto& o = row.as_object();
    if (o.at("product_id").as_string() == kopi && o.at("warehouse").as_string() == "bandung") {
      EXPECT_EQ(o.at("on_hand").to_number<int64_t>(), 3);
      EXPECT_EQ(o.at("sku").as_string(), "KOPI-250");
    }
  }
  auto bandung = admin().get("/api/v1/stock?warehouse=bandung");
  ASSERT_EQ(bandung.items().size(), 1u) << bandung;
  auto low = admin().get("/api/v1/stock?below_min=true");
  ASSERT_EQ(low.items().size(), 1u) << low;
  EXPECT_EQ(low.items()[0].as_object().at("sku").as_string(), "TEH-100");
  EXPECT_TRUE(low.items()[0].as_object().at("below_min").as_bool());

  std::set<std::string> rows;
  std::string target = "/api/v1/stock?limit=1";
  for (int i = 0; i < 10; ++i) {
    auto r = admin().get(target);
    ASSERT_EQ(r.status, 200) << r;
    for (const auto& row : r.items())
      rows.insert(std::string(row.as_object().at("product_id").as_string()) + "/" +
                  std::string(row.as_object().at("warehouse").as_string()));
    if (r.at("next_cursor").is_null()) break;
    target = "/api/v1/stock?limit=1&cursor=" + r.str("next_cursor");
  }
  EXPECT_EQ(rows.size(), 4u);
  EXPECT_EQ(admin().get("/api/v1/stock?below_min=yes").field(), "below_min");
  (void)gula;
  (void)teh;
}

}  // namespace
}  // namespace roms::testing
