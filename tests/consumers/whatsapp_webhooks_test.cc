// The gateways' webhook payloads (the real fixtures from ../shared/fixtures, copied into
// tests/consumers/fixtures) parsed into status updates, inbound messages and session changes;
// the signatures both gateways put on them (WAHA's published HMAC-SHA512 test vector, and an
// X-Hub-Signature-256 computed here).
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json.hpp>

#include <fstream>
#include <iterator>

#include "consumers/whatsapp/webhooks.h"
#include "http/api/internal/hmac.h"

namespace roms::consumers::whatsapp {
namespace {

namespace json = boost::json;
namespace hmac = http::api::internal;

std::string fixture(const std::string& rel) {
  std::ifstream in(std::string(ROMS_WA_FIXTURES) + "/" + rel, std::ios::binary);
  std::string s(std::istreambuf_iterator<char>(in), {});
  EXPECT_FALSE(s.empty()) << rel;
  return s;
}

TEST(WhatsappWebhooks, CloudStatusFixtures) {
  struct row {
    const char* file;
    const char* status;
  };
  for (auto [file, status] : {row{"status-sent-pywa-fixture.json", "sent"},
                              row{"status-delivered-pywa-fixture.json", "delivered"},
                              row{"status-read-pywa-fixture.json", "read"},
                              row{"status-failed-pywa-fixture.json", "failed"}}) {
    auto b = parse_cloud_webhook(fixture(std::string("whatsapp-cloud/") + file));
    ASSERT_TRUE(b) << file;
    ASSERT_EQ(b.value().statuses.size(), 1u) << file;
    const auto& s = b.value().statuses[0];
    EXPECT_EQ(s.gateway_message_id, "wamid.xyzxyz");
    EXPECT_EQ(s.status, status);
    EXPECT_EQ(s.recipient, "+972987654321");
    EXPECT_GT(s.time_s, 1'600'000'000);
    EXPECT_TRUE(b.value().messages.empty());
    if (std::string_view(status) == "failed") {
      EXPECT_NE(s.error.find("130472"), std::string::npos) << s.error;
      EXPECT_NE(s.error.find("experiment"), std::string::npos) << s.error;
    } else {
      EXPECT_TRUE(s.error.empty());
    }
  }
}

TEST(WhatsappWebhooks, CloudInboundFixtures) {
  auto t = parse_cloud_webhook(fixture("whatsapp-cloud/inbound-text-message-from-docs.json"));
  ASSERT_TRUE(t);
  ASSERT_EQ(t.value().messages.size(), 1u);
  const auto& m = t.value().messages[0];
  EXPECT_EQ(m.from, "+16505551234");
  EXPECT_EQ(m.name, "Sheena Nelson");
  EXPECT_EQ(m.type, "text");
  EXPECT_EQ(m.text, "Does it come in another color?");
  EXPECT_EQ(m.time_s, 1749416383);
  EXPECT_FALSE(m.media);

  auto img = parse_cloud_webhook(fixture("whatsapp-cloud/inbound-image-message-pywa-fixture.json"));
  ASSERT_TRUE(img);
  ASSERT_EQ(img.value().messages.size(), 1u);
  ASSERT_TRUE(img.value().messages[0].media);
  EXPECT_EQ(img.value().messages[0].media->mime_type, "image/jpeg");
  EXPECT_EQ(img.value().messages[0].media->url, "cloud-media:65463453");

  auto doc = parse_cloud_webhook(
      fixture("whatsapp-cloud/inbound-document-message-forwarded-pywa-fixture.json"));
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc.value().messages.size(), 1u);
  const auto& d = doc.value().messages[0];
  EXPECT_EQ(d.type, "document");
  EXPECT_EQ(d.text, "caption");
  EXPECT_EQ(d.media->filename, "filename.pdf");
  EXPECT_EQ(d.media->mime_type, "application/pdf");
}

TEST(WhatsappWebhooks, CloudRejectsWhatIsNotItsEnvelope) {
  EXPECT_FALSE(parse_cloud_webhook("not json"));
  EXPECT_FALSE(parse_cloud_webhook(R"({"object":"page","entry":[]})"));
  auto empty = parse_cloud_webhook(R"({"object":"whatsapp_business_account","entry":[]})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty.value().statuses.empty());
}

TEST(WhatsappWebhooks, WahaAckSessionAndMessageFixtures) {
  auto ack = parse_waha_webhook(fixture("waha/event-message.ack-READ-from-docs.json"));
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack.value().statuses.size(), 1u);
  EXPECT_EQ(ack.value().statuses[0].status, "read");
  EXPECT_EQ(ack.value().statuses[0].gateway_message_id,
            "true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C");

  auto session = parse_waha_webhook(fixture("waha/event-session.status-WORKING-from-docs.json"));
  ASSERT_TRUE(session);
  ASSERT_TRUE(session.value().session);
  EXPECT_EQ(session.value().session->status, "connected");
  EXPECT_EQ(session.value().session->detail, "WORKING");
  EXPECT_EQ(session.value().session->time_ms, 1700000003000);

  // The docs' example message is one the account sent itself (fromMe): not inbound.
  auto own = parse_waha_webhook(fixture("waha/event-message-from-docs.json"));
  ASSERT_TRUE(own);
  EXPECT_TRUE(own.value().messages.empty());
  // The same event from a customer is.
  auto v = json::parse(fixture("waha/event-message-from-docs.json"));
  v.as_object()["payload"].as_object()["fromMe"] = false;
  auto in = parse_waha_webhook(json::serialize(v));
  ASSERT_TRUE(in);
  ASSERT_EQ(in.value().messages.size(), 1u);
  EXPECT_EQ(in.value().messages[0].from, "+11111111111");
  EXPECT_EQ(in.value().messages[0].text, "Hi there!");
  EXPECT_EQ(in.value().messages[0].time_s, 1667561485);
}

TEST(WhatsappWebhooks, WahaAckNumbers) {
  auto ack = [](int n) {
    return parse_waha_webhook(
               R"({"event":"message.ack","session":"default","payload":{"id":"true_6281@c.us_AB","fromMe":true,"ack":)" +
               std::to_string(n) + "}}")
        .value();
  };
  EXPECT_EQ(ack(2).statuses.at(0).status, "delivered");
  EXPECT_EQ(ack(3).statuses.at(0).status, "read");
  EXPECT_EQ(ack(4).statuses.at(0).status, "read");  // PLAYED
  EXPECT_EQ(ack(-1).statuses.at(0).status, "failed");
  EXPECT_TRUE(ack(1).statuses.empty());  // SERVER: nothing beyond sent
  EXPECT_TRUE(ack(0).statuses.empty());
  EXPECT_EQ(e164_from_waha_chat("6281234567890@c.us"), "+6281234567890");
  EXPECT_EQ(e164_from_waha_chat("6281234567890@s.whatsapp.net"), "+6281234567890");
  EXPECT_EQ(e164_from_waha_chat("120363@g.us"), "");
  EXPECT_EQ(e164_from_waha_chat("12345@lid"), "");
}

TEST(WhatsappWebhooks, WahasPublishedHmacTestVectorVerifies) {
  auto v = json::parse(fixture("waha/webhook-hmac-test-vector-from-docs.json")).as_object();
  const std::string body(v.at("body").as_string());
  const std::string key(v.at("key").as_string());
  const std::string sig(v.at("x_webhook_hmac").as_string());
  EXPECT_EQ(v.at("x_webhook_hmac_algorithm"), "sha512");
  auto d = hmac::hmac_sha512(key, body);
  EXPECT_EQ(hmac::hex_encode(d), sig);
  EXPECT_TRUE(hmac::verify_hmac_sha512_hex(key, body, sig));
  std::string upper = sig;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(hmac::verify_hmac_sha512_hex(key, body, upper));
  EXPECT_FALSE(hmac::verify_hmac_sha512_hex(key, body + " ", sig));
  EXPECT_FALSE(hmac::verify_hmac_sha512_hex("other-key", body, sig));
  EXPECT_FALSE(hmac::verify_hmac_sha512_hex("", body, sig));
  EXPECT_FALSE(hmac::verify_hmac_sha512_hex(key, body, sig.substr(2)));
  EXPECT_FALSE(hmac::verify_hmac_sha512_hex(key, body, "zz" + sig.substr(2)));
}

TEST(WhatsappWebhooks, HubSignature256) {
  const std::string secret = "app-secret-123";
  const std::string body = fixture("whatsapp-cloud/status-delivered-pywa-fixture.json");
  // Computed independently of the code under test (OpenSSL's one-shot HMAC).
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &len);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", out[i]);
    hex += b;
  }
  EXPECT_TRUE(hmac::verify_hub_signature_256(secret, body, "sha256=" + hex));
  EXPECT_FALSE(hmac::verify_hub_signature_256(secret, body, hex));  // prefix required
  EXPECT_FALSE(hmac::verify_hub_signature_256(secret, body + "\n", "sha256=" + hex));
  EXPECT_FALSE(hmac::verify_hub_signature_256("", body, "sha256=" + hex));
  EXPECT_FALSE(hmac::verify_hub_signature_256(secret, body, "sha256="));
}

}  // namespace
}  // namespace roms::consumers::whatsapp
