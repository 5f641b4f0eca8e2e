// The two WhatsApp adapters against their gateway stand-ins on loopback: paths, auth headers,
// body fields, the Cloud API's 24-hour window, signed media links, and how every kind of
// failure is classified (retryable, disconnected, rejected, unknown delivery).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cctype>
#include <fstream>
#include <iterator>

#include "consumers/media_link.h"
#include "consumers/whatsapp/cloud_api.h"
#include "consumers/whatsapp/config.h"
#include "consumers/whatsapp/waha.h"
#include "core/errc.h"
#include "tests/consumers/fake_gateways.h"
#include "tests/consumers/outbox_testing.h"

namespace roms::consumers::whatsapp {
namespace {

namespace json = boost::json;
using testing::fake_gateway;
using kind = send_error::kind;
using namespace std::chrono_literals;

json::value fixture(const std::string& rel) {
  std::ifstream in(std::string(ROMS_WA_FIXTURES) + "/" + rel);
  std::string s(std::istreambuf_iterator<char>(in), {});
  EXPECT_FALSE(s.empty()) << rel;
  return json::parse(s);
}

std::string header(const http::header_list& h, std::string_view name) {
  for (const auto& [k, v] : h) {
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < k.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(k[i])) !=
          std::tolower(static_cast<unsigned char>(name[i])))
        eq = false;
    if (eq) return v;
  }
  return {};
}

outbound_message text(std::string body, bool window_open = true) {
  outbound_message m;
  m.message_id = "msg_test1";
  m.attempt = 1;
  m.to = "+6281234567890";
  m.body = std::move(body);
  m.window_open = window_open;
  return m;
}

class CloudApi : public ::testing::Test {
 protected:
  void SetUp() override {
    gw_ = std::make_unique<fake_gateway>(fake_gateway::options{.type = fake_gateway::kind::cloud});
    ASSERT_TRUE(gw_->start());
    ch_ = testing::channel_for(*gw_, 1s);
  }
  std::unique_ptr<fake_gateway> gw_;
  std::unique_ptr<channel> ch_;
};

TEST_F(CloudApi, SendsTextInsideTheWindowWithBearerAndDocumentedFields) {
  auto r = ch_->send(text("Terima kasih, Kak Budi! 🙏"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r.value().starts_with("wamid."));
  ASSERT_EQ(gw_->accepted_count(), 1u);
  auto reqs = gw_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/v23.0/106540352242922/messages");
  EXPECT_EQ(header(reqs[0].headers, "Authorization"), "Bearer test-cloud-token");
  EXPECT_EQ(header(reqs[0].headers, "Content-Type"), "application/json");
  auto body = json::parse(reqs[0].body).as_object();
  EXPECT_EQ(body.at("messaging_product"), "whatsapp");
  EXPECT_EQ(body.at("recipient_type"), "individual");
  EXPECT_EQ(body.at("to"), "6281234567890");
  EXPECT_EQ(body.at("type"), "text");
  EXPECT_EQ(body.at("text").at("body"), "Terima kasih, Kak Budi! 🙏");
  EXPECT_EQ(body.at("biz_opaque_callback_data"), "roms:msg_test1:1");
  EXPECT_EQ(message_id_from_reference("roms:msg_test1:1"), "msg_test1");
  EXPECT_TRUE(gw_->violations().empty());
}

TEST_F(CloudApi, ReadsTheIdFromMetasPublishedResponse) {
  // The fixture is the SDK's test response; the fake answers the same shape.
  auto f = fixture("whatsapp-cloud/send-message-response-meta-nodejs-sdk-test.json");
  EXPECT_TRUE(f.as_object().at("messages").as_array()[0].as_object().contains("id"));
  auto r = ch_->send(text("Halo"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), gw_->accepted()[0].id);
}

TEST_F(CloudApi, OutsideTheWindowWithoutTemplateFailsBeforeAnyRequest) {
  auto r = ch_->send(text("Halo", /*window_open=*/false));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::rejected);
  EXPECT_EQ(r.error().code, "outside_window");
  EXPECT_FALSE(r.error().retryable());
  EXPECT_EQ(gw_->send_requests(), 0u);
}

