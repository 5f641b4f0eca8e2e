// core/thread_name.h: a thread's name as the kernel reports it (/proc, ps, top -H, perf).
#include "core/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace roms {
namespace {

std::string name_of(pthread_t t) {
  char buf[32] = {};
  if (pthread_getname_np(t, buf, sizeof buf) != 0) return "?";
  return buf;
}

TEST(ThreadName, NamesTheCallingThreadAndCutsAt15Bytes) {
  std::string seen, cut;
  std::thread([&] {
    set_thread_name("roms-runner");
    seen = name_of(pthread_self());
    set_thread_name("roms-a-name-longer-than-fifteen");
    cut = name_of(pthread_self());
  }).join();
  EXPECT_EQ(seen, "roms-runner");
  EXPECT_EQ(cut, "roms-a-name-lon");  // the kernel's limit, not an error
}

}  // namespace
}  // namespace roms
