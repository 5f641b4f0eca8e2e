// A `roms` with only the auth command groups, for auth_cli_test.cc: the test runs it as a
// separate process (its commands end with std::exit) with stdin, stdout and stderr piped.
#include <CLI/CLI.hpp>

namespace roms::tools {
void register_auth_commands(CLI::App& app);
}

int main(int argc, char** argv) {
  CLI::App app{"roms (auth commands only, for tests)", "roms"};
  app.require_subcommand(1);
  roms::tools::register_auth_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
