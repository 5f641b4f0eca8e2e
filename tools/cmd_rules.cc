// roms rules status | replay: the automation rules' consumer (consumers/rules.h) for ops.
// With a server running on the data dir the commands go through its admin socket; otherwise
// they read or change <data>/rules/rules.json directly.
#include <CLI/CLI.hpp>

#include <iostream>

#include "consumers/rules.h"
#include "events/json_writer.h"
#include "events/payload.h"
#include "tools/admin.h"
#include "tools/cli.h"

namespace roms::tools {
namespace {

struct rules_args {
  log_options log;
  std::string from = "0";
  bool json = false;
};

struct replay_request {
  std::string cmd = "rules.replay";
  std::vector<int64_t> from;
  template <class V>
  void fields(V& v) {
    v("cmd", cmd);
    v("from", from);
  }
};

// "N" (every partition from N) or "P:O,P:O" (Kafka). Empty vector = 0 everywhere.
result_msg<std::vector<int64_t>> parse_from(const std::string& text) {
  std::vector<int64_t> out;
  auto bad = [&] {
    return error_info{errc::invalid_argument,
                      "--from: an offset (e.g. 0) or PARTITION:OFFSET,… (got \"" + text + "\")"};
  };
  if (text.find(':') == std::string::npos) {
    try {
      size_t used = 0;
      long long n = std::stoll(text, &used);
      if (used != text.size() || n < 0) return bad();
      if (n != 0) out.push_back(n);
      return out;
    } catch (...) {
      return bad();
    }
  }
  size_t i = 0;
  while (i <= text.size()) {
    size_t comma = text.find(',', i);
    std::string part = text.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
    size_t colon = part.find(':');
    if (colon == std::string::npos) return bad();
    try {
      long long p = std::stoll(part.substr(0, colon));
      long long o = std::stoll(part.substr(colon + 1));
      if (p < 0 || p > 4096 || o < 0) return bad();
      if (out.size() <= static_cast<size_t>(p)) out.resize(static_cast<size_t>(p) + 1, 0);
      out[static_cast<size_t>(p)] = o;
    } catch (...) {
      return bad();
    }
    if (comma == std::string::npos) break;
    i = comma + 1;
  }
  return out;
}

int run_status(const rules_args& a) {
  const bool single = single_partition(a.log);
  if (auto ans = admin_call_if_running(a.log.data_dir, R"({"cmd":"rules.status"})")) {
    if (!ans->ok) return fail(ans->error);
    std::cout << ans->value << "\n";
    return 0;
  }
  auto st = consumers::read_rule_position(std::filesystem::path(a.log.data_dir) / "rules");
  if (!st) return fail(st.error().message);
  if (!st.value()) {
    std::cout << "the rules have not run on this data dir yet (their origin will be the log's end "
                 "when `roms serve` first starts them)\n";
    return 0;
  }
  std::vector<int64_t> end;
  if (auto log = open_log(a.log, /*read_only=*/true)) {
    if (auto s = log.value()->stats()) end = s.value().end_offsets;
  }
  int64_t lag = 0;
  for (size_t p = 0; p < end.size(); ++p)
    lag += end[p] - (p < st.value()->position.size() ? st.value()->position[p] : 0);
  if (a.json) {
    events::json_writer w;
    w.begin_object()
        .field("running", false)
        .field("position", format_positions(st.value()->position, single))
        .field("origin", format_positions(st.value()->origin, single))
        .field("lag", lag)
        .field("created_at", st.value()->created_at)
        .end_object();
    std::cout << w.str() << "\n";
  } else {
    std::cout << "rules  position " << format_positions(st.value()->position, single) << "  origin "
              << format_positions(st.value()->origin, single) << "  lag " << lag
              << "  (not running)\n";
  }
  return 0;
}

int run_replay(const rules_args& a) {
  auto from = parse_from(a.from);
  if (!from) return fail(from.error().message);
  replay_request req;
  req.from = from.value();
  if (auto ans = admin_call_if_running(a.log.data_dir, events::encode_payload(req))) {
    if (!ans->ok) return fail(ans->error);
    std::cout << "the running server re-evaluates the rules from " << a.from
              << " (what was already sent is not sent again)\n";
    return 0;
  }
  auto r =
      consumers::reset_rule_position(std::filesystem::path(a.log.data_dir) / "rules", from.value());
  if (!r) return fail(r.error().message);
  std::cout << "the rules re-evaluate from " << a.from
            << " when the server next starts (what was already sent is not sent again)\n";
  return 0;
}

}  // namespace

void register_rules_commands(CLI::App& app) {
  auto* rules = app.add_subcommand(
      "rules", "The automation rules' consumer: where it is, and replaying it (ops)");
  rules->require_subcommand(1);
  auto sa = std::make_shared<rules_args>();
  auto* status = rules->add_subcommand("status", "Position, origin and lag of the rules");
  add_log_options(status, sa->log);
  status->add_flag("--json", sa->json, "One JSON object");
  status->final_callback([sa] { std::exit(run_status(*sa)); });
  auto ra = std::make_shared<rules_args>();
  auto* replay = rules->add_subcommand(
      "replay",
      "Evaluate the rules again from a position (events before their origin still trigger "
      "nothing; messages and alerts already emitted are not emitted again)");
  add_log_options(replay, ra->log);
  replay->add_option("--from", ra->from, "Offset, or PARTITION:OFFSET,… on Kafka")
      ->capture_default_str();
  replay->final_callback([ra] { std::exit(run_replay(*ra)); });
}

}  // namespace roms::tools
