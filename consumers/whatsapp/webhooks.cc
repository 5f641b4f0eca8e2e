#include "consumers/whatsapp/webhooks.h"

#include <boost/json.hpp>

#include <charconv>

#include "consumers/whatsapp/internal/util.h"
#include "core/errc.h"

namespace roms::consumers::whatsapp {
namespace {

namespace json = boost::json;

const json::value* field(const json::value& v, std::string_view name) {
  if (!v.is_object()) return nullptr;
  return v.as_object().if_contains(name);
}

std::string str(const json::value& v, std::string_view name) {
  const auto* f = field(v, name);
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}

int64_t int_of(const json::value* f) {
  if (!f) return 0;
  if (f->is_int64()) return f->as_int64();
  if (f->is_uint64()) return static_cast<int64_t>(f->as_uint64());
  if (f->is_double()) return static_cast<int64_t>(f->as_double());
  if (f->is_string()) {
    auto s = f->as_string();
    int64_t n = 0;
    std::from_chars(s.data(), s.data() + s.size(), n);
    return n;
  }
  return 0;
}

const json::array* array_field(const json::value& v, std::string_view name) {
  const auto* f = field(v, name);
  return f && f->is_array() ? &f->as_array() : nullptr;
}

std::string plus(std::string digits) {
  std::string e = "+" + digits;
  return internal::is_e164(e) ? e : std::string();
}

void cloud_status(const json::value& s, webhook_batch& out) {
  status_update u;
  u.gateway_message_id = str(s, "id");
  u.status = str(s, "status");
  u.reference = str(s, "biz_opaque_callback_data");
  u.recipient = plus(str(s, "recipient_id"));
  u.time_s = int_of(field(s, "timestamp"));
  if (const auto* errors = array_field(s, "errors"); errors && !errors->empty()) {
    const auto& e = (*errors)[0];
    std::string title = str(e, "title");
    if (title.empty()) title = str(e, "message");
    u.error = "code " + std::to_string(int_of(field(e, "code"))) + ": " + title;
    if (const auto* d = field(e, "error_data")) {
      if (auto details = str(*d, "details"); !details.empty()) u.error += " (" + details + ")";
    }
  }
  if (u.gateway_message_id.empty() || u.status.empty()) {
    out.ignored.push_back("a status without id or status");
    return;
  }
  if (u.status != "sent" && u.status != "delivered" && u.status != "read" && u.status != "failed") {
    out.ignored.push_back("status " + u.status);
    return;
  }
  out.statuses.push_back(std::move(u));
}

void cloud_message(const json::value& m, const json::array* contacts, webhook_batch& out) {
  inbound_message in;
  in.gateway_message_id = str(m, "id");
  in.from = plus(str(m, "from"));
  in.type = str(m, "type");
  in.time_s = int_of(field(m, "timestamp"));
  if (contacts) {
    for (const auto& c : *contacts) {
      if (str(c, "wa_id") != str(m, "from")) continue;
      if (const auto* p = field(c, "profile")) in.name = str(*p, "name");
    }
  }
  if (in.gateway_message_id.empty() || in.from.empty()) {
    out.ignored.push_back("a message without id or sender");
    return;
  }
  if (in.type == "text") {
    if (const auto* t = field(m, "text")) in.text = str(*t, "body");
  } else if (in.type == "image" || in.type == "document" || in.type == "video" ||
             in.type == "audio" || in.type == "sticker") {
    if (const auto* media = field(m, in.type)) {
      events::media_ref r;
      r.mime_type = str(*media, "mime_type");
      r.filename = str(*media, "filename");
      if (auto id = str(*media, "id"); !id.empty()) r.url = "cloud-media:" + id;
      in.text = str(*media, "caption");
      in.media = std::move(r);
    }
  } else {
    out.ignored.push_back("message type " + in.type);
    return;
  }
  out.messages.push_back(std::move(in));
}

}  // namespace

std::string e164_from_waha_chat(std::string_view chat_id) {
  for (std::string_view suffix : {"@c.us", "@s.whatsapp.net"}) {
    if (chat_id.ends_with(suffix))
      return plus(std::string(chat_id.substr(0, chat_id.size() - suffix.size())));
  }
  return {};
}

result_msg<webhook_batch> parse_cloud_webhook(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    return error_info{errc::malformed_json, "the body is not a JSON object"};
  if (str(v, "object") != "whatsapp_business_account")
    return error_info{errc::malformed_json, "object: not whatsapp_business_account"};
  webhook_batch out;
  const auto* entries = array_field(v, "entry");
  if (!entries) return out;
  for (const auto& entry : *entries) {
    const auto* changes = array_field(entry, "changes");
    if (!changes) continue;
    for (const auto& change : *changes) {
      if (str(change, "field") != "messages") {
        out.ignored.push_back("field " + str(change, "field"));
        continue;
      }
      const auto* value = field(change, "value");
      if (!value) continue;
      if (const auto* statuses = array_field(*value, "statuses"))
        for (const auto& s : *statuses) cloud_status(s, out);
      if (const auto* messages = array_field(*value, "messages"))
        for (const auto& m : *messages) cloud_message(m, array_field(*value, "contacts"), out);
      if (const auto* errors = array_field(*value, "errors"); errors && !errors->empty())
        out.ignored.push_back("webhook errors: " + internal::excerpt(json::serialize(*errors)));
    }
  }
  return out;
}

result_msg<webhook_batch> parse_waha_webhook(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    return error_info{errc::malformed_json, "the body is not a JSON object"};
  const std::string event = str(v, "event");
  if (event.empty()) return error_info{errc::malformed_json, "event: missing"};
  webhook_batch out;
  const json::value* p = field(v, "payload");
  static const json::value kEmpty = json::object();
  const json::value& payload = p ? *p : kEmpty;
  if (event == "message.ack") {
    const auto* from_me = field(payload, "fromMe");
    if (from_me && from_me->is_bool() && !from_me->as_bool()) {
      out.ignored.push_back("ack of an inbound message");
      return out;
    }
    status_update u;
    u.gateway_message_id = str(payload, "id");
    const int64_t ack = int_of(field(payload, "ack"));
    if (ack == 2) u.status = "delivered";
    if (ack == 3 || ack == 4) u.status = "read";
    if (ack == -1) {
      u.status = "failed";
      u.error = "WhatsApp reported an error (ack " + str(payload, "ackName") + ")";
    }
    if (u.status.empty() || u.gateway_message_id.empty()) {
      out.ignored.push_back("ack " + std::to_string(ack));
      return out;
    }
    out.statuses.push_back(std::move(u));
  } else if (event == "message") {
    const auto* from_me = field(payload, "fromMe");
    if (from_me && from_me->is_bool() && from_me->as_bool()) {
      out.ignored.push_back("a message sent from this account");
      return out;
    }
    inbound_message in;
    in.gateway_message_id = str(payload, "id");
    in.from = e164_from_waha_chat(str(payload, "from"));
    in.text = str(payload, "body");
    in.time_s = int_of(field(payload, "timestamp"));
    in.type = "text";
    if (const auto* d = field(payload, "_data")) in.name = str(*d, "notifyName");
    const auto* has_media = field(payload, "hasMedia");
    if (has_media && has_media->is_bool() && has_media->as_bool()) {
      events::media_ref r;
      if (const auto* media = field(payload, "media")) {
        r.url = str(*media, "url");
        r.mime_type = str(*media, "mimetype");
        r.filename = str(*media, "filename");
      }
      in.type = r.mime_type.starts_with("image/") ? "image" : "document";
      in.media = std::move(r);
    }
    if (in.gateway_message_id.empty() || in.from.empty()) {
      out.ignored.push_back("a message from a group, channel or hidden id");
      return out;
    }
    out.messages.push_back(std::move(in));
  } else if (event == "session.status") {
    session_update s;
    s.detail = str(payload, "status");
    s.status = s.detail == "WORKING"        ? "connected"
               : s.detail == "SCAN_QR_CODE" ? "pairing"
                                            : "disconnected";
    if (const auto* list = array_field(payload, "statuses"); list && !list->empty())
      s.time_ms = int_of(field(list->back(), "timestamp"));
    if (s.detail.empty()) {
      out.ignored.push_back("session.status without status");
      return out;
    }
    out.session = std::move(s);
  } else {
    out.ignored.push_back("event " + event);
  }
  return out;
}

}  // namespace roms::consumers::whatsapp
