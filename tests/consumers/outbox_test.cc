// The outbox dispatcher against the gateway stand-ins, counting requests at the gateway:
// exactly once per message, waiting while disconnected, retries with backoff, the crash rule
// (a real SIGKILL between the request and its record), and replay safety (rebuilds, replays,
// a read model folded again from nothing, restarts — with the dispatcher running throughout).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "consumers/media_link.h"
#include "consumers/outbox.h"
#include "core/metrics.h"
#include "projections/read_models/messages.h"
#include "tests/consumers/fake_gateways.h"
#include "tests/consumers/outbox_testing.h"

namespace roms::consumers {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::fake_gateway;
using testing::outbox_bench;

std::string phone(int i) { return "+62812000" + std::to_string(10000 + i); }

class Outbox : public ::testing::TestWithParam<fake_gateway::kind> {
 protected:
  void SetUp() override {
    b_.open();
    gw_ = std::make_unique<fake_gateway>(fake_gateway::options{.type = GetParam()});
    ASSERT_TRUE(gw_->start());
    ch_ = testing::channel_for(*gw_, 1s);
  }
  void TearDown() override {
    box_.reset();
    gw_->stop();
    b_.close();
  }
  bool cloud() const { return GetParam() == fake_gateway::kind::cloud; }
  // Cloud API: customers wrote recently, so free text may go.
  void open_window(int i) {
    b_.inbound(phone(i), "cus_" + std::to_string(i), "wamid.IN" + std::to_string(i));
  }
  outbox& make_box(outbox_options o = outbox_bench::fast_options()) {
    box_ = std::make_unique<outbox>(b_.log(), b_.store(), b_.runner(), *ch_, b_.clock(), o);
    return *box_;
  }
  size_t count_status(const std::vector<std::string>& ids, std::string_view status) {
    size_t n = 0;
    for (const auto& id : ids)
      if (auto m = b_.message(id); m && m->status == status) ++n;
    return n;
  }

  outbox_bench b_;
  std::unique_ptr<fake_gateway> gw_;
  std::unique_ptr<channel> ch_;
  std::unique_ptr<outbox> box_;
};

INSTANTIATE_TEST_SUITE_P(Gateways, Outbox,
                         ::testing::Values(fake_gateway::kind::waha, fake_gateway::kind::cloud),
                         [](const auto& info) {
                           return info.param == fake_gateway::kind::waha ? "Waha" : "Cloud";
                         });

TEST_P(Outbox, SendsEachQueuedMessageExactlyOnceOldestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    open_window(i);
    ids.push_back(b_.queue("thank_you:ord_" + std::to_string(i), phone(i),
                           "Terima kasih #" + std::to_string(i)));
  }
  auto& box = make_box();
  b_.run_passes(box, 20, [&] { return count_status(ids, "sent") == ids.size(); });
  EXPECT_EQ(count_status(ids, "sent"), ids.size());
  EXPECT_EQ(gw_->send_requests(), 10u);
  auto acc = gw_->accepted();
  ASSERT_EQ(acc.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(acc[i].text, "Terima kasih #" + std::to_string(i));
  // Each message's events: sending(1) then sent with the gateway's id.
  auto m = b_.message(ids[3]);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->attempts, 1);
  EXPECT_EQ(m->gateway, cloud() ? "cloud" : "waha");
  EXPECT_EQ(m->gateway_message_id, acc[3].id);
  EXPECT_EQ(b_.events_of("message.sending").size(), 10u);
  EXPECT_EQ(b_.events_of("message.sent").size(), 10u);
  // More passes send nothing more.
  b_.run_passes(box, 5);
  EXPECT_EQ(gw_->send_requests(), 10u);
  EXPECT_TRUE(gw_->violations().empty());
  // The channel's status was recorded once.
  auto st = b_.events_of("whatsapp.status_changed");
  ASSERT_EQ(st.size(), 1u);
  EXPECT_NE(st[0].payload.find("\"connected\""), std::string::npos);
}

