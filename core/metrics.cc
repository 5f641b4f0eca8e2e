#include "core/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace roms::metrics {
namespace {

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || n.starts_with("__")) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void check_names(const std::string& name, const std::vector<std::string>& labels, bool histogram) {
  if (!valid_metric_name(name)) throw std::invalid_argument("invalid metric name: " + name);
  for (const auto& l : labels) {
    if (!valid_label_name(l) || (histogram && l == "le"))
      throw std::invalid_argument("invalid label name '" + l + "' for metric " + name);
  }
}

void append_help(std::string& out, std::string_view name, std::string_view help,
                 std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
}

// name{l1="v1",l2="v2"[,extra_name="extra_value"]}
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& label_names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  if (label_names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < label_names.size() && i < values.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += label_names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, r.ptr);
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

template <class Metric>
constexpr std::string_view type_name() {
  if constexpr (std::is_same_v<Metric, counter>)
    return "counter";
  else if constexpr (std::is_same_v<Metric, gauge>)
    return "gauge";
  else
    return "histogram";
}

}  // namespace

std::string format_value(double v) {
  std::string out;
  append_double(out, v);
  return out;
}

// --- histogram ---------------------------------------------------------------------------

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i] > bounds_[i - 1])))
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
  // A linear scan beats binary search for the usual dozen buckets.
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

histogram::snapshot histogram::snap() const {
  snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(total);
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  if (start <= 0 || factor <= 1 || count < 1)
    throw std::invalid_argument("exponential_buckets: start > 0, factor > 1, count >= 1");
  std::vector<double> b;
  b.reserve(static_cast<size_t>(count));
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) b.push_back(v);
  return b;
}

// --- family ------------------------------------------------------------------------------

template <class Metric>
family<Metric>::family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {}

template <class Metric>
Metric& family<Metric>::labels(std::initializer_list<std::string_view> values) {
  std::vector<std::string> v;
  v.reserve(values.size());
  for (auto s : values) v.emplace_back(s);
  return child(std::move(v));
}

template <class Metric>
Metric& family<Metric>::labels(const std::vector<std::string>& values) {
  return child(values);
}

template <class Metric>
Metric& family<Metric>::child(std::vector<std::string> values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("metric " + name_ + ": expected " +
                                std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(values.size()));
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<Metric> m;
  if constexpr (std::is_same_v<Metric, histogram>)
    m = std::make_unique<Metric>(buckets_);
  else
    m = std::make_unique<Metric>();
  return *children_.emplace(std::move(values), std::move(m)).first->second;
}

template <class Metric>
void family<Metric>::render(std::string& out) const {
  append_help(out, name_, help_, type_name<Metric>());
  std::lock_guard lock(mu_);
  for (const auto& [values, m] : children_) {
    if constexpr (std::is_same_v<Metric, counter>) {
      append_series(out, name_, "", label_names_, values);
      out += ' ';
      append_uint(out, m->value());
      out += '\n';
    } else if constexpr (std::is_same_v<Metric, gauge>) {
      append_series(out, name_, "", label_names_, values);
      out += ' ';
      append_double(out, m->value());
      out += '\n';
    } else {
      auto s = m->snap();
      const auto& bounds = m->bounds();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
        append_series(out, name_, "_bucket", label_names_, values, "le", le);
        out += ' ';
        append_uint(out, s.cumulative[i]);
        out += '\n';
      }
      append_series(out, name_, "_sum", label_names_, values);
      out += ' ';
      append_double(out, s.sum);
      out += '\n';
      append_series(out, name_, "_count", label_names_, values);
      out += ' ';
      append_uint(out, s.count);
      out += '\n';
    }
  }
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

// --- registry ----------------------------------------------------------------------------

struct registry::entry {
  enum class kind { counter, gauge, histogram, callback } k;
  std::unique_ptr<family<metrics::counter>> c;
  std::unique_ptr<family<metrics::gauge>> g;
  std::unique_ptr<family<metrics::histogram>> h;
  // callback metrics
  metric_type cb_type = metric_type::gauge;
  std::string help;
  std::vector<std::string> label_names;
  std::function<std::vector<sample>()> collect;
};

registry::registry() = default;
registry::~registry() = default;

family<metrics::counter>& registry::counter(std::string name, std::string help,
                                            std::vector<std::string> label_names) {
  check_names(name, label_names, false);
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(name); it != entries_.end()) {
    if (it->second->k != entry::kind::counter || it->second->c->label_names() != label_names)
      throw std::invalid_argument("metric registered twice with different shapes: " + name);
    return *it->second->c;
  }
  auto e = std::make_unique<entry>();
  e->k = entry::kind::counter;
  e->c = std::make_unique<family<metrics::counter>>(name, std::move(help), label_names,
                                                    std::vector<double>{});
  auto& f = *e->c;
  entries_.emplace(std::move(name), std::move(e));
  if (label_names.empty()) f.get();  // an unlabelled metric shows 0 before its first use
  return f;
}

family<metrics::gauge>& registry::gauge(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  check_names(name, label_names, false);
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(name); it != entries_.end()) {
    if (it->second->k != entry::kind::gauge || it->second->g->label_names() != label_names)
      throw std::invalid_argument("metric registered twice with different shapes: " + name);
    return *it->second->g;
  }
  auto e = std::make_unique<entry>();
  e->k = entry::kind::gauge;
  e->g = std::make_unique<family<metrics::gauge>>(name, std::move(help), label_names,
                                                  std::vector<double>{});
  auto& f = *e->g;
  entries_.emplace(std::move(name), std::move(e));
  if (label_names.empty()) f.get();
  return f;
}

