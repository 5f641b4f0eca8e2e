// Where the test broker is. scripts/test.sh starts a real Apache Kafka broker and exports
// ROMS_TEST_KAFKA_BROKERS. Without it a Kafka test skips, except on CI (CI=true), where it
// fails: the Kafka tests must run there.
#pragma once

#include <cstdlib>
#include <string>

namespace roms::testing {

// The broker list, or "" if none is configured.
std::string kafka_brokers();

// A topic name unique to this test process and call, so tests never see each other's data.
std::string unique_topic(const std::string& prefix);

}  // namespace roms::testing

// Use at the start of a Kafka test body.
#define ROMS_REQUIRE_KAFKA(brokers_var)                                                  \
  std::string brokers_var = ::roms::testing::kafka_brokers();                            \
  if (brokers_var.empty()) {                                                             \
    const char* ci = std::getenv("CI");                                                  \
    if (ci && std::string(ci) == "true") FAIL() << "CI=true but no Kafka broker is set"; \
    GTEST_SKIP() << "ROMS_TEST_KAFKA_BROKERS not set (run through scripts/test.sh)";     \
  }
