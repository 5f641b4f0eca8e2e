// Test fixtures for the projection engine: small projections with known folds, an in-memory
// multi-partition event_log (Kafka-like partitioning without a broker) and event builders.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/errc.h"
#include "events/log.h"
#include "events/payload.h"
#include "projections/projection.h"
#include "projections/store.h"

namespace roms::testing {

// kv.set {"k","v"} / kv.del {"k"} — the projection writes k → v, and keeps per-stream counts.
struct kv_set {
  static constexpr std::string_view kType = "kv.set";
  static constexpr uint32_t kVersion = 1;
  std::string k, v;
  template <class V>
  void fields(V& x) { x("k", k); x("v", v); }
};
struct kv_del {
  static constexpr std::string_view kType = "kv.del";
  static constexpr uint32_t kVersion = 1;
  std::string k;
  template <class V>
  void fields(V& x) { x("k", k); }
};

inline events::envelope make_event(std::string type, std::string stream, std::string payload,
                                   int64_t time_us, std::string id) {
  events::envelope e;
  e.id = std::move(id);
  e.type = std::move(type);
  e.stream = std::move(stream);
  e.time = from_micros(time_us);
  e.actor = "test";
  e.payload = std::move(payload);
  return e;
}

// Values: "k=v" per key (last write per key wins: keys are per stream so ordering is total).
// Count per stream: "n/<stream>" (a sum: converges across partitions).
// With `scale` (version 2 in tests) values are written twice ("vv") to model a changed fold.
class kv_projection final : public projections::projection {
 public:
  explicit kv_projection(std::string name = "kv", uint32_t version = 1)
      : name_(std::move(name)), version_(version) {}
  std::string_view name() const override { return name_; }
  uint32_t version() const override { return version_; }
  bool wants(std::string_view type) const override {
    return type == "kv.set" || type == "kv.del" || type == "poison";
  }
  result_msg<void> apply(const events::stored_event& e, projections::fold_context& ctx) override {
    if (e.event.type == "poison") {
      return error_info{make_error_code(errc::invalid_argument), "poisoned event"};
    }
    std::string nkey = "n/" + e.event.stream;
    auto n = ctx.get(nkey);
    ctx.put(nkey, std::to_string((n ? std::stoll(*n) : 0) + 1));
    if (e.event.type == "kv.set") {
      auto p = events::decode_payload<kv_set>(e.event.payload);
      if (!p) return p.error();
      ctx.put("k/" + p.value().k, version_ >= 2 ? p.value().v + p.value().v : p.value().v);
    } else {
      auto p = events::decode_payload<kv_del>(e.event.payload);
      if (!p) return p.error();
      ctx.del("k/" + p.value().k);
    }
    return success();
  }

 private:
  std::string name_;
  uint32_t version_;
};

// Counts every event by type ("t/<type>", a sum) and per stream and type
// ("s/<stream>/<type>"); every 97th offset it re-derives "total/<stream>" by scanning the
// stream's counters: exercises get/put and scan over the batch overlay. Converges across
// partitions: every derived value depends on one stream's events only.
class count_projection final : public projections::projection {
 public:
  std::string_view name() const override { return "counts"; }
  uint32_t version() const override { return 1; }
  bool wants(std::string_view type) const override { return type != "poison"; }
  result_msg<void> apply(const events::stored_event& e, projections::fold_context& ctx) override {
    bump(ctx, "t/" + e.event.type);
    std::string prefix = "s/" + e.event.stream + "/";
    bump(ctx, prefix + e.event.type);
    if (e.position.offset % 97 == 0) {
      int64_t total = 0;
      std::string end = prefix;
      end.back() = '0';  // '/' + 1
      ctx.scan(prefix, end, [&](std::string_view, std::string_view v) {
        total += std::stoll(std::string(v));
        return true;
      });
      ctx.put("total/" + e.event.stream, std::to_string(total));
    }
    return success();
  }

 private:
  static void bump(projections::fold_context& ctx, const std::string& key) {
    auto n = ctx.get(key);
    ctx.put(key, std::to_string((n ? std::stoll(*n) : 0) + 1));
  }
};

inline std::vector<std::shared_ptr<projections::projection>> test_models(uint32_t kv_version = 1) {
  return {std::make_shared<kv_projection>("kv", kv_version), std::make_shared<count_projection>()};
}

// n events over `streams` streams: mostly kv.set of 1000 keys per stream, some kv.del.
inline std::vector<events::envelope> make_events(size_t n, uint64_t seed, int streams = 16,
                                                 int64_t t0_us = 1'700'000'000'000'000,
                                                 const std::string& id_prefix = "e") {
  std::mt19937_64 rng(seed);
  std::vector<events::envelope> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    int s = static_cast<int>(rng() % static_cast<uint64_t>(streams));
    std::string stream = "s" + std::to_string(s);
    std::string key = stream + "." + std::to_string(rng() % 1000);
    std::string id = id_prefix + std::to_string(seed) + "-" + std::to_string(i);
    int64_t t = t0_us + static_cast<int64_t>(i) * 1000;
    if (rng() % 10 == 0) {
      out.push_back(make_event("kv.del", stream, events::encode_payload(kv_del{key}), t, id));
    } else {
      out.push_back(make_event("kv.set", stream,
                               events::encode_payload(kv_set{key, std::to_string(rng() % 100000)}),
                               t, id));
    }
  }
  return out;
}

