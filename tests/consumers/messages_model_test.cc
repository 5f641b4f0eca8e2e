// The messages read model's fold, event by event (an in-memory store): statuses move forward
// only, an attempt starts only from "queued", retryable failures go back into the queue at
// their retry time, failures in doubt are settled by later receipts, the manual retry, the
// 24-hour window's last inbound time, and the WAHA id forms.
#include <gtest/gtest.h>

#include "events/payload.h"
#include "projections/read_models/messages.h"
#include "tests/projections/read_models/memory_store.h"

namespace roms::projections {
namespace {

constexpr int64_t kT0 = 1'772'413'200'000'000LL;  // 2026-03-02T01:00:00Z
constexpr int64_t kSecond = 1'000'000;

class MessagesModel : public ::testing::Test {
 protected:
  template <class T>
  void apply(const T& payload, std::string stream, int64_t at) {
    events::stored_event e;
    e.position = {0, next_++};
    e.event.id = "e" + std::to_string(next_);
    e.event.type = std::string(T::kType);
    e.event.stream = std::move(stream);
    e.event.time = from_micros(at);
    e.event.payload = events::encode_payload(payload);
    ASSERT_TRUE(p_.wants(e.event.type));
    auto r = p_.apply(e, s_);
    ASSERT_TRUE(r) << r.error().message;
  }
  void queue(const std::string& id, int64_t at, const std::string& customer = "cus_1") {
    events::message_queued q;
    q.message_id = id;
    q.customer_id = customer;
    q.to = "+6281234567890";
    q.body = "Halo";
    q.kind = "thank_you";
    apply(q, id, at);
  }
  void sending(const std::string& id, int64_t attempt, int64_t at) {
    apply(events::message_sending{id, attempt, "waha"}, id, at);
  }
  void sent(const std::string& id, const std::string& gid, int64_t at) {
    events::message_sent s;
    s.message_id = id;
    s.gateway = "waha";
    s.gateway_message_id = gid;
    apply(s, id, at);
  }
  void failed(const std::string& id, bool retryable, std::string code, int64_t at,
              std::string retry_at = "", bool in_doubt = false) {
    events::message_failed f;
    f.message_id = id;
    f.retryable = retryable;
    f.code = std::move(code);
    f.retry_at = std::move(retry_at);
    f.in_doubt = in_doubt;
    f.error = "x";
    apply(f, id, at);
  }
  message_record get(const std::string& id) {
    auto m = messages_query::get(s_, id);
    EXPECT_TRUE(m) << id;
    return m ? *m : message_record{};
  }

