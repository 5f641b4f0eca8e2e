#include "consumers/internal/read_ahead.h"

#include "core/thread_name.h"
#include "projections/read_models.h"

namespace roms::consumers::internal {

read_ahead::read_ahead(events::log_reader& reader, size_t max_events, bool decode_shared,
                       filter_fn filter)
    : reader_(reader), max_(max_events), decode_shared_(decode_shared), filter_(std::move(filter)) {}

read_ahead::~read_ahead() {
  if (ahead_.valid()) ahead_.wait();
}

result<read_ahead::batch> read_ahead::read(std::chrono::milliseconds wait) {
  auto r = reader_.read(max_, wait);
  if (!r) return r.error();
  batch b;
  b.events = std::move(r).value();
  if (filter_) filter_(b.events);
  if (decode_shared_ && !b.events.empty()) {
    b.memo = std::make_unique<projections::payload_memo>(b.events);
    projections::decode_shared_payloads(*b.memo, b.events);
  }
  return b;
}

result<read_ahead::batch> read_ahead::next(std::chrono::milliseconds wait) {
  result<batch> got = ahead_.valid() ? ahead_.get() : read(wait);
  if (got && got.value().events.empty() && wait.count() > 0) got = read(wait);
  if (!got) return got;  // an error: the caller decides; nothing is read ahead of it
  ahead_ = std::async(std::launch::async, [this] {
    set_thread_name("roms-readahead");
    return read(std::chrono::milliseconds(0));
  });
  return got;
}

}  // namespace roms::consumers::internal
