// Event payloads decoded once per fold batch and shared by the projections folding it.
//
// Five read models decode every order.placed and order.status_changed payload (JSON) of the
// log. fold_batch::apply(span) gives the batch a payload_memo and installs it on each thread
// that folds the batch; decode_event<T>() (read_models/fold_util.h) asks it first, so the
// first projection to need a payload parses it and the others copy the parsed struct.
//
// Thread-safe: projections fold one batch on several threads. A slot is published with one
// compare-and-swap; two threads decoding the same payload at once both parse it, and the one
// that loses the race keeps the winner's (identical) value.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <typeinfo>
#include <utility>

#include "events/envelope.h"

namespace roms::projections {

class payload_memo {
 public:
  explicit payload_memo(std::span<const events::stored_event> evs);
  ~payload_memo();
  payload_memo(const payload_memo&) = delete;
  payload_memo& operator=(const payload_memo&) = delete;

  // True if this memo was made over exactly `evs` (the same events, where they are now).
  bool covers(std::span<const events::stored_event> evs) const {
    return evs.data() == first_ && evs.size() == n_;
  }

  // The memo of the batch this thread is folding; nullptr outside fold_batch::apply(span).
  static payload_memo* current();
  // Installs `m` as this thread's current memo for its lifetime.
  class scope {
   public:
    explicit scope(payload_memo* m);
    ~scope();
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    payload_memo* previous_;
  };

  // The payload of `e` as T if a projection decoded it already; nullptr otherwise (or when `e`
  // is not an event of this batch).
  template <class T>
  const T* find(const events::stored_event& e) const {
    const slot* s = slot_of(e);
    if (!s) return nullptr;
    const holder* h = s->load(std::memory_order_acquire);
    if (!h || h->type != &typeid(T)) return nullptr;
    return &static_cast<const typed<T>*>(h)->value;
  }
  // Keeps `v` as the payload of `e` unless another thread was first; returns the value kept.
  // nullptr when `e` is not an event of this batch or was kept as another type: then `v` is
  // left as it was and the caller keeps its own.
  template <class T>
  const T* offer(const events::stored_event& e, T&& v) {
    slot* s = slot_of(e);
    if (!s) return nullptr;
    auto mine = std::make_unique<typed<T>>(std::move(v));
    const holder* expected = nullptr;
    if (s->compare_exchange_strong(expected, mine.get(), std::memory_order_acq_rel)) {
      return &mine.release()->value;
    }
    if (expected->type != &typeid(T)) {  // decoded as another type: not shared
      v = std::move(mine->value);
      return nullptr;
    }
    return &static_cast<const typed<T>*>(expected)->value;
  }

 private:
  struct holder {
    explicit holder(const std::type_info* t) : type(t) {}
    virtual ~holder() = default;
    const std::type_info* type;
  };
  template <class T>
  struct typed final : holder {
    explicit typed(T&& v) : holder(&typeid(T)), value(std::move(v)) {}
    T value;
  };
  using slot = std::atomic<const holder*>;

  const slot* slot_of(const events::stored_event& e) const {
    std::less<const events::stored_event*> before;  // a total order, unlike raw <
    if (n_ == 0 || before(&e, first_) || !before(&e, first_ + n_)) return nullptr;
    return &slots_[static_cast<size_t>(&e - first_)];
  }
  slot* slot_of(const events::stored_event& e) {
    return const_cast<slot*>(std::as_const(*this).slot_of(e));
  }

  const events::stored_event* first_;
  size_t n_;
  std::unique_ptr<slot[]> slots_;
};

}  // namespace roms::projections
