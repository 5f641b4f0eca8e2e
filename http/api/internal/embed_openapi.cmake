# Writes a C++ source returning the contents of IN (http/api/openapi.json) from
# roms::http::api::internal::openapi_json(). Run at build time:
#   cmake -DIN=openapi.json -DOUT=openapi_json.cc -P embed_openapi.cmake
file(READ "${IN}" doc)
string(FIND "${doc}" ")roms_openapi\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )roms_openapi\"")
endif()
file(WRITE "${OUT}.tmp"
"// Generated from http/api/openapi.json by http/api/internal/embed_openapi.cmake. Do not edit.
#include \"http/api/internal/openapi.h\"

namespace roms::http::api::internal {

std::string_view openapi_json() {
  static constexpr std::string_view doc = R\"roms_openapi(${doc})roms_openapi\";
  return doc;
}

}  // namespace roms::http::api::internal
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
