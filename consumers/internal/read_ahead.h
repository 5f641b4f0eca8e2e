// Reads the log one batch ahead of a fold: while the caller folds batch k, a helper thread
// reads batch k+1 and decodes its shared payloads (projections::decode_shared_payloads), so
// neither the log's reads nor those decodes wait for the fold threads. For the big batches of
// a rebuild and of the catch-up before serving (consumers/README.md, "Read-ahead"); the live
// loop reads small batches as they become durable and does not use it.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <vector>

#include "core/result.h"
#include "events/log.h"
#include "projections/payload_memo.h"

namespace roms::consumers::internal {

class read_ahead {
 public:
  struct batch {
    std::vector<events::stored_event> events;
    // Over `events` (when shared payloads are decoded ahead); hand it to fold_batch::apply.
    std::unique_ptr<projections::payload_memo> memo;
  };
  // Drops events the caller will not fold (runs on the helper thread, before any decoding).
  using filter_fn = std::function<void(std::vector<events::stored_event>&)>;

  // `reader` must outlive this object and be used by nobody else meanwhile. `decode_shared`:
  // decode the shared payloads ahead (false when no folded projection wants those types).
  read_ahead(events::log_reader& reader, size_t max_events, bool decode_shared,
             filter_fn filter = {});
  ~read_ahead();  // waits for a read in flight
  read_ahead(const read_ahead&) = delete;
  read_ahead& operator=(const read_ahead&) = delete;

  // The next batch: the one read ahead if any (if that came back empty, reads again waiting up
  // to `wait`), else one read now. Then starts reading the batch after it.
  result<batch> next(std::chrono::milliseconds wait);

 private:
  result<batch> read(std::chrono::milliseconds wait);

  events::log_reader& reader_;
  size_t max_;
  bool decode_shared_;
  filter_fn filter_;
  std::future<result<batch>> ahead_;
};

}  // namespace roms::consumers::internal
