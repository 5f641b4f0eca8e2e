#include "events/envelope.h"

#include <pthread.h>
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>

namespace roms::events {

namespace {

// UUIDv7 generator state (RFC 9562 §5.7, monotonicity per §6.2 "Method 1": rand_a is a
// 12-bit counter, seeded randomly each new millisecond with its top bit clear so it has
// room to count; when it overflows, the timestamp is advanced by one millisecond).
// Random bytes come from getrandom(2), fetched in blocks to keep syscalls off the hot path.
class uuid_v7_generator {
 public:
  uuid_v7_generator() {
    // Hold the lock across fork() so the child never inherits it locked mid-update.
    pthread_atfork([] { instance().mu_.lock(); }, [] { instance().mu_.unlock(); },
                   [] { instance().on_fork_child(); });
  }

  static uuid_v7_generator& instance() {
    static uuid_v7_generator g;
    return g;
  }

  std::string next(int64_t now_ms) {
    std::array<uint8_t, 8> rand_b;
    uint64_t ms;
    uint16_t counter;
    {
      std::lock_guard lock(mu_);
      if (now_ms < 0) now_ms = 0;
      const auto now = static_cast<uint64_t>(now_ms) & kMaxMs;
      if (last_ms_ == kUnset || now > last_ms_) {
        last_ms_ = now;
        counter_ = random_seed();
        ms = now;
        counter = counter_;
      } else if (last_ms_ - now <= kMaxBackwardsMs) {
        // Same millisecond, a counter overflow's drift or a small clock step back: keep
        // counting on the last timestamp so ids keep sorting in generation order.
        if (++counter_ > 0xFFF) {
          ++last_ms_;
          counter_ = random_seed();
        }
        ms = last_ms_;
        counter = counter_;
      } else {
        // A timestamp far in the past (imported history, a test clock): an id for that
        // time, without disturbing the sequence of current ids.
        ms = now;
        counter = random_seed();
      }
      fill(rand_b.data(), rand_b.size());
    }
    return format(ms, counter, rand_b);
  }

 private:
  static constexpr uint64_t kMaxMs = (uint64_t{1} << 48) - 1;
  static constexpr uint64_t kUnset = ~uint64_t{0};
  static constexpr uint64_t kMaxBackwardsMs = 10'000;

  void on_fork_child() {
    // The child must not reuse the parent's random bytes (it would repeat its ids).
    pos_ = buf_.size();
    last_ms_ = kUnset;
    mu_.unlock();
  }

  uint16_t random_seed() {
    uint8_t b[2];
    fill(b, 2);
    return static_cast<uint16_t>(((b[0] << 8) | b[1]) & 0x7FF);
  }

  void fill(uint8_t* out, size_t n) {
    while (n > 0) {
      if (pos_ == buf_.size()) refill();
      size_t take = std::min(n, buf_.size() - pos_);
      std::memcpy(out, buf_.data() + pos_, take);
      // Used random bytes are not kept around in memory.
      std::memset(buf_.data() + pos_, 0, take);
      pos_ += take;
      out += take;
      n -= take;
    }
  }

  void refill() {
    size_t got = 0;
    while (got < buf_.size()) {
      ssize_t r = getrandom(buf_.data() + got, buf_.size() - got, 0);
      if (r > 0) {
        got += static_cast<size_t>(r);
      } else if (r < 0 && errno == EINTR) {
        continue;
      } else {
        // No getrandom (very old kernel or a seccomp filter): the C++ library's source.
        std::random_device rd;
        for (; got < buf_.size(); ++got) buf_[got] = static_cast<uint8_t>(rd());
      }
    }
    pos_ = 0;
  }

  static std::string format(uint64_t ms, uint16_t counter, const std::array<uint8_t, 8>& rb) {
    uint8_t b[16];
    for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
    b[6] = static_cast<uint8_t>(0x70 | ((counter >> 8) & 0x0F));  // version 7
    b[7] = static_cast<uint8_t>(counter & 0xFF);
    std::memcpy(b + 8, rb.data(), 8);
    b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));  // variant 10
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(36);
    for (int i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
      s += kHex[b[i] >> 4];
      s += kHex[b[i] & 0xF];
    }
    return s;
  }

  std::mutex mu_;
  std::array<uint8_t, 512> buf_{};
  size_t pos_ = buf_.size();
  uint64_t last_ms_ = kUnset;
  uint16_t counter_ = 0;
};

}  // namespace

std::string new_event_id(timestamp now) {
  const int64_t ms = to_micros(now) >= 0 ? to_micros(now) / 1000 : 0;
  return uuid_v7_generator::instance().next(ms);
}

std::string new_compact_id(std::string_view prefix, timestamp now) {
  const std::string uuid = new_event_id(now);
  unsigned char bytes[16] = {};
  int n = 0;
  auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < uuid.size() && n < 16; ++i) {
    if (uuid[i] == '-') continue;
    bytes[n++] = static_cast<unsigned char>(hex(uuid[i]) << 4 | hex(uuid[i + 1]));
    ++i;
  }
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";  // in ASCII order
  std::string out(prefix);
  out.push_back('_');
  // 128 bits → 26 symbols of 5 bits, most significant first (2 leading zero bits).
  for (int sym = 0; sym < 26; ++sym) {
    const int bit = sym * 5 - 2;  // the first symbol covers bits -2..2
    int v = 0;
    for (int b = bit; b < bit + 5; ++b) {
      v <<= 1;
      if (b >= 0) v |= (bytes[b / 8] >> (7 - b % 8)) & 1;
    }
    out.push_back(kAlphabet[v]);
  }
  return out;
}

}  // namespace roms::events
