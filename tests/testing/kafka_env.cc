#include "tests/testing/kafka_env.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>

namespace roms::testing {

std::string kafka_brokers() {
  const char* b = std::getenv("ROMS_TEST_KAFKA_BROKERS");
  return b ? std::string(b) : std::string();
}

std::string unique_topic(const std::string& prefix) {
  static std::atomic<int> n{0};
  auto t = std::chrono::steady_clock::now().time_since_epoch().count();
  return prefix + "." + std::to_string(::getpid()) + "." + std::to_string(t % 1000000000) + "." +
         std::to_string(n++);
}

}  // namespace roms::testing
