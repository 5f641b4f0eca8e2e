#include "projections/payload_memo.h"

namespace roms::projections {
namespace {
thread_local payload_memo* t_current = nullptr;
}  // namespace

payload_memo::payload_memo(std::span<const events::stored_event> evs)
    : first_(evs.data()), n_(evs.size()), slots_(std::make_unique<slot[]>(evs.size())) {
  for (size_t i = 0; i < n_; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
}

payload_memo::~payload_memo() {
  for (size_t i = 0; i < n_; ++i) delete slots_[i].load(std::memory_order_relaxed);
}

payload_memo* payload_memo::current() { return t_current; }

payload_memo::scope::scope(payload_memo* m) : previous_(t_current) { t_current = m; }
payload_memo::scope::~scope() { t_current = previous_; }

}  // namespace roms::projections