// An in-memory event_log with `partitions` partitions (stream hash), blocking reads.
class memory_log final : public events::event_log {
 public:
  explicit memory_log(int32_t partitions = 1) : parts_(static_cast<size_t>(partitions)) {}

  result<std::vector<events::append_result>> append(std::span<const events::envelope> evs) override {
    std::vector<events::append_result> out;
    {
      std::lock_guard lk(mu_);
      for (const auto& e : evs) {
        if (auto it = ids_.find(e.id); it != ids_.end()) {
          out.push_back({it->second, true});
          continue;
        }
        int32_t p = partition_for(e.stream);
        auto& part = parts_[static_cast<size_t>(p)];
        events::log_position pos{p, static_cast<int64_t>(part.size())};
        part.push_back(events::stored_event{pos, e});
        ids_[e.id] = pos;
        out.push_back({pos, false});
      }
    }
    cv_.notify_all();
    return out;
  }
  int32_t partitions() const override { return static_cast<int32_t>(parts_.size()); }
  int32_t partition_for(std::string_view stream) const override {
    return static_cast<int32_t>(std::hash<std::string_view>{}(stream) % parts_.size());
  }
  result<events::log_stats> stats() override {
    std::lock_guard lk(mu_);
    events::log_stats s;
    s.partitions = partitions();
    for (auto& p : parts_) s.end_offsets.push_back(static_cast<int64_t>(p.size()));
    s.backend = "memory";
    return s;
  }
  result<std::unique_ptr<events::log_reader>> open_reader(std::vector<int64_t> from,
                                                          std::vector<int32_t> wanted) override {
    from.resize(parts_.size(), 0);
    if (wanted.empty())
      for (int32_t p = 0; p < partitions(); ++p) wanted.push_back(p);
    return std::unique_ptr<events::log_reader>(new reader(*this, std::move(from), std::move(wanted)));
  }
  result<std::vector<int64_t>> offsets_after_time(timestamp t) override {
    std::lock_guard lk(mu_);
    std::vector<int64_t> out;
    for (auto& p : parts_) {
      int64_t o = static_cast<int64_t>(p.size());
      for (size_t i = 0; i < p.size(); ++i)
        if (p[i].event.time > t) {
          o = static_cast<int64_t>(i);
          break;
        }
      out.push_back(o);
    }
    return out;
  }

 private:
  class reader final : public events::log_reader {
   public:
    reader(memory_log& l, std::vector<int64_t> from, std::vector<int32_t> wanted)
        : log_(l), next_(std::move(from)), wanted_(std::move(wanted)) {}
    result<std::vector<events::stored_event>> read(size_t max, std::chrono::milliseconds wait) override {
      std::unique_lock lk(log_.mu_);
      auto avail = [&] {
        for (int32_t p : wanted_)
          if (next_[static_cast<size_t>(p)] < static_cast<int64_t>(log_.parts_[static_cast<size_t>(p)].size()))
            return true;
        return false;
      };
      log_.cv_.wait_for(lk, wait, avail);
      std::vector<events::stored_event> out;
      // Round-robin in chunks of 7 so partitions interleave like a consumer's fetches.
      bool progress = true;
      while (out.size() < max && progress) {
        progress = false;
        for (int32_t p : wanted_) {
          auto& part = log_.parts_[static_cast<size_t>(p)];
          auto& nx = next_[static_cast<size_t>(p)];
          for (int k = 0; k < 7 && out.size() < max && nx < static_cast<int64_t>(part.size()); ++k) {
            out.push_back(part[static_cast<size_t>(nx++)]);
            progress = true;
          }
        }
      }
      return out;
    }
    std::vector<int64_t> next_offsets() const override { return next_; }

   private:
    memory_log& log_;
    std::vector<int64_t> next_;
    std::vector<int32_t> wanted_;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::vector<events::stored_event>> parts_;
  std::map<std::string, events::log_position> ids_;
};

}  // namespace roms::testing
