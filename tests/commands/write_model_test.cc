// The executor's write model (commands/write_model.h) against the read models: after a random
// sequence of commands (submitted concurrently, so they are decided in shared batches) the
// model holds exactly what the read models hold for the same facts; a new executor on the
// same log seeds itself to the same state; events appended by other writers reach it.
#include "commands/write_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>

#include "commands/executor.h"
#include "consumers/runner.h"
#include "core/errc.h"
#include "events/embedded_log.h"
#include "events/payload.h"
#include "events/types.h"
#include "projections/read_models.h"
#include "projections/read_models/keys.h"
#include "projections/read_models/record_codec.h"
#include "projections/store.h"
#include "tests/testing/temp_dir.h"

namespace roms::commands {
namespace {

using projections::prefix_end;

struct WriteModelTest : ::testing::Test {
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
    if (ex) ex->stop();
    runner->stop();
  }

  // A model folded from the whole log by hand (not by an executor), as dump() lines.
  std::vector<std::string> fold_log_by_hand() {
    write_model m;
    auto reader = log->open_reader({}).value();
    for (;;) {
      auto evs = reader->read(4096, std::chrono::milliseconds(0)).value();
      if (evs.empty()) break;
      for (auto& e : evs) {
        if (auto r = m.apply_logged(e.event); !r) {
          ADD_FAILURE() << r.error().message;
          return {};
        }
      }
    }
    return m.dump();
  }

  std::vector<std::string> model_dump(executor& e) {
    std::vector<std::string> out;
    e.inspect([&](const write_model& m) { out = m.dump(); });
    return out;
  }

  // The same facts, as the read models hold them, in write_model::dump()'s format.
  std::vector<std::string> read_model_dump() {
    std::vector<std::string> out;
    auto view = [&](std::string_view name) {
      auto v = store->view(name);
      EXPECT_TRUE(v) << name;
      return std::move(v).value();
    };
    auto scan = [](const projections::read_view& v, std::string_view prefix, auto f) {
      v.scan(prefix, prefix_end(prefix), [&](std::string_view k, std::string_view val) {
        f(k.substr(prefix.size()), val);
        return true;
      });
    };
    auto catalog = view("catalog");
    scan(*catalog, "p/", [&](std::string_view, std::string_view val) {
      auto p = projections::decode_record<projections::product_record>(val).value();
      if (!p.defined) return;
      out.push_back("product " + p.id + " sku=" + p.sku + " name=" + p.name + " price=" +
                    std::to_string(p.price) + " min_stock=" + std::to_string(p.min_stock) +
                    " active=" + (p.active ? "1" : "0"));
    });
    scan(*catalog, "sku/", [&](std::string_view k, std::string_view val) {
      out.push_back("sku " + std::string(k) + " " + std::string(val));
    });
    scan(*catalog, "s/", [&](std::string_view, std::string_view val) {
      auto s = projections::decode_record<projections::stock_record>(val).value();
      out.push_back("stock " + s.product_id + " " + s.warehouse + " on_hand=" +
                    std::to_string(s.on_hand) + " reserved=" + std::to_string(s.reserved));
    });
    out.push_back("warehouse main");
    scan(*catalog, "w/", [&](std::string_view k, std::string_view) {
      if (k != "main") out.push_back("warehouse " + std::string(k));
    });
    auto customers = view("customers");
    scan(*customers, "c/", [&](std::string_view, std::string_view val) {
      auto c = projections::decode_record<projections::customer_record>(val).value();
      out.push_back("customer " + c.id + " phone=" + c.phone);
    });
    scan(*customers, "p/", [&](std::string_view k, std::string_view val) {
      out.push_back("phone " + std::string(k) + " " + std::string(val));
    });
    auto orders = view("orders");
    scan(*orders, "o/", [&](std::string_view, std::string_view val) {
      auto o = projections::decode_record<projections::order_record>(val).value();
      out.push_back("order " + o.id + " " + o.status + " customer=" + o.customer_id);
    });
    scan(*orders, "x/", [&](std::string_view k, std::string_view val) {
      std::string ext(k);
      ext[ext.find('/')] = ' ';  // <channel>/<external id>: channels have no '/'
      out.push_back("external " + ext + " " + std::string(val));
    });
    scan(*orders, "i/", [&](std::string_view k, std::string_view val) {
      auto i = projections::decode_record<projections::idempotency_record>(val).value();
      out.push_back("idempotency " + std::string(k) + " " + i.order_id + " " + i.request_hash);
    });
    auto s = projections::daily_query::settings(*view("daily"));
    out.push_back("settings currency=" + s.currency +
                  " allow_backorders=" + (s.allow_backorders ? "1" : "0") +
                  " shop_name=" + s.shop_name + " time_zone=" + s.time_zone);
    scan(*view("automation"), "t/", [&](std::string_view, std::string_view val) {
      auto t = projections::decode_record<projections::template_record>(val).value();
      out.push_back("template " + t.id + " " + t.kind + " " + t.name + " " + t.body);
    });
    std::sort(out.begin(), out.end());
    return out;
  }

