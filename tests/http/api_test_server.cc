// A server process for the API crash test and the API benchmark: the stack of api_stack.h
// (embedded log, read models, runner, executor, v1 API, fake authenticator) on a data dir.
//
//   api_test_server --data DIR [--listen 127.0.0.1:0] [--io-threads 1] [--no-sync]
//                   [--fold-cache-mb 4]
//
// Prints "listening on HOST:PORT" once serving; SIGTERM/SIGINT stop it gracefully.
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "tests/http/api_stack.h"

int main(int argc, char** argv) {
  std::string data, listen = "127.0.0.1:0";
  roms::testing::api_stack_options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "api_test_server: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") {
      data = next();
    } else if (a == "--listen") {
      listen = next();
    } else if (a == "--io-threads") {
      o.io_threads = std::atoi(next().c_str());
    } else if (a == "--no-sync") {
      o.sync = false;
    } else if (a == "--fold-cache-mb") {
      // Same range as `roms serve --fold-cache-mb`.
      std::string v = next();
      char* end = nullptr;
      unsigned long long mb = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-' || mb > 1024) {
        std::cerr << "api_test_server: --fold-cache-mb takes a whole number from 0 to 1024, not '"
                  << v << "'\n";
        return 2;
      }
      o.fold_cache_bytes = static_cast<uint64_t>(mb) << 20;
    } else {
      std::cerr << "usage: api_test_server --data DIR [--listen HOST:PORT] [--io-threads N] "
                   "[--no-sync] [--fold-cache-mb N]\n";
      return 2;
    }
  }
  if (data.empty()) {
    std::cerr << "api_test_server: --data DIR is required\n";
    return 2;
  }
  o.listen = listen;

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  roms::testing::api_stack s(data, o);
  if (auto r = s.start(); !r) {
    std::cerr << "api_test_server: " << r.error().message << "\n";
    return 1;
  }
  auto host = listen.substr(0, listen.rfind(':'));
  std::cout << "listening on " << host << ":" << s.port() << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  auto st = s.runner().status();
  s.stop();
  // For the benchmark: how the live runner batched what it folded.
  std::cout << "runner: " << st.events_applied << " events in " << st.batches << " batches"
            << std::endl;
  return 0;
}
