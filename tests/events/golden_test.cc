// Golden files: tests/events/golden/<type>/v<N>.json is an envelope of `type` at version N as
// stored, one line, canonical encoding (encode_envelope output plus a newline). They are never
// deleted or edited once committed: they prove that what the log holds today still decodes
// and upcasts tomorrow. v<N>.upcast.json, required when N is older than the latest version,
// is the same event after upcasting to the latest version. See events/README.md, "Codec and
// golden files".
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "events/codec.h"
#include "events/upcast.h"

namespace roms::events {
namespace {

namespace fs = std::filesystem;

// ROMS_GOLDEN_DIR overrides the folder next to this source file (set by tests/CMakeLists.txt).
fs::path golden_dir() {
  if (const char* d = std::getenv("ROMS_GOLDEN_DIR"); d != nullptr && *d != '\0') return d;
  return ROMS_GOLDEN_DIR_DEFAULT;
}

// The upcasters under test: the process-wide registry, plus the test-only type used to pin the
// envelope format. Domain upcasters join here once they exist (one register_*_upcasters call).
void register_upcasters() {
  static std::once_flag once;
  std::call_once(once, [] {
    // test.recorded v1 -> v2: "note" was renamed "text".
    register_upcaster("test.recorded", 1,
                      [](std::string_view p) { return rename_field(p, "note", "text"); });
  });
}

struct golden {
  fs::path file;
  std::string type;  // the folder name
  uint32_t version = 0;
};

void PrintTo(const golden& g, std::ostream* os) { *os << g.file.string(); }

// "v12.json" -> 12; 0 for anything else (including "v1.upcast.json").
uint32_t version_of(const std::string& name) {
  if (name.size() < 7 || name[0] != 'v' || !name.ends_with(".json")) return 0;
  std::string digits = name.substr(1, name.size() - 6);
  if (digits.empty() || digits.size() > 9 || digits[0] == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return static_cast<uint32_t>(std::stoul(digits));
}

std::vector<golden> find_goldens() {
  std::vector<golden> out;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(golden_dir(), ec)) {
    if (!dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      if (uint32_t v = version_of(f.path().filename().string()); v != 0) {
        out.push_back({f.path(), dir.path().filename().string(), v});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const golden& a, const golden& b) {
    return std::tie(a.type, a.version) < std::tie(b.type, b.version);
  });
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Golden : public testing::TestWithParam<golden> {
 protected:
  void SetUp() override { register_upcasters(); }
};

TEST_P(Golden, DecodesAndReencodesByteForByte) {
  const golden& g = GetParam();
  std::string text = read(g.file);
  ASSERT_TRUE(text.ends_with("\n")) << g.file << ": a golden file ends with one newline";
  auto e = decode_envelope(std::string_view(text).substr(0, text.size() - 1));
  ASSERT_TRUE(e) << g.file << ": " << e.error().message;
  EXPECT_EQ(e.value().type, g.type) << g.file << ": the folder is named after the type";
  EXPECT_EQ(e.value().version, g.version) << g.file << ": v<N>.json holds version N";
  auto valid = validate_envelope(e.value());
  EXPECT_TRUE(valid) << g.file << ": " << (valid ? "" : valid.error().message);
  EXPECT_EQ(encode_envelope(e.value()) + "\n", text)
      << g.file << ": not in canonical form (or the encoder changed: it must not)";
}

TEST_P(Golden, UpcastsToTheExpectedLatestVersion) {
  const golden& g = GetParam();
  std::string text = read(g.file);
  auto e = decode_envelope(text);
  ASSERT_TRUE(e) << g.file << ": " << e.error().message;
  const uint32_t latest = latest_version(g.type);
  auto up = upcast(e.value());
  ASSERT_TRUE(up) << g.file << ": " << up.error().message;
  EXPECT_EQ(up.value().version, std::max(latest, g.version));

  fs::path expected_file =
      g.file.parent_path() / ("v" + std::to_string(g.version) + ".upcast.json");
  if (!fs::exists(expected_file)) {
    EXPECT_GE(g.version, latest) << g.file << ": an old version needs " << expected_file.filename()
                                 << " showing the event after upcasting to v" << latest;
    EXPECT_EQ(up.value(), e.value()) << "the latest version upcasts to itself";
    return;
  }
  EXPECT_LT(g.version, latest) << expected_file << " exists but v" << g.version << " is the latest";
  std::string expected = read(expected_file);
  EXPECT_EQ(encode_envelope(up.value()) + "\n", expected) << expected_file;
  auto expected_env = decode_envelope(expected);
  ASSERT_TRUE(expected_env) << expected_file << ": " << expected_env.error().message;
  EXPECT_EQ(up.value(), expected_env.value());
}

std::string test_name(const testing::TestParamInfo<golden>& info) {
  std::string name = info.param.type + "_v" + std::to_string(info.param.version);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, Golden, testing::ValuesIn(find_goldens()), test_name);

TEST(GoldenFiles, AreFound) {
  ASSERT_TRUE(fs::is_directory(golden_dir())) << golden_dir();
  EXPECT_FALSE(find_goldens().empty()) << golden_dir();
}

TEST(GoldenFiles, CoverEveryVersionOfEveryType) {
  register_upcasters();
  std::map<std::string, std::set<uint32_t>> versions;
  for (const auto& g : find_goldens()) versions[g.type].insert(g.version);
  for (const auto& type : default_upcasters().types()) versions[type];  // types without files
  for (const auto& [type, have] : versions) {
    const uint32_t latest = std::max(latest_version(type), have.empty() ? 1u : *have.rbegin());
    for (uint32_t v = 1; v <= latest; ++v) {
      EXPECT_TRUE(have.count(v)) << "missing golden file "
                                 << (golden_dir() / type / ("v" + std::to_string(v) + ".json"));
    }
  }
}

TEST(GoldenFiles, HaveNoStrayFiles) {
  for (const auto& dir : fs::directory_iterator(golden_dir())) {
    if (!dir.is_directory()) {
      ADD_FAILURE() << "unexpected file " << dir.path() << " (files go in <type>/)";
      continue;
    }
    for (const auto& f : fs::directory_iterator(dir.path())) {
      std::string name = f.path().filename().string();
      std::string base =
          name.ends_with(".upcast.json") ? name.substr(0, name.size() - 12) + ".json" : name;
      EXPECT_NE(version_of(base), 0u)
          << "unexpected file " << f.path() << " (expected v<N>.json or v<N>.upcast.json)";
    }
  }
}

}  // namespace
}  // namespace roms::events