family<metrics::histogram>& registry::histogram(std::string name, std::string help,
                                                std::vector<double> buckets,
                                                std::vector<std::string> label_names) {
  check_names(name, label_names, true);
  metrics::histogram probe(buckets);  // validates the bounds before anything is registered
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(name); it != entries_.end()) {
    if (it->second->k != entry::kind::histogram || it->second->h->label_names() != label_names)
      throw std::invalid_argument("metric registered twice with different shapes: " + name);
    return *it->second->h;
  }
  auto e = std::make_unique<entry>();
  e->k = entry::kind::histogram;
  e->h = std::make_unique<family<metrics::histogram>>(name, std::move(help), label_names,
                                                      std::move(buckets));
  auto& f = *e->h;
  entries_.emplace(std::move(name), std::move(e));
  if (label_names.empty()) f.get();
  return f;
}

void registry::gauge_callback(std::string name, std::string help, std::function<double()> fn) {
  add_collector(metric_type::gauge, std::move(name), std::move(help), {}, [fn = std::move(fn)] {
    return std::vector<sample>{{{}, fn()}};
  });
}

void registry::counter_callback(std::string name, std::string help, std::function<double()> fn) {
  add_collector(metric_type::counter, std::move(name), std::move(help), {}, [fn = std::move(fn)] {
    return std::vector<sample>{{{}, fn()}};
  });
}

void registry::add_collector(metric_type type, std::string name, std::string help,
                             std::vector<std::string> label_names,
                             std::function<std::vector<sample>()> fn) {
  check_names(name, label_names, false);
  auto e = std::make_unique<entry>();
  e->k = entry::kind::callback;
  e->cb_type = type;
  e->help = std::move(help);
  e->label_names = std::move(label_names);
  e->collect = std::move(fn);
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    // A callback may be replaced (e.g. a component restarted); a family may not.
    if (it->second->k != entry::kind::callback)
      throw std::invalid_argument("metric registered twice with different shapes: " + name);
    it->second = std::move(e);
    return;
  }
  entries_.emplace(std::move(name), std::move(e));
}

bool registry::remove(std::string_view name) {
  std::unique_ptr<entry> gone;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return false;
  gone = std::move(it->second);
  entries_.erase(it);
  return true;
}

std::string registry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, e] : entries_) {
    switch (e->k) {
      case entry::kind::counter:
        e->c->render(out);
        break;
      case entry::kind::gauge:
        e->g->render(out);
        break;
      case entry::kind::histogram:
        e->h->render(out);
        break;
      case entry::kind::callback: {
        append_help(out, name, e->help, e->cb_type == metric_type::counter ? "counter" : "gauge");
        for (const auto& s : e->collect()) {
          append_series(out, name, "", e->label_names, s.label_values);
          out += ' ';
          append_double(out, s.value);
          out += '\n';
        }
        break;
      }
    }
  }
  return out;
}

registry& default_registry() {
  static registry* r = new registry();  // never destroyed: scrapes may race process exit
  return *r;
}

// --- process metrics ---------------------------------------------------------------------

namespace {

// Fields of /proc/self/statm: size resident shared text lib data dt (pages).
bool read_statm(uint64_t& vsize_pages, uint64_t& rss_pages) {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return false;
  unsigned long long v = 0, r = 0;
  int n = std::fscanf(f, "%llu %llu", &v, &r);
  std::fclose(f);
  if (n != 2) return false;
  vsize_pages = v;
  rss_pages = r;
  return true;
}

double page_size() {
  static const double p = static_cast<double>(::sysconf(_SC_PAGESIZE));
  return p;
}

// Seconds since the epoch at which this process started: boot time (btime in /proc/stat)
// plus the start time in clock ticks (field 22 of /proc/self/stat).
double read_start_time() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (!std::getline(stat, line)) return 0;
  // The command name (field 2) is in parentheses and may contain spaces: skip past ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  // Fields 3..22: rest starts at field 3, so the start time is the 20th token.
  unsigned long long start_ticks = 0;
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return 0;
    if (i == 22) start_ticks = std::stoull(field);
  }
  std::ifstream proc_stat("/proc/stat");
  unsigned long long btime = 0;
  while (std::getline(proc_stat, line)) {
    if (line.rfind("btime ", 0) == 0) {
      btime = std::stoull(line.substr(6));
      break;
    }
  }
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return static_cast<double>(btime) + static_cast<double>(start_ticks) / ticks;
}

double cpu_seconds() {
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n > 0 ? n - 1 : 0;  // minus the descriptor of the directory being listed
}

double max_fds() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  return rl.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(rl.rlim_cur);
}

}  // namespace

void register_process_metrics(registry& r) {
  r.counter_callback("process_cpu_seconds_total",
                     "Total user and system CPU time spent in seconds.", cpu_seconds);
  r.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.", [] {
    uint64_t v = 0, rss = 0;
    return read_statm(v, rss) ? static_cast<double>(rss) * page_size() : 0.0;
  });
  r.gauge_callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", [] {
    uint64_t v = 0, rss = 0;
    return read_statm(v, rss) ? static_cast<double>(v) * page_size() : 0.0;
  });
  static const double start = read_start_time();
  r.gauge_callback("process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.", [] { return start; });
  r.gauge_callback("process_open_fds", "Number of open file descriptors.", open_fds);
  r.gauge_callback("process_max_fds", "Maximum number of open file descriptors.", max_fds);
}

}  // namespace roms::metrics
