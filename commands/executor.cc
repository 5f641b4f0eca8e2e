#include "commands/executor.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "consumers/runner.h"
#include "core/automation.h"
#include "core/errc.h"
#include "events/payload.h"
#include "events/types.h"
#include "projections/read_models.h"
#include "projections/store.h"

namespace roms::commands {
namespace {

using projections::read_view;

// 26-character Crockford base32 of a UUIDv7 (like a ULID): time-ordered, URL-safe.
std::string compact_id(std::string_view prefix, timestamp now) {
  std::string uuid = events::new_event_id(now);
  unsigned char bytes[16];
  int n = 0;
  auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < uuid.size() && n < 16; ++i) {
    if (uuid[i] == '-') continue;
    bytes[n++] = static_cast<unsigned char>(hex(uuid[i]) << 4 | hex(uuid[i + 1]));
    ++i;
  }
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  std::string out(prefix);
  out.push_back('_');
  // 128 bits → 26 symbols of 5 bits, most significant first (2 leading zero bits).
  for (int sym = 0; sym < 26; ++sym) {
    int bit = sym * 5 - 2;  // first symbol covers bits -2..2
    int v = 0;
    for (int b = bit; b < bit + 5; ++b) {
      v <<= 1;
      if (b >= 0) v |= (bytes[b / 8] >> (7 - b % 8)) & 1;
    }
    out.push_back(kAlphabet[v]);
  }
  return out;
}

struct overlay_entry {
  std::optional<std::string> value;  // nullopt = deleted
  uint64_t batch = 0;                // the batch that wrote it last
};

using overlay_map = std::map<std::string, overlay_entry, std::less<>>;

// Reads of one read model: the overlay of not-yet-applied writes over a snapshot.
struct layered {
  overlay_map* overlay = nullptr;
  std::shared_ptr<const read_view> view;

  std::optional<std::string> get(std::string_view k) const {
    auto it = overlay->find(k);
    if (it != overlay->end()) return it->second.value;
    return view ? view->get(k) : std::nullopt;
  }
};

// The fold context the projections write into while the decider applies its own events.
class overlay_ctx final : public projections::fold_context {
 public:
  overlay_ctx(layered l, uint64_t batch, std::vector<std::string>& written)
      : l_(l), batch_(batch), written_(written) {}
  std::optional<std::string> get(std::string_view key) override { return l_.get(key); }
  void put(std::string_view key, std::string_view value) override {
    set(key, std::string(value));
  }
  void del(std::string_view key) override { set(key, std::nullopt); }
  void scan(std::string_view begin, std::string_view end,
            const std::function<bool(std::string_view, std::string_view)>& f) override {
    std::map<std::string, std::string, std::less<>> merged;
    if (l_.view) {
      l_.view->scan(begin, end, [&](std::string_view k, std::string_view v) {
        merged.emplace(std::string(k), std::string(v));
        return true;
      });
    }
    for (auto it = l_.overlay->lower_bound(begin); it != l_.overlay->end() && it->first < end;
         ++it) {
      if (it->second.value) {
        merged[it->first] = *it->second.value;
      } else {
        merged.erase(it->first);
      }
    }
    for (auto& [k, v] : merged)
      if (!f(k, v)) return;
  }

 private:
  void set(std::string_view key, std::optional<std::string> v) {
    auto it = l_.overlay->find(key);
    if (it == l_.overlay->end()) {
      l_.overlay->emplace(std::string(key), overlay_entry{std::move(v), batch_});
    } else {
      it->second = {std::move(v), batch_};
    }
    written_.emplace_back(key);
  }
  layered l_;
  uint64_t batch_;
  std::vector<std::string>& written_;
};

}  // namespace

struct executor::impl {
  events::event_log& log;
  std::shared_ptr<projections::projection_store> store;
  consumers::projection_runner& runner;
  const clock& clk;
  executor_options opts;

  struct queued {
    any_command cmd;
    actor_info who;
    done_fn done;
  };
  struct decided {
    done_fn done;
    outcome out;
    size_t last_event = SIZE_MAX;  // index into the batch's events; SIZE_MAX = none
  };
  struct batch {
    uint64_t seq = 0;
    std::vector<events::envelope> events;
    std::vector<decided> cmds;
    // keys written into the overlay, per read model, to prune once applied
    std::vector<std::pair<std::string, std::vector<std::string>>> written;
  };

  std::mutex mu;
  std::condition_variable cv_queue, cv_batches, cv_inflight;
  std::deque<queued> queue;
  std::deque<batch> to_append;
  size_t inflight = 0;
  bool stopping = false;
  bool resync = false;
  std::thread decider, appender;

