#include "tests/consumers/fake_gateways.h"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

#include "core/time.h"

namespace roms::testing {

namespace json = boost::json;
using namespace std::chrono_literals;

struct fake_gateway::state {
  options o;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  size_t send_requests = 0;
  std::vector<accepted_message> accepted;
  std::vector<request_record> requests;
  std::vector<std::string> violations;
  int fail_n = 0;
  int fail_status = 500;
  int hang_n = 0;
  std::chrono::milliseconds hang_delay{0};
  bool hang_store = false;
  bool connected = true;
  std::string session_status;
  bool enforce_window = false;
  std::set<std::string> open_windows;
  uint64_t next_id = 1;
  bool stopping = false;
};

namespace {

using state = fake_gateway::state;

http::response answer(int status, const json::value& body) {
  http::response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

http::response graph_error(int status, int64_t code, std::string message) {
  return answer(status, json::object{{"error", json::object{{"message", message},
                                                            {"type", "OAuthException"},
                                                            {"code", code},
                                                            {"fbtrace_id", "AbCdEf123"}}}});
}

http::response waha_error(int status, std::string message) {
  return answer(status, json::object{{"statusCode", status},
                                     {"message", message},
                                     {"error", status == 401 ? "Unauthorized" : "Error"}});
}

const json::value* field(const json::value& v, std::string_view k) {
  return v.is_object() ? v.as_object().if_contains(k) : nullptr;
}
std::string str(const json::value& v, std::string_view k) {
  const auto* f = field(v, k);
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}
bool is_string(const json::value& v, std::string_view k) {
  const auto* f = field(v, k);
  return f && f->is_string() && !f->as_string().empty();
}
bool is_url(const std::string& s) { return s.starts_with("http://") || s.starts_with("https://"); }
bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A 1×1 PNG.
const std::string& tiny_png() {
  static const unsigned char bytes[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
      0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
      0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
      0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
      0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  static const std::string png(reinterpret_cast<const char*>(bytes), sizeof bytes);
  return png;
}

std::string base64(const std::string& in) {
  static constexpr char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v =
        (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(a[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += a[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

int64_t now_s() { return to_micros(system_clock().now()) / 1'000'000; }

// A request refused for its content: recorded as a violation and answered.
http::response violation(state& st, http::response r, std::string what) {
  std::lock_guard lk(st.mu);
  st.violations.push_back(std::move(what));
  return r;
}

// --- Cloud API ---------------------------------------------------------------------------

// Validates a send request; fills `m` or returns the refusal.
std::optional<http::response> cloud_validate(state& st, const http::request& req,
                                             fake_gateway::accepted_message& m) {
  auto fail = [&](std::string what) {
    return violation(st, graph_error(400, 100, "(#100) " + what), "cloud: " + what);
  };
  if (req.header("Content-Type").find("application/json") == std::string_view::npos)
    return fail("Content-Type must be application/json");
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return fail("body is not a JSON object");
  if (str(v, "messaging_product") != "whatsapp")
    return fail("messaging_product must be \"whatsapp\"");
  if (field(v, "recipient_type") && str(v, "recipient_type") != "individual")
    return fail("recipient_type must be \"individual\"");
  m.to = str(v, "to");
  if (!all_digits(m.to) || m.to.size() < 8 || m.to.size() > 15)
    return fail("to must be the phone number's digits with the country code");
  m.reference = str(v, "biz_opaque_callback_data");
  if (m.reference.size() > 512) return fail("biz_opaque_callback_data over 512 characters");
  m.type = str(v, "type");
  const auto* obj = field(v, m.type);
  if (m.type.empty() || !obj || !obj->is_object())
    return fail("type and an object of that name are required");
  if (m.type == "text") {
    if (!is_string(*obj, "body")) return fail("text.body is required");
    m.text = str(*obj, "body");
    if (m.text.size() > 4096) return fail("text.body over 4096 characters");
  } else if (m.type == "template") {
    m.template_name = str(*obj, "name");
    if (m.template_name.empty()) return fail("template.name is required");
    const auto* lang = field(*obj, "language");
    if (!lang || !is_string(*lang, "code")) return fail("template.language.code is required");
    if (const auto* comps = field(*obj, "components")) {
      if (!comps->is_array()) return fail("template.components must be an array");
      for (const auto& c : comps->as_array()) {
        std::string t = str(c, "type");
        if (t != "header" && t != "body" && t != "button")
          return fail("template.components[].type must be header, body or button");
        const auto* params = field(c, "parameters");
        if (!params || !params->is_array()) return fail("components[].parameters must be an array");
        for (const auto& p : params->as_array()) {
          std::string pt = str(p, "type");
          if (pt.empty()) return fail("parameters[].type is required");
          if (pt == "text") {
            if (!is_string(p, "text")) return fail("a text parameter needs text");
            if (t == "body") m.template_params.push_back(str(p, "text"));
          }
        }
      }
    }
  } else if (m.type == "image" || m.type == "document") {
    m.link = str(*obj, "link");
    if (!is_url(m.link)) return fail(m.type + ".link must be an http(s) URL");
    m.text = str(*obj, "caption");
  } else {
    return fail("unsupported type " + m.type);
  }
  if (st.enforce_window && m.type != "template") {
    std::lock_guard lk(st.mu);
    if (!st.open_windows.count(m.to)) {
      st.violations.push_back("cloud: free-form message outside the customer window");
      return graph_error(400, 131047,
                         "Re-engagement message: more than 24 hours have passed since the "
                         "recipient last replied");
    }
  }
  return std::nullopt;
}

// --- WAHA --------------------------------------------------------------------------------

std::optional<http::response> waha_validate(state& st, const http::request& req,
                                            std::string_view endpoint,
                                            fake_gateway::accepted_message& m) {
  auto fail = [&](std::string what) {
    return violation(st, waha_error(400, what), "waha: " + what);
  };
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return fail("body is not a JSON object");
  std::string session = str(v, "session");
  if (session.empty()) session = "default";
  if (session != st.o.session) return waha_error(404, "Session \"" + session + "\" not found");
  m.to = str(v, "chatId");
  static const std::regex chat(R"(^[1-9][0-9]{7,14}@c\.us$)");
  if (!std::regex_match(m.to, chat)) return fail("chatId must be <phone digits>@c.us");
  if (endpoint == "sendText") {
    if (!is_string(v, "text")) return fail("text is required");
    m.type = "text";
    m.text = str(v, "text");
  } else {
    const auto* file = field(v, "file");
    if (!file || !file->is_object()) return fail("file is required");
    m.link = str(*file, "url");
    if (!is_url(m.link)) return fail("file.url must be an http(s) URL");
    std::string mime = str(*file, "mimetype");
    if (mime.empty()) return fail("file.mimetype is required");
    if (endpoint == "sendImage" && !mime.starts_with("image/"))
      return fail("sendImage takes an image mimetype");
    m.type = endpoint == "sendImage" ? "image" : "file";
    m.text = str(v, "caption");
  }
  {
    std::lock_guard lk(st.mu);
    if (st.session_status != "WORKING")
      return waha_error(422,
                        "Session status is not as expected. Try again later or restart the "
                        "session. Session status: " +
                            st.session_status);
  }
  return std::nullopt;
}

json::value waha_message_json(const state& st, const fake_gateway::accepted_message& m) {
  std::string short_id = m.id.substr(m.id.rfind('_') + 1);
  if (st.o.noweb_ids) {
    std::string remote = m.to.substr(0, m.to.find('@')) + "@s.whatsapp.net";
    return json::object{
        {"key", json::object{{"remoteJid", remote}, {"fromMe", true}, {"id", short_id}}},
        {"message", json::object{{"conversation", m.text}}},
        {"messageTimestamp", std::to_string(m.timestamp_s)},
        {"status", "PENDING"}};
  }
  return json::object{
      {"id",
       json::object{{"fromMe", true}, {"remote", m.to}, {"id", short_id}, {"_serialized", m.id}}},
      {"timestamp", m.timestamp_s},
      {"from", "6281100000000@c.us"},
      {"fromMe", true},
      {"to", m.to},
      {"body", m.text},
      {"hasMedia", m.type != "text"},
      {"ack", 1}};
}

}  // namespace

fake_gateway::fake_gateway(options o) : o_(std::move(o)), st_(std::make_shared<state>()) {
  st_->o = o_;
  st_->session_status = o_.session_status;
}

fake_gateway::~fake_gateway() { stop(); }

namespace {

// Answers a send: counts it, applies fail/hang, validates, accepts.
void handle_send(std::shared_ptr<state> st, http::request&& req, http::responder out,
                 std::string_view waha_endpoint, size_t record_index) {
  auto finish = [st, record_index, out](http::response r) {
    {
      std::lock_guard lk(st->mu);
      if (record_index < st->requests.size()) st->requests[record_index].status = r.status;
    }
    out.respond(std::move(r));
  };
  const bool cloud = st->o.type == fake_gateway::kind::cloud;
  int fail_status = 0;
  bool hang = false, hang_store = false;
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard lk(st->mu);
    ++st->send_requests;
    st->cv.notify_all();
    if (st->fail_n > 0) {
      --st->fail_n;
      fail_status = st->fail_status;
    } else if (st->hang_n > 0) {
      --st->hang_n;
      hang = true;
      hang_store = st->hang_store;
      delay = st->hang_delay;
    }
  }
  if (fail_status != 0) {
    return finish(cloud ? graph_error(fail_status, fail_status >= 500 ? 131000 : 100,
                                      "Something went wrong (injected)")
                        : waha_error(fail_status, "injected failure"));
  }
  fake_gateway::accepted_message m;
  auto refused = cloud ? cloud_validate(*st, req, m) : waha_validate(*st, req, waha_endpoint, m);
  if (refused) return finish(std::move(*refused));
  m.raw = req.body;
  m.timestamp_s = now_s();
  http::response ok;
  {
    std::lock_guard lk(st->mu);
    char hex[24];
    std::snprintf(hex, sizeof hex, "%016llX", static_cast<unsigned long long>(st->next_id++));
    m.id = cloud ? "wamid.FAKE" + std::string(hex) : "true_" + m.to + "_3EB0" + hex;
    if (cloud) {
      ok = answer(200, json::object{{"messaging_product", "whatsapp"},
                                    {"contacts",
                                     json::array{json::object{{"input", m.to}, {"wa_id", m.to}}}},
                                    {"messages", json::array{json::object{{"id", m.id}}}}});
    } else {
      ok = answer(201, waha_message_json(*st, m));
    }
    if (!hang || hang_store) {
      st->accepted.push_back(m);
      st->cv.notify_all();
    }
  }
  if (!hang) return finish(std::move(ok));
  // Answer late (or never, if stopped first), from another thread: the I/O thread must not block.
  std::thread([st, delay, ok = std::move(ok), finish]() mutable {
    std::unique_lock lk(st->mu);
    st->cv.wait_for(lk, delay, [&] { return st->stopping; });
    if (st->stopping) return;
    lk.unlock();
    finish(std::move(ok));
  }).detach();
}

json::object stats_json(const state& st) {
  json::array msgs;
  for (const auto& m : st.accepted) {
    json::array params;
    for (const auto& p : m.template_params) params.push_back(json::value(p));
    msgs.push_back(json::object{{"id", m.id},
                                {"to", m.to},
                                {"type", m.type},
                                {"text", m.text},
                                {"template", m.template_name},
                                {"params", std::move(params)},
                                {"link", m.link},
                                {"reference", m.reference},
                                {"timestamp", m.timestamp_s}});
  }
  json::array violations;
  for (const auto& v : st.violations) violations.push_back(json::value(v));
  return json::object{{"send_requests", st.send_requests},
                      {"accepted", st.accepted.size()},
                      {"requests", st.requests.size()},
                      {"violations", std::move(violations)},
                      {"messages", std::move(msgs)}};
}

}  // namespace

result_msg<void> fake_gateway::start() {
  http::server::options so;
  so.listen = o_.listen;
  server_ = std::make_unique<http::server>(so);
  auto st = st_;
  return server_->start([st, this](http::request&& req, http::responder out) {
    const std::string path = req.path;
    size_t index;
    {
      std::lock_guard lk(st->mu);
      index = st->requests.size();
      if (!path.starts_with("/_fake/"))
        st->requests.push_back({req.method, req.target, req.body, req.headers, 0});
    }
    // --- control ---
    if (path == "/_fake/stats") {
      std::lock_guard lk(st->mu);
      return out.respond(answer(200, stats_json(*st)));
    }
    if (path == "/_fake/control" && req.method == "POST") {
      boost::system::error_code ec;
      auto v = json::parse(req.body, ec);
      if (ec || !v.is_object()) return out.respond(waha_error(400, "control: a JSON object"));
      const auto& o = v.as_object();
      auto num = [&](std::string_view k, int64_t def) {
        const auto* f = o.if_contains(k);
        return f && f->is_int64() ? f->as_int64() : def;
      };
      if (o.contains("fail_next"))
        fail_next(static_cast<int>(num("fail_next", 0)), static_cast<int>(num("status", 500)));
      if (o.contains("hang_next")) {
        const auto* s = o.if_contains("store");
        hang_next(static_cast<int>(num("hang_next", 0)),
                  std::chrono::milliseconds(num("ms", 60'000)), s && s->is_bool() && s->as_bool());
      }
      if (const auto* c = o.if_contains("connected"); c && c->is_bool())
        set_connected(c->as_bool());
      if (const auto* s = o.if_contains("session_status"); s && s->is_string())
        set_session_status(std::string(s->as_string()));
      if (const auto* w = o.if_contains("window"); w && w->is_string()) {
        const auto* open = o.if_contains("open");
        set_window(std::string(w->as_string()), !open || (open->is_bool() && open->as_bool()));
        enforce_window(true);
      }
      if (o.contains("reset")) reset();
      std::lock_guard lk(st->mu);
      return out.respond(answer(200, stats_json(*st)));
    }

    if (st->o.type == kind::cloud) {
      const std::string prefix = "/" + st->o.version + "/" + st->o.phone_number_id;
      auto auth = req.header("Authorization");
      bool token_ok;
      {
        std::lock_guard lk(st->mu);
        token_ok = st->connected && auth == "Bearer " + st->o.token;
      }
      if (!token_ok) {
        if (path == prefix + "/messages") {
          std::lock_guard lk(st->mu);
          ++st->send_requests;
          st->cv.notify_all();
        }
        return out.respond(violation(
            *st, graph_error(401, 190, "Error validating access token: the session is invalid"),
            "cloud: missing or refused bearer token"));
      }
      if (path == prefix + "/messages" && req.method == "POST")
        return handle_send(st, std::move(req), std::move(out), "", index);
      if (path == prefix && req.method == "GET") {
        return out.respond(answer(200, json::object{{"id", st->o.phone_number_id},
                                                    {"display_phone_number", "+62 811-0000-0000"},
                                                    {"verified_name", "Toko Fake"}}));
      }
      return out.respond(graph_error(400, 100, "Unsupported request: " + req.method + " " + path));
    }

    // --- WAHA ---
    if (!st->o.api_key.empty() && req.header("X-Api-Key") != st->o.api_key) {
      if (path.starts_with("/api/send")) {
        std::lock_guard lk(st->mu);
        ++st->send_requests;
        st->cv.notify_all();
      }
      return out.respond(
          violation(*st, waha_error(401, "Unauthorized"), "waha: missing or wrong X-Api-Key"));
    }
    for (std::string_view ep : {"sendText", "sendImage", "sendFile"}) {
      if (path == "/api/" + std::string(ep)) {
        if (req.method != "POST") return out.respond(waha_error(405, "use POST"));
        return handle_send(st, std::move(req), std::move(out), ep, index);
      }
    }
    const std::string session_path = "/api/sessions/" + st->o.session;
    if (path == session_path && req.method == "GET") {
      std::lock_guard lk(st->mu);
      return out.respond(answer(200, json::object{{"name", st->o.session},
                                                  {"status", st->session_status},
                                                  {"config", json::object{}},
                                                  {"me", json::object{{"id", "6281100000000@c.us"},
                                                                      {"pushName", "Toko Fake"}}},
                                                  {"engine", json::object{{"engine", "WEBJS"}}}}));
    }
    if (path.starts_with("/api/sessions/"))
      return out.respond(waha_error(404, "Session not found"));
    if (path == "/api/" + st->o.session + "/auth/qr" && req.method == "GET") {
      std::string status;
      {
        std::lock_guard lk(st->mu);
        status = st->session_status;
      }
      if (status != "SCAN_QR_CODE")
        return out.respond(waha_error(422,
                                      "Can get QR code only in SCAN_QR_CODE status. The "
                                      "current status is " +
                                          status));
      if (req.header("Accept").find("image/png") != std::string_view::npos) {
        http::response r;
        r.content_type = "image/png";
        r.body = tiny_png();
        return out.respond(std::move(r));
      }
      return out.respond(
          answer(200, json::object{{"mimetype", "image/png"}, {"data", base64(tiny_png())}}));
    }
    const std::string chats = "/api/" + st->o.session + "/chats/";
    if (path.starts_with(chats) && path.ends_with("/messages") && req.method == "GET") {
      std::string chat = path.substr(chats.size(), path.size() - chats.size() - 9);
      size_t limit = 100;
      if (auto l = req.query_param("limit"); !l.empty()) limit = std::stoul(std::string(l));
      json::array out_msgs;
      std::lock_guard lk(st->mu);
      for (auto it = st->accepted.rbegin(); it != st->accepted.rend() && out_msgs.size() < limit;
           ++it) {
        if (it->to != chat) continue;
        out_msgs.push_back(waha_message_json(*st, *it));
        // The chat listing always has the serialised id, whatever the engine.
        auto& o = out_msgs.back().as_object();
        o["id"] = it->id;
        o["fromMe"] = true;
        o["timestamp"] = it->timestamp_s;
        o["body"] = it->text;
      }
      return out.respond(answer(200, out_msgs));
    }
    return out.respond(waha_error(404, "Cannot " + req.method + " " + path));
  });
}

void fake_gateway::stop() {
  {
    std::lock_guard lk(st_->mu);
    st_->stopping = true;
  }
  st_->cv.notify_all();
  if (server_) server_->stop();
}

uint16_t fake_gateway::port() const { return server_ ? server_->port() : 0; }

std::string fake_gateway::base_url() const {
  std::string root = "http://127.0.0.1:" + std::to_string(port());
  return o_.type == kind::cloud ? root + "/" + o_.version : root;
}

size_t fake_gateway::send_requests() const {
  std::lock_guard lk(st_->mu);
  return st_->send_requests;
}

size_t fake_gateway::accepted_count() const {
  std::lock_guard lk(st_->mu);
  return st_->accepted.size();
}

std::vector<fake_gateway::accepted_message> fake_gateway::accepted() const {
  std::lock_guard lk(st_->mu);
  return st_->accepted;
}

std::vector<fake_gateway::request_record> fake_gateway::requests() const {
  std::lock_guard lk(st_->mu);
  return st_->requests;
}

std::vector<std::string> fake_gateway::violations() const {
  std::lock_guard lk(st_->mu);
  return st_->violations;
}

bool fake_gateway::wait_for_send_requests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(st_->mu);
  return st_->cv.wait_for(lk, timeout, [&] { return st_->send_requests >= n; });
}

void fake_gateway::fail_next(int n, int status) {
  std::lock_guard lk(st_->mu);
  st_->fail_n = n;
  st_->fail_status = status;
}

void fake_gateway::hang_next(int n, std::chrono::milliseconds delay, bool store_first) {
  std::lock_guard lk(st_->mu);
  st_->hang_n = n;
  st_->hang_delay = delay;
  st_->hang_store = store_first;
}

void fake_gateway::set_connected(bool connected) {
  std::lock_guard lk(st_->mu);
  st_->connected = connected;
  if (o_.type == kind::waha) st_->session_status = connected ? "WORKING" : "STOPPED";
}

void fake_gateway::set_session_status(std::string status) {
  std::lock_guard lk(st_->mu);
  st_->session_status = std::move(status);
}

void fake_gateway::enforce_window(bool on) {
  std::lock_guard lk(st_->mu);
  st_->enforce_window = on;
}

void fake_gateway::set_window(const std::string& digits, bool open) {
  std::lock_guard lk(st_->mu);
  if (open) {
    st_->open_windows.insert(digits);
  } else {
    st_->open_windows.erase(digits);
  }
}

void fake_gateway::reset() {
  std::lock_guard lk(st_->mu);
  st_->send_requests = 0;
  st_->accepted.clear();
  st_->requests.clear();
  st_->violations.clear();
  st_->fail_n = 0;
  st_->hang_n = 0;
}

}  // namespace roms::testing
