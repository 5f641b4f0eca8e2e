// Stand-ins for the two WhatsApp gateways on loopback (http::server), for the adapter and
// outbox tests and — as the program roms-fake-gateway — for end-to-end and browser tests.
// Each checks what the real one checks and COUNTS requests:
//
//   Cloud API (kind::cloud), base URL http://127.0.0.1:<port>/v23.0
//     POST /v23.0/{phone_number_id}/messages  Authorization: Bearer <token> (else 401, code 190);
//       JSON with messaging_product "whatsapp", recipient_type "individual" (when given), to
//       (digits), type text|template|image|document and its object: text.body; template.name,
//       template.language.code, components[].type/parameters[].type+text; image.link /
//       document.link (http/https) — else 400 code 100. With enforce_window(), free-form
//       messages to a number whose window is closed get 400 code 131047 (re-engagement).
//       → 200 {"messaging_product","contacts":[{input,wa_id}],"messages":[{"id":"wamid.…"}]}
//     GET /v23.0/{phone_number_id}  → {"id","display_phone_number"} (401 when disconnected)
//   WAHA (kind::waha), base URL http://127.0.0.1:<port>
//     X-Api-Key (else 401); POST /api/sendText {session,chatId "<8-15 digits>@c.us",text},
//       /api/sendImage and /api/sendFile {session,chatId,file{mimetype,url},caption}: unknown
//       session 404, session not WORKING 422, malformed 400 → 201 the engine's message
//       (WEBJS shape: id{fromMe,remote,id,_serialized}, or NOWEB's key{} with noweb_ids())
//     GET /api/sessions/{session}, GET /api/{session}/auth/qr (PNG while SCAN_QR_CODE, else
//       422), GET /api/{session}/chats/{chatId}/messages?limit= (what it accepted, newest first)
//
// Control, for tests in-process or over HTTP (the program):
//   GET  /_fake/stats    {"send_requests","accepted","requests","violations":[…],"messages":[…]}
//   POST /_fake/control  {"fail_next":N,"status":500}  {"hang_next":N,"ms":M,"store":true}
//                        {"connected":false}  {"session_status":"SCAN_QR_CODE"}
//                        {"window":"6281…","open":true}  {"reset":true}
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/server.h"

namespace roms::testing {

class fake_gateway {
 public:
  enum class kind { cloud, waha };

  struct options {
    kind type = kind::waha;
    std::string listen = "127.0.0.1:0";
    // Cloud API
    std::string token = "test-cloud-token";
    std::string phone_number_id = "106540352242922";
    std::string version = "v23.0";
    // WAHA
    std::string api_key = "test-waha-key";  // "" = no key required
    std::string session = "default";
    std::string session_status = "WORKING";
    bool noweb_ids = false;  // answer sends with NOWEB's {"key":{…}} instead of WEBJS's id
  };

  // One message the gateway accepted.
  struct accepted_message {
    std::string id;    // the gateway's id (wamid.… / true_<chat>_<hex>)
    std::string to;    // digits (Cloud) or chatId (WAHA)
    std::string type;  // text | template | image | document (Cloud); text | image | file (WAHA)
    std::string text;  // text body or caption
    std::string template_name;
    std::vector<std::string> template_params;
    std::string link;       // media link
    std::string reference;  // Cloud: biz_opaque_callback_data
    int64_t timestamp_s = 0;
    std::string raw;  // the request body
  };

  struct request_record {
    std::string method;
    std::string target;
    std::string body;
    http::header_list headers;
    int status = 0;  // what the fake answered (0: not answered yet)
  };

  explicit fake_gateway(options o);
  ~fake_gateway();
  fake_gateway(const fake_gateway&) = delete;
  fake_gateway& operator=(const fake_gateway&) = delete;

  result_msg<void> start();
  void stop();
  uint16_t port() const;
  // What the adapter is configured with: ".../v23.0" for the Cloud API, the root for WAHA.
  std::string base_url() const;
  const options& config() const { return o_; }

  // --- counts ---
  // Requests to the send endpoints (answered or not, accepted or not).
  size_t send_requests() const;
  size_t accepted_count() const;
  std::vector<accepted_message> accepted() const;
  std::vector<request_record> requests() const;
  // What a real gateway would have refused (and this one answered 4xx for).
  std::vector<std::string> violations() const;
  // Blocks until send_requests() >= n or the timeout.
  bool wait_for_send_requests(size_t n, std::chrono::milliseconds timeout) const;

  // --- behaviour ---
  // The next n send requests are answered `status` (with a body fitting the gateway) and not
  // accepted.
  void fail_next(int n, int status = 500);
  // The next n send requests wait `delay` before answering; with store_first the message is
  // accepted (as a real gateway that sent it but answered late) before the wait.
  void hang_next(int n, std::chrono::milliseconds delay, bool store_first);
  // WAHA: WORKING / STOPPED; Cloud: token accepted / refused (401, code 190).
  void set_connected(bool connected);
  void set_session_status(std::string status);  // WAHA
  // Cloud: refuse free-form messages outside the customer window (code 131047).
  void enforce_window(bool on);
  void set_window(const std::string& digits, bool open);
  void reset();

  struct state;  // shared with the handler and the threads answering late

 private:
  options o_;
  std::shared_ptr<state> st_;
  std::unique_ptr<http::server> server_;
};

}  // namespace roms::testing