  // Submits the commands at once (so the decider batches them) and waits for every answer.
  void run_concurrently(std::vector<any_command> cmds, std::vector<result_msg<outcome>>* results) {
    std::mutex mu;
    std::condition_variable cv;
    size_t left = cmds.size();
    std::vector<std::optional<result_msg<outcome>>> got(cmds.size());
    for (size_t i = 0; i < cmds.size(); ++i) {
      ex->submit(std::move(cmds[i]), who, [&, i](result_msg<outcome> r) {
        std::lock_guard lk(mu);
        got[i] = std::move(r);
        if (--left == 0) cv.notify_all();
      });
    }
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return left == 0; });
    if (results)
      for (auto& g : got) results->push_back(std::move(*g));
  }
};

// A random mix of every command that changes what decide reads: products (defined, renamed
// SKUs, prices), stock moves between warehouses, orders with repeated external ids and
// idempotency keys (some with another body), status changes (cancel releases, ship consumes),
// customer edits, settings (backorders on and off) and templates.
std::vector<std::string> run_random_mix(WriteModelTest& t, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<std::string> skus, product_ids, order_ids, customer_ids;
  // Names of their own per seed, so several mixes can run on one log.
  const std::string tag = std::to_string(seed);
  std::vector<std::string> warehouses = {"main", "bdg" + tag, "sby" + tag};
  EXPECT_TRUE(t.ex->execute(create_warehouse{warehouses[1], "Bandung"}, t.who));
  EXPECT_TRUE(t.ex->execute(create_warehouse{warehouses[2], "Surabaya"}, t.who));
  for (int i = 0; i < 6; ++i) {
    std::string sku = "SKU" + tag + "-" + std::to_string(i);
    auto r = t.ex->execute(
        define_product{sku, "Produk " + sku, "", "", "", 10000 + i * 500, 6000, 2, true}, t.who);
    EXPECT_TRUE(r) << r.error().message;
    skus.push_back(sku);
    product_ids.push_back(r.value().id);
  }
  static const char* kStatuses[] = {"processed", "shipped", "delivered", "cancelled"};
  for (int round = 0; round < 25; ++round) {
    std::vector<any_command> cmds;
    for (int i = 0; i < 24; ++i) {
      size_t what = pick(100);
      if (what < 45) {
        place_order o;
        o.channel = pick(2) ? "web" : "whatsapp";
        o.external_id = pick(3) ? "ext" + tag + "-" + std::to_string(pick(60)) : "";
        if (pick(4) == 0) {
          o.idempotency_key = "key" + tag + "-" + std::to_string(pick(20));
          o.request_hash = "hash-" + std::to_string(pick(2));
        }
        o.customer = {"Pelanggan",  "0812" + std::to_string(10000000 + pick(15)),
                      "",           "Bandung",
                      "Jawa Barat", "ID"};
        size_t lines = 1 + pick(2);
        for (size_t l = 0; l < lines; ++l)
          o.items.push_back(
              {skus[pick(skus.size())], "", static_cast<int64_t>(1 + pick(4)), std::nullopt, ""});
        o.warehouse = warehouses[pick(warehouses.size())];
        cmds.emplace_back(std::move(o));
      } else if (what < 60) {
        cmds.emplace_back(adjust_stock{product_ids[pick(product_ids.size())], "",
                                       warehouses[pick(warehouses.size())],
                                       static_cast<int64_t>(pick(20)) - 5, "count"});
      } else if (what < 68) {
        std::string from = warehouses[pick(3)], to = warehouses[pick(3)];
        cmds.emplace_back(transfer_stock{product_ids[pick(product_ids.size())], "", from, to,
                                         static_cast<int64_t>(1 + pick(5))});
      } else if (what < 85 && !order_ids.empty()) {
        cmds.emplace_back(
            change_order_status{order_ids[pick(order_ids.size())], kStatuses[pick(4)], "", "", ""});
      } else if (what < 89) {
        update_product u;
        u.product_id = product_ids[pick(product_ids.size())];
        u.price = static_cast<int64_t>(5000 + pick(10) * 1000);
        if (pick(3) == 0) u.sku = "SKU" + tag + "-" + std::to_string(pick(9));  // may collide
        cmds.emplace_back(std::move(u));
      } else if (what < 93 && !customer_ids.empty()) {
        update_customer c;
        c.customer_id = customer_ids[pick(customer_ids.size())];
        c.name = "Nama " + std::to_string(pick(100));
        cmds.emplace_back(std::move(c));
      } else if (what < 96) {
        change_settings s;
        s.allow_backorders = pick(2) == 0;
        cmds.emplace_back(std::move(s));
      } else {
        create_template c;
        c.name = "Template " + std::to_string(pick(100));
        c.kind = "custom";
        c.body = "Terima kasih";
        cmds.emplace_back(std::move(c));
      }
    }
    std::vector<result_msg<outcome>> results;
    std::vector<bool> is_order;
    for (auto& c : cmds) is_order.push_back(std::holds_alternative<place_order>(c));
    t.run_concurrently(std::move(cmds), &results);
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i] || !is_order[i]) continue;
      order_ids.push_back(results[i].value().id);
    }
    // Customers and renamed SKUs as the read models know them, for the next rounds.
    customer_ids.clear();
    skus.clear();
    t.ex->inspect([&](const write_model& m) {
      for (const auto& line : m.dump()) {
        if (line.rfind("customer ", 0) == 0)
          customer_ids.push_back(line.substr(9, line.find(' ', 9) - 9));
        if (line.rfind("sku SKU" + tag + "-", 0) == 0)
          skus.push_back(line.substr(4, line.find(' ', 4) - 4));
      }
    });
  }
  return t.model_dump(*t.ex);
}

