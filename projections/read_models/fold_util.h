// Helpers shared by the read models' folds: typed load/store of JSON records and event
// decoding with the position in the error message.
#pragma once

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "events/envelope.h"
#include "events/payload.h"
#include "projections/projection.h"

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

template <class T>
std::optional<T> load(fold_context& ctx, std::string_view key) {
  auto v = ctx.get(key);
  if (!v) return std::nullopt;
  auto r = events::decode_payload<T>(*v);
  if (!r) return std::nullopt;  // a stored value we wrote ourselves; cannot fail in practice
  return std::move(r).value();
}

template <class T>
std::optional<T> load(const read_view& view, std::string_view key) {
  auto v = view.get(key);
  if (!v) return std::nullopt;
  auto r = events::decode_payload<T>(*v);
  if (!r) return std::nullopt;
  return std::move(r).value();
}

template <class T>
void store(fold_context& ctx, std::string_view key, const T& value) {
  ctx.put(key, events::encode_payload(value));
}

// Decodes the payload of `e` as T; the error names the event's position and type.
template <class T>
result_msg<T> decode_event(const events::stored_event& e) {
  auto r = events::decode_payload<T>(e.event.payload);
  if (!r) {
    return error_info{r.error().code, "event at " + events::to_string(e.position, false) +
                                          " (" + e.event.type + "): " + r.error().message};
  }
  return r;
}

}  // namespace roms::projections
