// roms projections status | rebuild | digest, and roms restore.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "consumers/runner.h"
#include "events/json_writer.h"
#include "events/payload.h"
#include "projections/read_models.h"
#include "projections/store.h"
#include "tools/admin.h"
#include "tools/cli.h"

namespace roms::tools {
namespace {

// A one-line progress bar on stderr with rate and ETA (only on a terminal; otherwise a line
// every few seconds so logs stay readable).
class progress_bar {
 public:
  explicit progress_bar(std::string label) : label_(std::move(label)), tty_(::isatty(2)) {}
  void update(uint64_t done, uint64_t total, double rate) {
    auto now = std::chrono::steady_clock::now();
    if (!tty_ && now - last_ < std::chrono::seconds(3) && done < total) return;
    if (tty_ && now - last_ < std::chrono::milliseconds(100) && done < total) return;
    last_ = now;
    double frac =
        total ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 1.0;
    int width = 30, filled = static_cast<int>(std::lround(frac * width));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    double eta = rate > 0 && total > done ? static_cast<double>(total - done) / rate : 0;
    char line[256];
    std::snprintf(line, sizeof line, "%s [%s] %3.0f%% %llu/%llu  %.0f ev/s  ETA %.0fs",
                  label_.c_str(), bar.c_str(), frac * 100, static_cast<unsigned long long>(done),
                  static_cast<unsigned long long>(total), rate, eta);
    std::cerr << (tty_ ? "\r" : "") << line << (tty_ ? "" : "\n") << std::flush;
    drawn_ = true;
  }
  void finish() {
    if (drawn_ && tty_) std::cerr << "\n";
  }

 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

std::vector<std::shared_ptr<projections::projection>> models(const log_options& o) {
  std::vector<std::shared_ptr<projections::projection>> v;
  for (auto& p : projections::make_read_models(single_partition(o))) v.push_back(std::move(p));
  return v;
}

struct progress_part {
  uint64_t done = 0, total = 0;
  double rate = 0;
  template <class V>
  void fields(V& v) {
    v("done", done);
    v("total", total);
    v("rate", rate);
  }
};
struct progress_line {
  std::optional<progress_part> progress;
  template <class V>
  void fields(V& v) {
    v("progress", progress);
  }
};

struct names_args {
  log_options log;
  std::vector<std::string> names;
  bool json = false;
};

int run_status(const names_args& a) {
  projections::store_options so;
  so.read_only = true;
  auto st = projections::projection_store::open(a.log.data_dir, models(a.log), so);
  if (!st) return fail("cannot open the read models: " + st.error().message);
  std::vector<int64_t> end;
  if (auto log = open_log(a.log, /*read_only=*/true)) {
    if (auto s = log.value()->stats()) end = s.value().end_offsets;
  }
  const bool single = single_partition(a.log);
  events::json_writer w;
  w.begin_array();
  for (const auto& i : st.value()->info()) {
    if (!a.names.empty() && std::find(a.names.begin(), a.names.end(), i.name) == a.names.end())
      continue;
    int64_t lag = 0;
    for (size_t p = 0; p < end.size(); ++p)
      lag += end[p] - (p < i.position.size() ? i.position[p] : 0);
    if (a.json) {
      w.begin_object()
          .field("name", i.name)
          .field("version", i.code_version)
          .field("stored_version", i.stored_version)
          .field("position", format_positions(i.position, single))
          .field("lag", lag)
          .field("stale", i.stale())
          .field("bytes", i.approximate_bytes)
          .end_object();
    } else {
      std::cout << i.name << "  v" << i.code_version
                << (i.stale() ? " (stale: rebuild needed)" : "") << "  position "
                << format_positions(i.position, single) << "  lag " << lag << "  ~"
                << i.approximate_bytes / 1024 << " KiB\n";
    }
  }
  w.end_array();
  if (a.json) std::cout << w.str() << "\n";
  return 0;
}

int run_digest(const names_args& a) {
  projections::store_options so;
  so.read_only = true;
  auto st = projections::projection_store::open(a.log.data_dir, models(a.log), so);
  if (!st) return fail("cannot open the read models: " + st.error().message);
  for (const auto& i : st.value()->info()) {
    if (!a.names.empty() && std::find(a.names.begin(), a.names.end(), i.name) == a.names.end())
      continue;
    auto d = st.value()->digest(i.name);
    if (!d) return fail("digest of " + i.name + ": " + d.error().message);
    std::cout << i.name << " " << d.value() << "\n";
  }
  return 0;
}

struct rebuild_args : names_args {
  uint64_t memory_mb = projections::store_options{}.bulk_memory_bytes >> 20;
};

int run_rebuild(const rebuild_args& a) {
  progress_bar bar("rebuild");
  if (a.log.backend == "embedded") {
    // A running server owns the store: ask it, and show its progress.
    events::json_writer w;
    w.begin_object().field("cmd", "projections.rebuild").key("names").begin_array();
    for (auto& n : a.names) w.value(n);
    w.end_array().end_object();
    auto answer = admin_call_if_running(a.log.data_dir, w.str(), [&](std::string_view line) {
      auto pl = events::decode_payload<progress_line>(line);
      if (pl && pl.value().progress)
        bar.update(pl.value().progress->done, pl.value().progress->total,
                   pl.value().progress->rate);
    });
    if (answer) {
      bar.finish();
      if (!answer->ok) return fail("rebuild failed: " + answer->error);
      std::cerr << "rebuilt (by the running server)\n";
      return 0;
    }
  }
  auto log = open_log(a.log, /*read_only=*/true);
  if (!log) return fail(log.error().message);
  projections::store_options so;
  so.bulk_memory_bytes = a.memory_mb << 20;
  auto st = projections::projection_store::open(a.log.data_dir, models(a.log), so);
  if (!st) return fail("cannot open the read models: " + st.error().message);
  consumers::projection_runner runner(st.value(), *log.value());
  auto r =
      runner.rebuild(a.names, [&](uint64_t d, uint64_t t, double rate) { bar.update(d, t, rate); });
  bar.finish();
  if (!r) return fail("rebuild failed: " + r.error().message);
  std::cerr << "rebuilt\n";
  return 0;
}

struct restore_args {
  log_options log;
  std::string at;
  std::string into;
};

int run_restore(const restore_args& a) {
  auto log = open_log(a.log, /*read_only=*/true);
  if (!log) return fail(log.error().message);
  consumers::restore_options o;
  o.source_data_dir = a.log.data_dir;
  o.into = a.into;
  if (auto t = parse_rfc3339(a.at)) {
    o.at_time = *t;
  } else if (single_partition(a.log) && a.at.find(':') == std::string::npos) {
    auto p = events::parse_position(a.at);
    if (!p) return fail("--at: '" + a.at + "' is neither an RFC 3339 time nor a position");
    o.before = std::vector<int64_t>{p->offset};
  } else {
    return fail("--at: on Kafka give a time (RFC 3339), e.g. 2026-11-24T10:00:00+07:00");
  }
  progress_bar bar("restore");
  o.progress = [&](uint64_t d, uint64_t t, double r) { bar.update(d, t, r); };
  auto r = consumers::restore(*log.value(), models(a.log), o);
  bar.finish();
  if (!r) return fail("restore failed: " + r.error().message);
  std::cerr << "restored into " << a.into << ": " << r.value().events_folded << " events folded"
            << (r.value().checkpoint ? " from checkpoint " + std::to_string(*r.value().checkpoint)
                                     : std::string(" from the start"))
            << " in " << r.value().seconds << " s\n"
            << "serve it: roms serve --data " << a.into << " --read-only --listen 127.0.0.1:8081\n";
  return 0;
}

}  // namespace

void register_projection_commands(CLI::App& app) {
  auto* p = app.add_subcommand("projections", "Read models: lag, rebuild, digests");
  p->require_subcommand(1);

  auto st = std::make_shared<names_args>();
  auto* s = p->add_subcommand("status", "Position and lag of each read model");
  add_log_options(s, st->log);
  s->add_option("names", st->names, "Read models (default: all)");
  s->add_flag("--json", st->json, "Print JSON");
  s->final_callback([st] { std::exit(run_status(*st)); });

  auto rb = std::make_shared<rebuild_args>();
  auto* r = p->add_subcommand(
      "rebuild", "Fold the log from the start into fresh read models, then switch atomically");
  add_log_options(r, rb->log);
  r->add_option("names", rb->names, "Read models (default: all)");
  r->add_option("--memory-mb", rb->memory_mb,
                "What the rebuild may hold in memory before writing SST files, in MiB (more: "
                "faster on big logs). On a running server, its --rebuild-memory-mb applies")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))
      ->capture_default_str();
  r->final_callback([rb] { std::exit(run_rebuild(*rb)); });

  auto dg = std::make_shared<names_args>();
  auto* d = p->add_subcommand("digest", "One line NAME DIGEST per read model (keys and values)");
  add_log_options(d, dg->log);
  d->add_option("names", dg->names, "Read models (default: all)");
  d->final_callback([dg] { std::exit(run_digest(*dg)); });

  auto ra = std::make_shared<restore_args>();
  auto* rs = app.add_subcommand(
      "restore",
      "Read models as of a position (events < POSITION) or a time (<= TIME) into a new dir");
  add_log_options(rs, ra->log);
  rs->add_option("--at", ra->at, "POSITION (embedded) or RFC 3339 TIME")->required();
  rs->add_option("--into", ra->into, "New data dir for the restored read models")->required();
  rs->final_callback([ra] { std::exit(run_restore(*ra)); });
}

}  // namespace roms::tools
