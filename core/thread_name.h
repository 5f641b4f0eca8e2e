// Names the calling thread ("roms-runner", "roms-io"): what `top -H`, `ps -L`, perf, gdb and
// bench/api_bench.sh's per-thread CPU table show. Linux keeps 15 bytes of a name; longer ones
// are cut there. The one OS call in core: it decides nothing and changes no result.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

namespace roms {

inline void set_thread_name(std::string_view name) {
  std::string n(name.substr(0, 15));
  (void)pthread_setname_np(pthread_self(), n.c_str());
}

}  // namespace roms
