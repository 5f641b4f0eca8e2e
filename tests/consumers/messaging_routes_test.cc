// The messaging routes on a real server on loopback (http/api/messaging_routes.cc) over a real
// log, read models and runner: the gateways' webhooks with their signatures (bad → 401 and
// nothing appended) and forward-only status updates on the real fixture payloads, inbound
// messages, GET /api/v1/messages in the list format, WhatsApp status and QR, signed media
// links, and the manual retry.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <iterator>

#include "consumers/media_link.h"
#include "consumers/outbox.h"
#include "core/errc.h"
#include "http/api/context.h"
#include "http/api/internal/hmac.h"
#include "http/router.h"
#include "http/server.h"
#include "projections/read_models/messages.h"
#include "tests/consumers/fake_gateways.h"
#include "tests/consumers/outbox_testing.h"
#include "tests/http/http_client.h"

namespace roms::http::api {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::fake_gateway;
using testing::http_reply;

constexpr std::string_view kAppSecret = "cloud-app-secret";
constexpr std::string_view kVerifyToken = "verify-me";
constexpr std::string_view kWahaKey = "my-secret-key";  // the key of WAHA's test vector

std::string fixture(const std::string& rel) {
  std::ifstream in(std::string(ROMS_WA_FIXTURES) + "/" + rel, std::ios::binary);
  std::string s(std::istreambuf_iterator<char>(in), {});
  EXPECT_FALSE(s.empty()) << rel;
  return s;
}

// Admin and CS sessions, and a read-only API key.
class test_auth final : public authenticator {
 public:
  result_msg<principal> authenticate(const request& r) override {
    principal p;
    if (r.header("X-API-Key") == "test-read") {
      p.via = principal::kind::api_key;
      p.id = "key_read";
      p.actor = "apikey:key_read";
      p.scopes = {"read"};
      return p;
    }
    auto cookie = r.header("Cookie");
    if (cookie == "roms_session=admin") {
      p.id = "usr_admin";
      p.user_role = role::admin;
      p.csrf_token = "csrf-admin";
    } else if (cookie == "roms_session=cs") {
      p.id = "usr_cs";
      p.user_role = role::cs;
      p.csrf_token = "csrf-cs";
    } else {
      return error_info{errc::unauthorized, "no session"};
    }
    p.via = principal::kind::session;
    p.actor = "user:" + p.id;
    return p;
  }
};

class MessagingRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    b_.open();
    gw_ = std::make_unique<fake_gateway>(fake_gateway::options{.type = fake_gateway::kind::waha});
    ASSERT_TRUE(gw_->start());
    ch_ = testing::channel_for(*gw_, 1s);
    signer_ = consumers::media_signer::open(media_.path()).value();
    ctx_.store = b_.store();
    ctx_.runner = &b_.runner();
    ctx_.log = &b_.log();
    ctx_.clk = &b_.clock();
    ctx_.auth = &auth_;
    ctx_.cfg.whatsapp = "waha";
    ctx_.cfg.wa_cloud_app_secret = std::string(kAppSecret);
    ctx_.cfg.wa_cloud_verify_token = std::string(kVerifyToken);
    ctx_.cfg.waha_hmac_key = std::string(kWahaKey);
    ctx_.whatsapp = ch_.get();
    ctx_.media = signer_.get();
    add_messaging_routes(router_, ctx_);
    server_ = std::make_unique<server>(server::options{.listen = "127.0.0.1:0"});
    ASSERT_TRUE(server_->start(router_.as_handler()));
  }
  void TearDown() override {
    server_->stop();
    gw_->stop();
    b_.close();
  }

  http_reply call(std::string_view method, std::string_view target, std::string_view body = "",
                  std::string headers = "") {
    testing::http_conn c(server_->port());
    std::string req = method == "GET" ? testing::http_get(target, headers)
                                      : testing::http_request(method, target, body, headers);
    EXPECT_TRUE(c.send(req));
    auto r = c.read_reply();
    EXPECT_TRUE(r);
    return r ? *r : http_reply{};
  }
  http_reply cloud_post(const std::string& body, std::string signature = "") {
    if (signature.empty()) {
      signature = "sha256=" + internal::hex_encode(internal::hmac_sha256(kAppSecret, body));
    }
    return call("POST", "/webhooks/whatsapp/cloud", body,
                "Content-Type: application/json\r\nX-Hub-Signature-256: " + signature + "\r\n");
  }
  http_reply waha_post(const std::string& body, std::string signature = "",
                       std::string algorithm = "sha512") {
    if (signature.empty()) signature = internal::hex_encode(internal::hmac_sha512(kWahaKey, body));
    return call("POST", "/webhooks/whatsapp/waha", body,
                "Content-Type: application/json\r\nX-Webhook-Hmac: " + signature +
                    "\r\nX-Webhook-Hmac-Algorithm: " + algorithm + "\r\n");
  }
  int64_t log_end() { return b_.log().stats().value().end_offsets[0]; }

  // A message ROMS sent through `gateway` with the gateway's id `gid`.
  std::string sent_message(const std::string& key, const std::string& gateway,
                           const std::string& gid) {
    auto id = b_.queue(key, "+6281234567890", "Terima kasih");
    events::message_sending s{id, 1, gateway};
    b_.append(consumers::derived_event_id("message.sending:" + id + ":1"),
              events::message_sending::kType, id, events::encode_payload(s), "outbox");
    events::message_sent t;
    t.message_id = id;
    t.gateway = gateway;
    t.gateway_message_id = gid;
    t.attempt = 1;
    b_.append(consumers::derived_event_id("message.outcome:" + id + ":1"),
              events::message_sent::kType, id, events::encode_payload(t), "outbox");
    b_.settle();
    return id;
  }
  std::string status_of(const std::string& id) {
    auto m = b_.message(id);
    return m ? m->status : "";
  }
  // The fixture with its status id replaced (the pywa fixtures all say wamid.xyzxyz).
  std::string with_id(const std::string& rel, const std::string& gid,
                      const std::string& reference = "") {
    auto v = json::parse(fixture(rel));
    auto& s = v.at("entry")
                  .as_array()[0]
                  .at("changes")
                  .as_array()[0]
                  .at("value")
                  .at("statuses")
                  .as_array()[0]
                  .as_object();
    s["id"] = gid;
    if (!reference.empty()) s["biz_opaque_callback_data"] = reference;
    return json::serialize(v);
  }

  testing::outbox_bench b_;
  testing::temp_dir media_;
  std::unique_ptr<fake_gateway> gw_;
  std::unique_ptr<consumers::channel> ch_;
  std::unique_ptr<consumers::media_signer> signer_;
  test_auth auth_;
  context ctx_;
  router router_;
  std::unique_ptr<server> server_;
};