TEST_F(WriteModelTest, AgreesWithTheReadModelsAfterRandomCommands) {
  for (uint32_t seed : {1u, 2u}) {
    auto model = run_random_mix(*this, seed);
    auto read = read_model_dump();
    ASSERT_GT(model.size(), 100u);
    EXPECT_EQ(model, read) << "seed " << seed;
  }
  // Something of everything was exercised.
  auto model = model_dump(*ex);
  auto has = [&](std::string_view what) {
    return std::any_of(model.begin(), model.end(),
                       [&](const std::string& l) { return l.find(what) != std::string::npos; });
  };
  EXPECT_TRUE(has(" cancelled ")) << "a cancelled order";
  EXPECT_TRUE(has(" shipped ") || has(" delivered ")) << "a shipped order";
  EXPECT_TRUE(has("idempotency key"));
  EXPECT_TRUE(has("external web "));
  EXPECT_TRUE(has(" bdg1 on_hand="));
  EXPECT_TRUE(has("template "));
}

TEST_F(WriteModelTest, ARestartedExecutorSeedsItselfToTheSameState) {
  auto before = run_random_mix(*this, 7);
  ex->stop();
  ex = std::make_unique<executor>(*log, store, *runner, system_clock());
  ex->start();
  // The seed (a fold of the log) runs on the decider before its first decision.
  auto r = ex->execute(change_settings{}, who);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(model_dump(*ex), before);
  EXPECT_EQ(read_model_dump(), before);

  // A model folded from the log by hand is the same too.
  EXPECT_EQ(fold_log_by_hand(), before);
}