TEST_P(Outbox, WaitsWhileDisconnectedThenSendsAllNoneTwice) {
  gw_->set_connected(false);
  auto& box = make_box();
  ASSERT_TRUE(box.start());
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    open_window(i);
    ids.push_back(
        b_.queue("reminder:r1:ord_" + std::to_string(i), phone(i), "Halo " + std::to_string(i)));
  }
  std::this_thread::sleep_for(300ms);
  // Cloud: a refused token answers the status poll; nothing is sent while down.
  EXPECT_EQ(gw_->accepted_count(), 0u);
  EXPECT_EQ(count_status(ids, "queued"), ids.size());
  EXPECT_EQ(box.status().state, channel_state::disconnected);

  gw_->set_connected(true);
  ASSERT_TRUE(eventually([&] { return gw_->accepted_count() == 8; }));
  ASSERT_TRUE(eventually([&] { return count_status(ids, "sent") == ids.size(); }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(gw_->accepted_count(), 8u);
  EXPECT_EQ(gw_->send_requests(), 8u);

  // Down again in the middle of a batch: what was refused waits and goes once.
  gw_->set_connected(false);
  ASSERT_TRUE(eventually([&] { return box.status().state == channel_state::disconnected; }));
  std::vector<std::string> more;
  for (int i = 8; i < 12; ++i) {
    open_window(i);
    more.push_back(
        b_.queue("reminder:r1:ord_" + std::to_string(i), phone(i), "Lagi " + std::to_string(i)));
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(gw_->accepted_count(), 8u);
  gw_->set_connected(true);
  ASSERT_TRUE(eventually([&] { return count_status(more, "sent") == more.size(); }));
  box.stop();
  EXPECT_EQ(gw_->accepted_count(), 12u);
  // The status went disconnected → connected → disconnected → connected in the log.
  auto st = b_.events_of("whatsapp.status_changed");
  EXPECT_GE(st.size(), 4u);
}

TEST_P(Outbox, RetriesWithBackoffAfterServerErrors) {
  open_window(1);
  auto id = b_.queue("thank_you:ord_500", phone(1), "Terima kasih");
  gw_->fail_next(3, 500);
  auto o = outbox_bench::fast_options();
  o.backoff_base = 300ms;
  o.backoff_max = 5s;
  auto& box = make_box(o);
  b_.run_passes(box, 1);
  EXPECT_EQ(gw_->send_requests(), 1u);
  // Cloud API: Meta's 5xx says "not sent", a retry waits for its backoff. WAHA: a 500 may
  // come after the engine queued it, so the next pass first looks it up (not there), then
  // the retry waits for its backoff.
  b_.run_passes(box, 3);
  EXPECT_EQ(gw_->send_requests(), 1u);
  auto m = b_.message(id);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, "queued");
  EXPECT_EQ(m->attempts, 1);
  EXPECT_GT(m->ready_us, to_micros(b_.clock().now()));

  ASSERT_TRUE(eventually([&] {
    (void)box.run_once();
    auto cur = b_.message(id);
    return cur && cur->status == "sent";
  }));
  m = b_.message(id);
  EXPECT_EQ(m->attempts, 4);  // three 500s, then accepted
  EXPECT_EQ(gw_->send_requests(), 4u);
  EXPECT_EQ(gw_->accepted_count(), 1u);
  // The delays grew: each failure's retry_at is further from its own time.
  auto failed = b_.events_of("message.failed");
  ASSERT_EQ(failed.size(), 3u);
  std::vector<int64_t> delays;
  for (const auto& e : failed) {
    auto f = events::decode_payload<events::message_failed>(e.payload).value();
    EXPECT_TRUE(f.retryable);
    delays.push_back(to_micros(*parse_rfc3339(f.retry_at)) - to_micros(e.time));
  }
  EXPECT_GE(delays[0], 300'000);
  EXPECT_GT(delays[1], delays[0]);
  EXPECT_GT(delays[2], delays[1]);
}

TEST_P(Outbox, GivesUpAfterMaxFailures) {
  open_window(1);
  auto id = b_.queue("thank_you:ord_gone", phone(1), "x");
  gw_->fail_next(100, cloud() ? 503 : 429);
  auto o = outbox_bench::fast_options();
  o.backoff_base = 1ms;
  o.backoff_max = 2ms;
  o.max_failures = 3;
  auto& box = make_box(o);
  ASSERT_TRUE(eventually([&] {
    (void)box.run_once();
    auto m = b_.message(id);
    return m && m->status == "failed";
  }));
  auto m = b_.message(id);
  EXPECT_EQ(m->error_code, "gave_up");
  EXPECT_EQ(gw_->send_requests(), 3u);
}

TEST_P(Outbox, OutsideTheCustomerWindow) {
  // No inbound message from this customer: the Cloud API needs an approved template.
  auto plain = b_.queue("thank_you:ord_plain", phone(5), "Terima kasih");
  auto tpl = b_.queue("thank_you:ord_tpl", phone(6), "Terima kasih Budi",
                      events::wa_template_ref{"order_confirmation", "id", {"Budi"}});
  gw_->enforce_window(true);
  auto& box = make_box();
  b_.run_passes(box, 5);
  auto p = b_.message(plain);
  auto t = b_.message(tpl);
  EXPECT_EQ(t->status, "sent");
  if (cloud()) {
    EXPECT_EQ(p->status, "failed");
    EXPECT_EQ(p->error_code, "outside_window");
    EXPECT_EQ(gw_->send_requests(), 1u);  // only the template reached the gateway
    EXPECT_EQ(gw_->accepted()[0].type, "template");
  } else {
    EXPECT_EQ(p->status, "sent");  // WAHA has no window
  }
}

TEST_P(Outbox, StoredMediaGoAsExpiringSignedLinks) {
  testing::temp_dir media;
  auto signer = media_signer::open(media.path()).value();
  open_window(1);
  const std::string sha(64, 'c');
  auto id = b_.queue("broadcast:b1:cus_1", phone(1), "Promo Lebaran", std::nullopt,
                     events::media_ref{sha, "image/jpeg", "promo.jpg", ""});
  auto o = outbox_bench::fast_options();
  o.public_url = "https://toko.example";
  o.signer = signer.get();
  o.media_link_ttl = 3600s;
  auto& box = make_box(o);
  b_.run_passes(box, 3);
  EXPECT_EQ(b_.message(id)->status, "sent");
  auto acc = gw_->accepted();
  ASSERT_EQ(acc.size(), 1u);
  const std::string& link = acc[0].link;
  ASSERT_TRUE(link.starts_with("https://toko.example/api/v1/media/" + sha + "?exp=")) << link;
  auto q = link.substr(link.find('?') + 1);
  std::string exp = q.substr(4, q.find('&') - 4);
  std::string sig = q.substr(q.find("sig=") + 4);
  EXPECT_TRUE(signer->verify(sha, exp, sig, b_.clock().now()));
  EXPECT_FALSE(signer->verify(sha, exp, sig, b_.clock().now() + 2h));

  // Without ROMS_PUBLIC_URL a stored file cannot go: failed, not retried, nothing sent.
  auto id2 = b_.queue("broadcast:b1:cus_2", phone(1), "Promo", std::nullopt,
                      events::media_ref{sha, "image/jpeg", "promo.jpg", ""});
  auto& box2 = make_box();
  b_.run_passes(box2, 3);
  EXPECT_EQ(b_.message(id2)->status, "failed");
  EXPECT_EQ(b_.message(id2)->error_code, "invalid");
  EXPECT_EQ(gw_->send_requests(), 1u);
}

TEST_P(Outbox, OldMessagesExpireInsteadOfGoingOut) {
  open_window(1);
  auto id = b_.queue("thank_you:ord_old", phone(1), "Terima kasih");
  b_.clock().advance(std::chrono::hours(73));
  auto& box = make_box();
  b_.run_passes(box, 3);
  EXPECT_EQ(b_.message(id)->status, "failed");
  EXPECT_EQ(b_.message(id)->error_code, "expired");
  EXPECT_EQ(gw_->send_requests(), 0u);
}

TEST_P(Outbox, ALostAnswerIsNeverResentBlindly) {
  open_window(1);
  auto id = b_.queue("thank_you:ord_lost", phone(1), "Terima kasih, pesanan ORD-9");
  gw_->hang_next(1, 5s, /*store_first=*/true);  // sent, but the answer never comes in time
  auto o = outbox_bench::fast_options();
  o.in_doubt_grace = 300ms;
  auto& box = make_box(o);
  b_.run_passes(box, 1);
  auto m = b_.message(id);
  EXPECT_EQ(m->status, "sending");  // in doubt: no outcome recorded
  EXPECT_EQ(gw_->send_requests(), 1u);
  b_.run_passes(box, 3);  // within the grace period: still waiting, nothing resent
  EXPECT_EQ(gw_->send_requests(), 1u);
  std::this_thread::sleep_for(350ms);
  b_.run_passes(box, 3);
  m = b_.message(id);
  if (cloud()) {
    // The Cloud API cannot be asked: failed, in doubt, for a person to decide.
    EXPECT_EQ(m->status, "failed");
    EXPECT_EQ(m->error_code, "unknown_delivery");
    EXPECT_TRUE(m->in_doubt);
  } else {
    // WAHA's chat shows it: recorded as sent with WAHA's id.
    EXPECT_EQ(m->status, "sent");
    EXPECT_EQ(m->gateway_message_id, gw_->accepted()[0].id);
    auto sent = b_.events_of("message.sent");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_NE(sent[0].payload.find("\"via\":\"lookup\""), std::string::npos);
  }
  EXPECT_EQ(gw_->send_requests(), 1u);
}

TEST_P(Outbox, AGatewayErrorAnswerIsCheckedBeforeARetry) {
  if (cloud()) GTEST_SKIP() << "Cloud API 5xx are retryable by Meta's semantics";
  open_window(1);
  auto id = b_.queue("thank_you:ord_w500", phone(1), "Halo");
  gw_->fail_next(1, 500);  // WAHA answered 500 and did not keep the message
  auto& box = make_box();
  ASSERT_TRUE(eventually([&] {
    (void)box.run_once();
    auto m = b_.message(id);
    return m && m->status == "sent";
  }));
  EXPECT_EQ(gw_->send_requests(), 2u);  // looked up (not there), then retried once
  EXPECT_EQ(gw_->accepted_count(), 1u);
}

TEST_P(Outbox, AManualRetrySendsAFailedMessageOnce) {
  auto id = b_.queue("thank_you:ord_manual", phone(1), "Terima kasih");
  gw_->fail_next(1, 400);  // refused for good
  open_window(1);
  auto& box = make_box();
  b_.run_passes(box, 3);
  auto m = b_.message(id);
  ASSERT_EQ(m->status, "failed");
  events::message_retry_requested r{id, m->attempts};
  for (int twice = 0; twice < 2; ++twice) {  // a double click
    b_.append(derived_event_id("message.retry:" + id + ":" + std::to_string(m->attempts)),
              events::message_retry_requested::kType, id, events::encode_payload(r), "user:admin");
  }
  b_.run_passes(box, 3);
  EXPECT_EQ(b_.message(id)->status, "sent");
  EXPECT_EQ(gw_->send_requests(), 2u);
  EXPECT_EQ(b_.events_of("message.retry_requested").size(), 1u);
}

TEST_P(Outbox, ReplaySafetyWithTheDispatcherRunningThroughout) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    open_window(i);
    ids.push_back(
        b_.queue("thank_you:ord_r" + std::to_string(i), phone(i), "Pesan " + std::to_string(i)));
  }
  auto& box = make_box();
  ASSERT_TRUE(box.start());
  ASSERT_TRUE(eventually([&] { return count_status(ids, "sent") == ids.size(); }));
  const size_t sent = gw_->send_requests();
  ASSERT_EQ(sent, 20u);

  // 1. Rebuild every projection while the dispatcher runs.
  auto rebuilt = b_.runner().rebuild();
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(gw_->send_requests(), sent);

  // 2. Replay: every event appended again with its id (rules re-running from the start emit
  //    the same derived ids): the log stores none of them twice.
  auto all = b_.events_of("message.queued");
  ASSERT_EQ(all.size(), 20u);
  auto again = b_.log().append(all);
  ASSERT_TRUE(again);
  for (const auto& a : again.value()) EXPECT_TRUE(a.duplicate);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(gw_->send_requests(), sent);

  // 3. The read models folded again from nothing while a dispatcher runs on them: it sees
  //    messages "queued" whose sending and sent are not folded yet. Its attempts are
  //    duplicates in the log, so nothing leaves.
  box.stop();
  box_.reset();
  b_.close();
  std::filesystem::remove_all(b_.dir() / "projections");
  b_.open(projections::stale_policy::reset, /*catch_up_first=*/false, /*batch_events=*/3);
  auto& box2 = make_box();
  ASSERT_TRUE(box2.start());
  b_.settle();
  ASSERT_TRUE(eventually([&] { return count_status(ids, "sent") == ids.size(); }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(gw_->send_requests(), sent);

  // 4. Restart everything on the same data dir.
  box2.stop();
  box_.reset();
  b_.close();
  b_.open();
  auto& box3 = make_box();
  ASSERT_TRUE(box3.start());
  std::this_thread::sleep_for(300ms);
  box3.stop();
  EXPECT_EQ(gw_->send_requests(), sent);
  EXPECT_EQ(gw_->accepted_count(), 20u);
  EXPECT_EQ(count_status(ids, "sent"), ids.size());
  EXPECT_EQ(b_.events_of("message.sent").size(), 20u);
}

TEST_P(Outbox, AReadModelBehindTheLogNeverSendsAgain) {
  open_window(1);
  auto id = b_.queue("thank_you:ord_behind", phone(1), "Terima kasih");
  b_.settle();
  auto queued_at = b_.log().stats().value().end_offsets;  // the log up to message.queued
  auto& box = make_box();
  b_.run_passes(box, 3);
  ASSERT_EQ(b_.message(id)->status, "sent");
  ASSERT_EQ(gw_->send_requests(), 1u);

  // A second store folded only up to message.queued: it shows the message waiting.
  testing::temp_dir other;
  std::vector<std::shared_ptr<projections::projection>> models;
  for (auto& p : projections::make_read_models()) models.push_back(std::move(p));
  projections::store_options so;
  so.on_stale = projections::stale_policy::reset;
  auto store = projections::projection_store::open(other.path(), std::move(models), so).value();
  projection_runner behind(store, b_.log());
  ASSERT_TRUE(behind.run_until(queued_at));
  auto v = store->view("messages").value();
  ASSERT_EQ(projections::messages_query::get(*v, id)->status, "queued");

  outbox stale(b_.log(), store, behind, *ch_, b_.clock(), outbox_bench::fast_options());
  auto r = stale.run_once();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().duplicates, 1u);  // attempt 1 is in the log already: nothing leaves
  EXPECT_EQ(r.value().sent, 0u);
  EXPECT_EQ(gw_->send_requests(), 1u);
  EXPECT_EQ(stale.status().requests, 0u);
}

// ---------------------------------------------------------------- crash between send and record

// The child's half of the crash test: runs a dispatcher on the data dir named by the
// environment until the parent kills it. Skipped when run on its own.
TEST(OutboxCrashChild, RunsUntilKilled) {
  const char* dir = std::getenv("ROMS_OUTBOX_CHILD_DIR");
  const char* kind = std::getenv("ROMS_OUTBOX_CHILD_KIND");
  const char* url = std::getenv("ROMS_OUTBOX_CHILD_URL");
  if (!dir || !kind || !url) GTEST_SKIP() << "the child of OutboxCrash";
  outbox_bench b(dir);
  b.open();
  fake_gateway::options fo;
  fo.type = std::string(kind) == "cloud" ? fake_gateway::kind::cloud : fake_gateway::kind::waha;
  std::unique_ptr<channel> ch;
  if (fo.type == fake_gateway::kind::cloud) {
    whatsapp::cloud_api_options o;
    o.base_url = url;
    o.token = fo.token;
    o.phone_number_id = fo.phone_number_id;
    o.timeout = 60s;
    ch = std::make_unique<whatsapp::cloud_api_channel>(o);
  } else {
    whatsapp::waha_options o;
    o.base_url = url;
    o.api_key = fo.api_key;
    o.timeout = 60s;
    ch = std::make_unique<whatsapp::waha_channel>(o);
  }
  outbox box(b.log(), b.store(), b.runner(), *ch, b.clock(), outbox_bench::fast_options());
  ASSERT_TRUE(box.start());
  std::this_thread::sleep_for(120s);  // the parent kills it long before
  std::_Exit(3);
}

class OutboxCrash : public ::testing::TestWithParam<std::tuple<fake_gateway::kind, bool>> {};

INSTANTIATE_TEST_SUITE_P(
    Gateways, OutboxCrash,
    ::testing::Combine(::testing::Values(fake_gateway::kind::waha, fake_gateway::kind::cloud),
                       ::testing::Bool()),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == fake_gateway::kind::waha ? "Waha" : "Cloud") +
             (std::get<1>(info.param) ? "GatewayHasIt" : "GatewayLostIt");
    });

