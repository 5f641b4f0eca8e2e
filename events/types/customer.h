// Customer events. Stream: the customer id ("cus_…"). A customer is identified by the
// normalised phone (E.164); core decides dedup before these are appended.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roms::events {

// customer.registered v1: first seen (from an order or a chat).
struct customer_registered {
  static constexpr std::string_view kType = "customer.registered";
  static constexpr uint32_t kVersion = 1;
  std::string customer_id;
  std::string phone;       // E.164 when phone_valid, else as given
  bool phone_valid = true;  // false: could not be normalised, kept as given and flagged
  std::string name;
  std::string email;
  std::string city;
  std::string province;
  std::string source;  // "order:web", "chat:whatsapp", "import"
  template <class V>
  void fields(V& v) {
    v("customer_id", customer_id); v("phone", phone); v("phone_valid", phone_valid);
    v("name", name); v("email", email); v("city", city); v("province", province);
    v("source", source);
  }
};

// customer.renamed v1: display name edited by Admin/CS ("Budi123" → "Budi Santoso").
struct customer_renamed {
  static constexpr std::string_view kType = "customer.renamed";
  static constexpr uint32_t kVersion = 1;
  std::string customer_id;
  std::string name;
  template <class V>
  void fields(V& v) { v("customer_id", customer_id); v("name", name); }
};

// customer.updated v1: contact details edited; absent fields unchanged.
struct customer_updated {
  static constexpr std::string_view kType = "customer.updated";
  static constexpr uint32_t kVersion = 1;
  std::string customer_id;
  std::optional<std::string> email, city, province;
  template <class V>
  void fields(V& v) {
    v("customer_id", customer_id); v("email", email); v("city", city); v("province", province);
  }
};

}  // namespace roms::events
