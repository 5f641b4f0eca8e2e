// The Kafka backend of event_log. Design notes: events/README.md ("Kafka backend").
//
// Threads and locks:
//  - append_mu_ serializes the short "dedup check + produce()" section of append(), so the
//    order of produce() calls (and so of offsets within a partition) is the order in which
//    ids were registered. Waiting for delivery happens outside it: concurrent appenders
//    pipeline into the same producer batches.
//  - state_mu_ guards the id index, the in-flight ids, and the per-partition bookkeeping.
//  - poller_ runs producer_->poll(): delivery reports arrive there (in offset order per
//    partition), are indexed in one write per poll round, and wake the appenders.
//  - scan_mu_ guards scanner_, a consumer used to read ranges (index catch-up, gap fill,
//    offsets_after_time).
#include "events/kafka/kafka_log.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/errc.h"
#include "core/thread_name.h"
#include "events/codec.h"
#include "events/kafka/internal/id_index.h"

namespace roms::events {

int32_t kafka_murmur2(std::string_view data) {
  // Kafka's Utils.murmur2, byte for byte (Java's >>> is the unsigned shift here).
  constexpr uint32_t seed = 0x9747b28c;
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto* d = reinterpret_cast<const unsigned char*>(data.data());
  const size_t length = data.size();
  uint32_t h = seed ^ static_cast<uint32_t>(length);
  const size_t length4 = length / 4;
  for (size_t i = 0; i < length4; ++i) {
    const size_t i4 = i * 4;
    uint32_t k = static_cast<uint32_t>(d[i4]) | (static_cast<uint32_t>(d[i4 + 1]) << 8) |
                 (static_cast<uint32_t>(d[i4 + 2]) << 16) |
                 (static_cast<uint32_t>(d[i4 + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = length & ~size_t{3};
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(d[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(d[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(d[tail]);
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t kafka_partition_for(std::string_view key, int32_t partitions) {
  if (partitions <= 0) return 0;
  const uint32_t positive = static_cast<uint32_t>(kafka_murmur2(key)) & 0x7fffffffu;
  return static_cast<int32_t>(positive % static_cast<uint32_t>(partitions));
}

namespace {

using kafka_internal::id_index;
using kafka_internal::index_entry;
using clock_type = std::chrono::steady_clock;

error_info fail(errc code, std::string message) {
  return error_info{make_error_code(code), std::move(message)};
}

std::string pos_text(int32_t p, int64_t o) { return std::to_string(p) + ":" + std::to_string(o); }

int timeout_ms(std::chrono::milliseconds t) {
  return static_cast<int>(std::clamp<int64_t>(t.count(), 0, 24 * 3600 * 1000));
}

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return timeout_ms(left);
}

// Kafka timestamps are milliseconds; librdkafka reads 0 as "now", so the epoch itself and
// anything before it are stored as 1 ms. offsets_after_time() refines with the envelope's
// own microseconds, so this only affects where its search starts.
int64_t kafka_timestamp(timestamp t) {
  const int64_t us = to_micros(t);
  const int64_t ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
  return std::max<int64_t>(1, ms);
}

// Keeps librdkafka quiet (a library must not write to stderr) and remembers the last error
// it reported, so "unavailable" can say why. Called from librdkafka's threads.
class event_sink final : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& e) override {
    if (e.type() == RdKafka::Event::EVENT_ERROR) {
      std::lock_guard lk(mu_);
      last_ = RdKafka::err2str(e.err());
      if (!e.str().empty()) last_ += ": " + e.str();
    } else if (e.type() == RdKafka::Event::EVENT_LOG &&
               e.severity() <= RdKafka::Event::EVENT_SEVERITY_ERROR) {
      std::lock_guard lk(mu_);
      last_ = e.str();
    }
  }
  std::string last() const {
    std::lock_guard lk(mu_);
    return last_;
  }

 private:
  mutable std::mutex mu_;
  std::string last_;
};

// A conf with the settings every handle shares.
result_msg<std::unique_ptr<RdKafka::Conf>> base_conf(const kafka_log_options& o, event_sink* sink) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  const int t = timeout_ms(o.timeout);
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", o.brokers},
      {"client.id", "roms"},
      {"socket.connection.setup.timeout.ms", std::to_string(std::max(1000, t))},
      {"socket.timeout.ms", std::to_string(std::max(1000, t))},
      {"log.connection.close", "false"},
      {"allow.auto.create.topics", "false"},
      {"topic.metadata.refresh.interval.ms", "60000"},
      {"reconnect.backoff.ms", "50"},
      {"reconnect.backoff.max.ms", "1000"},
  };
  for (const auto& [k, v] : settings) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return failure(fail(errc::invalid_argument, std::string("kafka setting ") + k + ": " + err));
    }
  }
  if (conf->set("event_cb", sink, err) != RdKafka::Conf::CONF_OK) {
    return failure(fail(errc::invalid_argument, "kafka event_cb: " + err));
  }
  return conf;
}

result_msg<void> set_all(RdKafka::Conf& conf,
                         std::initializer_list<std::pair<const char*, std::string>> settings) {
  std::string err;
  for (const auto& [k, v] : settings) {
    if (conf.set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return failure(fail(errc::invalid_argument, std::string("kafka setting ") + k + ": " + err));
    }
  }
  return success();
}

// A consumer for manual assignment only: it never subscribes, never commits (positions live
// in the projections' stores). librdkafka's KafkaConsumer insists on a group.id.
result_msg<std::unique_ptr<RdKafka::KafkaConsumer>> make_consumer(const kafka_log_options& o,
                                                                  event_sink* sink,
                                                                  bool eof_events) {
  BOOST_OUTCOME_TRY(auto conf, base_conf(o, sink));
  BOOST_OUTCOME_TRY(set_all(*conf, {
                                       {"group.id", "roms.manual-assign"},
                                       {"enable.auto.commit", "false"},
                                       {"enable.auto.offset.store", "false"},
                                       {"auto.offset.reset", "error"},
                                       {"enable.partition.eof", eof_events ? "true" : "false"},
                                       {"fetch.wait.max.ms", "100"},
                                       {"fetch.error.backoff.ms", "50"},
                                       {"isolation.level", "read_committed"},
                                   }));
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c) return failure(fail(errc::invalid_argument, "kafka consumer: " + err));
  return c;
}

void close_consumer(std::unique_ptr<RdKafka::KafkaConsumer>& c) {
  if (!c) return;
  c->unassign();
  c->close();
  c.reset();
}

std::string message_text(const RdKafka::Message& m) {
  return RdKafka::err2str(m.err()) + (m.errstr().empty() ? "" : ": " + m.errstr());
}

// Decodes a record's value; an undecodable record is corruption at its position.
result_msg<envelope> decode_record(const RdKafka::Message& m) {
  std::string_view value(static_cast<const char*>(m.payload()), m.payload() ? m.len() : 0);
  auto e = decode_envelope(value);
  if (!e) {
    return failure(fail(errc::corruption, "kafka record " + m.topic_name() + " " +
                                              pos_text(m.partition(), m.offset()) +
                                              " is not an envelope: " + e.error().message));
  }
  return std::move(e).value();
}

// ---------------------------------------------------------------------------------------
// Reader

class kafka_reader final : public log_reader {
 public:
  kafka_reader(std::unique_ptr<event_sink> sink, std::unique_ptr<RdKafka::KafkaConsumer> consumer,
               std::vector<int64_t> next, std::vector<bool> assigned)
      : sink_(std::move(sink)),
        consumer_(std::move(consumer)),
        next_(std::move(next)),
        assigned_(std::move(assigned)) {}

  ~kafka_reader() override { close_consumer(consumer_); }

  result<std::vector<stored_event>> read(size_t max, std::chrono::milliseconds wait) override {
    if (sticky_) return sticky_;
    std::vector<stored_event> out;
    if (max == 0) return out;
    const auto deadline = clock_type::now() + wait;
    while (out.size() < max) {
      const int t = out.empty() ? remaining_ms(deadline) : 0;
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(t));
      switch (m->err()) {
        case RdKafka::ERR_NO_ERROR: {
          const int32_t p = m->partition();
          const int64_t o = m->offset();
          if (p < 0 || static_cast<size_t>(p) >= assigned_.size() ||
              !assigned_[static_cast<size_t>(p)] || o < next_[static_cast<size_t>(p)]) {
            break;  // not ours, or already delivered
          }
          auto e = decode_record(*m);
          if (!e) {
            // Never skipped: the reader stays on this record and reports it on every read.
            set_message(e.error().message);
            sticky_ = e.error().code;
            if (out.empty()) return sticky_;
            return out;
          }
          next_[static_cast<size_t>(p)] = o + 1;
          out.push_back(stored_event{log_position{p, o}, std::move(e).value()});
          break;
        }
        case RdKafka::ERR__TIMED_OUT:
        case RdKafka::ERR__PARTITION_EOF:
        case RdKafka::ERR__TRANSPORT:  // one connection dropped; librdkafka reconnects
          break;
        case RdKafka::ERR__AUTO_OFFSET_RESET:
        case RdKafka::ERR_OFFSET_OUT_OF_RANGE:
          set_message("kafka reader: position out of range: " + message_text(*m));
          return make_error_code(errc::invalid_argument);
        default:
          set_message("kafka reader: " + message_text(*m));
          if (!out.empty()) return out;
          return make_error_code(errc::unavailable);
      }
      if (out.empty() && clock_type::now() >= deadline) break;
      if (!out.empty() && m->err() != RdKafka::ERR_NO_ERROR) break;
    }
    return out;
  }

  std::vector<int64_t> next_offsets() const override { return next_; }

  std::string error_message() const {
    std::lock_guard lk(msg_mu_);
    return message_;
  }

 private:
  void set_message(std::string m) {
    std::lock_guard lk(msg_mu_);
    message_ = std::move(m);
  }

  std::unique_ptr<event_sink> sink_;  // outlives consumer_
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::vector<int64_t> next_;
  std::vector<bool> assigned_;
  std::error_code sticky_;
  mutable std::mutex msg_mu_;
  std::string message_;
};

// ---------------------------------------------------------------------------------------
// The log

// One event on its way to the broker. Shared by the append call that produced it, any
// concurrent call appending the same id, and the delivery report (through msg_opaque).
struct pending_event {
  std::string id;
  int32_t partition = 0;
  log_position position;
  bool done = false;
  std::string error;  // set when it failed; empty on success
};

struct delivery {
  std::shared_ptr<pending_event> event;
  bool ok = false;
  log_position position;
  std::string error;
};

struct scan_range {
  int32_t partition = 0;
  int64_t from = 0;
  int64_t to = 0;  // exclusive
};

class kafka_log final : public event_log, public RdKafka::DeliveryReportCb {
 public:
  explicit kafka_log(kafka_log_options opts) : opts_(std::move(opts)) {}

  ~kafka_log() override {
    stop_.store(true);
    if (poller_.joinable()) poller_.join();
    if (producer_) {
      producer_->flush(timeout_ms(opts_.timeout));
      producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
      producer_->poll(0);  // delivery reports for purged messages free their opaques
      drain_deliveries();
    }
    close_consumer(scanner_);
    producer_.reset();
  }

  result_msg<void> open() {
    BOOST_OUTCOME_TRY(auto conf, base_conf(opts_, &sink_));
    const int t = timeout_ms(opts_.timeout);
    BOOST_OUTCOME_TRY(
        set_all(*conf, {
                           {"enable.idempotence", "true"},
                           {"acks", "all"},
                           {"linger.ms", std::to_string(opts_.linger.count())},
                           {"message.timeout.ms", std::to_string(std::max(1, t))},
                           {"request.timeout.ms", std::to_string(std::clamp(t, 1, 30000))},
                           {"message.max.bytes", std::to_string(kMaxMessageBytes)},
                           {"compression.type", "lz4"},
                       }));
    std::string err;
    if (conf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), err) !=
        RdKafka::Conf::CONF_OK) {
      return failure(fail(errc::invalid_argument, "kafka dr_cb: " + err));
    }
    producer_.reset(RdKafka::Producer::create(conf.get(), err));
    if (!producer_) return failure(fail(errc::invalid_argument, "kafka producer: " + err));
    poller_ = std::thread([this] {
      set_thread_name("roms-kafka-poll");
      poll_loop();
    });

    const auto deadline = clock_type::now() + opts_.timeout;
    BOOST_OUTCOME_TRY(auto count, topic_partitions(deadline));
    if (count == 0) {
      BOOST_OUTCOME_TRY(create_topic(deadline));
      while (count == 0) {
        BOOST_OUTCOME_TRY(count, topic_partitions(deadline));
        if (count == 0) {
          if (clock_type::now() >= deadline) {
            return failure(fail(errc::unavailable, "kafka topic " + opts_.topic +
                                                       " was created but has no partitions with a "
                                                       "leader after " +
                                                       std::to_string(t) + " ms"));
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    }
    partitions_ = count;
    const auto n = static_cast<size_t>(partitions_);
    ahead_.resize(n);
    suspect_.assign(n, false);

    if (opts_.index_dir.empty()) {
      index_ = kafka_internal::make_memory_index();
    } else {
      BOOST_OUTCOME_TRY(index_, kafka_internal::open_rocksdb_index(opts_.index_dir, opts_.topic,
                                                                   opts_.index_memory_bytes));
    }
    BOOST_OUTCOME_TRY(upto_, index_->load_upto(partitions_));
    BOOST_OUTCOME_TRY(scanner_, make_consumer(opts_, &scan_sink_, /*eof_events=*/true));

    // Catch the index up: from "indexed up to" (or the first retained offset) to the end.
    BOOST_OUTCOME_TRY(auto lows, list_offsets(kEarliest));
    BOOST_OUTCOME_TRY(auto highs, list_offsets(kLatest));
    bool stale = false;
    for (size_t p = 0; p < n; ++p) stale = stale || upto_[p] > highs[p];
    if (stale) {
      // The index covers offsets the topic does not have: the topic was deleted and created
      // again under the same name. Start over.
      BOOST_OUTCOME_TRY(index_->clear());
      upto_.assign(n, 0);
    }
    std::vector<scan_range> ranges;
    for (size_t p = 0; p < n; ++p) {
      ranges.push_back({static_cast<int32_t>(p), std::max(upto_[p], lows[p]), highs[p]});
    }
    std::lock_guard lk(append_mu_);
    return index_ranges(ranges);
  }

  // event_log ------------------------------------------------------------------------------

  result<std::vector<append_result>> append(std::span<const envelope> events) override {
    std::vector<append_result> out(events.size());
    if (events.empty()) return out;
    std::vector<std::string> values(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      auto v = validate_envelope(events[i]);
      if (!v) {
        set_message("event " + std::to_string(i) + ": " + v.error().message);
        return make_error_code(errc::invalid_argument);
      }
      values[i] = encode_envelope(events[i]);
      if (values[i].size() > kMaxEnvelopeBytes) {
        set_message("event " + std::to_string(i) + ": encoded size over the limit");
        return make_error_code(errc::invalid_argument);
      }
    }

    std::vector<std::shared_ptr<pending_event>> waits(events.size());
    {
      std::lock_guard append_lock(append_mu_);
      if (auto filled = fill_gaps(); !filled) {
        set_message(filled.error().message);
        return filled.error().code;
      }
      std::vector<size_t> to_produce;
      {
        std::lock_guard lk(state_mu_);
        std::unordered_map<std::string_view, size_t> first_in_batch;
        for (size_t i = 0; i < events.size(); ++i) {
          const std::string& id = events[i].id;
          if (auto it = first_in_batch.find(id); it != first_in_batch.end()) {
            out[i].duplicate = true;
            waits[i] = waits[it->second];
            if (!waits[i]) out[i].position = out[it->second].position;
            continue;
          }
          first_in_batch.emplace(id, i);
          if (auto it = in_flight_.find(id); it != in_flight_.end()) {
            out[i].duplicate = true;
            waits[i] = it->second;
            continue;
          }
          auto found = index_->find(id);
          if (!found) {
            set_message(found.error().message);
            return found.error().code;
          }
          if (found.value()) {
            out[i] = append_result{*found.value(), true};
            continue;
          }
          auto pe = std::make_shared<pending_event>();
          pe->id = id;
          pe->partition = partition_for(events[i].stream);
          in_flight_.emplace(pe->id, pe);
          waits[i] = pe;
          to_produce.push_back(i);
        }
      }
      for (size_t k = 0; k < to_produce.size(); ++k) {
        const size_t i = to_produce[k];
        if (auto produced = produce(events[i], values[i], waits[i]); !produced) {
          // Nothing after this one was handed to librdkafka: withdraw those ids. The ones
          // before it are in flight and get indexed when their delivery reports arrive.
          std::lock_guard lk(state_mu_);
          for (size_t j = k; j < to_produce.size(); ++j) {
            auto& pe = waits[to_produce[j]];
            pe->done = true;
            pe->error = produced.error().message;
            in_flight_.erase(pe->id);
            suspect_[static_cast<size_t>(pe->partition)] = true;
          }
          state_cv_.notify_all();
          set_message(produced.error().message);
          return produced.error().code;
        }
      }
    }

    // Wait for our delivery reports (message.timeout.ms bounds them) outside append_mu_.
    const auto deadline = clock_type::now() + opts_.timeout + std::chrono::seconds(5);
    std::unique_lock lk(state_mu_);
    const bool all_done = state_cv_.wait_until(lk, deadline, [&] {
      return std::all_of(waits.begin(), waits.end(), [](const auto& w) { return !w || w->done; });
    });
    if (!all_done) {
      lk.unlock();
      set_message("kafka: no delivery report within " + std::to_string(opts_.timeout.count()) +
                  " ms (" + sink_.last() + ")");
      return make_error_code(errc::unavailable);
    }
    for (size_t i = 0; i < events.size(); ++i) {
      if (!waits[i]) continue;
      if (!waits[i]->error.empty()) {
        std::string m =
            "event " + std::to_string(i) + " (" + events[i].id + "): " + waits[i]->error;
        lk.unlock();
        set_message(std::move(m));
        return make_error_code(errc::unavailable);
      }
      out[i].position = waits[i]->position;
    }
    return out;
  }

  int32_t partitions() const override { return partitions_; }

  int32_t partition_for(std::string_view stream) const override {
    return kafka_partition_for(stream, partitions_);
  }

  result<log_stats> stats() override {
    log_stats s;
    s.partitions = partitions_;
    s.backend = "kafka";
    auto highs = list_offsets(kLatest);
    if (!highs) {
      set_message(highs.error().message);
      return highs.error().code;
    }
    s.end_offsets = std::move(highs).value();
    return s;
  }

  result<std::unique_ptr<log_reader>> open_reader(std::vector<int64_t> from,
                                                  std::vector<int32_t> partitions_wanted) override {
    const auto n = static_cast<size_t>(partitions_);
    if (from.size() > n) {
      set_message("open_reader: " + std::to_string(from.size()) + " offsets for " +
                  std::to_string(n) + " partitions");
      return make_error_code(errc::invalid_argument);
    }
    from.resize(n, 0);
    std::vector<bool> assigned(n, partitions_wanted.empty());
    for (int32_t p : partitions_wanted) {
      if (p < 0 || p >= partitions_) {
        set_message("open_reader: no partition " + std::to_string(p));
        return make_error_code(errc::invalid_argument);
      }
      assigned[static_cast<size_t>(p)] = true;
    }
    std::vector<RdKafka::TopicPartition*> tps;
    for (size_t p = 0; p < n; ++p) {
      if (from[p] < 0) {
        set_message("open_reader: negative offset for partition " + std::to_string(p));
        return make_error_code(errc::invalid_argument);
      }
      if (assigned[p])
        tps.push_back(RdKafka::TopicPartition::create(opts_.topic, static_cast<int>(p), from[p]));
    }
    auto sink = std::make_unique<event_sink>();
    auto consumer = make_consumer(opts_, sink.get(), /*eof_events=*/false);
    if (!consumer) {
      RdKafka::TopicPartition::destroy(tps);
      set_message(consumer.error().message);
      return consumer.error().code;
    }
    auto err = consumer.value()->assign(tps);
    RdKafka::TopicPartition::destroy(tps);
    if (err != RdKafka::ERR_NO_ERROR) {
      set_message("kafka assign: " + RdKafka::err2str(err));
      return make_error_code(errc::unavailable);
    }
    return std::unique_ptr<log_reader>(std::make_unique<kafka_reader>(
        std::move(sink), std::move(consumer).value(), std::move(from), std::move(assigned)));
  }

  result<std::vector<int64_t>> offsets_after_time(timestamp t) override {
    auto r = offsets_after(t);
    if (!r) {
      set_message(r.error().message);
      return r.error().code;
    }
    return std::move(r).value();
  }

  // DeliveryReportCb: runs on whichever thread polls (the poller, or the destructor's flush).
  void dr_cb(RdKafka::Message& m) override {
    std::unique_ptr<std::shared_ptr<pending_event>> holder(
        static_cast<std::shared_ptr<pending_event>*>(m.msg_opaque()));
    if (!holder) return;
    delivery d;
    d.event = std::move(*holder);
    d.ok = m.err() == RdKafka::ERR_NO_ERROR;
    if (d.ok) {
      d.position = log_position{m.partition(), m.offset()};
    } else {
      d.error = "kafka delivery failed: " + message_text(m);
      if (m.status() != RdKafka::Message::MSG_STATUS_NOT_PERSISTED)
        d.error += " (possibly persisted)";
    }
    std::lock_guard lk(dr_mu_);
    delivered_.push_back(std::move(d));
  }

  std::string error_message() const {
    std::lock_guard lk(msg_mu_);
    return message_;
  }

 private:
  // A little over the codec's limit, so any valid envelope fits one Kafka record.
  static constexpr size_t kMaxMessageBytes = 2u << 20;

  void set_message(std::string m) {
    std::lock_guard lk(msg_mu_);
    message_ = std::move(m);
  }

  void poll_loop() {
    while (!stop_.load()) {
      producer_->poll(100);
      drain_deliveries();
    }
  }

  result_msg<void> produce(const envelope& e, const std::string& value,
                           const std::shared_ptr<pending_event>& pe) {
    const auto deadline = clock_type::now() + opts_.timeout;
    for (;;) {
      auto* opaque = new std::shared_ptr<pending_event>(pe);
      auto err = producer_->produce(opts_.topic, pe->partition, RdKafka::Producer::RK_MSG_COPY,
                                    const_cast<char*>(value.data()), value.size(), e.stream.data(),
                                    e.stream.size(), kafka_timestamp(e.time), opaque);
      if (err == RdKafka::ERR_NO_ERROR) return success();
      delete opaque;
      if (err == RdKafka::ERR__QUEUE_FULL && clock_type::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the poller drains it
        continue;
      }
      std::string why = "kafka produce: " + RdKafka::err2str(err);
      if (err == RdKafka::ERR__FATAL) {
        std::string fatal;
        producer_->fatal_error(fatal);
        why += " (" + fatal + "); reopen the log";
      }
      return failure(fail(errc::unavailable, std::move(why)));
    }
  }

  // Indexes delivered events in one write, advances "indexed up to" where contiguous, and
  // wakes the appenders.
  void drain_deliveries() {
    std::vector<delivery> batch;
    {
      std::lock_guard lk(dr_mu_);
      batch.swap(delivered_);
    }
    if (batch.empty()) return;
    std::lock_guard lk(state_mu_);
    std::vector<index_entry> entries;
    std::map<int32_t, int64_t> upto_changes;
    for (auto& d : batch) {
      const auto p = static_cast<size_t>(d.event->partition);
      if (!d.ok) {
        suspect_[p] = true;  // a failed record may still have been written: re-read later
        continue;
      }
      entries.push_back(index_entry{d.event->id, d.position});
      const int64_t o = d.position.offset;
      if (o == upto_[p]) {
        upto_[p] = o + 1;
        auto& ahead = ahead_[p];
        while (!ahead.empty() && *ahead.begin() <= upto_[p]) {
          upto_[p] = std::max(upto_[p], *ahead.begin() + 1);
          ahead.erase(ahead.begin());
        }
        upto_changes[d.event->partition] = upto_[p];
      } else if (o > upto_[p]) {
        ahead_[p].insert(o);  // someone else wrote [upto, o): fill before the next check
      }
    }
    auto written = index_->add(entries, std::vector<std::pair<int32_t, int64_t>>(
                                            upto_changes.begin(), upto_changes.end()));
    for (auto& d : batch) {
      auto& pe = *d.event;
      if (!d.ok) {
        pe.error = d.error;
      } else if (!written) {
        pe.error = "stored at " + pos_text(d.position.partition, d.position.offset) +
                   " but not indexed: " + written.error().message;
        suspect_[static_cast<size_t>(pe.partition)] = true;
      } else {
        pe.position = d.position;
      }
      pe.done = true;
      if (auto it = in_flight_.find(pe.id); it != in_flight_.end() && it->second == d.event) {
        in_flight_.erase(it);
      }
    }
    state_cv_.notify_all();
  }

  // Before deciding what is a duplicate: read the partitions whose index has a gap (records
  // this handle did not write: another node, or a failed-but-persisted attempt). Called
  // under append_mu_.
  result_msg<void> fill_gaps() {
    std::vector<scan_range> ranges;
    {
      std::lock_guard lk(state_mu_);
      for (int32_t p = 0; p < partitions_; ++p) {
        const auto i = static_cast<size_t>(p);
        if (suspect_[i] || !ahead_[i].empty()) ranges.push_back({p, upto_[i], 0});
      }
    }
    if (ranges.empty()) return success();
    BOOST_OUTCOME_TRY(auto lows, list_offsets(kEarliest));
    BOOST_OUTCOME_TRY(auto highs, list_offsets(kLatest));
    for (auto& r : ranges) {
      r.from = std::max(r.from, lows[static_cast<size_t>(r.partition)]);
      r.to = highs[static_cast<size_t>(r.partition)];
    }
    return index_ranges(ranges);
  }

  // Reads the ranges and indexes every id in them; sets "indexed up to" to each range's end.
  result_msg<void> index_ranges(const std::vector<scan_range>& ranges) {
    std::vector<index_entry> entries;
    BOOST_OUTCOME_TRY(scan(ranges, [&](int32_t p, int64_t o, envelope&& e) {
      entries.push_back(index_entry{std::move(e.id), log_position{p, o}});
      return true;
    }));
    std::lock_guard lk(state_mu_);
    std::vector<std::pair<int32_t, int64_t>> upto_changes;
    for (const auto& r : ranges) {
      const auto p = static_cast<size_t>(r.partition);
      upto_[p] = std::max(upto_[p], r.to);
      auto& ahead = ahead_[p];
      while (!ahead.empty() && *ahead.begin() <= upto_[p]) {
        upto_[p] = std::max(upto_[p], *ahead.begin() + 1);
        ahead.erase(ahead.begin());
      }
      suspect_[p] = false;
      upto_changes.emplace_back(r.partition, upto_[p]);
    }
    return index_->add(entries, upto_changes);
  }

  // Reads [from, to) of each range in offset order per partition, calling fn for each
  // envelope until fn returns false for that partition. Undecodable records fail with
  // errc::corruption; no progress for opts.timeout fails with errc::unavailable.
  result_msg<void> scan(std::vector<scan_range> ranges,
                        const std::function<bool(int32_t, int64_t, envelope&&)>& fn) {
    std::erase_if(ranges, [](const scan_range& r) { return r.from >= r.to; });
    if (ranges.empty()) return success();
    std::lock_guard lk(scan_mu_);
    std::map<int32_t, scan_range> open;
    std::vector<RdKafka::TopicPartition*> tps;
    for (const auto& r : ranges) {
      open[r.partition] = r;
      tps.push_back(RdKafka::TopicPartition::create(opts_.topic, r.partition, r.from));
    }
    auto err = scanner_->assign(tps);
    RdKafka::TopicPartition::destroy(tps);
    if (err != RdKafka::ERR_NO_ERROR) {
      return failure(fail(errc::unavailable, "kafka assign: " + RdKafka::err2str(err)));
    }
    struct unassign_on_exit {
      RdKafka::KafkaConsumer* c;
      ~unassign_on_exit() { c->unassign(); }
    } guard{scanner_.get()};

    auto last_progress = clock_type::now();
    while (!open.empty()) {
      if (clock_type::now() - last_progress > opts_.timeout) {
        return failure(fail(errc::unavailable, "kafka: reading " + opts_.topic +
                                                   " made no progress in " +
                                                   std::to_string(opts_.timeout.count()) + " ms (" +
                                                   scan_sink_.last() + ")"));
      }
      std::unique_ptr<RdKafka::Message> m(
          scanner_->consume(std::min(100, timeout_ms(opts_.timeout))));
      const auto it = open.find(m->partition());
      switch (m->err()) {
        case RdKafka::ERR_NO_ERROR: {
          if (it == open.end() || m->offset() < it->second.from) break;  // stale
          last_progress = clock_type::now();
          auto e = decode_record(*m);
          if (!e) return failure(e.error());
          const bool more = fn(m->partition(), m->offset(), std::move(e).value());
          if (!more || m->offset() + 1 >= it->second.to)
            open.erase(it);
          else
            it->second.from = m->offset() + 1;
          break;
        }
        case RdKafka::ERR__PARTITION_EOF:
          if (it != open.end() && m->offset() >= it->second.to) open.erase(it);
          break;
        case RdKafka::ERR__TIMED_OUT:
        case RdKafka::ERR__TRANSPORT:
          break;
        case RdKafka::ERR__AUTO_OFFSET_RESET:
        case RdKafka::ERR_OFFSET_OUT_OF_RANGE:
          return failure(
              fail(errc::corruption,
                   "kafka: " + opts_.topic + " lost records being read: " + message_text(*m)));
        default:
          return failure(
              fail(errc::unavailable, "kafka: reading " + opts_.topic + ": " + message_text(*m)));
      }
    }
    return success();
  }

  // Right after a topic is created, or while leadership moves, the broker answers "not
  // leader" and friends for a moment: those are retried until opts.timeout.
  static bool retriable(RdKafka::ErrorCode err) {
    switch (err) {
      case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
      case RdKafka::ERR_LEADER_NOT_AVAILABLE:
      case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
      case RdKafka::ERR__UNKNOWN_PARTITION:
      case RdKafka::ERR__UNKNOWN_TOPIC:
      case RdKafka::ERR_OFFSET_NOT_AVAILABLE:
      case RdKafka::ERR_REQUEST_TIMED_OUT:
      case RdKafka::ERR__TRANSPORT:
      case RdKafka::ERR__STATE:
        return true;
      default:
        return false;
    }
  }

  static constexpr int64_t kLatest = -1;    // ListOffsets "latest": the high watermark
  static constexpr int64_t kEarliest = -2;  // ListOffsets "earliest": the first retained offset

  // ListOffsets for every partition: kLatest, kEarliest, or a timestamp in ms (then -1 where
  // no record is that late). Through offsetsForTimes, which honours its timeout;
  // query_watermark_offsets does not (its request is retried for as long as `retries`,
  // i.e. forever, while the broker is down).
  result_msg<std::vector<int64_t>> list_offsets(int64_t spec) {
    std::vector<RdKafka::TopicPartition*> tps;
    for (int32_t p = 0; p < partitions_; ++p)
      tps.push_back(RdKafka::TopicPartition::create(opts_.topic, p, spec));
    struct destroy_on_exit {
      std::vector<RdKafka::TopicPartition*>& v;
      ~destroy_on_exit() { RdKafka::TopicPartition::destroy(v); }
    } guard{tps};
    const auto deadline = clock_type::now() + opts_.timeout;
    for (;;) {
      for (auto* tp : tps) tp->set_offset(spec);
      RdKafka::ErrorCode err;
      {
        std::lock_guard lk(scan_mu_);
        err = scanner_->offsetsForTimes(tps, std::max(1, remaining_ms(deadline)));
      }
      for (auto* tp : tps) {
        if (err == RdKafka::ERR_NO_ERROR) err = tp->err();
      }
      if (err == RdKafka::ERR_NO_ERROR) break;
      if (!retriable(err) || clock_type::now() >= deadline) {
        std::string last = scan_sink_.last();
        return failure(fail(errc::unavailable, "kafka: listing offsets of " + opts_.topic + " on " +
                                                   opts_.brokers + ": " + RdKafka::err2str(err) +
                                                   (last.empty() ? "" : " (" + last + ")")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::vector<int64_t> out(static_cast<size_t>(partitions_), -1);
    for (auto* tp : tps) out[static_cast<size_t>(tp->partition())] = tp->offset();
    return out;
  }

  // Partitions of the topic that have a leader; 0 if the topic does not exist.
  result_msg<int32_t> topic_partitions(clock_type::time_point deadline) {
    std::string err;
    std::unique_ptr<RdKafka::Topic> topic(
        RdKafka::Topic::create(producer_.get(), opts_.topic, nullptr, err));
    if (!topic)
      return failure(fail(errc::invalid_argument, "kafka topic " + opts_.topic + ": " + err));
    RdKafka::Metadata* raw = nullptr;
    auto code = producer_->metadata(false, topic.get(), &raw, std::max(1, remaining_ms(deadline)));
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (code != RdKafka::ERR_NO_ERROR) {
      std::string last = sink_.last();
      return failure(fail(errc::unavailable,
                          "kafka brokers " + opts_.brokers + " did not answer within " +
                              std::to_string(opts_.timeout.count()) + " ms: " +
                              RdKafka::err2str(code) + (last.empty() ? "" : " (" + last + ")")));
    }
    for (const auto* t : *md->topics()) {
      if (t->topic() != opts_.topic) continue;
      if (t->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) return 0;
      if (t->err() != RdKafka::ERR_NO_ERROR && t->err() != RdKafka::ERR_LEADER_NOT_AVAILABLE) {
        return failure(fail(errc::unavailable,
                            "kafka topic " + opts_.topic + ": " + RdKafka::err2str(t->err())));
      }
      int32_t with_leader = 0;
      for (const auto* p : *t->partitions()) {
        if (p->leader() >= 0 && p->err() == RdKafka::ERR_NO_ERROR) ++with_leader;
      }
      if (with_leader != static_cast<int32_t>(t->partitions()->size())) return 0;  // not ready yet
      return with_leader;
    }
    return 0;
  }

  result_msg<void> create_topic(clock_type::time_point deadline) {
    if (opts_.partitions <= 0 || opts_.replication_factor <= 0) {
      return failure(
          fail(errc::invalid_argument, "kafka topic needs partitions and replication_factor > 0"));
    }
    rd_kafka_t* rk = producer_->c_ptr();
    char errbuf[512] = {0};
    std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> topic(
        rd_kafka_NewTopic_new(opts_.topic.c_str(), opts_.partitions, opts_.replication_factor,
                              errbuf, sizeof errbuf),
        &rd_kafka_NewTopic_destroy);
    if (!topic) return failure(fail(errc::invalid_argument, std::string("kafka topic: ") + errbuf));
    // The log is the source of truth: nothing expires. Imported history carries old event
    // times (= record timestamps), which time-based retention would delete at once.
    const std::pair<const char*, std::string> configs[] = {
        {"retention.ms", "-1"},
        {"retention.bytes", "-1"},
        {"cleanup.policy", "delete"},
        {"message.timestamp.type", "CreateTime"},
        {"max.message.bytes", std::to_string(kMaxMessageBytes)},
    };
    for (const auto& [k, v] : configs) {
      if (auto e = rd_kafka_NewTopic_set_config(topic.get(), k, v.c_str());
          e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return failure(fail(errc::invalid_argument,
                            std::string("kafka topic config ") + k + ": " + rd_kafka_err2str(e)));
      }
    }
    const int t = std::max(1, remaining_ms(deadline));
    std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS),
        &rd_kafka_AdminOptions_destroy);
    rd_kafka_AdminOptions_set_request_timeout(options.get(), t, errbuf, sizeof errbuf);
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), t, errbuf, sizeof errbuf);
    std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(
        rd_kafka_queue_new(rk), &rd_kafka_queue_destroy);
    rd_kafka_NewTopic_t* topics[] = {topic.get()};
    rd_kafka_CreateTopics(rk, topics, 1, options.get(), queue.get());
    std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> ev(
        rd_kafka_queue_poll(queue.get(), t + 1000), &rd_kafka_event_destroy);
    if (!ev)
      return failure(
          fail(errc::unavailable, "kafka: creating topic " + opts_.topic + " timed out"));
    if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return failure(fail(errc::unavailable, "kafka: creating topic " + opts_.topic + ": " +
                                                 rd_kafka_event_error_string(ev.get())));
    }
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev.get());
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        res ? rd_kafka_CreateTopics_result_topics(res, &n) : nullptr;
    for (size_t i = 0; i < n; ++i) {
      auto e = rd_kafka_topic_result_error(results[i]);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      const errc code = e == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR ||
                                e == RD_KAFKA_RESP_ERR_INVALID_PARTITIONS ||
                                e == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION ||
                                e == RD_KAFKA_RESP_ERR_INVALID_CONFIG
                            ? errc::invalid_argument
                            : errc::unavailable;
      return failure(fail(
          code, "kafka: creating topic " + opts_.topic + ": " + (why ? why : rd_kafka_err2str(e))));
    }
    return success();
  }

  result_msg<std::vector<int64_t>> offsets_after(timestamp t) {
    const auto n = static_cast<size_t>(partitions_);
    BOOST_OUTCOME_TRY(auto highs, list_offsets(kLatest));
    // Kafka finds the first record with timestamp >= the target millisecond; records in that
    // millisecond may still be <= t, so read forward comparing the envelopes' microseconds.
    const int64_t after_us = to_micros(t) + 1;
    const int64_t target_ms = after_us >= 0 ? after_us / 1000 : -((-after_us + 999) / 1000);
    std::vector<int64_t> starts;
    if (target_ms <= 1) {
      // 0 would mean "now" and 1 holds everything up to the epoch: read from the start.
      BOOST_OUTCOME_TRY(starts, list_offsets(kEarliest));
    } else {
      BOOST_OUTCOME_TRY(starts, list_offsets(target_ms));
      for (size_t p = 0; p < n; ++p) {
        if (starts[p] < 0) starts[p] = highs[p];
      }
    }
    std::vector<int64_t> out = highs;
    std::vector<scan_range> ranges;
    for (size_t p = 0; p < n; ++p) ranges.push_back({static_cast<int32_t>(p), starts[p], highs[p]});
    BOOST_OUTCOME_TRY(scan(ranges, [&](int32_t p, int64_t o, envelope&& e) {
      if (e.time > t) {
        out[static_cast<size_t>(p)] = o;
        return false;
      }
      return true;
    }));
    return out;
  }

  const kafka_log_options opts_;
  event_sink sink_;       // outlives producer_
  event_sink scan_sink_;  // outlives scanner_
  std::unique_ptr<RdKafka::Producer> producer_;
  std::unique_ptr<RdKafka::KafkaConsumer> scanner_;
  std::mutex scan_mu_;
  int32_t partitions_ = 0;
  std::thread poller_;
  std::atomic<bool> stop_{false};

  std::mutex append_mu_;
  std::mutex state_mu_;
  std::condition_variable state_cv_;
  std::unique_ptr<id_index> index_;                                            // state_mu_
  std::unordered_map<std::string, std::shared_ptr<pending_event>> in_flight_;  // state_mu_
  std::vector<int64_t> upto_;             // indexed up to, per partition; state_mu_
  std::vector<std::set<int64_t>> ahead_;  // delivered offsets past a gap; state_mu_
  std::vector<bool> suspect_;             // a failure may have left unindexed records; state_mu_

  std::mutex dr_mu_;
  std::vector<delivery> delivered_;  // dr_mu_

  mutable std::mutex msg_mu_;
  std::string message_;  // msg_mu_
};

}  // namespace

result_msg<std::unique_ptr<event_log>> open_kafka_log(kafka_log_options opts) {
  if (opts.brokers.empty()) return failure(fail(errc::invalid_argument, "kafka: no brokers given"));
  if (opts.topic.empty()) return failure(fail(errc::invalid_argument, "kafka: no topic given"));
  if (opts.timeout.count() <= 0)
    return failure(fail(errc::invalid_argument, "kafka: timeout must be > 0"));
  auto log = std::make_unique<kafka_log>(std::move(opts));
  BOOST_OUTCOME_TRY(log->open());
  return std::unique_ptr<event_log>(std::move(log));
}

std::string kafka_error_message(const event_log& log) {
  if (const auto* k = dynamic_cast<const kafka_log*>(&log)) return k->error_message();
  return {};
}

std::string kafka_error_message(const log_reader& reader) {
  if (const auto* k = dynamic_cast<const kafka_reader*>(&reader)) return k->error_message();
  return {};
}

}  // namespace roms::events