TEST_F(WriteModelTest, EventsOfOtherWritersReachTheModel) {
  auto p = ex->execute(define_product{"KOPI", "Kopi", "", "", "", 10000, 6000, 0, true}, who);
  ASSERT_TRUE(p);
  const std::string pid = p.value().id;
  place_order o;
  o.customer = {"Budi", "081234567890", "", "", "", "ID"};
  o.items = {{"KOPI", "", 3, std::nullopt, ""}};
  auto refused = ex->execute(o, who);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::out_of_stock);

  // Ops append a stock count straight to the log (not through the executor).
  events::envelope e;
  e.id = events::new_event_id(system_clock().now());
  e.type = std::string(events::stock_adjusted::kType);
  e.stream = pid;
  e.time = system_clock().now();
  e.actor = "cli";
  e.payload = events::encode_payload(events::stock_adjusted{pid, "main", 5, "counted"});
  ASSERT_TRUE(log->append(std::span<const events::envelope>(&e, 1)));

  auto placed = ex->execute(o, who);
  ASSERT_TRUE(placed) << placed.error().message;
  auto dump = model_dump(*ex);
  EXPECT_NE(std::find(dump.begin(), dump.end(), "stock " + pid + " main on_hand=5 reserved=3"),
            dump.end());
  EXPECT_EQ(dump, read_model_dump());
}

