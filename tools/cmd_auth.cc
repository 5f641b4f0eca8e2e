// roms user create|update|list, roms apikey create|revoke|list (CONTRACT.md "CLI").
//
// With a server running on --data, each command is one {"cmd":"auth",…} request over the admin
// socket (http/api/auth.h, admin_auth_command); otherwise the command opens the data dir itself
// (log, read models folded to the end, auth_service) and runs the same request locally. Either
// way the events carry the actor "cli".
//
// Secrets: a password is read from stdin (never from argv, which other users can see in ps),
// without echo on a terminal; a new API key is printed once, alone on the last line of stdout.
#include <CLI/CLI.hpp>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "consumers/runner.h"
#include "events/json_writer.h"
#include "events/payload.h"
#include "http/api/auth.h"
#include "projections/read_models.h"
#include "projections/store.h"
#include "tools/admin.h"
#include "tools/cli.h"

namespace roms::tools {
namespace {

// The data dir opened by this process (no server running on it).
class local_auth {
 public:
  static result_msg<std::unique_ptr<local_auth>> open(const log_options& o) {
    auto out = std::unique_ptr<local_auth>(new local_auth());
    auto l = open_log(o, /*read_only=*/false);
    if (!l) return l.error();
    out->log_ = std::move(l).value();
    std::vector<std::shared_ptr<projections::projection>> models;
    for (auto& p : projections::make_read_models(single_partition(o))) models.push_back(std::move(p));
    projections::store_options so;
    // A data dir without read models yet: build every one from the log now. Otherwise keep
    // what is there (a server rebuilds stale models in the background) and rebuild only the
    // auth model if it is stale, since this command reads it.
    const bool fresh = !std::filesystem::exists(std::filesystem::path(o.data_dir) / "projections");
    so.on_stale = fresh ? projections::stale_policy::reset : projections::stale_policy::keep;
    auto s = projections::projection_store::open(o.data_dir, std::move(models), so);
    if (!s) return error_info{s.error().code, "cannot open the read models: " + s.error().message};
    out->store_ = std::move(s).value();
    consumers::runner_options ro;
    ro.rebuild_stale_on_start = false;
    out->runner_ = std::make_unique<consumers::projection_runner>(out->store_, *out->log_, ro);
    if (auto i = out->store_->info("auth"); i && i.value().stale()) {
      if (auto r = out->runner_->rebuild({"auth"}); !r)
        return error_info{r.error().code, "rebuilding the auth read model: " + r.error().message};
    }
    if (auto r = out->runner_->catch_up(); !r)
      return error_info{r.error().code, "catching up the read models: " + r.error().message};
    http::api::auth_options ao;
    ao.synchronous_fold = true;
    ao.worker_threads = 1;
    out->svc_ = std::make_unique<http::api::auth_service>(out->log_.get(), out->store_,
                                                          out->runner_.get(), system_clock(), ao);
    return out;
  }
  ~local_auth() {
    svc_.reset();
    runner_.reset();
    store_.reset();
    log_.reset();
  }
  http::api::auth_service& svc() { return *svc_; }

