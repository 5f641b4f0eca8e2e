#include "http/api/internal/render.h"

namespace roms::http::api::internal {

void string_or_null(events::json_writer& w, std::string_view key, std::string_view s) {
  w.key(key);
  if (s.empty()) {
    w.null();
  } else {
    w.value(s);
  }
}

namespace {
void strings(events::json_writer& w, std::string_view key, const std::vector<std::string>& v) {
  w.key(key).begin_array();
  for (const auto& s : v) w.value(std::string_view(s));
  w.end_array();
}
}  // namespace

void write_order(events::json_writer& w, const projections::order_record& o, bool with_timeline) {
  w.begin_object();
  w.field("id", std::string_view(o.id));
  string_or_null(w, "external_id", o.external_id);
  w.field("channel", std::string_view(o.channel));
  w.field("status", std::string_view(o.status));
  w.field("customer_id", std::string_view(o.customer_id));
  w.key("customer").begin_object();
  w.field("name", std::string_view(o.customer.name));
  string_or_null(w, "phone", o.customer.phone);
  string_or_null(w, "email", o.customer.email);
  string_or_null(w, "city", o.customer.city);
  string_or_null(w, "province", o.customer.province);
  w.end_object();
  w.key("items").begin_array();
  for (const auto& i : o.items) {
    w.begin_object();
    string_or_null(w, "product_id", i.product_id);
    w.field("sku", std::string_view(i.sku));
    w.field("name", std::string_view(i.name));
    w.field("qty", i.qty);
    w.field("price", i.price);
    w.field("subtotal", i.qty * i.price);
    w.field("unknown_sku", i.unknown_sku);
    w.field("backorder", i.backorder);
    w.end_object();
  }
  w.end_array();
  w.field("total", o.total);
  w.field("currency", std::string_view(o.currency));
  w.key("payment").begin_object();
  string_or_null(w, "method", o.payment.method);
  string_or_null(w, "timing", o.payment.timing);
  w.end_object();
  string_or_null(w, "note", o.note);
  w.field("warehouse", std::string_view(o.warehouse));
  strings(w, "flags", o.flags);
  string_or_null(w, "tracking_number", o.tracking_number);
  string_or_null(w, "courier", o.courier);
  w.field("created_at", std::string_view(o.created_at));
  w.field("updated_at", std::string_view(o.updated_at));
  if (with_timeline) {
    w.key("timeline").begin_array();
    for (const auto& t : o.timeline) {
      w.begin_object();
      w.field("position", std::string_view(t.position));
      w.field("type", std::string_view(t.type));
      w.field("at", std::string_view(t.at));
      w.field("actor", std::string_view(t.actor));
      w.field("status", std::string_view(t.status));
      string_or_null(w, "note", t.note);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

void write_customer(events::json_writer& w, const projections::customer_record& c,
                    bool leave_open) {
  w.begin_object();
  w.field("id", std::string_view(c.id));
  string_or_null(w, "phone", c.phone);
  w.field("name", std::string_view(c.name));
  string_or_null(w, "email", c.email);
  string_or_null(w, "city", c.city);
  string_or_null(w, "province", c.province);
  w.field("order_count", c.order_count);
  w.field("total_spent", c.total_spent);
  string_or_null(w, "first_order_at", c.first_order_at);
  string_or_null(w, "last_order_at", c.last_order_at);
  strings(w, "segments", c.segments);
  w.field("primary_segment", std::string_view(c.primary_segment));
  string_or_null(w, "created_at", c.created_at);
  if (!leave_open) w.end_object();
}

void write_product(events::json_writer& w, const projections::product_record& p,
                   const std::vector<projections::stock_record>* stock) {
  w.begin_object();
  w.field("id", std::string_view(p.id));
  w.field("sku", std::string_view(p.sku));
  w.field("name", std::string_view(p.name));
  string_or_null(w, "category", p.category);
  string_or_null(w, "image_url", p.image_url);
  string_or_null(w, "cross_sell", p.cross_sell);
  w.field("price", p.price);
  w.field("cost", p.cost);
  w.field("min_stock", p.min_stock);
  w.field("active", p.active);
  w.field("on_hand", p.on_hand);
  w.field("reserved", p.reserved);
  w.field("available", p.available);
  w.field("below_min", p.below_min);
  if (stock) {
    w.key("stock").begin_array();
    for (const auto& s : *stock) {
      w.begin_object();
      w.field("warehouse", std::string_view(s.warehouse));
      w.field("on_hand", s.on_hand);
      w.field("reserved", s.reserved);
      w.field("available", s.on_hand - s.reserved);
      w.end_object();
    }
    w.end_array();
  }
  string_or_null(w, "created_at", p.created_at);
  string_or_null(w, "updated_at", p.updated_at);
  w.end_object();
}

void write_stock_row(events::json_writer& w, const projections::stock_record& s,
                     const projections::product_record* p) {
  w.begin_object();
  w.field("product_id", std::string_view(s.product_id));
  w.field("sku", std::string_view(p ? p->sku : std::string()));
  w.field("name", std::string_view(p ? p->name : std::string()));
  w.field("warehouse", std::string_view(s.warehouse));
  w.field("on_hand", s.on_hand);
  w.field("reserved", s.reserved);
  w.field("available", s.on_hand - s.reserved);
  w.field("min_stock", p ? p->min_stock : int64_t{0});
  w.field("below_min", p ? p->below_min : false);
  w.end_object();
}

void write_warehouse(events::json_writer& w, const projections::warehouse_record& wh) {
  w.begin_object();
  w.field("id", std::string_view(wh.id));
  w.field("name", std::string_view(wh.name));
  w.end_object();
}

void write_settings(events::json_writer& w, const shop_settings& s) {
  w.begin_object();
  w.field("shop_name", std::string_view(s.shop_name));
  w.field("currency", std::string_view(s.currency));
  w.field("time_zone", std::string_view(s.time_zone));
  w.field("big_spender_min_spend", s.big_spender_min_spend);
  w.field("loyal_min_orders", s.loyal_min_orders);
  w.field("inactive_after_days", s.inactive_after_days);
  w.field("new_member_days", s.new_member_days);
  w.field("allow_backorders", s.allow_backorders);
  w.field("pending_warn_minutes", s.pending_warn_minutes);
  w.field("pending_critical_minutes", s.pending_critical_minutes);
  w.field("alerts_stock", s.alerts_stock);
  w.field("alerts_pending", s.alerts_pending);
  w.field("automation_thank_you", s.automation_thank_you);
  w.field("automation_reminders", s.automation_reminders);
  w.end_object();
}

void write_geo(events::json_writer& w, const projections::geo_record& g) {
  w.begin_object();
  string_or_null(w, "province", g.province);
  string_or_null(w, "city", g.city);
  w.field("customers", g.customers);
  w.field("orders", g.orders);
  w.field("revenue", g.revenue);
  w.end_object();
}

void begin_list(events::json_writer& w) { w.begin_object().key("items").begin_array(); }

void end_list(events::json_writer& w, std::string_view next_cursor) {
  w.end_array();
  string_or_null(w, "next_cursor", next_cursor);
  w.end_object();
}

}  // namespace roms::http::api::internal
