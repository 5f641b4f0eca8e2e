#include "core/time.h"

#include <cstdio>

namespace roms {

namespace {
// Writes v (0 <= v < 10^n) as n digits.
char* put_digits(char* p, int64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + n;
}
}  // namespace

std::string format_rfc3339(timestamp t) {
  using namespace std::chrono;
  auto us = t.time_since_epoch().count();
  // Floor division; (us - 999'999) overflowed for the most negative values.
  int64_t secs = us / 1'000'000;
  int64_t frac = us % 1'000'000;
  if (frac < 0) {
    --secs;
    frac += 1'000'000;
  }
  auto days = floor<std::chrono::days>(sys_seconds{seconds{secs}});
  year_month_day ymd{days};
  int64_t sod = secs - days.time_since_epoch().count() * 86400;
  const int y = static_cast<int>(ymd.year());
  char buf[48];
  char* p = buf;
  if (y >= 0 && y <= 9999) {
    // The RFC 3339 range, without snprintf (it dominated encoding an event).
    p = put_digits(p, y, 4);
  } else {
    // Not RFC 3339 (and parse_rfc3339 refuses it), but defined.
    p += std::snprintf(p, 16, "%d", y);
  }
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  p = put_digits(p, sod / 3600, 2);
  *p++ = ':';
  p = put_digits(p, sod / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, sod % 60, 2);
  if (frac != 0) {
    *p++ = '.';
    p = put_digits(p, frac, 6);
  }
  *p++ = 'Z';
  return std::string(buf, p);
}

namespace {
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<timestamp> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int Y, M, D, h, m, sec;
  if (!digits(s, 0, 4, Y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, M) || s[7] != '-' ||
      !digits(s, 8, 2, D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, m) || s[16] != ':' ||
      !digits(s, 17, 2, sec))
    return std::nullopt;
  year_month_day ymd{year{Y}, month{static_cast<unsigned>(M)}, day{static_cast<unsigned>(D)}};
  if (!ymd.ok() || h > 23 || m > 59 || sec > 60) return std::nullopt;
  size_t i = 19;
  int64_t frac_us = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100'000;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac_us += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // Second 60 exists only as a leap second, which is 23:59:60 in UTC (RFC 3339 §5.7).
  if (sec == 60 && ((h * 60 + m - offset_s / 60) % 1440 + 1440) % 1440 != 23 * 60 + 59) {
    return std::nullopt;
  }
  auto base = sys_days{ymd}.time_since_epoch().count() * 86400LL + h * 3600 + m * 60 + sec -
              offset_s;
  return from_micros(base * 1'000'000 + frac_us);
}

namespace {
class system_clock_impl final : public clock {
 public:
  timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  }
};
}  // namespace

const clock& system_clock() {
  static const system_clock_impl c;
  return c;
}

}  // namespace roms
