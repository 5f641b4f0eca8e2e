// A small Prometheus registry (prometheus-cpp is not packaged): counters, gauges and
// histograms with labels, callback metrics evaluated at scrape time, and render() to the
// text exposition format 0.0.4 served on GET /metrics.
//
//   auto& reqs = reg.counter("roms_http_requests_total", "HTTP answers by status.", {"code"});
//   auto& ok = reqs.labels({"200"});        // look up once (takes a lock) ...
//   ok.inc();                               // ... then the hot path is one relaxed atomic add
//   auto& lat = reg.histogram("roms_http_request_duration_seconds", "Latency.",
//                             metrics::default_buckets()).get();
//   lat.observe(0.0012);
//   reg.gauge_callback("roms_log_end_position", "Next log position.", [&] { return pos(); });
//   std::string text = reg.render();        // Content-Type: metrics::content_type
//
// Thread-safety: everything is safe to call from any thread. Registering or looking up a
// labelled child takes a mutex; inc/set/observe on a child are lock-free. Children live
// as long as the registry, so references to them stay valid.
//
// Registering a name twice with the same type and label names returns the first family;
// anything else that is a programmer error (a conflicting registration, an invalid name,
// the wrong number of label values, unsorted buckets) throws std::invalid_argument.
//
// register_process_metrics() reads /proc at scrape time: the only I/O in core, and only
// when render() runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace roms::metrics {

inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

class counter {
 public:
  void inc(uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class gauge {
 public:
  void set(double v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void inc(double d = 1) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  void dec(double d = 1) noexcept { v_.fetch_sub(d, std::memory_order_relaxed); }
  double value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class histogram {
 public:
  // `bounds`: the upper bounds of the buckets, strictly increasing and finite; the +Inf
  // bucket is implicit.
  explicit histogram(std::vector<double> bounds);

  // Counts `v` in the first bucket whose bound is >= v (Prometheus `le` semantics).
  void observe(double v) noexcept;

  struct snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  snapshot snap() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

// Prometheus' default buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 (seconds).
std::vector<double> default_buckets();
// `count` buckets: start, start*factor, start*factor^2, ...
std::vector<double> exponential_buckets(double start, double factor, int count);

// A metric name with its help, label names and one child per distinct label values.
template <class Metric>
class family {
 public:
  // The child for these label values (as many as label names), created on first use.
  Metric& labels(std::initializer_list<std::string_view> values);
  Metric& labels(const std::vector<std::string>& values);
  // The child of a family without labels.
  Metric& get() { return labels(std::initializer_list<std::string_view>{}); }

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Internal: use registry::counter()/gauge()/histogram().
  family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets);
  void render(std::string& out) const;

 private:
  Metric& child(std::vector<std::string> values);

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;  // histograms only
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

enum class metric_type { counter, gauge };

// One sample of a callback metric.
struct sample {
  std::vector<std::string> label_values;
  double value = 0;
};

class registry {
 public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  family<metrics::counter>& counter(std::string name, std::string help,
                                    std::vector<std::string> label_names = {});
  family<metrics::gauge>& gauge(std::string name, std::string help,
                                std::vector<std::string> label_names = {});
  family<metrics::histogram>& histogram(std::string name, std::string help,
                                        std::vector<double> buckets,
                                        std::vector<std::string> label_names = {});

  // A metric without labels whose value `fn` computes at each render(). `fn` runs under the
  // registry's lock: keep it quick and do not call back into the registry.
  void gauge_callback(std::string name, std::string help, std::function<double()> fn);
  void counter_callback(std::string name, std::string help, std::function<double()> fn);
  // A labelled callback metric: `fn` returns all its samples at each render().
  void add_collector(metric_type type, std::string name, std::string help,
                     std::vector<std::string> label_names, std::function<std::vector<sample>()> fn);

  // Removes a metric (e.g. a callback capturing an object that is going away). True if it
  // existed. References to a removed family's children dangle afterwards.
  bool remove(std::string_view name);

  // The text exposition format 0.0.4, metrics sorted by name, children by label values.
  std::string render() const;

 private:
  struct entry;
  entry& insert(std::string name, entry e);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<entry>, std::less<>> entries_;
};

// The process-wide registry served by GET /metrics.
registry& default_registry();

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_start_time_seconds, process_open_fds, process_max_fds (Linux, from /proc and
// getrusage), as the Prometheus client libraries name them. Idempotent per registry.
void register_process_metrics(registry& r);

// Formatting used by render(), exposed for tests: integers without a fraction, otherwise
// the shortest representation that reads back to the same double; "+Inf", "-Inf", "NaN".
std::string format_value(double v);

}  // namespace roms::metrics