  // Decider-thread state.
  std::unordered_map<std::string, overlay_map> overlay;
  uint64_t next_batch = 1;
  // Batches appended and not yet known to be applied: seq → (positions, written keys).
  struct appended_batch {
    std::vector<events::log_position> positions;
    std::vector<std::pair<std::string, std::vector<std::string>>> written;
  };
  std::mutex appended_mu;
  std::map<uint64_t, appended_batch> appended;
  std::map<int32_t, int64_t> appended_end;  // last offset appended per partition (appender)

  impl(events::event_log& l, std::shared_ptr<projections::projection_store> s,
       consumers::projection_runner& r, const clock& c, executor_options o)
      : log(l), store(std::move(s)), runner(r), clk(c), opts(o) {}

  // ------------------------------------------------------------ decision state
  struct state final : decision_state {
    impl& x;
    layered orders, customers, catalog, daily, automation;
    explicit state(impl& i) : x(i) {}

    template <class T>
    static std::optional<T> load(const layered& l, std::string_view k) {
      auto v = l.get(k);
      if (!v) return std::nullopt;
      auto r = events::decode_payload<T>(*v);
      if (!r) return std::nullopt;
      return std::move(r).value();
    }
    std::optional<product_state> product(std::string_view id) override {
      auto p = load<projections::product_record>(catalog, "p/" + std::string(id));
      if (!p || !p->defined) return std::nullopt;
      return product_state{p->id, p->sku, p->name, p->price, p->min_stock, p->active};
    }
    std::optional<std::string> product_id_by_sku(std::string_view sku) override {
      return catalog.get("sku/" + std::string(sku));
    }
    int64_t available(std::string_view pid, std::string_view wh) override {
      auto s = load<projections::stock_record>(
          catalog, "s/" + std::string(pid) + "/" + std::string(wh));
      return s ? s->on_hand - s->reserved : 0;
    }
    bool warehouse_exists(std::string_view id) override {
      return id == "main" || catalog.get("w/" + std::string(id)).has_value();
    }
    std::optional<std::string> customer_by_phone(std::string_view p) override {
      return customers.get("p/" + std::string(p));
    }
    bool customer_exists(std::string_view id) override {
      return customers.get("c/" + std::string(id)).has_value();
    }
    std::optional<order_state> order(std::string_view id) override {
      auto o = load<projections::order_record>(orders, "o/" + std::string(id));
      if (!o) return std::nullopt;
      return order_state{o->id, o->status, o->customer_id};
    }
    std::optional<std::string> order_by_external_id(std::string_view ch,
                                                    std::string_view ext) override {
      return orders.get("x/" + std::string(ch) + "/" + std::string(ext));
    }
    std::optional<idempotency_state> idempotency(std::string_view key) override {
      auto r = load<projections::idempotency_record>(orders, "i/" + std::string(key));
      if (!r) return std::nullopt;
      return idempotency_state{r->order_id, r->request_hash};
    }
    shop_settings settings() override {
      shop_settings s;
      if (auto c = load<events::settings_changed>(daily, "meta/settings")) s.apply(*c);
      return s;
    }
    // Automation state (projections/read_models/automation.h key layout).
    std::optional<template_state> message_template(std::string_view id) override {
      auto t = load<projections::template_record>(automation, "t/" + std::string(id));
      if (!t && id == kDefaultOrderConfirmationId) t = projections::default_order_confirmation();
      if (!t) return std::nullopt;
      return template_state{t->id,   t->name,          t->kind,
                            t->body, t->wa_template_name, t->wa_language};
    }
    std::optional<reminder_rule_state> reminder_rule(std::string_view id) override {
      auto r = load<projections::reminder_rule_record>(automation, "r/" + std::string(id));
      if (!r) return std::nullopt;
      return reminder_rule_state{r->id,          r->name, r->days_after_delivery, r->product_id,
                                 r->template_id, r->body, r->enabled};
    }
    std::optional<alert_state> alert(std::string_view id) override {
      auto a = load<projections::alert_record>(automation, "a/" + std::string(id));
      if (!a) return std::nullopt;
      return alert_state{a->id, a->state, a->acknowledged};
    }
  };

  layered layer(const std::string& name) {
    layered l;
    l.overlay = &overlay[name];
    auto v = store->view(name);
    if (v) l.view = std::move(v).value();
    return l;
  }