  messages_projection p_;
  testing::memory_store s_;
  int64_t next_ = 0;
};

TEST_F(MessagesModel, QueuedThenSendingThenSentThenReceipts) {
  queue("msg_1", kT0);
  EXPECT_EQ(get("msg_1").status, "queued");
  ASSERT_EQ(messages_query::due(s_, kT0, 10).size(), 1u);
  EXPECT_TRUE(messages_query::due(s_, kT0 - 1, 10).empty());
  EXPECT_EQ(messages_query::next_due(s_), kT0);

  sending("msg_1", 1, kT0 + kSecond);
  EXPECT_EQ(get("msg_1").status, "sending");
  EXPECT_TRUE(messages_query::due(s_, kT0 + 10 * kSecond, 10).empty());
  ASSERT_EQ(messages_query::sending(s_).size(), 1u);

  sent("msg_1", "true_6281234567890@c.us_3EB0AA", kT0 + 2 * kSecond);
  EXPECT_EQ(get("msg_1").status, "sent");
  EXPECT_TRUE(messages_query::sending(s_).empty());
  EXPECT_EQ(messages_query::by_gateway_id(s_, "waha", "true_6281234567890@c.us_3EB0AA_out"),
            "msg_1");

  apply(events::message_read{"msg_1", ""}, "msg_1", kT0 + 4 * kSecond);
  EXPECT_EQ(get("msg_1").status, "read");
  apply(events::message_delivered{"msg_1", ""}, "msg_1", kT0 + 5 * kSecond);  // late
  auto m = get("msg_1");
  EXPECT_EQ(m.status, "read");
  EXPECT_FALSE(m.delivered_at.empty());
  // A duplicate sending or a failure after delivery changes nothing.
  sending("msg_1", 2, kT0 + 6 * kSecond);
  failed("msg_1", true, "retryable", kT0 + 7 * kSecond);
  EXPECT_EQ(get("msg_1").status, "read");
  EXPECT_EQ(get("msg_1").attempts, 1);
  // One record per status in the status index.
  message_filter f;
  f.status = "read";
  EXPECT_EQ(messages_query::list(s_, f).items.size(), 1u);
  f.status = "sent";
  EXPECT_TRUE(messages_query::list(s_, f).items.empty());
}

TEST_F(MessagesModel, RetryableFailuresRequeueAtTheirRetryTime) {
  queue("msg_2", kT0);
  sending("msg_2", 1, kT0 + kSecond);
  failed("msg_2", true, "retryable", kT0 + 2 * kSecond,
         format_rfc3339(from_micros(kT0 + 60 * kSecond)));
  auto m = get("msg_2");
  EXPECT_EQ(m.status, "queued");
  EXPECT_EQ(m.attempts, 1);
  EXPECT_EQ(m.failures, 1);
  EXPECT_EQ(m.ready_us, kT0 + 60 * kSecond);
  EXPECT_TRUE(messages_query::due(s_, kT0 + 59 * kSecond, 10).empty());
  EXPECT_EQ(messages_query::due(s_, kT0 + 60 * kSecond, 10).size(), 1u);
  // "disconnected" does not count towards giving up.
  sending("msg_2", 2, kT0 + 61 * kSecond);
  failed("msg_2", true, "disconnected", kT0 + 62 * kSecond);
  EXPECT_EQ(get("msg_2").failures, 1);
  EXPECT_EQ(get("msg_2").attempts, 2);
  // An attempt number not above the last is ignored.
  sending("msg_2", 2, kT0 + 63 * kSecond);
  EXPECT_EQ(get("msg_2").status, "queued");
  sending("msg_2", 3, kT0 + 64 * kSecond);
  EXPECT_EQ(get("msg_2").status, "sending");
}

TEST_F(MessagesModel, FailuresInDoubtAreSettledByLaterReceipts) {
  queue("msg_3", kT0);
  sending("msg_3", 1, kT0 + kSecond);
  failed("msg_3", false, "unknown_delivery", kT0 + 2 * kSecond, "", /*in_doubt=*/true);
  EXPECT_EQ(get("msg_3").status, "failed");
  EXPECT_TRUE(get("msg_3").in_doubt);
  apply(events::message_delivered{"msg_3", "wamid.late"}, "msg_3", kT0 + 3 * kSecond);
  auto m = get("msg_3");
  EXPECT_EQ(m.status, "delivered");
  EXPECT_FALSE(m.in_doubt);
  EXPECT_EQ(m.gateway_message_id, "wamid.late");

  // A real failure is final for receipts.
  queue("msg_4", kT0);
  sending("msg_4", 1, kT0 + kSecond);
  failed("msg_4", false, "rejected", kT0 + 2 * kSecond);
  apply(events::message_read{"msg_4", ""}, "msg_4", kT0 + 3 * kSecond);
  EXPECT_EQ(get("msg_4").status, "failed");

  // A gateway failure after "sent" wins.
  queue("msg_5", kT0);
  sending("msg_5", 1, kT0 + kSecond);
  sent("msg_5", "x1", kT0 + 2 * kSecond);
  failed("msg_5", false, "gateway_failed", kT0 + 3 * kSecond);
  EXPECT_EQ(get("msg_5").status, "failed");
}

TEST_F(MessagesModel, ManualRetryQueuesAFailedMessageOnce) {
  queue("msg_6", kT0);
  sending("msg_6", 1, kT0 + kSecond);
  failed("msg_6", false, "unknown_delivery", kT0 + 2 * kSecond, "", true);
  apply(events::message_retry_requested{"msg_6", 0}, "msg_6", kT0 + 3 * kSecond);  // stale
  EXPECT_EQ(get("msg_6").status, "failed");
  apply(events::message_retry_requested{"msg_6", 1}, "msg_6", kT0 + 4 * kSecond);
  auto m = get("msg_6");
  EXPECT_EQ(m.status, "queued");
  EXPECT_FALSE(m.in_doubt);
  EXPECT_EQ(messages_query::due(s_, kT0 + 4 * kSecond, 10).size(), 1u);
  sending("msg_6", 2, kT0 + 5 * kSecond);
  EXPECT_EQ(get("msg_6").status, "sending");
}

TEST_F(MessagesModel, LastInboundIsAMaxPerCustomerAndPhone) {
  events::message_received r;
  r.message_id = "msg_in1";
  r.customer_id = "cus_1";
  r.from = "+6281234567890";
  r.gateway = "cloud";
  r.gateway_message_id = "wamid.in1";
  apply(r, "wa:+6281234567890", kT0 + 10 * kSecond);
  r.message_id = "msg_in0";
  r.gateway_message_id = "wamid.in0";
  apply(r, "wa:+6281234567890", kT0 + 5 * kSecond);  // arrives late: the max stays
  EXPECT_EQ(messages_query::last_inbound_us(s_, "cus_1", ""), kT0 + 10 * kSecond);
  EXPECT_EQ(messages_query::last_inbound_us(s_, "", "+6281234567890"), kT0 + 10 * kSecond);
  EXPECT_EQ(messages_query::last_inbound_us(s_, "cus_2", "+6285700000000"), 0);
  EXPECT_EQ(get("msg_in1").status, "received");
  EXPECT_EQ(get("msg_in1").direction, "inbound");
  message_filter f;
  f.direction = "inbound";
  EXPECT_EQ(messages_query::list(s_, f).items.size(), 2u);
}

TEST_F(MessagesModel, WhatsappStatusIsTheLastFolded) {
  EXPECT_FALSE(messages_query::whatsapp_status(s_));
  apply(events::whatsapp_status_changed{"waha", "pairing", "SCAN_QR_CODE"}, "whatsapp", kT0);
  apply(events::whatsapp_status_changed{"waha", "connected", "WORKING"}, "whatsapp", kT0 + kSecond);
  auto w = messages_query::whatsapp_status(s_);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, "connected");
  EXPECT_EQ(w->since_us, kT0 + kSecond);
}

TEST(MessagesGatewayKey, WahaIdsByTheirShortPart) {
  EXPECT_EQ(gateway_key("waha", "true_6281@c.us_3EB0AA"), "3EB0AA");
  EXPECT_EQ(gateway_key("waha", "true_6281@c.us_3EB0AA_out"), "3EB0AA");
  EXPECT_EQ(gateway_key("waha", "3EB0AA"), "3EB0AA");
  EXPECT_EQ(gateway_key("cloud", "wamid.HBgL_x_y"), "wamid.HBgL_x_y");
}

}  // namespace
}  // namespace roms::projections
