// Pure decisions for the automation commands: message templates, reminder rules and alert
// acknowledgements (core/decide.h). Template bodies are checked here, on save: an unknown
// {variable} is refused naming it, so a message never goes out with a hole in it.
#include <string>

#include "core/automation.h"
#include "core/decide.h"
#include "core/errc.h"

namespace roms {
namespace {

constexpr size_t kMaxName = 100;
constexpr int64_t kMaxDays = 3650;

error_info bad(const std::string& field, const std::string& why) {
  return {errc::invalid_argument, field + ": " + why};
}

result_msg<void> check_name(const std::string& name) {
  if (name.empty()) return bad("name", "must not be empty");
  if (name.size() > kMaxName) return bad("name", "at most 100 bytes");
  return success();
}

result_msg<void> check_kind(const std::string& kind) {
  if (!valid_template_kind(kind))
    return bad("type", "one of order_confirmation, greeting, bank_info, shipping, reminder, "
                       "broadcast, custom");
  return success();
}

result_msg<void> check_wa(const std::string& name, const std::string& language) {
  if (name.size() > 512) return bad("wa_template_name", "at most 512 bytes");
  if (language.size() > 16) return bad("wa_language", "a language code such as id or en_US");
  if (name.empty() && !language.empty())
    return bad("wa_language", "only with wa_template_name");
  return success();
}

events::template_saved to_event(const template_state& t) {
  events::template_saved e;
  e.template_id = t.id;
  e.name = t.name;
  e.kind = t.kind;
  e.body = t.body;
  e.wa_template_name = t.wa_template_name;
  e.wa_language = t.wa_language;
  return e;
}

result_msg<void> check_template(const template_state& t) {
  BOOST_OUTCOME_TRY(check_name(t.name));
  BOOST_OUTCOME_TRY(check_kind(t.kind));
  BOOST_OUTCOME_TRY(validate_template_body(t.body, "body"));
  BOOST_OUTCOME_TRY(check_wa(t.wa_template_name, t.wa_language));
  return success();
}

// `template_must_exist`: false when an edit leaves alone a template_id whose template was
// deleted since (the rule then falls back to its body or the default reminder text).
result_msg<void> check_rule(decision_state& s, const reminder_rule_state& r,
                            bool template_must_exist = true) {
  BOOST_OUTCOME_TRY(check_name(r.name));
  if (r.days_after_delivery < 0 || r.days_after_delivery > kMaxDays)
    return bad("days_after_delivery", "a whole number of days from 0 to 3650");
  if (!r.product_id.empty() && !s.product(r.product_id))
    return bad("product_id", "no product " + r.product_id);
  if (template_must_exist && !r.template_id.empty() && !s.message_template(r.template_id))
    return bad("template_id", "no template " + r.template_id);
  if (r.template_id.empty() && r.body.empty()) return bad("body", "give template_id or body");
  if (!r.body.empty()) {
    BOOST_OUTCOME_TRY(validate_template_body(r.body, "body"));
  }
  return success();
}

events::reminder_rule_saved to_event(const reminder_rule_state& r) {
  events::reminder_rule_saved e;
  e.rule_id = r.id;
  e.name = r.name;
  e.days_after_delivery = r.days_after_delivery;
  e.product_id = r.product_id;
  e.template_id = r.template_id;
  e.body = r.body;
  e.enabled = r.enabled;
  return e;
}

bool same(const template_state& a, const template_state& b) {
  return a.name == b.name && a.kind == b.kind && a.body == b.body &&
         a.wa_template_name == b.wa_template_name && a.wa_language == b.wa_language;
}

bool same(const reminder_rule_state& a, const reminder_rule_state& b) {
  return a.name == b.name && a.days_after_delivery == b.days_after_delivery &&
         a.product_id == b.product_id && a.template_id == b.template_id && a.body == b.body &&
         a.enabled == b.enabled;
}

}  // namespace

result_msg<decision> decide(decision_state&, const decision_context& c,
                            const commands::create_template& cmd) {
  template_state t{"", cmd.name, cmd.kind, cmd.body, cmd.wa_template_name, cmd.wa_language};
  if (!t.wa_template_name.empty() && t.wa_language.empty()) t.wa_language = "id";
  BOOST_OUTCOME_TRY(check_template(t));
  t.id = c.new_id("tpl");
  decision d;
  d.id = t.id;
  d.events.push_back({"template-" + t.id, to_event(t)});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::update_template& cmd) {
  auto cur = s.message_template(cmd.template_id);
  if (!cur) return error_info{errc::not_found, "no template " + cmd.template_id};
  template_state t = *cur;
  if (cmd.name) t.name = *cmd.name;
  if (cmd.kind) t.kind = *cmd.kind;
  if (cmd.body) t.body = *cmd.body;
  if (cmd.wa_template_name) t.wa_template_name = *cmd.wa_template_name;
  if (cmd.wa_language) t.wa_language = *cmd.wa_language;
  if (t.wa_template_name.empty() && !cmd.wa_language) t.wa_language.clear();
  if (!t.wa_template_name.empty() && t.wa_language.empty()) t.wa_language = "id";
  if (t.id == kDefaultOrderConfirmationId && t.kind != "order_confirmation")
    return bad("type", "the default order confirmation template keeps its type");
  BOOST_OUTCOME_TRY(check_template(t));
  decision d;
  d.id = t.id;
  if (same(t, *cur)) {
    d.existing = true;
    return d;
  }
  d.events.push_back({"template-" + t.id, to_event(t)});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::delete_template& cmd) {
  if (!s.message_template(cmd.template_id))
    return error_info{errc::not_found, "no template " + cmd.template_id};
  if (cmd.template_id == kDefaultOrderConfirmationId)
    return error_info{errc::conflict,
                      "the default order confirmation template can be edited, not deleted "
                      "(switch thank-you messages off in the settings instead)"};
  decision d;
  d.id = cmd.template_id;
  d.events.push_back({"template-" + cmd.template_id, events::template_deleted{cmd.template_id}});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::create_reminder_rule& cmd) {
  reminder_rule_state r{"",          cmd.name, cmd.days_after_delivery, cmd.product_id,
                        cmd.template_id, cmd.body, cmd.enabled};
  BOOST_OUTCOME_TRY(check_rule(s, r));
  r.id = c.new_id("rem");
  decision d;
  d.id = r.id;
  d.events.push_back({"rule-" + r.id, to_event(r)});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::update_reminder_rule& cmd) {
  auto cur = s.reminder_rule(cmd.rule_id);
  if (!cur) return error_info{errc::not_found, "no reminder rule " + cmd.rule_id};
  reminder_rule_state r = *cur;
  if (cmd.name) r.name = *cmd.name;
  if (cmd.days_after_delivery) r.days_after_delivery = *cmd.days_after_delivery;
  if (cmd.product_id) r.product_id = *cmd.product_id;
  if (cmd.template_id) r.template_id = *cmd.template_id;
  if (cmd.body) r.body = *cmd.body;
  if (cmd.enabled) r.enabled = *cmd.enabled;
  // A template deleted since the rule was saved does not block other edits.
  BOOST_OUTCOME_TRY(check_rule(s, r, /*template_must_exist=*/cmd.template_id.has_value()));
  decision d;
  d.id = r.id;
  if (same(r, *cur)) {
    d.existing = true;
    return d;
  }
  d.events.push_back({"rule-" + r.id, to_event(r)});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::delete_reminder_rule& cmd) {
  if (!s.reminder_rule(cmd.rule_id))
    return error_info{errc::not_found, "no reminder rule " + cmd.rule_id};
  decision d;
  d.id = cmd.rule_id;
  d.events.push_back({"rule-" + cmd.rule_id, events::reminder_rule_deleted{cmd.rule_id}});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::acknowledge_alert& cmd) {
  auto a = s.alert(cmd.alert_id);
  if (!a) return error_info{errc::not_found, "no alert " + cmd.alert_id};
  decision d;
  d.id = a->id;
  if (a->acknowledged) {
    d.existing = true;
    return d;
  }
  d.events.push_back({"alert-" + a->id, events::alert_acknowledged{a->id}});
  return d;
}

}  // namespace roms