TEST_F(MessagingRoutes, CloudVerificationEchoesTheChallengeOnlyForTheToken) {
  auto ok = call("GET",
                 "/webhooks/whatsapp/cloud?hub.mode=subscribe&hub.verify_token=verify-me"
                 "&hub.challenge=1158201444");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "1158201444");
  EXPECT_EQ(call("GET",
                 "/webhooks/whatsapp/cloud?hub.mode=subscribe&hub.verify_token=nope"
                 "&hub.challenge=1")
                .status,
            403);
  EXPECT_EQ(call("GET",
                 "/webhooks/whatsapp/cloud?hub.mode=unsubscribe&hub.verify_token=verify-me"
                 "&hub.challenge=1")
                .status,
            403);
  ctx_.cfg.wa_cloud_verify_token.clear();  // not configured: nothing verifies
  EXPECT_EQ(call("GET",
                 "/webhooks/whatsapp/cloud?hub.mode=subscribe&hub.verify_token="
                 "&hub.challenge=1")
                .status,
            403);
}

TEST_F(MessagingRoutes, BadSignaturesAre401AndAppendNothing) {
  auto id = sent_message("thank_you:ord_sig", "cloud", "wamid.xyzxyz");
  const std::string body = fixture("whatsapp-cloud/status-read-pywa-fixture.json");
  const int64_t before = log_end();
  auto r = cloud_post(body, "sha256=" + std::string(64, '0'));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("invalid_signature"), std::string::npos);
  EXPECT_EQ(cloud_post(body, "garbage").status, 401);
  EXPECT_EQ(
      call("POST", "/webhooks/whatsapp/cloud", body, "Content-Type: application/json\r\n").status,
      401);
  // Signed over another body.
  auto other = "sha256=" + internal::hex_encode(internal::hmac_sha256(kAppSecret, body + " "));
  EXPECT_EQ(cloud_post(body, other).status, 401);

  const std::string waha = fixture("waha/event-message.ack-READ-from-docs.json");
  EXPECT_EQ(waha_post(waha, std::string(128, 'a')).status, 401);
  EXPECT_EQ(waha_post(waha, "", "sha256").status, 401);  // an algorithm we did not configure
  EXPECT_EQ(call("POST", "/webhooks/whatsapp/waha", waha, "").status, 401);

  ctx_.cfg.waha_hmac_key.clear();
  auto missing = waha_post(waha, internal::hex_encode(internal::hmac_sha512("", waha)));
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.body.find("webhook_secret_missing"), std::string::npos);

  b_.settle();
  EXPECT_EQ(log_end(), before);
  EXPECT_EQ(status_of(id), "sent");
}