 private:
  local_auth() = default;
  std::unique_ptr<events::event_log> log_;
  std::shared_ptr<projections::projection_store> store_;
  std::unique_ptr<consumers::projection_runner> runner_;
  std::unique_ptr<http::api::auth_service> svc_;
};

// Runs one auth admin request on the server of the data dir, or locally. `print` gets the
// answer's value JSON. Returns the exit code.
int run_request(const log_options& o, std::string request,
                const std::function<int(const std::string&)>& print) {
  std::optional<admin_answer> a;
  if (!o.data_dir.empty()) a = admin_call_if_running(o.data_dir, request);
  if (a) {
    std::fill(request.begin(), request.end(), '\0');
    if (!a->ok) return fail(a->error);
    return print(a->value);
  }
  auto local = local_auth::open(o);
  if (!local) return fail(local.error().message);
  auto r = http::api::admin_auth_command(local.value()->svc(), request);
  std::fill(request.begin(), request.end(), '\0');
  if (!r) return fail(r.error().message);
  return print(r.value());
}

// One line from stdin without its line ending; no echo when stdin is a terminal.
std::optional<std::string> read_password() {
  std::string line;
  if (::isatty(STDIN_FILENO)) {
    std::cerr << "Password: " << std::flush;
    termios old{};
    bool restore = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (restore) {
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::getline(std::cin, line);
    if (restore) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::cerr << "\n";
  } else {
    std::getline(std::cin, line);
  }
  if (!std::cin && line.empty()) return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

struct user_view {
  std::string id, email, role, display_name;
  bool disabled = false;
  template <class V>
  void fields(V& v) {
    v("id", id); v("email", email); v("role", role); v("display_name", display_name);
    v("disabled", disabled);
  }
};

struct key_view {
  std::string id, name, prefix, created_at, key;
  std::vector<std::string> scopes;
  bool revoked = false;
  template <class V>
  void fields(V& v) {
    v("id", id); v("name", name); v("prefix", prefix); v("created_at", created_at);
    v("key", key); v("scopes", scopes); v("revoked", revoked);
  }
};

template <class T>
struct list_view {
  std::vector<T> items;
  template <class V>
  void fields(V& v) { v("items", items); }
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// --- roms user ---

struct user_args {
  log_options log;
  std::string email, role, display_name;
  bool password_stdin = false;
};

int run_user_create(const user_args& a) {
  if (!a.password_stdin)
    return fail("pass --password-stdin and give the password on stdin (never as an argument)");
  auto pw = read_password();
  if (!pw || pw->empty()) return fail("no password on stdin");
  events::json_writer w;
  w.begin_object().field("cmd", "auth").field("op", "user.create").field("email", a.email);
  w.field("role", a.role).field("password", *pw).field("display_name", a.display_name);
  w.end_object();
  std::fill(pw->begin(), pw->end(), '\0');
  return run_request(a.log, std::move(w).str(), [](const std::string& value) {
    auto u = events::decode_payload<user_view>(value);
    if (!u) return fail("unexpected answer: " + u.error().message);
    std::cout << "created user " << u.value().id << " " << u.value().email << " ("
              << u.value().role << ")\n";
    return 0;
  });
}

struct user_update_args {
  log_options log;
  std::string id, role, display_name;
  bool password_stdin = false, disable = false, enable = false;
};

int run_user_update(const user_update_args& a) {
  if (a.disable && a.enable) return fail("--disable and --enable exclude each other");
  events::json_writer w;
  w.begin_object().field("cmd", "auth").field("op", "user.update").field("id", a.id);
  if (!a.role.empty()) w.field("role", a.role);
  if (!a.display_name.empty()) w.field("display_name", a.display_name);
  if (a.disable || a.enable) w.field("disabled", a.disable);
  if (a.password_stdin) {
    auto pw = read_password();
    if (!pw || pw->empty()) return fail("no password on stdin");
    w.field("password", *pw);
    std::fill(pw->begin(), pw->end(), '\0');
  }
  w.end_object();
  return run_request(a.log, std::move(w).str(), [](const std::string& value) {
    auto u = events::decode_payload<user_view>(value);
    if (!u) return fail("unexpected answer: " + u.error().message);
    std::cout << "updated user " << u.value().id << " " << u.value().email << " ("
              << u.value().role << (u.value().disabled ? ", disabled" : "") << ")\n";
    return 0;
  });
}

int run_user_list(const log_options& o) {
  return run_request(o, R"({"cmd":"auth","op":"user.list"})", [](const std::string& value) {
    auto l = events::decode_payload<list_view<user_view>>(value);
    if (!l) return fail("unexpected answer: " + l.error().message);
    for (const auto& u : l.value().items)
      std::cout << u.id << "  " << u.role << (u.role == "cs" ? "   " : "") << "  " << u.email
                << (u.disabled ? "  (disabled)" : "") << "\n";
    return 0;
  });
}

// --- roms apikey ---

struct key_args {
  log_options log;
  std::string name;
  std::vector<std::string> scopes;
};

int run_key_create(const key_args& a) {
  events::json_writer w;
  w.begin_object().field("cmd", "auth").field("op", "apikey.create").field("name", a.name);
  w.key("scopes").begin_array();
  for (const auto& s : a.scopes) w.value(s);
  w.end_array().end_object();
  return run_request(a.log, std::move(w).str(), [](const std::string& value) {
    auto k = events::decode_payload<key_view>(value);
    if (!k || k.value().key.empty()) return fail("unexpected answer from the server");
    std::cerr << "created API key " << k.value().id << " \"" << k.value().name
              << "\" scopes " << join(k.value().scopes) << "\n"
              << "store it now: it is shown once and cannot be recovered\n";
    std::cout << k.value().key << "\n" << std::flush;
    return 0;
  });
}

int run_key_revoke(const log_options& o, const std::string& id) {
  events::json_writer w;
  w.begin_object().field("cmd", "auth").field("op", "apikey.revoke").field("id", id).end_object();
  return run_request(o, std::move(w).str(), [](const std::string& value) {
    auto k = events::decode_payload<key_view>(value);
    if (!k) return fail("unexpected answer: " + k.error().message);
    std::cout << "revoked API key " << k.value().id << " \"" << k.value().name << "\"\n";
    return 0;
  });
}

int run_key_list(const log_options& o) {
  return run_request(o, R"({"cmd":"auth","op":"apikey.list"})", [](const std::string& value) {
    auto l = events::decode_payload<list_view<key_view>>(value);
    if (!l) return fail("unexpected answer: " + l.error().message);
    for (const auto& k : l.value().items)
      std::cout << k.id << "  " << k.prefix << "…  " << join(k.scopes) << "  \"" << k.name << "\""
                << (k.revoked ? "  (revoked)" : "") << "\n";
    return 0;
  });
}

}  // namespace

void register_auth_commands(CLI::App& app) {
  auto* user = app.add_subcommand("user", "Create, update and list users (Admin, CS)");
  user->require_subcommand(1);

  auto uc = std::make_shared<user_args>();
  auto* create = user->add_subcommand("create", "Create a user; the password is read from stdin");
  add_log_options(create, uc->log);
  create->add_option("--email", uc->email, "Email (the login)")->required();
  create->add_option("--role", uc->role, "admin or cs")
      ->required()
      ->check(CLI::IsMember({"admin", "cs"}));
  create->add_option("--name", uc->display_name, "Display name (default: the email's local part)");
  create->add_flag("--password-stdin", uc->password_stdin,
                   "Read the password from stdin (at least 8 characters)");
  create->final_callback([uc] { std::exit(run_user_create(*uc)); });

  auto uu = std::make_shared<user_update_args>();
  auto* update = user->add_subcommand("update", "Change a user's role, name, password or state");
  add_log_options(update, uu->log);
  update->add_option("id", uu->id, "User id (usr_…)")->required();
  update->add_option("--role", uu->role, "admin or cs")->check(CLI::IsMember({"admin", "cs"}));
  update->add_option("--name", uu->display_name, "Display name");
  update->add_flag("--password-stdin", uu->password_stdin,
                   "Set a new password read from stdin (ends the user's sessions)");
  update->add_flag("--disable", uu->disable, "Disable the user (ends its sessions)");
  update->add_flag("--enable", uu->enable, "Enable the user again");
  update->final_callback([uu] { std::exit(run_user_update(*uu)); });

  auto ul = std::make_shared<log_options>();
  auto* ulist = user->add_subcommand("list", "List users");
  add_log_options(ulist, *ul);
  ulist->final_callback([ul] { std::exit(run_user_list(*ul)); });

  auto* key = app.add_subcommand("apikey", "Create, revoke and list API keys");
  key->require_subcommand(1);

  auto kc = std::make_shared<key_args>();
  auto* kcreate = key->add_subcommand(
      "create", "Create an API key; prints it once, alone on the last line");
  add_log_options(kcreate, kc->log);
  kcreate->add_option("--name", kc->name, "What the key is for")->required();
  kcreate->add_option("--scope", kc->scopes,
                      "Scopes: orders:write, catalog:write, read (default: all three)")
      ->delimiter(',')
      ->check(CLI::IsMember({"orders:write", "catalog:write", "read"}));
  kcreate->final_callback([kc] { std::exit(run_key_create(*kc)); });

  auto kr = std::make_shared<std::pair<log_options, std::string>>();
  auto* krevoke = key->add_subcommand("revoke", "Revoke an API key (it answers 401 from then on)");
  add_log_options(krevoke, kr->first);
  krevoke->add_option("id", kr->second, "Key id (key_…)")->required();
  krevoke->final_callback([kr] { std::exit(run_key_revoke(kr->first, kr->second)); });

  auto kl = std::make_shared<log_options>();
  auto* klist = key->add_subcommand("list", "List API keys (never the keys themselves)");
  add_log_options(klist, *kl);
  klist->final_callback([kl] { std::exit(run_key_list(*kl)); });
}

}  // namespace roms::tools