TEST_F(CloudApi, OutsideTheWindowSendsTheApprovedTemplateWithBodyParameters) {
  gw_->enforce_window(true);  // the stand-in refuses free text to this number, like Meta
  auto m = text("Halo Budi, pesanan ORD-1 Rp 125.000", false);
  m.wa_template =
      events::wa_template_ref{"order_confirmation", "id", {"Budi", "ORD-1", "Rp 125.000"}};
  auto r = ch_->send(m);
  ASSERT_TRUE(r) << r.error().message;
  auto a = gw_->accepted();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].type, "template");
  EXPECT_EQ(a[0].template_name, "order_confirmation");
  EXPECT_EQ(a[0].template_params, (std::vector<std::string>{"Budi", "ORD-1", "Rp 125.000"}));
  // The structure is the documented template object's: name, language.code, components with
  // type "body" and text parameters.
  auto doc =
      fixture("whatsapp-cloud/template-object-example-meta-nodejs-sdk-docs.json").as_object();
  auto sent = json::parse(a[0].raw).as_object().at("template").as_object();
  EXPECT_TRUE(doc.contains("name") && sent.contains("name"));
  EXPECT_TRUE(doc.at("language").as_object().contains("code"));
  EXPECT_EQ(sent.at("language").at("code"), "id");
  const auto& body = sent.at("components").as_array()[0].as_object();
  EXPECT_EQ(body.at("type"), "body");
  EXPECT_EQ(body.at("parameters").as_array()[0].at("type"), "text");
  EXPECT_TRUE(gw_->violations().empty());
}

TEST_F(CloudApi, MetasReengagementErrorIsOutsideWindowNotRetryable) {
  gw_->enforce_window(true);
  auto r = ch_->send(text("Halo", /*window_open=*/true));  // ROMS thinks it is open, Meta not
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::rejected);
  EXPECT_EQ(r.error().code, "outside_window");
}

TEST_F(CloudApi, MediaGoByAnExpiringSignedLink) {
  media_signer signer("/nonexistent", std::string(32, 'k'));
  const std::string sha(64, 'a');
  const timestamp now = system_clock().now();
  auto m = text("Foto produk");
  m.media = events::media_ref{sha, "image/jpeg", "kopi.jpg", ""};
  m.media_link = signer.sign_url("https://toko.example/", sha, now + 1h);
  ASSERT_TRUE(ch_->send(m));
  auto doc = m;
  doc.media = events::media_ref{sha, "application/pdf", "invoice.pdf", ""};
  ASSERT_TRUE(ch_->send(doc));
  auto a = gw_->accepted();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].type, "image");
  EXPECT_EQ(a[1].type, "document");
  EXPECT_EQ(json::parse(a[1].raw).at("document").at("filename"), "invoice.pdf");
  EXPECT_EQ(a[0].text, "Foto produk");
  // Same shape as Meta's documented image-by-link request.
  auto doc_req = fixture("whatsapp-cloud/send-image-by-link-request-from-docs.json").as_object();
  auto sent = json::parse(a[0].raw).as_object();
  for (const auto& kv : doc_req) EXPECT_TRUE(sent.contains(kv.key())) << kv.key();
  EXPECT_TRUE(sent.at("image").as_object().contains("link"));
  // The link verifies until it expires.
  const std::string link = a[0].link;
  ASSERT_TRUE(link.starts_with("https://toko.example/api/v1/media/" + sha + "?exp="));
  auto q = link.substr(link.find('?') + 1);
  std::string exp = q.substr(4, q.find('&') - 4);
  std::string sig = q.substr(q.find("sig=") + 4);
  EXPECT_TRUE(signer.verify(sha, exp, sig, now));
  EXPECT_FALSE(signer.verify(sha, exp, sig, now + 2h));              // expired
  EXPECT_FALSE(signer.verify(std::string(64, 'b'), exp, sig, now));  // another file
  EXPECT_FALSE(signer.verify(sha, std::to_string(std::stoll(exp) + 3600), sig, now));
}

