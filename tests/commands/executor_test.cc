// The command executor against a real embedded log, RocksDB read models and the runner.
#include "commands/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "consumers/runner.h"
#include "core/errc.h"
#include "events/embedded_log.h"
#include "projections/read_models.h"
#include "projections/store.h"
#include "tests/testing/temp_dir.h"

namespace roms::commands {
namespace {

struct ExecutorTest : ::testing::Test {
  testing::temp_dir dir;
  std::unique_ptr<events::event_log> log;
  std::shared_ptr<projections::projection_store> store;
  std::unique_ptr<consumers::projection_runner> runner;
  std::unique_ptr<executor> ex;
  actor_info who{"test", ""};

  void SetUp() override {
    auto l = events::open_embedded_log(dir.path());
    ASSERT_TRUE(l) << l.error().message;
    log = std::move(l).value();
    std::vector<std::shared_ptr<projections::projection>> ps;
    for (auto& p : projections::make_read_models()) ps.push_back(std::move(p));
    auto s = projections::projection_store::open(dir.path(), std::move(ps));
    ASSERT_TRUE(s) << s.error().message;
    store = std::move(s).value();
    runner = std::make_unique<consumers::projection_runner>(store, *log);
    ASSERT_TRUE(runner->start());
    ex = std::make_unique<executor>(*log, store, *runner, system_clock());
    ex->start();
  }
  void TearDown() override {
    ex->stop();
    runner->stop();
  }

  std::string define(std::string sku, int64_t stock) {
    auto r = ex->execute(define_product{sku, "Produk " + sku, "", "", "", 10000, 6000, 0, true}, who);
    EXPECT_TRUE(r) << r.error().message;
    if (stock) {
      auto a = ex->execute(adjust_stock{"", sku, "main", stock, "received"}, who);
      EXPECT_TRUE(a) << a.error().message;
    }
    return r.value().id;
  }

  place_order order(std::string sku, int64_t qty, std::string phone) {
    place_order o;
    o.channel = "web";
    o.customer = {"Budi", std::move(phone), "", "Bandung", "", "ID"};
    o.items = {{std::move(sku), "", qty, std::nullopt, ""}};
    return o;
  }
};

TEST_F(ExecutorTest, ReadYourWrites) {
  define("KOPI-250", 5);
  auto r = ex->execute(order("KOPI-250", 2, "081234567890"), who);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r.value().applied);
  ASSERT_TRUE(r.value().position);
  auto v = store->view("orders");
  ASSERT_TRUE(v);
  auto o = projections::orders_query::get(*v.value(), r.value().id);
  ASSERT_TRUE(o) << "the order is visible as soon as the command answers";
  EXPECT_EQ(o->total, 20000);
  auto c = store->view("catalog");
  auto pid = projections::catalog_query::by_sku(*c.value(), "KOPI-250");
  EXPECT_EQ(projections::catalog_query::get(*c.value(), *pid)->available, 3);
}

TEST_F(ExecutorTest, FiftyConcurrentOrdersForTheLastTenUnits) {
  define("LAST-10", 10);
  std::atomic<int> ok{0}, out{0}, other{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 50; ++i) {
    ts.emplace_back([&, i] {
      auto r = ex->execute(order("LAST-10", 1, "08123456" + std::to_string(1000 + i)), who);
      if (r) {
        ++ok;
      } else if (r.error().code == errc::out_of_stock) {
        ++out;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(out.load(), 40);
  EXPECT_EQ(other.load(), 0);
  auto c = store->view("catalog");
  auto pid = projections::catalog_query::by_sku(*c.value(), "LAST-10");
  auto p = projections::catalog_query::get(*c.value(), *pid);
  EXPECT_EQ(p->available, 0);
  EXPECT_EQ(p->reserved, 10);
}

TEST_F(ExecutorTest, ConcurrentRepeatsOfOneExternalIdMakeOneOrder) {
  define("KOPI-250", 100);
  std::vector<std::thread> ts;
  std::mutex mu;
  std::set<std::string> ids;
  int existing = 0;
  for (int i = 0; i < 20; ++i) {
    ts.emplace_back([&] {
      auto o = order("KOPI-250", 1, "081200000001");
      o.external_id = "web-1001";
      auto r = ex->execute(o, who);
      ASSERT_TRUE(r) << r.error().message;
      std::lock_guard lk(mu);
      ids.insert(r.value().id);
      existing += r.value().existing;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(existing, 19);
  auto v = store->view("orders");
  EXPECT_EQ(projections::orders_query::list(*v.value(), {}).items.size(), 1u);
  auto st = log->stats();
  // product.defined + stock.adjusted + customer.registered + order.placed
  EXPECT_EQ(st.value().end_offsets[0], 4);
}

TEST_F(ExecutorTest, SameCustomerAcrossPhoneFormatsInOneBatch) {
  define("KOPI-250", 100);
  std::vector<std::thread> ts;
  for (auto phone : {"0812-3456-7890", "+62 812 3456 7890", "6281234567890", "812 3456 7890"}) {
    ts.emplace_back([&, phone] { ASSERT_TRUE(ex->execute(order("KOPI-250", 1, phone), who)); });
  }
  for (auto& t : ts) t.join();
  auto v = store->view("customers");
  auto page = projections::customers_query::list(*v.value(), {});
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].order_count, 4);
  EXPECT_EQ(page.items[0].phone, "+6281234567890");
}

TEST_F(ExecutorTest, StatusLifecycleAndRejections) {
  define("KOPI-250", 3);
  auto r = ex->execute(order("KOPI-250", 1, "081234567890"), who);
  ASSERT_TRUE(r);
  std::string id = r.value().id;
  ASSERT_TRUE(ex->execute(change_order_status{id, "shipped", "", "JNE123", "jne"}, who));
  auto back = ex->execute(change_order_status{id, "processed", "", "", ""}, who);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, errc::invalid_transition);
  auto same = ex->execute(change_order_status{id, "shipped", "", "", ""}, who);
  ASSERT_TRUE(same);
  EXPECT_TRUE(same.value().existing);
  auto v = store->view("orders");
  auto o = projections::orders_query::get(*v.value(), id);
  EXPECT_EQ(o->status, "shipped");
  EXPECT_EQ(o->tracking_number, "JNE123");
}

}  // namespace
}  // namespace roms::commands
