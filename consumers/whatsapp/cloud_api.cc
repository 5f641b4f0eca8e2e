#include "consumers/whatsapp/cloud_api.h"

#include <boost/json.hpp>

#include <algorithm>

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

send_error err(kind k, std::string code, std::string message) {
  send_error e;
  e.what = k;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Meta's error object, when the body has one.
struct graph_error {
  int64_t code = 0;
  std::string message;
};

graph_error parse_graph_error(std::string_view body) {
  graph_error g;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return g;
  const auto* e = v.as_object().if_contains("error");
  if (!e || !e->is_object()) return g;
  const auto& o = e->as_object();
  if (const auto* c = o.if_contains("code"); c && c->is_int64()) g.code = c->as_int64();
  if (const auto* m = o.if_contains("message"); m && m->is_string())
    g.message = std::string(m->as_string());
  return g;
}

bool one_of(int64_t v, std::initializer_list<int64_t> l) {
  return std::find(l.begin(), l.end(), v) != l.end();
}

send_error classify(int status, const graph_error& g) {
  std::string what = "Cloud API answered " + std::to_string(status);
  if (g.code != 0) what += " (code " + std::to_string(g.code) + ")";
  if (!g.message.empty()) what += ": " + internal::excerpt(g.message);
  if (status == 401 || one_of(g.code, {190, 3, 10, 200}))
    return err(kind::disconnected, "token_refused", what);
  if (g.code == 131047)
    return err(kind::rejected, "outside_window",
               what +
                   " — more than 24 hours since the customer's last message; only an "
                   "approved template can go");
  if (status == 429 || one_of(g.code, {4, 80007, 130429, 131048, 131056}))
    return err(kind::retryable, "rate_limited", what);
  if (status >= 500 || one_of(g.code, {1, 2, 131000, 131016, 133004}))
    return err(kind::retryable, "http_" + std::to_string(status), what);
  return err(kind::rejected, "http_" + std::to_string(status), what);
}

http_call call(const cloud_api_options& o, std::string method, std::string url) {
  http_call c;
  c.method = std::move(method);
  c.url = std::move(url);
  c.headers = {{"Authorization", "Bearer " + o.token}, {"Accept", "application/json"}};
  c.connect_timeout = o.connect_timeout;
  c.timeout = o.timeout;
  return c;
}

}  // namespace

std::string message_id_from_reference(std::string_view data) {
  constexpr std::string_view kPrefix = "roms:";
  if (!data.starts_with(kPrefix)) return {};
  data.remove_prefix(kPrefix.size());
  auto colon = data.find(':');
  auto id = data.substr(0, colon);
  if (!id.starts_with("msg_")) return {};
  return std::string(id);
}

cloud_api_channel::cloud_api_channel(cloud_api_options o) : o_(std::move(o)) {
  o_.base_url = strip_slash(o_.base_url);
}

outcome::result<std::string, send_error, outcome::policy::terminate>
cloud_api_channel::request_body(const outbound_message& m) const {
  const std::string to = internal::e164_digits(m.to);
  if (to.empty())
    return err(kind::rejected, "invalid_phone", "recipient is not an E.164 phone number");
  json::object b;
  b["messaging_product"] = "whatsapp";
  b["recipient_type"] = "individual";
  b["to"] = to;
  b["biz_opaque_callback_data"] = "roms:" + m.message_id + ":" + std::to_string(m.attempt);
  if (!m.window_open) {
    if (!m.wa_template || m.wa_template->name.empty()) {
      return err(kind::rejected, "outside_window",
                 "more than 24 hours since the customer's last message and the message has no "
                 "approved WhatsApp template (wa_template_name): the Cloud API refuses "
                 "business-initiated free text");
    }
    json::object t;
    t["name"] = m.wa_template->name;
    t["language"] =
        json::object{{"code", m.wa_template->language.empty() ? "id" : m.wa_template->language}};
    if (!m.wa_template->params.empty()) {
      json::array params;
      for (const auto& p : m.wa_template->params)
        params.push_back(json::object{{"type", "text"}, {"text", p}});
      t["components"] =
          json::array{json::object{{"type", "body"}, {"parameters", std::move(params)}}};
    }
    b["type"] = "template";
    b["template"] = std::move(t);
  } else if (m.media && !m.media_link.empty()) {
    const bool image = m.media->mime_type.starts_with("image/");
    json::object media{{"link", m.media_link}};
    if (!m.body.empty()) media["caption"] = m.body;
    if (!image && !m.media->filename.empty()) media["filename"] = m.media->filename;
    const char* type = image ? "image" : "document";
    b["type"] = type;
    b[type] = std::move(media);
  } else {
    if (m.body.empty()) return err(kind::rejected, "empty", "the message has no text");
    b["type"] = "text";
    b["text"] = json::object{{"preview_url", false}, {"body", m.body}};
  }
  return json::serialize(b);
}

