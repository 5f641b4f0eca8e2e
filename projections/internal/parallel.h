// A tiny fork-join helper: runs f(0..n-1) on up to `threads` threads (the caller's included),
// handing out indices in the order given. Private to projections/.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "core/thread_name.h"

namespace roms::projections::internal {

template <class F>
void parallel_for(size_t n, size_t threads, F&& f) {
  threads = std::min(threads, n);
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) f(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t)
    pool.emplace_back([&work] {
      set_thread_name("roms-fold");
      work();
    });
  work();
  for (auto& t : pool) t.join();
}

}  // namespace roms::projections::internal
