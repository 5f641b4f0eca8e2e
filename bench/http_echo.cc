// A minimal server for measuring the HTTP transport: GET /ping through the router, nothing
// else. Prints "listening on HOST:PORT" once ready; stops gracefully on SIGINT/SIGTERM.
//
//   http_echo [--listen 127.0.0.1:0] [--io-threads 1]
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "http/router.h"
#include "http/server.h"

int main(int argc, char** argv) {
  roms::http::server::options o;
  o.listen = "127.0.0.1:0";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--listen") == 0)
      o.listen = argv[i + 1];
    else if (std::strcmp(argv[i], "--io-threads") == 0)
      o.io_threads = std::stoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--listen HOST:PORT] [--io-threads N]\n", argv[0]);
      return 2;
    }
  }

  // Block the stop signals in every thread (the I/O threads inherit the mask); sigwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  roms::http::router routes;
  routes.add("GET", "/ping",
             [](roms::http::request&&, roms::http::path_params&&, roms::http::responder out) {
               out.respond({.body = R"({"ok":true})"});
             });
  roms::http::server srv(o);
  auto started = srv.start(routes.as_handler());
  if (!started) {
    std::fprintf(stderr, "http_echo: %s\n", started.error().message.c_str());
    return 1;
  }
  std::string host = o.listen.substr(0, o.listen.rfind(':'));
  std::printf("listening on %s:%u\n", host.c_str(), static_cast<unsigned>(srv.port()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  srv.stop();
  return 0;
}
