// A seeded, reproducible synthetic event stream for benchmarks and demo data: an Indonesian
// online shop's orders, customers, products and stock moves, with a clock.ticked event every
// simulated minute, as envelopes of the domain event types (events/types.h).
//
//   tools::gen::generator g({.seed = 7, .events = 1'000'000});
//   while (true) {
//     auto batch = g.next(10000);          // time-ordered, exactly `events` in total
//     if (batch.empty()) break;
//     log->append(batch);
//   }
//
// The same options always give the same events, ids included (UUIDv7-shaped ids derived from
// the simulated time and the seed), so two runs can be compared by digest.
//
// What it simulates (per simulated minute, in the shop's time zone, WIB = UTC+7):
//  - orders arrive as a Poisson process whose rate follows the hour of day (quiet at night,
//    peaks at lunch and 19–22h), weekends busier, a Ramadan-like month busier still;
//  - ~45 % of orders come from returning customers (heavy-tailed: a few buy often), the rest
//    from new customers registered just before their first order (phones +628…, cities and
//    provinces of Indonesia, names like "Budi Santoso", some typed as "budi123");
//  - 1–4 items from a catalogue of `products` products (popularity is skewed), IDR prices;
//    channels (whatsapp, web, marketplace, shopify, …) and payment methods in realistic shares;
//  - status progressions pending → processed → shipped → delivered over hours and days, about
//    7 % cancelled before shipping;
//  - stock: an initial receipt per product, restocks when on-hand falls below the minimum,
//    occasional transfers between warehouses and damage adjustments;
//  - occasional renames ("budi123" → "Budi Santoso"), contact updates and price changes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/time.h"
#include "events/envelope.h"

namespace roms::tools::gen {

struct gen_options {
  // Default: 42.
  uint64_t seed = 42;
  // Events to produce in total (the stream stops exactly there). Default: 1,000,000.
  uint64_t events = 1'000'000;
  // Simulated start. Default: 2026-01-01T00:00:00+07:00.
  timestamp start = from_micros(1'767'200'400'000'000);
  // Catalogue size. Default: 300.
  int products = 300;
  // Extra warehouses besides "main". Default: 2.
  int warehouses = 2;
  // Mean orders per simulated minute at the daily average (the hour-of-day curve and
  // weekends modulate it). Default: 6.
  double orders_per_minute = 6.0;
  // Emit clock.ticked every simulated minute. Default: true.
  bool clock_ticks = true;
};

class generator {
 public:
  explicit generator(gen_options o = {});
  ~generator();
  generator(generator&&) noexcept;
  generator& operator=(generator&&) noexcept;

  // The next up to `max` events in time order; empty once `events` have been produced.
  std::vector<events::envelope> next(size_t max);

  uint64_t produced() const;
  // The simulated time of the last event produced.
  timestamp now() const;

  struct counts {
    uint64_t orders = 0, cancelled = 0, delivered = 0, customers = 0, ticks = 0, stock_moves = 0;
  };
  counts stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace roms::tools::gen