// The compact model numbers customers, orders, products and warehouses and keeps phone, external
// id and idempotency keys in an arena. Events appended straight to the log (as ops or another
// writer would) walk its edge cases: two customers sharing a phone (the index names the one
// whose phone most recently became it; re-saving another changes nothing), a phone changed
// (its old entry goes), a new customer taking a freed phone, an order placed twice (the first
// stands), an external id reused by a later order, an order without a customer, a status
// outside the lifecycle, a cancellation releasing a reservation, a shipment consuming one in
// another warehouse. The model must hold exactly what the read models hold.
TEST_F(WriteModelTest, HandWrittenEdgeCasesAgreeWithTheReadModels) {
  auto p = ex->execute(define_product{"TEH", "Teh", "", "", "", 8000, 5000, 0, true}, who);
  ASSERT_TRUE(p) << p.error().message;
  const std::string pid = p.value().id;

  std::vector<events::envelope> evs;
  auto add = [&](std::string stream, const auto& payload) {
    events::envelope& e = evs.emplace_back();
    e.id = events::new_event_id(system_clock().now());
    e.type = std::string(payload.kType);
    e.stream = std::move(stream);
    e.time = system_clock().now();
    e.actor = "cli";
    e.payload = events::encode_payload(payload);
  };
  auto order = [&](std::string id, std::string customer, std::string ext, std::string idem,
                   std::string warehouse) {
    events::order_placed o;
    o.order_id = std::move(id);
    o.external_id = std::move(ext);
    o.channel = "api";
    o.customer_id = std::move(customer);
    o.customer = {"X", "+628111", "", "", ""};
    o.items = {{pid, "TEH", "Teh", 2, 8000, false, false}};
    o.total = 16000;
    o.warehouse = std::move(warehouse);
    o.idempotency_key = std::move(idem);
    o.request_hash = "h-" + o.order_id;
    return o;
  };
  add("wh-2", events::warehouse_created{"wh-2", "Gudang 2"});
  add(pid, events::stock_adjusted{pid, "main", 50, "count"});
  add(pid, events::stock_adjusted{pid, "wh-2", 20, "count"});
  add("cus_a", events::customer_registered{"cus_a", "+628111", true, "A", "", "", "", "import"});
  add("cus_b", events::customer_registered{"cus_b", "+628111", true, "B", "", "", "", "import"});
  add("cus_a", events::customer_renamed{"cus_a", "A2"});  // re-saved: the index still names B
  add("cus_b", events::customer_registered{"cus_b", "+628222", true, "B", "", "", "", "import"});
  add("ord_1", order("ord_1", "cus_a", "ext-1", "idem-1", "main"));
  add("ord_1", order("ord_1", "cus_b", "ext-9", "idem-9", "main"));  // placed twice
  add("ord_2", order("ord_2", "cus_new", "ext-1", "", "wh-2"));     // reuses ext-1
  add("ord_3", order("ord_3", "", "", "idem-3", "main"));            // no customer
  add("ord_1", events::order_status_changed{"ord_1", "pending", "cancelled", "", "", ""});
  add("ord_2", events::order_status_changed{"ord_2", "pending", "shipped", "", "JNE1", "jne"});
  add("ord_3", events::order_status_changed{"ord_3", "pending", "on_hold", "", "", ""});
  add("ord_x", events::order_status_changed{"ord_x", "pending", "cancelled", "", "", ""});
  ASSERT_TRUE(log->append(evs));

  // The next command makes the decider read them; its answer waits until the runner applied
  // everything before it.
  auto q = ex->execute(define_product{"GULA", "Gula", "", "", "", 9000, 6000, 0, true}, who);
  ASSERT_TRUE(q) << q.error().message;
  auto dump = model_dump(*ex);
  auto has = [&](const std::string& line) {
    return std::find(dump.begin(), dump.end(), line) != dump.end();
  };
  EXPECT_TRUE(has("phone +628111 cus_new"));  // B left it, then ord_2's new customer took it
  EXPECT_TRUE(has("phone +628222 cus_b"));
  EXPECT_TRUE(has("order ord_1 cancelled customer=cus_a"));
  EXPECT_TRUE(has("order ord_3 on_hold customer="));
  EXPECT_TRUE(has("external api ext-1 ord_2"));
  EXPECT_TRUE(has("idempotency idem-1 ord_1 h-ord_1"));
  EXPECT_FALSE(has("idempotency idem-9 ord_1 h-ord_1"));
  EXPECT_TRUE(has("stock " + pid + " main on_hand=50 reserved=2"));  // ord_3's; ord_1 released
  EXPECT_TRUE(has("stock " + pid + " wh-2 on_hand=18 reserved=0"));  // ord_2 shipped
  EXPECT_EQ(dump, read_model_dump());

  // And a model folded from the log alone says the same.
  EXPECT_EQ(fold_log_by_hand(), dump);
}