TEST_F(CloudApi, ErrorsAreClassified) {
  gw_->fail_next(1, 500);
  auto r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::retryable);

  gw_->fail_next(1, 429);
  r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::retryable);
  EXPECT_EQ(r.error().code, "rate_limited");

  gw_->fail_next(1, 400);
  r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::rejected);

  auto bad = text("a");
  bad.to = "081234567890";  // not E.164
  r = ch_->send(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invalid_phone");

  gw_->hang_next(1, 5s, /*store_first=*/true);
  r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::unknown_delivery);
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_FALSE(r.error().gateway_answered);

  gw_->set_connected(false);  // the token is refused
  r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::disconnected);
  EXPECT_EQ(ch_->status().state, channel_state::disconnected);
  gw_->set_connected(true);
  EXPECT_EQ(ch_->status().state, channel_state::connected);

  gw_->stop();  // nothing listens: the request never left
  r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::disconnected);
  EXPECT_EQ(r.error().code, "unreachable");
}

TEST_F(CloudApi, WrongTokenIsRefusedByTheStandIn) {
  cloud_api_options o;
  o.base_url = gw_->base_url();
  o.token = "wrong";
  o.phone_number_id = gw_->config().phone_number_id;
  cloud_api_channel ch(o);
  auto r = ch.send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::disconnected);
  EXPECT_EQ(r.error().message.find("wrong"), std::string::npos);  // no secret in messages
  ASSERT_EQ(gw_->violations().size(), 1u);
}

TEST_F(CloudApi, HasNoQrAndCannotLookMessagesUp) {
  auto q = ch_->qr();
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, errc::unsupported);
  EXPECT_EQ(ch_->find_sent(text("a"), system_clock().now()).what, lookup_result::kind::unsupported);
}

class Waha : public ::testing::Test {
 protected:
  void start(fake_gateway::options o = {}) {
    o.type = fake_gateway::kind::waha;
    gw_ = std::make_unique<fake_gateway>(o);
    ASSERT_TRUE(gw_->start());
    ch_ = testing::channel_for(*gw_, 1s);
  }
  void SetUp() override { start(); }
  std::unique_ptr<fake_gateway> gw_;
  std::unique_ptr<channel> ch_;
};

TEST_F(Waha, SendsTextWithApiKeySessionAndChatId) {
  auto r = ch_->send(text("Terima kasih! 🙏"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r.value().starts_with("true_6281234567890@c.us_")) << r.value();
  auto reqs = gw_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/api/sendText");
  EXPECT_EQ(header(reqs[0].headers, "X-Api-Key"), "test-waha-key");
  auto body = json::parse(reqs[0].body).as_object();
  // The documented request's fields, no more.
  auto doc = fixture("waha/sendText-request-from-docs.json").as_object();
  EXPECT_EQ(body.size(), doc.size());
  for (const auto& kv : doc) EXPECT_TRUE(body.contains(kv.key())) << kv.key();
  EXPECT_EQ(body.at("session"), "default");
  EXPECT_EQ(body.at("chatId"), "6281234567890@c.us");
  EXPECT_EQ(body.at("text"), "Terima kasih! 🙏");
  EXPECT_TRUE(gw_->violations().empty());
}

TEST_F(Waha, WindowDoesNotApply) {
  auto r = ch_->send(text("Halo", /*window_open=*/false));
  EXPECT_TRUE(r);
}

TEST_F(Waha, MediaGoToSendImageAndSendFileWithTheLink) {
  auto m = text("Foto");
  m.media = events::media_ref{std::string(64, 'a'), "image/jpeg", "kopi.jpg", ""};
  m.media_link = "https://toko.example/api/v1/media/x?exp=1&sig=2";
  ASSERT_TRUE(ch_->send(m));
  m.media->mime_type = "application/pdf";
  m.media->filename = "invoice.pdf";
  ASSERT_TRUE(ch_->send(m));
  auto reqs = gw_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/api/sendImage");
  EXPECT_EQ(reqs[1].target, "/api/sendFile");
  auto body = json::parse(reqs[0].body).as_object();
  auto doc = fixture("waha/sendImage-url-request-from-docs.json").as_object();
  for (const auto& kv : doc) EXPECT_TRUE(body.contains(kv.key())) << kv.key();
  EXPECT_EQ(body.at("file").at("url"), json::value(m.media_link));
  EXPECT_EQ(body.at("file").at("mimetype"), "image/jpeg");
  EXPECT_EQ(body.at("caption"), "Foto");
  EXPECT_TRUE(gw_->violations().empty());
}

TEST_F(Waha, NowebIdsAreNormalisedToTheSerialisedForm) {
  start({.noweb_ids = true});
  auto r = ch_->send(text("Halo"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), gw_->accepted()[0].id);
}

TEST_F(Waha, ErrorsAreClassified) {
  gw_->fail_next(1, 500);
  auto r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::unknown_delivery);  // the engine may have queued it
  EXPECT_TRUE(r.error().gateway_answered);

  gw_->fail_next(1, 400);
  r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::rejected);

  gw_->set_session_status("STARTING");
  r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::disconnected);
  EXPECT_EQ(r.error().code, "session_not_working");
  gw_->set_session_status("WORKING");

  gw_->hang_next(1, 5s, false);
  r = ch_->send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::unknown_delivery);
  EXPECT_FALSE(r.error().gateway_answered);
}

