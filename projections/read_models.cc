#include "projections/read_models.h"

#include "projections/read_models/fold_util.h"

namespace roms::projections {

std::vector<std::unique_ptr<projection>> make_read_models(bool single_partition) {
  std::vector<std::unique_ptr<projection>> v;
  v.push_back(std::make_unique<orders_projection>(single_partition));
  v.push_back(std::make_unique<customers_projection>());
  v.push_back(std::make_unique<catalog_projection>());
  v.push_back(std::make_unique<daily_projection>());
  v.push_back(std::make_unique<auth_projection>());
  v.push_back(std::make_unique<automation_projection>());
  v.push_back(std::make_unique<messages_projection>());
  v.push_back(std::make_unique<conversations_projection>());
  return v;
}

namespace {
template <class T>
void decode_into(payload_memo& memo, const events::stored_event& e) {
  if (e.event.type != T::kType || memo.find<T>(e)) return;
  auto r = events::decode_payload<T>(e.event.payload);
  if (r) (void)memo.offer<T>(e, std::move(r).value());
}

template <class... T>
std::vector<std::string_view> type_names(payload_list<T...>) {
  return {T::kType...};
}

template <class... T>
void decode_all(payload_list<T...>, payload_memo& memo, const events::stored_event& e) {
  (decode_into<T>(memo, e), ...);
}
}  // namespace

const std::vector<std::string_view>& shared_payload_types() {
  static const std::vector<std::string_view> types = type_names(shared_payloads{});
  return types;
}

void decode_shared_payloads(payload_memo& memo, std::span<const events::stored_event> evs) {
  for (const auto& e : evs) decode_all(shared_payloads{}, memo, e);
}

}  // namespace roms::projections