TEST_P(OutboxCrash, NeverASecondRequestAfterAKillBetweenSendAndRecord) {
  const auto [kind, gateway_has_it] = GetParam();
  testing::temp_dir dir;
  fake_gateway gw({.type = kind});
  ASSERT_TRUE(gw.start());
  // The first send reaches the gateway, which (maybe) keeps it and never answers in time.
  gw.hang_next(1, 60s, gateway_has_it);

  std::string id, other;
  {
    outbox_bench b(dir.path());
    b.open();
    b.inbound(phone(1), "cus_1", "wamid.IN1");
    id = b.queue("thank_you:ord_crash", phone(1), "Terima kasih, pesanan ORD-42");
    other = b.queue("thank_you:ord_after", phone(1), "Pesanan kedua");
    b.settle();
  }  // closed: the child opens the data dir

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("ROMS_OUTBOX_CHILD_DIR", dir.str().c_str(), 1);
    ::setenv("ROMS_OUTBOX_CHILD_KIND", kind == fake_gateway::kind::cloud ? "cloud" : "waha", 1);
    ::setenv("ROMS_OUTBOX_CHILD_URL", gw.base_url().c_str(), 1);
    const char* argv[] = {"outbox_test", "--gtest_filter=OutboxCrashChild.RunsUntilKilled",
                          nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    std::_Exit(127);
  }
  // The child's request is at the gateway: kill it before it can record anything.
  const bool reached = gw.wait_for_send_requests(1, 30s);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(reached) << "the child never reached the gateway";
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(gw.send_requests(), 1u);

  outbox_bench b(dir.path());
  b.open();
  auto m = b.message(id);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, "sending");  // the attempt is durable, its outcome is not
  ASSERT_EQ(m->attempts, 1);

  auto ch = testing::channel_for(gw, 1s);
  outbox box(b.log(), b.store(), b.runner(), *ch, b.clock(), outbox_bench::fast_options());
  b.run_passes(box, 10, [&] {
    auto cur = b.message(other);
    return cur && cur->status == "sent";
  });
  m = b.message(id);
  if (kind == fake_gateway::kind::waha && gateway_has_it) {
    EXPECT_EQ(m->status, "sent");  // found in WAHA's chat
    EXPECT_EQ(m->gateway_message_id, gw.accepted()[0].id);
  } else {
    EXPECT_EQ(m->status, "failed");
    EXPECT_EQ(m->error_code, "unknown_delivery");
    EXPECT_TRUE(m->in_doubt);
  }
  // Not one more request for the interrupted message; the next message went normally.
  EXPECT_EQ(b.message(other)->status, "sent");
  EXPECT_EQ(gw.send_requests(), 2u);
  size_t for_crashed = 0;
  for (const auto& a : gw.accepted())
    if (a.text == "Terima kasih, pesanan ORD-42") ++for_crashed;
  EXPECT_EQ(for_crashed, gateway_has_it ? 1u : 0u);
  b.run_passes(box, 5);
  EXPECT_EQ(gw.send_requests(), 2u);
}

}  // namespace
}  // namespace roms::consumers
