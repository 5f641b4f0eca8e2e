#include "consumers/whatsapp/waha.h"

#include <boost/json.hpp>

#include "consumers/whatsapp/internal/http_client.h"
#include "consumers/whatsapp/internal/util.h"
#include "core/errc.h"

namespace roms::consumers::whatsapp {
namespace {

namespace json = boost::json;
using internal::http_call;
using internal::http_outcome;
using internal::transport_failure;
using kind = send_error::kind;

send_error err(kind k, std::string code, std::string message, bool answered = false) {
  send_error e;
  e.what = k;
  e.code = std::move(code);
  e.message = std::move(message);
  e.gateway_answered = answered;
  return e;
}

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

http_call call(const waha_options& o, std::string method, std::string path) {
  http_call c;
  c.method = std::move(method);
  c.url = o.base_url + path;
  c.headers = {{"Accept", "application/json"}};
  if (!o.api_key.empty()) c.headers.emplace_back("X-Api-Key", o.api_key);
  c.connect_timeout = o.connect_timeout;
  c.timeout = o.timeout;
  return c;
}

std::string answer_excerpt(const http_outcome& r) {
  std::string s = "WAHA answered " + std::to_string(r.status);
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (!ec && v.is_object()) {
    for (const char* k : {"message", "error"}) {
      if (const auto* m = v.as_object().if_contains(k); m && m->is_string())
        return s + ": " + internal::excerpt(m->as_string());
    }
  }
  return s;
}

const json::value* field(const json::value& v, std::string_view name) {
  if (!v.is_object()) return nullptr;
  return v.as_object().if_contains(name);
}

std::string string_field(const json::value& v, std::string_view name) {
  const auto* f = field(v, name);
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

// The engine's message → its serialised id ("true_<chat>_<id>").
std::string message_id_of(const json::value& v, std::string_view chat_id) {
  if (const auto* id = field(v, "id")) {
    if (id->is_string()) return std::string(id->as_string());
    if (auto s = string_field(*id, "_serialized"); !s.empty()) return s;
  }
  if (const auto* d = field(v, "_data")) {
    if (const auto* id = field(*d, "id")) {
      if (auto s = string_field(*id, "_serialized"); !s.empty()) return s;
    }
  }
  if (const auto* key = field(v, "key")) {
    std::string id = string_field(*key, "id");
    if (!id.empty()) {
      std::string remote = string_field(*key, "remoteJid");
      if (auto at = remote.find("@s.whatsapp.net"); at != std::string::npos)
        remote = remote.substr(0, at) + "@c.us";
      if (remote.empty()) remote = std::string(chat_id);
      const auto* from_me = field(*key, "fromMe");
      bool mine = !from_me || (from_me->is_bool() && from_me->as_bool());
      return std::string(mine ? "true_" : "false_") + remote + "_" + id;
    }
  }
  return {};
}

}  // namespace

std::string waha_chat_id(std::string_view e164) {
  std::string d = internal::e164_digits(e164);
  return d.empty() ? d : d + "@c.us";
}

waha_channel::waha_channel(waha_options o) : o_(std::move(o)) {
  o_.base_url = strip_slash(o_.base_url);
}

send_result waha_channel::send(const outbound_message& m) {
  const std::string chat = waha_chat_id(m.to);
  if (chat.empty())
    return err(kind::rejected, "invalid_phone", "recipient is not an E.164 phone number");
  json::object b{{"session", o_.session}, {"chatId", chat}};
  std::string path;
  if (m.media && !m.media_link.empty()) {
    const bool image = m.media->mime_type.starts_with("image/");
    json::object file{
        {"mimetype", m.media->mime_type.empty() ? "application/octet-stream" : m.media->mime_type},
        {"url", m.media_link}};
    if (!m.media->filename.empty()) file["filename"] = m.media->filename;
    b["file"] = std::move(file);
    if (!m.body.empty()) b["caption"] = m.body;
    path = image ? "/api/sendImage" : "/api/sendFile";
  } else {
    if (m.body.empty()) return err(kind::rejected, "empty", "the message has no text");
    b["text"] = m.body;
    path = "/api/sendText";
  }
  auto c = call(o_, "POST", path);
  c.headers.emplace_back("Content-Type", "application/json");
  c.body = json::serialize(b);
  http_outcome r = internal::perform(c);
  if (r.failure == transport_failure::not_sent)
    return err(kind::disconnected, "unreachable", "WAHA unreachable: " + r.error);
  if (r.failure == transport_failure::no_answer) {
    return err(kind::unknown_delivery, r.timed_out ? "timeout" : "no_answer",
               "no answer from WAHA after the request was sent: " + r.error);
  }
  if (r.status >= 200 && r.status < 300) {
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    return ec ? std::string() : message_id_of(v, chat);
  }
  std::string what = answer_excerpt(r);
  if (r.status == 401 || r.status == 403) return err(kind::disconnected, "key_refused", what);
  if (r.status == 404) return err(kind::disconnected, "no_session", what);
  if (r.status == 422) return err(kind::disconnected, "session_not_working", what);
  if (r.status == 429) return err(kind::retryable, "rate_limited", what);
  if (r.status >= 500)
    return err(kind::unknown_delivery, "http_" + std::to_string(r.status), what, true);
  return err(kind::rejected, "http_" + std::to_string(r.status), what);
}

channel_status waha_channel::status() {
  channel_status s;
  auto r = internal::perform(call(o_, "GET", "/api/sessions/" + internal::url_encode(o_.session)));
  if (r.failure != transport_failure::none) {
    s.detail = "WAHA unreachable: " + r.error;
    return s;
  }
  if (r.status == 401 || r.status == 403) {
    s.detail = "WAHA refused the API key";
    return s;
  }
  if (r.status == 404) {
    s.detail = "WAHA has no session " + o_.session;
    return s;
  }
  if (r.status < 200 || r.status >= 300) {
    s.detail = answer_excerpt(r);
    return s;
  }
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  std::string st = ec ? std::string() : string_field(v, "status");
  s.detail = st.empty() ? "no status in WAHA's answer" : st;
  if (st == "WORKING") s.state = channel_state::connected;
  if (st == "SCAN_QR_CODE") s.state = channel_state::pairing;
  return s;
}

result_msg<std::string> waha_channel::qr() {
  auto c = call(o_, "GET", "/api/" + internal::url_encode(o_.session) + "/auth/qr?format=image");
  c.headers = {{"Accept", "image/png"}};
  if (!o_.api_key.empty()) c.headers.emplace_back("X-Api-Key", o_.api_key);
  auto r = internal::perform(c);
  if (r.failure != transport_failure::none)
    return error_info{errc::unavailable, "WAHA unreachable: " + r.error};
  if (r.status == 401 || r.status == 403)
    return error_info{errc::unavailable, "WAHA refused the API key"};
  if (r.status == 404 || r.status == 422 || r.status == 400)
    return error_info{errc::conflict, "no QR code to scan now (" + answer_excerpt(r) +
                                          "): the session is not waiting for a scan"};
  if (r.status < 200 || r.status >= 300) return error_info{errc::unavailable, answer_excerpt(r)};
  if (r.body.size() >= 8 && r.body.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) return r.body;
  // {"mimetype":"image/png","data":"<base64>"}
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (!ec) {
    if (auto data = internal::base64_decode(string_field(v, "data")); data && !data->empty())
      return *data;
  }
  return error_info{errc::unavailable, "WAHA's QR answer is neither a PNG nor base64 JSON"};
}

lookup_result waha_channel::find_sent(const outbound_message& m, timestamp sent_after) {
  lookup_result out;
  const std::string chat = waha_chat_id(m.to);
  if (chat.empty()) {
    out.what = lookup_result::kind::not_found;
    out.detail = "recipient is not an E.164 phone number";
    return out;
  }
  auto r = internal::perform(
      call(o_, "GET",
           "/api/" + internal::url_encode(o_.session) + "/chats/" + internal::url_encode(chat) +
               "/messages?limit=" + std::to_string(o_.lookup_limit) + "&downloadMedia=false"));
  if (r.failure != transport_failure::none || r.status >= 500 || r.status == 401 ||
      r.status == 403 || r.status == 422) {
    out.what = lookup_result::kind::unavailable;
    out.detail =
        r.failure != transport_failure::none ? "WAHA unreachable: " + r.error : answer_excerpt(r);
    return out;
  }
  if (r.status < 200 || r.status >= 300) {
    out.what = lookup_result::kind::unsupported;
    out.detail = answer_excerpt(r);
    return out;
  }
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_array()) {
    out.what = lookup_result::kind::unsupported;
    out.detail = "WAHA's chat messages are not a JSON array";
    return out;
  }
  // A minute of slack for the clocks of this machine and WAHA's.
  const int64_t after_s = to_micros(sent_after) / 1'000'000 - 60;
  for (const auto& e : v.as_array()) {
    const auto* from_me = field(e, "fromMe");
    if (!from_me || !from_me->is_bool() || !from_me->as_bool()) continue;
    const auto* ts = field(e, "timestamp");
    int64_t t = ts && ts->is_int64()
                    ? ts->as_int64()
                    : (ts && ts->is_uint64() ? static_cast<int64_t>(ts->as_uint64()) : 0);
    if (t != 0 && t < after_s) continue;
    if (string_field(e, "body") != m.body) continue;
    out.what = lookup_result::kind::found;
    out.gateway_message_id = message_id_of(e, chat);
    return out;
  }
  out.what = lookup_result::kind::not_found;
  out.detail = "not among the chat's last " + std::to_string(o_.lookup_limit) + " messages";
  return out;
}

}  // namespace roms::consumers::whatsapp