TEST_F(Waha, WrongKeyAndUnknownSessionAreDisconnected) {
  waha_options o;
  o.base_url = gw_->base_url();
  o.api_key = "wrong-key";
  waha_channel bad_key(o);
  auto r = bad_key.send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::disconnected);
  EXPECT_EQ(r.error().message.find("wrong-key"), std::string::npos);
  EXPECT_EQ(bad_key.status().state, channel_state::disconnected);

  o.api_key = gw_->config().api_key;
  o.session = "other";
  waha_channel other(o);
  r = other.send(text("a"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, kind::disconnected);
  EXPECT_EQ(other.status().detail, "WAHA has no session other");
}

TEST_F(Waha, StatusFollowsTheSessionAndQrIsThePng) {
  auto s = ch_->status();
  EXPECT_EQ(s.state, channel_state::connected);
  EXPECT_EQ(s.detail, "WORKING");
  auto q = ch_->qr();
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, errc::conflict);

  gw_->set_session_status("SCAN_QR_CODE");
  EXPECT_EQ(ch_->status().state, channel_state::pairing);
  q = ch_->qr();
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q.value().substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  gw_->set_session_status("STOPPED");
  EXPECT_EQ(ch_->status().state, channel_state::disconnected);
}

TEST_F(Waha, FindsASentMessageByItsText) {
  const timestamp before = system_clock().now();
  auto r = ch_->send(text("Pesanan ORD-7 sudah kami terima"));
  ASSERT_TRUE(r);
  auto found = ch_->find_sent(text("Pesanan ORD-7 sudah kami terima"), before);
  EXPECT_EQ(found.what, lookup_result::kind::found);
  EXPECT_EQ(found.gateway_message_id, r.value());
  auto other = ch_->find_sent(text("Another text"), before);
  EXPECT_EQ(other.what, lookup_result::kind::not_found);
  gw_->stop();
  EXPECT_EQ(ch_->find_sent(text("x"), before).what, lookup_result::kind::unavailable);
}

TEST(WhatsappConfig, ValidatesWhatTheGatewayNeeds) {
  whatsapp_config c;
  EXPECT_TRUE(c.validate());
  EXPECT_EQ(make_channel(c), nullptr);
  c.gateway = "waha";
  EXPECT_FALSE(c.validate());
  c.waha.base_url = "http://127.0.0.1:3000";
  EXPECT_TRUE(c.validate());
  EXPECT_EQ(make_channel(c)->name(), "waha");
  c.gateway = "cloud";
  EXPECT_FALSE(c.validate());
  c.cloud.token = "t";
  c.cloud.phone_number_id = "1";
  EXPECT_TRUE(c.validate());
  EXPECT_EQ(make_channel(c)->name(), "cloud");
  c.gateway = "telegram";
  EXPECT_FALSE(c.validate());
}

}  // namespace
}  // namespace roms::consumers::whatsapp
