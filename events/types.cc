#include "events/types.h"

// Instantiate the codecs of every event type once here so a broken `fields` list fails the
// build of this library, not of a distant user.
namespace roms::events {
namespace {
struct instantiate {
  template <class T>
  void operator()() {
    (void)&encode_payload<T>;
    (void)&decode_payload<T>;
  }
};
[[maybe_unused]] const bool kInstantiated = [] {
  for_each_event_type(instantiate{});
  return true;
}();
}  // namespace
}  // namespace roms::events
