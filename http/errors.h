// Errors on the wire (CONTRACT.md): {"error":{"code":"snake_case","message":"…","details":{…}}}
// and the one mapping from std::error_code to an HTTP status.
//
//   if (!r) return out.respond(error_response(r.error(), "order ord_1 is already shipped"));
//   out.respond(error_response(401, "unauthorized", "missing credentials"));
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "http/server.h"

namespace roms::http {

// The status for a code: invalid_argument/malformed_json 400, not_found 404,
// conflict/duplicate/invalid_transition/out_of_stock/locked 409, too_large 413,
// unavailable 503, timeout 504; anything else (other roms codes, foreign categories) 500.
int status_for(const std::error_code& ec) noexcept;

// The error body. `details_json` must be a serialised JSON object ("{}" when empty); it is
// inserted as is. `code` and `message` are escaped.
std::string error_body(std::string_view code, std::string_view message,
                       std::string_view details_json = "{}");

// An error answer for `ec`: status from status_for(), code = roms::error_name(ec)
// ("internal" for foreign categories, whose message is then not shown to the client unless
// given explicitly in `message`).
response error_response(const std::error_code& ec, std::string message,
                        std::string_view details_json = "{}");

// An error answer with an explicit status and code, for what has no roms::errc:
// 401 "unauthorized", 403 "forbidden"/"csrf_token_missing", 429 "rate_limited", ….
response error_response(int status, std::string_view code, std::string message,
                        std::string_view details_json = "{}");

// {"field":"<name>"}: the usual details for a 400 naming the offending field.
std::string field_details(std::string_view field);

}  // namespace roms::http
