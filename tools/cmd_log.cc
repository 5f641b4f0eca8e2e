// roms log append | tail | stats
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "events/codec.h"
#include "events/json_writer.h"
#include "tools/admin.h"
#include "tools/cli.h"

namespace roms::tools {
namespace {

struct append_args {
  log_options log;
  std::string type, stream, json, id, actor = "cli";
};

int run_append(const append_args& a) {
  events::envelope e;
  e.id = a.id.empty() ? events::new_event_id(system_clock().now()) : a.id;
  e.type = a.type;
  e.stream = a.stream;
  e.time = system_clock().now();
  e.actor = a.actor;
  e.payload = a.json;
  if (auto v = events::validate_envelope(e); !v) return fail(v.error().message);

  // A running server owns the embedded log: ask it over the admin socket.
  if (a.log.backend == "embedded") {
    events::json_writer w;
    w.begin_object().field("cmd", "log.append").key("event").raw(events::encode_envelope(e));
    w.end_object();
    auto answer = admin_call_if_running(a.log.data_dir, w.str());
    if (answer) {
      if (!answer->ok) return fail(answer->error);
      std::cout << answer->value << "\n";
      return 0;
    }
  }
  auto log = open_log(a.log, /*read_only=*/false);
  if (!log) return fail(log.error().message);
  auto r = log.value()->append(std::span<const events::envelope>(&e, 1));
  if (!r) return fail(std::string("append failed: ") + r.error().message());
  std::cout << events::to_string(r.value()[0].position, single_partition(a.log)) << "\n";
  return 0;
}

struct tail_args {
  log_options log;
  std::string from;
  bool follow = false;
  size_t limit = 0;
};

volatile std::sig_atomic_t g_stop = 0;

int run_tail(const tail_args& a) {
  auto log = open_log(a.log, /*read_only=*/true);
  if (!log) return fail(log.error().message);
  auto& l = *log.value();
  std::vector<int64_t> from(static_cast<size_t>(l.partitions()), 0);
  if (!a.from.empty()) {
    // "N" (every partition from N; the embedded log has one) or "P:O[,P:O…]".
    std::string_view rest = a.from;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto part = rest.substr(0, comma);
      auto p = events::parse_position(part);
      if (!p || p->partition >= l.partitions())
        return fail("--from: '" + std::string(part) + "' is not a position of this log");
      if (part.find(':') == std::string_view::npos) {
        for (auto& f : from) f = p->offset;
      } else {
        from[static_cast<size_t>(p->partition)] = p->offset;
      }
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  auto reader = l.open_reader(from);
  if (!reader) return fail(std::string("cannot read the log: ") + reader.error().message());
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGPIPE, SIG_IGN);
  size_t printed = 0;
  const bool single = single_partition(a.log);
  std::string out;
  while (!g_stop) {
    auto batch = reader.value()->read(4096, std::chrono::milliseconds(a.follow ? 200 : 0));
    if (!batch) return fail(std::string("read failed: ") + batch.error().message());
    if (batch.value().empty()) {
      if (!a.follow) break;
      continue;
    }
    out.clear();
    for (const auto& e : batch.value()) {
      out += events::encode_stored(e, single);
      out += '\n';
      if (a.limit && ++printed >= a.limit) break;
    }
    std::cout << out << std::flush;
    if (!std::cout) return 0;  // reader went away (pipe closed)
    if (a.limit && printed >= a.limit) break;
  }
  return 0;
}

int run_stats(const log_options& o, bool json) {
  auto log = open_log(o, /*read_only=*/true);
  if (!log) return fail(log.error().message);
  auto s = log.value()->stats();
  if (!s) return fail(std::string("stats failed: ") + s.error().message());
  const auto& st = s.value();
  int64_t total = 0;
  for (auto e : st.end_offsets) total += e;
  if (json) {
    events::json_writer w;
    w.begin_object().field("backend", st.backend).field("partitions", st.partitions);
    w.field("events", total).field("bytes", st.bytes).key("end_offsets").begin_array();
    for (auto e : st.end_offsets) w.value(e);
    w.end_array().end_object();
    std::cout << w.str() << "\n";
    return 0;
  }
  std::cout << "backend     " << st.backend << "\n"
            << "partitions  " << st.partitions << "\n"
            << "events      " << total << "\n"
            << "bytes       " << st.bytes << "\n";
  for (size_t p = 0; p < st.end_offsets.size(); ++p)
    std::cout << "partition " << p << " next offset " << st.end_offsets[p] << "\n";
  return 0;
}

}  // namespace

void register_log_commands(CLI::App& app) {
  auto* log = app.add_subcommand("log", "Append to, read and inspect the event log");
  log->require_subcommand(1);

  auto a = std::make_shared<append_args>();
  auto* ap = log->add_subcommand(
      "append", "Append one event; prints its position once it is durable (ops tool)");
  add_log_options(ap, a->log);
  ap->add_option("--type", a->type, "Event type, aggregate.past_tense_verb")->required();
  ap->add_option("--stream", a->stream, "Stream (aggregate) id")->required();
  ap->add_option("--json", a->json, "Payload: a JSON object")->required();
  ap->add_option("--id", a->id, "Event id; the same id again appends nothing");
  ap->add_option("--actor", a->actor, "Who appends")->capture_default_str();
  ap->final_callback([a] { std::exit(run_append(*a)); });

  auto t = std::make_shared<tail_args>();
  auto* tl = log->add_subcommand("tail", "Print events as JSON lines, one envelope each");
  add_log_options(tl, t->log);
  tl->add_option("--from", t->from, "Start position: N, or P:O[,P:O...] on Kafka");
  tl->add_flag("--follow,-f", t->follow, "Keep waiting for new events");
  tl->add_option("--limit", t->limit, "Stop after this many events");
  tl->final_callback([t] { std::exit(run_tail(*t)); });

  auto s = std::make_shared<log_options>();
  auto json = std::make_shared<bool>(false);
  auto* st = log->add_subcommand("stats", "Event counts, positions and sizes");
  add_log_options(st, *s);
  st->add_flag("--json", *json, "Print as JSON");
  st->final_callback([s, json] { std::exit(run_stats(*s, *json)); });
}

}  // namespace roms::tools
