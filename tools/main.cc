// roms — one binary: the server and every ops command. `roms <command> --help` documents
// each flag (CONTRACT.md, "CLI").
#include <CLI/CLI.hpp>

#include "tools/cli.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ROMS — Repeat Order Management System: orders, inventory, WhatsApp inbox and "
      "automations on an event log",
      "roms"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("roms 0.1.0"));
  roms::tools::register_serve_command(app);
  roms::tools::register_log_commands(app);
  roms::tools::register_projection_commands(app);
  roms::tools::register_auth_commands(app);
  roms::tools::register_rules_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
