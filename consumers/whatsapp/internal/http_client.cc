#include "consumers/whatsapp/internal/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace roms::consumers::whatsapp::internal {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Answers bigger than this are cut (a QR PNG is a few KiB; a gateway answer a few hundred B).
constexpr size_t kMaxBody = 8u << 20;

size_t on_body_limited(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->size() + size * n > kMaxBody) return 0;  // aborts the transfer
  return on_body(data, size, n, user);
}

struct easy_deleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

http_outcome perform(const http_call& c) {
  global_init();
  http_outcome out;
  std::unique_ptr<CURL, easy_deleter> h(curl_easy_init());
  if (!h) {
    out.failure = transport_failure::not_sent;
    out.error = "libcurl could not start a request";
    return out;
  }
  CURL* e = h.get();
  std::unique_ptr<curl_slist, slist_deleter> headers;
  for (const auto& [k, v] : c.headers) {
    std::string line = k + ": " + v;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // An empty Expect: curl would otherwise wait for "100 Continue" on larger bodies.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  curl_easy_setopt(e, CURLOPT_URL, c.url.c_str());
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c.method.c_str());
  if (c.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, c.body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(c.body.size()));
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(c.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout.count()));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body_limited);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "roms-outbox/1");

  CURLcode rc = curl_easy_perform(e);
  if (rc != CURLE_OK) {
    long request_size = 0;
    curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &request_size);
    out.failure = request_size > 0 ? transport_failure::no_answer : transport_failure::not_sent;
    out.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    out.error = curl_easy_strerror(rc);
    out.body.clear();
    return out;
  }
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  char* ct = nullptr;
  curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
  if (ct) out.content_type = ct;
  return out;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char ch : s) {
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out;
}

}  // namespace roms::consumers::whatsapp::internal
