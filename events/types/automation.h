// Templates, reminder rules, reminders (durable timers) and alerts. Streams: "template-<id>",
// "rule-<id>", the order id for reminders, "alert-<id>" for alerts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roms::events {

// template.saved v1: created or edited (the whole template). Variables are checked on save.
struct template_saved {
  static constexpr std::string_view kType = "template.saved";
  static constexpr uint32_t kVersion = 1;
  std::string template_id;
  std::string name;
  std::string kind;  // order_confirmation|greeting|bank_info|shipping|reminder|broadcast|custom
  std::string body;
  std::string wa_template_name;
  std::string wa_language;
  template <class V>
  void fields(V& v) {
    v("template_id", template_id); v("name", name); v("kind", kind); v("body", body);
    v("wa_template_name", wa_template_name); v("wa_language", wa_language);
  }
};

struct template_deleted {
  static constexpr std::string_view kType = "template.deleted";
  static constexpr uint32_t kVersion = 1;
  std::string template_id;
  template <class V>
  void fields(V& v) { v("template_id", template_id); }
};

// reminder_rule.saved v1: "send X days after the order is delivered", for one product or all.
struct reminder_rule_saved {
  static constexpr std::string_view kType = "reminder_rule.saved";
  static constexpr uint32_t kVersion = 1;
  std::string rule_id;
  std::string name;
  int64_t days_after_delivery = 0;
  std::string product_id;  // empty = all products
  std::string template_id;
  std::string body;  // used when template_id is empty
  bool enabled = true;
  template <class V>
  void fields(V& v) {
    v("rule_id", rule_id); v("name", name); v("days_after_delivery", days_after_delivery);
    v("product_id", product_id); v("template_id", template_id); v("body", body);
    v("enabled", enabled);
  }
};

struct reminder_rule_deleted {
  static constexpr std::string_view kType = "reminder_rule.deleted";
  static constexpr uint32_t kVersion = 1;
  std::string rule_id;
  template <class V>
  void fields(V& v) { v("rule_id", rule_id); }
};

// reminder.scheduled v1: a durable timer. Stream: the order id.
struct reminder_scheduled {
  static constexpr std::string_view kType = "reminder.scheduled";
  static constexpr uint32_t kVersion = 1;
  std::string reminder_id;  // "<rule_id>:<order_id>"
  std::string rule_id;
  std::string order_id;
  std::string customer_id;
  std::string due_at;  // RFC 3339
  template <class V>
  void fields(V& v) {
    v("reminder_id", reminder_id); v("rule_id", rule_id); v("order_id", order_id);
    v("customer_id", customer_id); v("due_at", due_at);
  }
};

// reminder.cancelled v1: the timer will not fire (rule disabled/deleted, customer re-ordered).
struct reminder_cancelled {
  static constexpr std::string_view kType = "reminder.cancelled";
  static constexpr uint32_t kVersion = 1;
  std::string reminder_id;
  std::string order_id;
  std::string reason;
  template <class V>
  void fields(V& v) { v("reminder_id", reminder_id); v("order_id", order_id); v("reason", reason); }
};

// alert.raised v1: something needs the Admin's attention. Its event id is derived from
// (kind, subject, episode) so a rule replaying after a crash raises it once.
struct alert_raised {
  static constexpr std::string_view kType = "alert.raised";
  static constexpr uint32_t kVersion = 1;
  std::string alert_id;
  std::string kind;      // critical_stock | pending_order
  std::string severity;  // yellow | red
  std::string subject;   // the product or order id
  std::string title;     // human sentence (Indonesian)
  int64_t recommended_qty = 0;  // critical stock: suggested purchase quantity
  template <class V>
  void fields(V& v) {
    v("alert_id", alert_id); v("kind", kind); v("severity", severity); v("subject", subject);
    v("title", title); v("recommended_qty", recommended_qty);
  }
};

struct alert_acknowledged {
  static constexpr std::string_view kType = "alert.acknowledged";
  static constexpr uint32_t kVersion = 1;
  std::string alert_id;
  template <class V>
  void fields(V& v) { v("alert_id", alert_id); }
};

// alert.resolved v1: the condition ended (restocked, order processed).
struct alert_resolved {
  static constexpr std::string_view kType = "alert.resolved";
  static constexpr uint32_t kVersion = 1;
  std::string alert_id;
  std::string reason;
  template <class V>
  void fields(V& v) { v("alert_id", alert_id); v("reason", reason); }
};

}  // namespace roms::events
