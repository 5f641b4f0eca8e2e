#include "http/errors.h"

#include "core/errc.h"
#include "http/internal/text.h"

namespace roms::http {

int status_for(const std::error_code& ec) noexcept {
  if (ec.category() != roms_category()) return 500;
  switch (static_cast<errc>(ec.value())) {
    case errc::invalid_argument:
    case errc::malformed_json:
    case errc::unknown_sku:
      return 400;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::conflict:
    case errc::duplicate:
    case errc::invalid_transition:
    case errc::out_of_stock:
    case errc::locked:
    case errc::duplicate_sku:
    case errc::idempotency_key_reused:
      return 409;
    case errc::too_large:
      return 413;
    case errc::rate_limited:
      return 429;
    case errc::unavailable:
      return 503;
    case errc::timeout:
      return 504;
    default:
      return 500;
  }
}

std::string error_body(std::string_view code, std::string_view message,
                       std::string_view details_json) {
  std::string out;
  out.reserve(48 + code.size() + message.size() + details_json.size());
  out += R"({"error":{"code":)";
  internal::append_json_string(out, code);
  out += R"(,"message":)";
  internal::append_json_string(out, message);
  out += R"(,"details":)";
  out += details_json.empty() ? std::string_view("{}") : details_json;
  out += "}}";
  return out;
}

response error_response(const std::error_code& ec, std::string message,
                        std::string_view details_json) {
  if (message.empty()) message = ec.category() == roms_category() ? ec.message() : "internal error";
  return error_response(status_for(ec), error_name(ec), std::move(message), details_json);
}

response error_response(int status, std::string_view code, std::string message,
                        std::string_view details_json) {
  response r;
  r.status = status;
  r.body = error_body(code, message, details_json);
  return r;
}

std::string field_details(std::string_view field) {
  std::string out = R"({"field":)";
  internal::append_json_string(out, field);
  out += "}";
  return out;
}

}  // namespace roms::http
