#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>

namespace roms::metrics {
namespace {

TEST(Metrics, RendersCountersAndGaugesExactly) {
  registry r;
  auto& reqs = r.counter("roms_http_requests_total", "HTTP requests answered.", {"method", "code"});
  reqs.labels({"GET", "200"}).inc();
  reqs.labels({"GET", "200"}).inc(2);
  reqs.labels({"POST", "201"}).inc();
  auto& lag = r.gauge("roms_projection_lag", "Events not yet applied.");
  lag.get().set(12);
  lag.get().dec(2.5);
  EXPECT_EQ(r.render(),
            "# HELP roms_http_requests_total HTTP requests answered.\n"
            "# TYPE roms_http_requests_total counter\n"
            "roms_http_requests_total{method=\"GET\",code=\"200\"} 3\n"
            "roms_http_requests_total{method=\"POST\",code=\"201\"} 1\n"
            "# HELP roms_projection_lag Events not yet applied.\n"
            "# TYPE roms_projection_lag gauge\n"
            "roms_projection_lag 9.5\n");
}

TEST(Metrics, UnlabelledMetricsShowZeroBeforeFirstUse) {
  registry r;
  r.counter("a_total", "A.");
  r.gauge("b", "B.");
  r.counter("c_total", "C.", {"kind"});  // labelled: no sample until a child exists
  EXPECT_EQ(r.render(),
            "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
            "# HELP b B.\n# TYPE b gauge\nb 0\n"
            "# HELP c_total C.\n# TYPE c_total counter\n");
}

TEST(Metrics, RendersHistogramsWithCumulativeBuckets) {
  registry r;
  auto& h =
      r.histogram("roms_http_request_duration_seconds", "Latency.", {0.005, 0.1, 1}, {"route"});
  auto& orders = h.labels({"/api/v1/orders"});
  orders.observe(0.001);
  orders.observe(0.005);  // le is inclusive
  orders.observe(0.05);
  orders.observe(3);
  EXPECT_EQ(r.render(),
            "# HELP roms_http_request_duration_seconds Latency.\n"
            "# TYPE roms_http_request_duration_seconds histogram\n"
            "roms_http_request_duration_seconds_bucket{route=\"/api/v1/orders\",le=\"0.005\"} 2\n"
            "roms_http_request_duration_seconds_bucket{route=\"/api/v1/orders\",le=\"0.1\"} 3\n"
            "roms_http_request_duration_seconds_bucket{route=\"/api/v1/orders\",le=\"1\"} 3\n"
            "roms_http_request_duration_seconds_bucket{route=\"/api/v1/orders\",le=\"+Inf\"} 4\n"
            "roms_http_request_duration_seconds_sum{route=\"/api/v1/orders\"} 3.056\n"
            "roms_http_request_duration_seconds_count{route=\"/api/v1/orders\"} 4\n");
}

TEST(Metrics, UnlabelledHistogram) {
  registry r;
  r.histogram("x_seconds", "X.", {1, 2}).get().observe(1.5);
  EXPECT_EQ(r.render(),
            "# HELP x_seconds X.\n# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"1\"} 0\nx_seconds_bucket{le=\"2\"} 1\n"
            "x_seconds_bucket{le=\"+Inf\"} 1\nx_seconds_sum 1.5\nx_seconds_count 1\n");
}

TEST(Metrics, EscapesHelpAndLabelValues) {
  registry r;
  r.counter("e_total", "Line one\\two\nthree", {"v"}).labels({"a\"b\\c\nd"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP e_total Line one\\\\two\\nthree\n# TYPE e_total counter\n"
            "e_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, CallbacksAreEvaluatedAtRender) {
  registry r;
  double v = 1;
  r.gauge_callback("cb", "Callback.", [&] { return v; });
  r.add_collector(metric_type::gauge, "lag", "Lag per read model.", {"model"}, [] {
    return std::vector<sample>{{{"orders"}, 3}, {{"customers"}, 0}};
  });
  r.counter_callback("cpu_total", "CPU.", [] { return 0.25; });
  v = 7;
  EXPECT_EQ(r.render(),
            "# HELP cb Callback.\n# TYPE cb gauge\ncb 7\n"
            "# HELP cpu_total CPU.\n# TYPE cpu_total counter\ncpu_total 0.25\n"
            "# HELP lag Lag per read model.\n# TYPE lag gauge\n"
            "lag{model=\"orders\"} 3\nlag{model=\"customers\"} 0\n");
  EXPECT_TRUE(r.remove("cb"));
  EXPECT_FALSE(r.remove("cb"));
  EXPECT_EQ(r.render().find("# HELP cb "), std::string::npos);
}

TEST(Metrics, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(1e15), "1e+15");
  EXPECT_EQ(format_value(123456789012), "123456789012");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(2.5e-7), "2.5e-07");
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_value(NAN), "NaN");
}

TEST(Metrics, RegisteringTwiceReturnsTheSameFamilyOrThrows) {
  registry r;
  auto& a = r.counter("x_total", "X.", {"k"});
  EXPECT_EQ(&a, &r.counter("x_total", "X again.", {"k"}));
  EXPECT_THROW(r.counter("x_total", "X.", {"other"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("x_total", "X."), std::invalid_argument);
  EXPECT_THROW(r.counter("bad-name", "B."), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "B.", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "H.", {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "H.", {1}, {"le"}), std::invalid_argument);
  EXPECT_THROW(a.labels({"1", "2"}), std::invalid_argument);
}

TEST(Metrics, CountsFromManyThreads) {
  registry r;
  auto& c = r.counter("n_total", "N.").get();
  auto& h = r.histogram("h", "H.", default_buckets()).get();
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.5);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.value(), 40000u);
  auto s = h.snap();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 20000);
}

TEST(Metrics, ProcessMetrics) {
  registry r;
  register_process_metrics(r);
  register_process_metrics(r);  // idempotent
  auto text = r.render();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"}) {
    auto at = text.find(std::string("\n") + name + " ");
    ASSERT_NE(at, std::string::npos) << name;
    double v = std::stod(text.substr(at + std::strlen(name) + 2));
    EXPECT_GT(v, 0) << name;
  }
  // The start time is a plausible epoch time (after 2020).
  auto at = text.find("\nprocess_start_time_seconds ");
  EXPECT_GT(std::stod(text.substr(at + 28)), 1.58e9);
}

}  // namespace
}  // namespace roms::metrics