send_result cloud_api_channel::send(const outbound_message& m) {
  auto body = request_body(m);
  if (!body) return body.error();
  auto c =
      call(o_, "POST", o_.base_url + "/" + internal::url_encode(o_.phone_number_id) + "/messages");
  c.headers.emplace_back("Content-Type", "application/json");
  c.body = std::move(body).value();
  http_outcome r = internal::perform(c);
  if (r.failure == transport_failure::not_sent)
    return err(kind::disconnected, "unreachable", "Cloud API unreachable: " + r.error);
  if (r.failure == transport_failure::no_answer) {
    return err(kind::unknown_delivery, r.timed_out ? "timeout" : "no_answer",
               "no answer from the Cloud API after the request was sent: " + r.error);
  }
  if (r.status < 200 || r.status >= 300) return classify(r.status, parse_graph_error(r.body));
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* msgs = v.as_object().if_contains("messages"); msgs && msgs->is_array()) {
      for (const auto& e : msgs->as_array()) {
        if (!e.is_object()) continue;
        if (const auto* id = e.as_object().if_contains("id"); id && id->is_string())
          return std::string(id->as_string());
      }
    }
  }
  // Accepted (2xx) without an id we can read: sent; status webhooks carry our reference.
  return std::string();
}

channel_status cloud_api_channel::status() {
  channel_status s;
  if (o_.token.empty() || o_.phone_number_id.empty()) {
    s.detail = "ROMS_WA_CLOUD_TOKEN and ROMS_WA_CLOUD_PHONE_ID must be set";
    return s;
  }
  auto c = call(o_, "GET",
                o_.base_url + "/" + internal::url_encode(o_.phone_number_id) +
                    "?fields=id,display_phone_number");
  http_outcome r = internal::perform(c);
  if (r.failure != transport_failure::none) {
    s.detail = "Cloud API unreachable: " + r.error;
    return s;
  }
  if (r.status >= 200 && r.status < 300) {
    s.state = channel_state::connected;
    s.detail = "phone number accepted";
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (!ec && v.is_object()) {
      if (const auto* d = v.as_object().if_contains("display_phone_number"); d && d->is_string())
        s.detail = std::string(d->as_string());
    }
    return s;
  }
  auto g = parse_graph_error(r.body);
  s.detail = (r.status == 401 || g.code == 190) ? "access token refused"
                                                : "Cloud API answered " + std::to_string(r.status);
  return s;
}

result_msg<std::string> cloud_api_channel::qr() {
  return error_info{errc::unsupported,
                    "the WhatsApp Cloud API has no QR pairing: the number is linked in Meta's "
                    "WhatsApp Manager"};
}

lookup_result cloud_api_channel::find_sent(const outbound_message&, timestamp) {
  lookup_result r;
  r.what = lookup_result::kind::unsupported;
  r.detail = "the Cloud API cannot list sent messages";
  return r;
}

}  // namespace roms::consumers::whatsapp