TEST_F(MessagingRoutes, WahasPublishedTestVectorIsAccepted) {
  auto v = json::parse(fixture("waha/webhook-hmac-test-vector-from-docs.json")).as_object();
  const std::string body(v.at("body").as_string());
  auto r = waha_post(body, std::string(v.at("x_webhook_hmac").as_string()));
  EXPECT_EQ(r.status, 200) << r.body;
  // A "message" event without payload: nothing to record.
  EXPECT_NE(r.body.find("\"appended\":0"), std::string::npos) << r.body;
}

TEST_F(MessagingRoutes, CloudStatusesMoveForwardOnly) {
  auto id = sent_message("thank_you:ord_fwd", "cloud", "wamid.xyzxyz");
  auto r = cloud_post(fixture("whatsapp-cloud/status-read-pywa-fixture.json"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"appended\":1"), std::string::npos) << r.body;
  EXPECT_EQ(status_of(id), "read");
  // Delivered and sent arrive late: the read model keeps "read", nothing is appended.
  const int64_t before = log_end();
  r = cloud_post(fixture("whatsapp-cloud/status-delivered-pywa-fixture.json"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("already read"), std::string::npos) << r.body;
  EXPECT_EQ(cloud_post(fixture("whatsapp-cloud/status-sent-pywa-fixture.json")).status, 200);
  EXPECT_EQ(cloud_post(fixture("whatsapp-cloud/status-read-pywa-fixture.json")).status, 200);
  b_.settle();
  EXPECT_EQ(log_end(), before);
  EXPECT_EQ(status_of(id), "read");
  auto m = b_.message(id);
  EXPECT_FALSE(m->read_at.empty());

  // In order: delivered, then read.
  auto id2 = sent_message("thank_you:ord_fwd2", "cloud", "wamid.second");
  cloud_post(with_id("whatsapp-cloud/status-delivered-pywa-fixture.json", "wamid.second"));
  EXPECT_EQ(status_of(id2), "delivered");
  cloud_post(with_id("whatsapp-cloud/status-read-pywa-fixture.json", "wamid.second"));
  EXPECT_EQ(status_of(id2), "read");
  EXPECT_FALSE(b_.message(id2)->delivered_at.empty());

  // Failed after sent: failed, with the gateway's reason; a late "delivered" does not undo it.
  auto id3 = sent_message("thank_you:ord_fail", "cloud", "wamid.third");
  r = cloud_post(with_id("whatsapp-cloud/status-failed-pywa-fixture.json", "wamid.third"));
  EXPECT_EQ(r.status, 200);
  auto m3 = b_.message(id3);
  EXPECT_EQ(m3->status, "failed");
  EXPECT_EQ(m3->error_code, "gateway_failed");
  EXPECT_NE(m3->error.find("130472"), std::string::npos);
  cloud_post(with_id("whatsapp-cloud/status-delivered-pywa-fixture.json", "wamid.third"));
  EXPECT_EQ(status_of(id3), "failed");

  // A status for a message ROMS never sent is ignored (200: Meta must not retry it).
  r = cloud_post(with_id("whatsapp-cloud/status-read-pywa-fixture.json", "wamid.unknown"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("did not send"), std::string::npos) << r.body;
}

TEST_F(MessagingRoutes, CloudReferenceSettlesAMessageInDoubt) {
  // A crash left the message in doubt: failed unknown_delivery, no gateway id.
  auto id = b_.queue("thank_you:ord_doubt", "+6281234567890", "Terima kasih");
  events::message_sending s{id, 1, "cloud"};
  b_.append(consumers::derived_event_id("message.sending:" + id + ":1"),
            events::message_sending::kType, id, events::encode_payload(s), "outbox");
  events::message_failed f;
  f.message_id = id;
  f.code = "unknown_delivery";
  f.in_doubt = true;
  f.error = "unknown delivery";
  b_.append(consumers::derived_event_id("message.outcome:" + id + ":1"),
            events::message_failed::kType, id, events::encode_payload(f), "outbox");
  ASSERT_EQ(status_of(id), "failed");
  // Meta echoes our reference: it was delivered after all.
  auto r = cloud_post(with_id("whatsapp-cloud/status-delivered-pywa-fixture.json",
                              "wamid.fromthecrash", "roms:" + id + ":1"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto m = b_.message(id);
  EXPECT_EQ(m->status, "delivered");
  EXPECT_FALSE(m->in_doubt);
  EXPECT_EQ(m->gateway_message_id, "wamid.fromthecrash");
}

TEST_F(MessagingRoutes, WahaAckAndSessionStatus) {
  auto id = sent_message("thank_you:ord_ack", "waha",
                         "true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C");
  auto r = waha_post(fixture("waha/event-message.ack-READ-from-docs.json"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(status_of(id), "read");
  // The same message as newer engines write it ("…_out"): found by its short id.
  auto id2 = sent_message("thank_you:ord_ack2", "waha", "true_6281234567890@c.us_3EB0AA_out");
  r = waha_post(
      R"({"event":"message.ack","session":"default","payload":{"id":"true_6281234567890@c.us_3EB0AA","fromMe":true,"ack":2,"ackName":"DEVICE"}})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(status_of(id2), "delivered");

  const std::string session = fixture("waha/event-session.status-WORKING-from-docs.json");
  r = waha_post(session);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"appended\":1"), std::string::npos) << r.body;
  r = waha_post(session);  // redelivered: nothing new
  EXPECT_NE(r.body.find("\"appended\":0"), std::string::npos) << r.body;
  EXPECT_EQ(b_.events_of("whatsapp.status_changed").size(), 1u);
  auto st = call("GET", "/api/v1/whatsapp/status", "", "X-API-Key: test-read\r\n");
  ASSERT_EQ(st.status, 200);
  auto v = json::parse(st.body).as_object();
  EXPECT_EQ(v.at("gateway"), "waha");
  EXPECT_EQ(v.at("status"), "connected");
  EXPECT_EQ(v.at("detail"), "WORKING");
}

TEST_F(MessagingRoutes, InboundMessagesAreRecordedOnceAndOpenTheWindow) {
  const std::string body = fixture("whatsapp-cloud/inbound-text-message-from-docs.json");
  auto r = cloud_post(body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"appended\":1"), std::string::npos);
  r = cloud_post(body);  // Meta redelivers
  EXPECT_NE(r.body.find("\"appended\":0"), std::string::npos);
  b_.settle();
  auto list = call("GET", "/api/v1/messages?direction=inbound", "", "X-API-Key: test-read\r\n");
  ASSERT_EQ(list.status, 200);
  auto v = json::parse(list.body).as_object();
  ASSERT_EQ(v.at("items").as_array().size(), 1u);
  auto m = v.at("items").as_array()[0].as_object();
  EXPECT_EQ(m.at("from"), "+16505551234");
  EXPECT_EQ(m.at("status"), "received");
  EXPECT_EQ(m.at("body"), "Does it come in another color?");
  auto view = b_.store()->view("messages").value();
  // The fixture's own time is more than a week old: a time that far off is not trusted, the
  // message counts from when it arrived.
  const int64_t last = projections::messages_query::last_inbound_us(*view, "", "+16505551234");
  EXPECT_LE(last, to_micros(b_.clock().now()));
  EXPECT_GT(last, to_micros(b_.clock().now() - 1min));
  // The WAHA form.
  auto w = json::parse(fixture("waha/event-message-from-docs.json"));
  w.as_object()["payload"].as_object()["fromMe"] = false;
  r = waha_post(json::serialize(w));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"appended\":1"), std::string::npos) << r.body;
}

TEST_F(MessagingRoutes, ListsMessagesInTheContractFormat) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(b_.queue("thank_you:ord_l" + std::to_string(i), "+6281234567890",
                           "Pesan " + std::to_string(i), std::nullopt, std::nullopt,
                           i == 2 ? "cus_other" : "cus_1"));
  auto sent = sent_message("thank_you:ord_l3", "waha", "true_6281234567890@c.us_X1");
  EXPECT_EQ(call("GET", "/api/v1/messages").status, 401);
  auto all = call("GET", "/api/v1/messages", "", "X-API-Key: test-read\r\n");
  ASSERT_EQ(all.status, 200);
  auto v = json::parse(all.body).as_object();
  ASSERT_EQ(v.at("items").as_array().size(), 4u);
  EXPECT_TRUE(v.at("next_cursor").is_null());
  auto first = v.at("items").as_array()[0].as_object();  // newest first
  EXPECT_EQ(first.at("id"), json::value(sent));
  EXPECT_EQ(first.at("status"), "sent");
  EXPECT_EQ(first.at("direction"), "outbound");
  EXPECT_EQ(first.at("gateway"), "waha");
  for (const char* k :
       {"id", "direction", "status", "customer_id", "to", "kind", "body", "gateway_message_id",
        "attempts", "error", "created_at", "sent_at", "delivered_at", "read_at", "failed_at"})
    EXPECT_TRUE(first.contains(k)) << k;

  auto queued =
      json::parse(
          call("GET", "/api/v1/messages?status=queued", "", "X-API-Key: test-read\r\n").body)
          .as_object();
  EXPECT_EQ(queued.at("items").as_array().size(), 3u);
  auto other = json::parse(call("GET", "/api/v1/messages?customer_id=cus_other", "",
                                "X-API-Key: test-read\r\n")
                               .body)
                   .as_object();
  ASSERT_EQ(other.at("items").as_array().size(), 1u);
  EXPECT_EQ(other.at("items").as_array()[0].at("id"), json::value(ids[2]));

  // Paging.
  auto p1 =
      json::parse(call("GET", "/api/v1/messages?limit=3", "", "X-API-Key: test-read\r\n").body)
          .as_object();
  ASSERT_EQ(p1.at("items").as_array().size(), 3u);
  ASSERT_TRUE(p1.at("next_cursor").is_string());
  auto p2 = json::parse(call("GET",
                             "/api/v1/messages?limit=3&cursor=" +
                                 std::string(p1.at("next_cursor").as_string()),
                             "", "X-API-Key: test-read\r\n")
                            .body)
                .as_object();
  ASSERT_EQ(p2.at("items").as_array().size(), 1u);
  EXPECT_EQ(p2.at("items").as_array()[0].at("id"), json::value(ids[0]));

  EXPECT_EQ(call("GET", "/api/v1/messages?status=lost", "", "X-API-Key: test-read\r\n").status,
            400);
  EXPECT_EQ(call("GET", "/api/v1/messages?direction=up", "", "X-API-Key: test-read\r\n").status,
            400);
  auto one = call("GET", "/api/v1/messages/" + sent, "", "X-API-Key: test-read\r\n");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(call("GET", "/api/v1/messages/msg_nope", "", "X-API-Key: test-read\r\n").status, 404);
}

TEST_F(MessagingRoutes, StatusAndQrComeFromTheGateway) {
  auto st = json::parse(call("GET", "/api/v1/whatsapp/status", "", "X-API-Key: test-read\r\n").body)
                .as_object();
  EXPECT_EQ(st.at("status"), "disconnected");
  EXPECT_EQ(st.at("detail"), "not checked yet");
  // The outbox polls the gateway and records what it sees.
  consumers::outbox box(b_.log(), b_.store(), b_.runner(), *ch_, b_.clock(),
                        testing::outbox_bench::fast_options());
  b_.run_passes(box, 1);
  auto raw = call("GET", "/api/v1/whatsapp/status", "", "X-API-Key: test-read\r\n").body;
  st = json::parse(raw).as_object();
  EXPECT_EQ(st.at("status"), "connected")
      << raw << " events " << b_.events_of("whatsapp.status_changed").size();

  // The QR: Admin only (never an API key), and only while WAHA waits for a scan.
  EXPECT_EQ(call("GET", "/api/v1/whatsapp/qr", "", "X-API-Key: test-read\r\n").status, 403);
  EXPECT_EQ(call("GET", "/api/v1/whatsapp/qr", "", "Cookie: roms_session=cs\r\n").status, 403);
  auto no = call("GET", "/api/v1/whatsapp/qr", "", "Cookie: roms_session=admin\r\n");
  EXPECT_EQ(no.status, 409);
  EXPECT_NE(no.body.find("no_qr"), std::string::npos);
  gw_->set_session_status("SCAN_QR_CODE");
  auto qr = call("GET", "/api/v1/whatsapp/qr", "", "Cookie: roms_session=admin\r\n");
  ASSERT_EQ(qr.status, 200) << qr.body;
  EXPECT_EQ(qr.header("Content-Type"), "image/png");
  EXPECT_EQ(qr.body.substr(0, 4), "\x89PNG");

  ctx_.whatsapp = nullptr;  // ROMS_WHATSAPP=off
  ctx_.cfg.whatsapp = "off";
  EXPECT_EQ(call("GET", "/api/v1/whatsapp/qr", "", "Cookie: roms_session=admin\r\n").status, 409);
  st = json::parse(call("GET", "/api/v1/whatsapp/status", "", "X-API-Key: test-read\r\n").body)
           .as_object();
  EXPECT_EQ(st.at("gateway"), "off");
}

TEST_F(MessagingRoutes, MediaBySignedLinkOrLogin) {
  const std::string png("\x89PNG\r\n\x1a\n-rest-of-a-png", 22);
  const std::string sha(64, 'd');
  {
    std::ofstream out(media_.path() / sha, std::ios::binary);
    out << png;
  }
  const std::string url = signer_->sign_url("http://127.0.0.1", sha, b_.clock().now() + 1h);
  const std::string target = url.substr(url.find("/api/"));
  auto ok = call("GET", target);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, png);
  EXPECT_EQ(ok.header("Content-Type"), "image/png");

  auto expired = signer_->sign_url("http://127.0.0.1", sha, b_.clock().now() - 1s);
  EXPECT_EQ(call("GET", expired.substr(expired.find("/api/"))).status, 403);
  std::string tampered = target;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_EQ(call("GET", tampered).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/media/" + sha).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/media/" + sha, "", "X-API-Key: test-read\r\n").status, 200);
  EXPECT_EQ(
      call("GET", "/api/v1/media/" + std::string(64, 'e'), "", "X-API-Key: test-read\r\n").status,
      404);
}

