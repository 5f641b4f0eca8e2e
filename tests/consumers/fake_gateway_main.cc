// roms-fake-gateway: a WhatsApp gateway stand-in (tests/consumers/fake_gateways.h) as a
// program, for end-to-end and browser tests.
//
//   roms-fake-gateway --kind waha --listen 127.0.0.1:3000 [--api-key K] [--session default]
//                     [--status WORKING|SCAN_QR_CODE|STOPPED] [--noweb]
//   roms-fake-gateway --kind cloud --listen 127.0.0.1:3001 [--token T] [--phone-id ID]
//
// Point the server at it: ROMS_WHATSAPP=waha ROMS_WAHA_URL=http://127.0.0.1:3000
// ROMS_WAHA_API_KEY=K (or ROMS_WHATSAPP=cloud ROMS_WA_CLOUD_URL=http://127.0.0.1:3001/v23.0
// ROMS_WA_CLOUD_TOKEN=T ROMS_WA_CLOUD_PHONE_ID=ID). Count and steer it over HTTP:
// GET /_fake/stats, POST /_fake/control (see fake_gateways.h). Prints one line with the URL
// once it listens; stops on SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "tests/consumers/fake_gateways.h"

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "roms-fake-gateway: %s\n"
               "usage: roms-fake-gateway --kind waha|cloud [--listen HOST:PORT] [--api-key K] "
               "[--session S] [--status WORKING|SCAN_QR_CODE|STOPPED] [--noweb] [--token T] "
               "[--phone-id ID] [--version v23.0]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  roms::testing::fake_gateway::options o;
  o.listen = "127.0.0.1:3000";
  bool have_kind = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) return {};
      return argv[++i];
    };
    if (a == "--kind") {
      std::string k = next();
      if (k == "waha") {
        o.type = roms::testing::fake_gateway::kind::waha;
      } else if (k == "cloud") {
        o.type = roms::testing::fake_gateway::kind::cloud;
      } else {
        return usage("--kind is waha or cloud");
      }
      have_kind = true;
    } else if (a == "--listen") {
      o.listen = next();
    } else if (a == "--api-key") {
      o.api_key = next();
    } else if (a == "--session") {
      o.session = next();
    } else if (a == "--status") {
      o.session_status = next();
    } else if (a == "--noweb") {
      o.noweb_ids = true;
    } else if (a == "--token") {
      o.token = next();
    } else if (a == "--phone-id") {
      o.phone_number_id = next();
    } else if (a == "--version") {
      o.version = next();
    } else if (a == "--help" || a == "-h") {
      usage("a WhatsApp gateway stand-in");
      return 0;
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  if (!have_kind) return usage("--kind is required");

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  roms::testing::fake_gateway g(o);
  if (auto r = g.start(); !r) {
    std::fprintf(stderr, "roms-fake-gateway: cannot listen on %s: %s\n", o.listen.c_str(),
                 r.error().message.c_str());
    return 1;
  }
  std::printf("roms-fake-gateway: %s listening on %s\n",
              o.type == roms::testing::fake_gateway::kind::waha ? "waha" : "cloud",
              g.base_url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  g.stop();
  return 0;
}
