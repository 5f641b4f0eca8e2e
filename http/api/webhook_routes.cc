// being written (storefront webhooks)
#include "http/api/context.h"
namespace roms::http::api {
void add_webhook_routes(router&, context&) {}
}  // namespace roms::http::api