// Not a check: how long seeding takes and how much memory the model needs per order.
//   commands_write_model_test --gtest_also_run_disabled_tests --gtest_filter='*SeedCost*'
TEST(WriteModelCost, DISABLED_SeedCostPerOrder) {
  testing::temp_dir dir;
  auto log = events::open_embedded_log(dir.path()).value();
  constexpr int kOrders = 200'000;
  const timestamp now = system_clock().now();
  std::vector<events::envelope> batch;
  auto add = [&](std::string stream, const auto& payload) {
    events::envelope& e = batch.emplace_back();
    e.id = events::new_event_id(now);
    e.type = std::string(payload.kType);
    e.stream = std::move(stream);
    e.time = now;
    e.actor = "test";
    e.payload = events::encode_payload(payload);
  };
  for (int i = 0; i < kOrders; ++i) {
    std::string n = std::to_string(i);
    std::string cid = "cus_01m865x8bdeqrb86ap2n5" + std::string(8 - n.size(), '0') + n;
    std::string oid = "ord_01m865x8bdeqrb86ap2n5" + std::string(8 - n.size(), '0') + n;
    std::string phone = "+62812" + std::string(8 - n.size(), '0') + n;
    add(cid, events::customer_registered{cid, phone, true, "Pelanggan " + n, "", "Bandung",
                                         "Jawa Barat", "order:api"});
    events::order_placed o;
    o.order_id = oid;
    o.external_id = "bench-" + n;
    o.channel = "api";
    o.customer_id = cid;
    o.customer = {"Pelanggan " + n, phone, "", "Bandung", "Jawa Barat"};
    o.items = {{"prd_01m865x8bdeqrb86ap2n5kopi", "KOPI", "Kopi", 1, 45000, false, false}};
    o.total = 45000;
    o.payment = {"bank_transfer", "prepaid"};
    add(oid, o);
    if (batch.size() >= 4000) {
      ASSERT_TRUE(log->append(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) {
    ASSERT_TRUE(log->append(batch));
  }
  auto rss = [] {
    std::ifstream f("/proc/self/statm");
    long pages = 0, resident = 0;
    f >> pages >> resident;
    return resident * 4096L;
  };
  long before = rss();
  auto t0 = std::chrono::steady_clock::now();
  write_model m;
  auto reader = log->open_reader({}).value();
  size_t events = 0;
  for (;;) {
    auto evs = reader->read(4096, std::chrono::milliseconds(0)).value();
    if (evs.empty()) break;
    for (auto& e : evs) ASSERT_TRUE(m.apply_logged(e.event));
    events += evs.size();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long after = rss();
  std::cout << "seeded " << events << " events (" << kOrders << " orders) in " << secs
            << " s = " << secs * 1e6 / static_cast<double>(events) << " us/event; model ~"
            << (after - before) / kOrders << " bytes per order (customer included)\n";
  EXPECT_EQ(m.size().orders, static_cast<size_t>(kOrders));
}

// A log whose appends fail while `failing` is set (the disk full, the broker gone).
class flaky_log final : public events::event_log {
 public:
  explicit flaky_log(events::event_log& l) : l_(l) {}
  std::atomic<bool> failing{false};
  result<std::vector<events::append_result>> append(
      std::span<const events::envelope> evs) override {
    if (failing) return make_error_code(errc::unavailable);
    return l_.append(evs);
  }
  int32_t partitions() const override { return l_.partitions(); }
  int32_t partition_for(std::string_view s) const override { return l_.partition_for(s); }
  result<events::log_stats> stats() override { return l_.stats(); }
  result<std::unique_ptr<events::log_reader>> open_reader(std::vector<int64_t> from,
                                                          std::vector<int32_t> parts) override {
    return l_.open_reader(std::move(from), std::move(parts));
  }
  result<std::vector<int64_t>> offsets_after_time(timestamp t) override {
    return l_.offsets_after_time(t);
  }

 private:
  events::event_log& l_;
};

TEST_F(WriteModelTest, AFailedAppendLeavesNothingInTheModel) {
  ex->stop();
  flaky_log flaky(*log);
  ex = std::make_unique<executor>(flaky, store, *runner, system_clock());
  ex->start();
  ASSERT_TRUE(ex->execute(define_product{"KOPI", "Kopi", "", "", "", 10000, 6000, 0, true}, who));
  ASSERT_TRUE(ex->execute(adjust_stock{"", "KOPI", "main", 10, "received"}, who));
  auto before = model_dump(*ex);

  place_order o;
  o.external_id = "web-1";
  o.customer = {"Budi", "081234567890", "", "", "", "ID"};
  o.items = {{"KOPI", "", 10, std::nullopt, ""}};
  flaky.failing = true;
  std::vector<result_msg<outcome>> failed;
  run_concurrently({o, o, o}, &failed);
  for (auto& r : failed) EXPECT_FALSE(r) << "nothing was written";
  flaky.failing = false;

  // The reservation and the external id of the unwritten order are gone from the model: the
  // same order can be placed, and it takes the 10 units.
  auto placed = ex->execute(o, who);
  ASSERT_TRUE(placed) << placed.error().message;
  EXPECT_FALSE(placed.value().existing);
  EXPECT_NE(model_dump(*ex), before);
  EXPECT_EQ(model_dump(*ex), read_model_dump());
}

}  // namespace
}  // namespace roms::commands