  // Drops overlay entries whose batches the read models have applied. Batches are appended
  // in order, so once batch k is applied every batch before it is too; an entry is dropped
  // when the batch that wrote it last is applied (a later pending batch keeps it).
  void prune() {
    std::vector<appended_batch> done;
    uint64_t upto = 0;
    {
      std::lock_guard lk(appended_mu);
      for (auto it = appended.begin(); it != appended.end();) {
        bool all = true;
        for (auto& p : it->second.positions) all = all && runner.reached(p);
        if (!all) break;
        upto = it->first;
        done.push_back(std::move(it->second));
        it = appended.erase(it);
      }
    }
    for (auto& b : done) {
      for (auto& [name, keys] : b.written) {
        auto& m = overlay[name];
        for (auto& k : keys) {
          auto it = m.find(k);
          if (it != m.end() && it->second.batch <= upto) m.erase(it);
        }
      }
    }
  }

  void decide_loop() {
    for (;;) {
      std::vector<queued> work;
      {
        std::unique_lock lk(mu);
        cv_queue.wait(lk, [&] { return stopping || !queue.empty(); });
        if (queue.empty() && stopping) return;
        if (resync) {
          cv_inflight.wait(lk, [&] { return inflight == 0; });
          lk.unlock();
          catch_up();
          lk.lock();
          overlay.clear();
          {
            std::lock_guard lk2(appended_mu);
            appended.clear();
          }
          resync = false;
        }
        size_t n = std::min(queue.size(), opts.max_batch);
        for (size_t i = 0; i < n; ++i) {
          work.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      prune();
      batch b;
      b.seq = next_batch++;
      decide_batch(work, b);
      {
        std::lock_guard lk(mu);
        ++inflight;
        to_append.push_back(std::move(b));
      }
      cv_batches.notify_one();
    }
  }

  void catch_up() {
    auto st = log.stats();
    if (!st) return;
    for (size_t p = 0; p < st.value().end_offsets.size(); ++p) {
      int64_t end = st.value().end_offsets[p];
      if (end > 0)
        runner.wait_for({static_cast<int32_t>(p), end - 1}, std::chrono::milliseconds(10'000));
    }
  }

  void decide_batch(std::vector<queued>& work, batch& b) {
    state s(*this);
    s.orders = layer("orders");
    s.customers = layer("customers");
    s.catalog = layer("catalog");
    s.daily = layer("daily");
    s.automation = layer("automation");
    const auto projs = store->projections();
    std::map<std::string, std::vector<std::string>> written;
    for (auto& q : work) {
      timestamp now = clk.now();
      decision_context ctx{now, [now](std::string_view p) { return compact_id(p, now); }};
      auto d = std::visit([&](auto& c) { return decide(s, ctx, c); }, q.cmd);
      if (!d) {
        q.done(d.error());
        continue;
      }
      decided dc;
      dc.done = std::move(q.done);
      dc.out.id = d.value().id;
      dc.out.existing = d.value().existing;
      std::string causation;
      for (auto& ne : d.value().events) {
        events::envelope e;
        e.id = events::new_event_id(now);
        e.type = std::string(std::visit([](auto& p) { return std::string_view(p.kType); }, ne.payload));
        e.version = std::visit([](auto& p) { return p.kVersion; }, ne.payload);
        e.stream = ne.stream;
        e.time = now;
        e.actor = q.who.actor;
        e.correlation_id = q.who.correlation_id;
        e.causation_id = causation;
        e.payload = std::visit([](auto& p) { return events::encode_payload(p); }, ne.payload);
        // Apply to the overlay with the same folds the read models use, so the next
        // command in this batch (or the next batches) sees this one's effects.
        events::stored_event se{{0, 0}, e};
        for (const auto& p : projs) {
          if (!p->wants(e.type)) continue;
          std::string name(p->name());
          auto& keys = written[name];
          overlay_ctx oc(layer_cached(s, name), b.seq, keys);
          (void)p->apply(se, oc);
        }
        dc.last_event = b.events.size();
        b.events.push_back(std::move(e));
      }
      b.cmds.push_back(std::move(dc));
    }
    for (auto& [name, keys] : written) b.written.emplace_back(name, std::move(keys));
  }

  layered layer_cached(state& s, const std::string& name) {
    if (name == "orders") return s.orders;
    if (name == "customers") return s.customers;
    if (name == "catalog") return s.catalog;
    if (name == "daily") return s.daily;
    if (name == "automation") return s.automation;
    return layer(name);
  }

  void append_loop() {
    for (;;) {
      batch b;
      {
        std::unique_lock lk(mu);
        cv_batches.wait(lk, [&] { return stopping || !to_append.empty(); });
        if (to_append.empty() && stopping) return;
        b = std::move(to_append.front());
        to_append.pop_front();
      }
      std::vector<events::append_result> results;
      if (!b.events.empty()) {
        auto r = log.append(b.events);
        if (!r) {
          error_info err{r.error(), std::string("the log refused the append: ") + r.error().message()};
          for (auto& c : b.cmds) c.done(err);
          // Batches decided after this one may rest on its events: refuse them too.
          std::deque<batch> later;
          {
            std::lock_guard lk(mu);
            later.swap(to_append);
          }
          for (auto& lb : later)
            for (auto& c : lb.cmds) c.done(err);
          std::lock_guard lk(mu);
          resync = true;
          inflight -= 1 + later.size();
          cv_inflight.notify_all();
          cv_queue.notify_all();
          continue;
        }
        results = std::move(r).value();
        appended_batch ab;
        std::map<int32_t, int64_t> last;
        for (auto& res : results) {
          auto& l = last[res.position.partition];
          l = std::max(l, res.position.offset);
          auto& e = appended_end[res.position.partition];
          e = std::max(e, res.position.offset);
        }
        for (auto& [p, o] : last) ab.positions.push_back({p, o});
        ab.written = std::move(b.written);
        std::lock_guard lk(appended_mu);
        appended.emplace(b.seq, std::move(ab));
      }
      auto deadline = std::chrono::steady_clock::now() + opts.apply_wait;
      for (auto& c : b.cmds) {
        std::vector<events::log_position> wait;
        if (c.last_event != SIZE_MAX) {
          c.out.position = results[c.last_event].position;
          wait.push_back(*c.out.position);
        } else {
          // No new events (a repeat): wait until whatever was appended before is applied,
          // so the original the answer refers to is visible.
          for (auto& [p, o] : appended_end) wait.push_back({p, o});
        }
        wait_all(std::move(wait), deadline, std::move(c.out), std::move(c.done));
      }
      {
        std::lock_guard lk(mu);
        --inflight;
      }
      cv_inflight.notify_all();
    }
  }

  void wait_all(std::vector<events::log_position> ps, std::chrono::steady_clock::time_point dl,
                outcome out, done_fn done) {
    if (ps.empty()) {
      done(std::move(out));
      return;
    }
    auto p = ps.back();
    ps.pop_back();
    runner.on_reached(p, dl, [this, ps = std::move(ps), dl, out = std::move(out),
                              done = std::move(done)](bool ok) mutable {
      if (!ok) {
        out.applied = false;
        done(std::move(out));
        return;
      }
      wait_all(std::move(ps), dl, std::move(out), std::move(done));
    });
  }
};

executor::executor(events::event_log& log, std::shared_ptr<projections::projection_store> store,
                   consumers::projection_runner& runner, const clock& clk, executor_options o)
    : impl_(std::make_unique<impl>(log, std::move(store), runner, clk, o)) {}

executor::~executor() { stop(); }

void executor::start() {
  impl_->decider = std::thread([this] { impl_->decide_loop(); });
  impl_->appender = std::thread([this] { impl_->append_loop(); });
}

void executor::stop() {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping && !impl_->decider.joinable()) return;
    impl_->stopping = true;
  }
  impl_->cv_queue.notify_all();
  if (impl_->decider.joinable()) impl_->decider.join();
  impl_->cv_batches.notify_all();
  if (impl_->appender.joinable()) impl_->appender.join();
  // Anything still queued (submitted after stop began) is refused.
  std::deque<impl::queued> left;
  {
    std::lock_guard lk(impl_->mu);
    left.swap(impl_->queue);
  }
  for (auto& q : left) q.done(error_info{errc::closed, "the server is shutting down"});
}

void executor::submit(any_command cmd, actor_info who, done_fn done) {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping) {
      done(error_info{errc::closed, "the server is shutting down"});
      return;
    }
    if (impl_->queue.size() >= impl_->opts.max_queue) {
      done(error_info{errc::unavailable, "too many commands waiting; retry shortly"});
      return;
    }
    impl_->queue.push_back({std::move(cmd), std::move(who), std::move(done)});
  }
  impl_->cv_queue.notify_one();
}

result_msg<outcome> executor::execute(any_command cmd, actor_info who) {
  auto p = std::make_shared<std::promise<result_msg<outcome>>>();
  auto f = p->get_future();
  submit(std::move(cmd), std::move(who), [p](result_msg<outcome> r) { p->set_value(std::move(r)); });
  return f.get();
}

}  // namespace roms::commands
