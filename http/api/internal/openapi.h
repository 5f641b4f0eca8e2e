// The OpenAPI 3.0 document of the v1 API (http/api/openapi.json, embedded at build time by
// internal/embed_openapi.cmake), served at GET /api/v1/openapi.json.
#pragma once

#include <string_view>

namespace roms::http::api::internal {

std::string_view openapi_json();

}  // namespace roms::http::api::internal
