// being written (auth: login, users, API keys)
#include "http/api/context.h"
namespace roms::http::api {
void add_auth_routes(router&, context&) {}
}  // namespace roms::http::api