TEST_F(MessagingRoutes, AdminRetriesAFailedMessage) {
  auto id = b_.queue("thank_you:ord_retry", "+6281234567890", "Halo");
  events::message_sending s{id, 1, "waha"};
  b_.append(consumers::derived_event_id("message.sending:" + id + ":1"),
            events::message_sending::kType, id, events::encode_payload(s), "outbox");
  events::message_failed f;
  f.message_id = id;
  f.code = "unknown_delivery";
  f.in_doubt = true;
  f.error = "unknown delivery";
  b_.append(consumers::derived_event_id("message.outcome:" + id + ":1"),
            events::message_failed::kType, id, events::encode_payload(f), "outbox");
  b_.settle();
  const std::string path = "/api/v1/messages/" + id + "/retry";
  EXPECT_EQ(call("POST", path, "", "Cookie: roms_session=cs\r\nX-CSRF-Token: csrf-cs\r\n").status,
            403);
  EXPECT_EQ(call("POST", path, "", "Cookie: roms_session=admin\r\n").status, 403);  // CSRF
  auto r = call("POST", path, "", "Cookie: roms_session=admin\r\nX-CSRF-Token: csrf-admin\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("status"), "queued");
  r = call("POST", path, "", "Cookie: roms_session=admin\r\nX-CSRF-Token: csrf-admin\r\n");
  EXPECT_EQ(r.status, 409);
}

}  // namespace
}  // namespace roms::http::api
