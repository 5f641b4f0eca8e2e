// Helpers shared by the read models' folds: typed load/store of records (record_codec.h) and event
// decoding with the position in the error message.
#pragma once

#include <algorithm>
#include <charconv>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.h"
#include "core/settings.h"
#include "events/envelope.h"
#include "events/payload.h"
#include "events/types/order.h"
#include "events/types/system.h"
#include "projections/payload_memo.h"
#include "projections/projection.h"
#include "projections/read_models/keys.h"
#include "projections/read_models/record_codec.h"

namespace roms::projections {

// ASCII case-insensitive substring test, for the list queries' q= search (names, SKUs,
// phones). An empty needle matches everything.
inline bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != hay.end();
}
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && icontains(a, b);
}

// One page of an index whose keys sort oldest first under `prefix`, read newest first: scans
// [prefix, cursor) in reverse (the whole prefix without a cursor, or when the cursor is not in
// it). `take(key, value, items)` appends the item the entry names, or skips it (a filter).
// Returns the next cursor (the last key taken), "" when there is no more.
template <class T, class Take>
std::string page_newest_first(const read_view& v, const std::string& prefix,
                              std::string_view cursor, size_t limit, std::vector<T>& items,
                              Take take) {
  std::string end = prefix_end(prefix);
  if (!cursor.empty() && cursor.starts_with(prefix) && cursor < end) end = std::string(cursor);
  std::string last;
  bool more = false;
  v.scan(
      prefix, end,
      [&](std::string_view k, std::string_view val) {
        if (items.size() >= limit) {
          more = true;
          return false;
        }
        const size_t before = items.size();
        take(k, val, items);
        if (items.size() != before) last = std::string(k);
        return true;
      },
      /*reverse=*/true);
  return more ? last : std::string();
}

template <class T>
std::optional<T> load(fold_context& ctx, std::string_view key) {
  auto v = ctx.peek(key);  // decoded straight from the engine's copy
  if (!v) return std::nullopt;
  // A stored value we wrote ourselves (cannot fail in practice); the fields a fold uses (no
  // after_decode(): record_codec.h).
  return decode_record_fields<T>(*v);
}

// The shop settings a read model keeps under `key`: a settings.changed with every field,
// folded over the defaults (absent: the defaults). Folds ask for them with every order and
// they change only with a settings event, so each thread keeps the last ones it decoded and
// decodes again only when the stored bytes differ (any store, any read model: the bytes are
// the key).
inline shop_settings load_shop_settings(fold_context& ctx, std::string_view key = "meta/settings") {
  struct memo {
    bool valid = false;
    bool present = false;
    std::string bytes;
    shop_settings settings;
  };
  thread_local memo m;
  auto v = ctx.peek(key);
  if (m.valid && v.has_value() == m.present && (!v || *v == m.bytes)) return m.settings;
  m.valid = false;  // until the new bytes are decoded
  m.present = v.has_value();
  m.bytes.assign(v ? *v : std::string_view());
  shop_settings s;
  if (m.present)
    if (auto c = decode_record_fields<events::settings_changed>(m.bytes)) s.apply(*c);
  m.settings = s;
  m.valid = true;
  return s;
}

// A decimal integer as the read models store counters and times ("" or garbage reads as 0).
inline int64_t parse_i64(std::string_view s) {
  int64_t n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

// The decimal integer stored at `key`, 0 when absent.
inline int64_t load_int(fold_context& ctx, std::string_view key) {
  auto v = ctx.peek(key);
  return v ? parse_i64(*v) : 0;
}

template <class T>
std::optional<T> load(const read_view& view, std::string_view key) {
  auto v = view.get(key);
  if (!v) return std::nullopt;
  return decode_record<T>(*v);
}

template <class T>
void store(fold_context& ctx, std::string_view key, const T& value) {
  ctx.put(key, encode_record(value));
}

// Payload types that several read models decode (orders, customers, catalog, daily,
// automation): decoded once per fold batch and copied for the others (payload_memo.h), or
// ahead of the fold by the runner's read-ahead (read_models.h, decode_shared_payloads).
// One list: adding a type here is all it takes.
template <class... T>
struct payload_list {};
using shared_payloads = payload_list<events::order_placed, events::order_status_changed>;

namespace fold_detail {
template <class T, class List>
struct in_list;
template <class T, class... U>
struct in_list<T, payload_list<U...>> : std::bool_constant<(std::is_same_v<T, U> || ...)> {};
}  // namespace fold_detail

template <class T>
inline constexpr bool kSharedPayload = fold_detail::in_list<T, shared_payloads>::value;

// A decoded payload that is either the batch's shared copy (payload_memo) or the caller's own:
// read it through * and ->. No copy of the shared one (an order.placed with its items and
// customer, read by five read models).
template <class T>
class payload_ref {
 public:
  explicit payload_ref(const T* shared) : shared_(shared) {}
  explicit payload_ref(T own) : own_(std::move(own)) {}
  const T& operator*() const { return shared_ ? *shared_ : *own_; }
  const T* operator->() const { return &**this; }

 private:
  const T* shared_ = nullptr;
  std::optional<T> own_;
};

namespace fold_detail {
template <class T>
result_msg<T> parse_payload(const events::stored_event& e) {
  auto r = events::decode_payload<T>(e.event.payload);
  if (!r) {
    return error_info{r.error().code, "event at " + events::to_string(e.position, false) + " (" +
                                          e.event.type + "): " + r.error().message};
  }
  return r;
}
}  // namespace fold_detail

// Decodes the payload of `e` as T; the error names the event's position and type. (The shared
// payload types go through decode_shared().)
template <class T>
result_msg<T> decode_event(const events::stored_event& e) {
  static_assert(!kSharedPayload<T>, "use decode_shared(): the batch decodes it once");
  return fold_detail::parse_payload<T>(e);
}

// decode_event() for the payload types several read models decode (kSharedPayload): the
// batch's shared copy when there is one, without copying it.
template <class T>
result_msg<payload_ref<T>> decode_shared(const events::stored_event& e) {
  static_assert(kSharedPayload<T>);
  payload_memo* memo = payload_memo::current();
  if (memo) {
    if (const T* p = memo->find<T>(e)) return payload_ref<T>(p);
  }
  BOOST_OUTCOME_TRY(T own, fold_detail::parse_payload<T>(e));
  if (memo) {
    if (const T* p = memo->offer<T>(e, std::move(own))) return payload_ref<T>(p);
  }
  return payload_ref<T>(std::move(own));  // offer() left it as it was
}

}  // namespace roms::projections
