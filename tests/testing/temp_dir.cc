#include "tests/testing/temp_dir.h"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace roms::testing {

temp_dir::temp_dir() {
  auto base = std::filesystem::temp_directory_path() / "roms-test-XXXXXX";
  std::string tmpl = base.string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace roms::testing
