#include "projections/read_models/catalog.h"

#include <algorithm>
#include <cctype>
#include <type_traits>

#include "core/order_status.h"
#include "events/types/catalog.h"
#include "events/types/order.h"
#include "projections/read_models/fold_util.h"
#include "projections/read_models/keys.h"

namespace roms::projections {
namespace {

struct reserved_item {
  std::string product_id;
  int64_t qty = 0;
  template <class V>
  void fields(V& v) {
    v("product_id", product_id);
    v("qty", qty);
  }
};

struct reservation {
  std::string warehouse;
  std::vector<reserved_item> items;
  std::string state = "reserved";  // reserved | shipped | released
  template <class V>
  void fields(V& v) {
    v("warehouse", warehouse);
    v("items", items);
    v("state", state);
  }
};

product_record load_product(fold_context& ctx, std::string_view id) {
  auto p = load<product_record>(ctx, key("p", id));
  if (p) return *p;
  product_record r;
  r.id = std::string(id);
  r.defined = false;
  return r;
}

// Stores `p` with its derived fields; the low/ entry follows below_min (written only when it
// flips: `p.below_min` still holds the stored value on entry).
void save_product(fold_context& ctx, product_record& p) {
  const bool was_low = p.below_min;
  p.available = p.on_hand - p.reserved;
  p.below_min = p.defined && p.available < p.min_stock;
  if (p.below_min && !was_low) {
    ctx.put(key("low", p.id), "");
  } else if (!p.below_min && was_low) {
    ctx.del(key("low", p.id));
  }
  store(ctx, key("p", p.id), p);
}

// A stored product (record_codec.h binary form) split around its stock counters (records.h:
// on_hand, reserved, available, below_min, in that order). Views into the stored bytes.
struct stored_product {
  std::string_view head;  // the format byte and every field before on_hand, as stored
  int64_t min_stock = 0;
  bool defined = false;
  int64_t on_hand = 0;
  int64_t reserved = 0;
  bool below_min = false;
  std::string_view tail;  // every field after below_min, as stored
};

// Walks a product_record's fields: skips each, reads min_stock, defined and the counters.
struct product_walker {
  record_detail::reader& r;
  stored_product& sp;
  const char* counters = nullptr;  // where on_hand begins
  template <class T>
  void operator()(std::string_view name, T&) {
    if (r.bad) return;
    if constexpr (std::is_same_v<T, int64_t>) {
      if (name == "min_stock") return record_detail::read(r, sp.min_stock);
      if (name == "on_hand") {
        counters = r.p;
        return record_detail::read(r, sp.on_hand);
      }
      if (name == "reserved") return record_detail::read(r, sp.reserved);
    }
    if constexpr (std::is_same_v<T, bool>) {
      if (name == "defined") return record_detail::read(r, sp.defined);
      if (name == "below_min") {
        record_detail::read(r, sp.below_min);
        sp.tail = std::string_view(r.p, static_cast<size_t>(r.end - r.p));
        return;
      }
    }
    record_detail::skip<T>(r);
  }
};

// nullopt for a value that is not of this binary form (the JSON of older stores).
std::optional<stored_product> split_product(std::string_view bytes) {
  if (bytes.empty() || bytes.front() != kRecordFormat) return std::nullopt;
  record_detail::reader r{bytes.data() + 1, bytes.data() + bytes.size()};
  stored_product sp;
  product_record shape;
  product_walker w{r, sp};
  shape.fields(w);
  if (r.bad || !r.at_end() || !w.counters) return std::nullopt;
  sp.head = bytes.substr(0, static_cast<size_t>(w.counters - bytes.data()));
  return sp;
}

// Adds deltas to a stored product's counters without decoding the rest (a stock move of an
// order changes nothing else): the same bytes save_product() gives for the decoded record so
// changed (catalog tests check). False when the product is absent or not of this form.
bool patch_product_counters(fold_context& ctx, const std::string& pk, int64_t on_hand_delta,
                            int64_t reserved_delta) {
  auto cur = ctx.peek(pk);
  if (!cur) return false;
  auto sp = split_product(*cur);
  if (!sp) return false;
  const int64_t on_hand = sp->on_hand + on_hand_delta;
  const int64_t reserved = sp->reserved + reserved_delta;
  const int64_t available = on_hand - reserved;
  const bool below_min = sp->defined && available < sp->min_stock;
  const bool was_low = sp->below_min;
  std::string out;
  out.reserve(cur->size() + 16);
  out.append(sp->head);
  record_detail::write(out, on_hand);
  record_detail::write(out, reserved);
  record_detail::write(out, available);
  record_detail::write(out, below_min);
  out.append(sp->tail);  // everything read from `cur` is used before the next write
  const std::string_view id = std::string_view(pk).substr(2);  // p/<product_id>
  if (below_min && !was_low) {
    ctx.put(key("low", id), "");
  } else if (!below_min && was_low) {
    ctx.del(key("low", id));
  }
  ctx.put(pk, out);
  return true;
}

// Adds deltas to one warehouse row and the product's totals.
void move_stock(fold_context& ctx, std::string_view product_id, std::string_view warehouse,
                int64_t on_hand_delta, int64_t reserved_delta, const std::string& at) {
  if (product_id.empty()) return;  // unknown SKU: nothing to count
  std::string sk = key("s", product_id, warehouse);
  auto s = load<stock_record>(ctx, sk).value_or(
      stock_record{std::string(product_id), std::string(warehouse), 0, 0});
  s.on_hand += on_hand_delta;
  s.reserved += reserved_delta;
  store(ctx, sk, s);
  // An order's stock move stamps nothing: only the counters change.
  if (at.empty() && patch_product_counters(ctx, key("p", product_id), on_hand_delta, reserved_delta))
    return;
  auto p = load_product(ctx, product_id);
  p.on_hand += on_hand_delta;
  p.reserved += reserved_delta;
  if (!at.empty()) p.updated_at = at;
  save_product(ctx, p);
}

}  // namespace

bool catalog_projection::wants(std::string_view t) const {
  return t == events::product_defined::kType || t == events::product_updated::kType ||
         t == events::warehouse_created::kType || t == events::stock_adjusted::kType ||
         t == events::stock_transferred::kType || t == events::order_placed::kType ||
         t == events::order_status_changed::kType;
}

result_msg<void> catalog_projection::apply(const events::stored_event& e, fold_context& ctx) {
  const auto& type = e.event.type;
  // Product and stock events stamp updated_at; order events (most of them) do not.
  const bool stamps =
      type != events::order_placed::kType && type != events::order_status_changed::kType;
  const std::string at = stamps ? format_rfc3339(e.event.time) : std::string();
  if (!ctx.contains("w/main")) store(ctx, "w/main", warehouse_record{"main", "Gudang Utama"});

  if (type == events::product_defined::kType) {
    BOOST_OUTCOME_TRY(auto d, decode_event<events::product_defined>(e));
    auto p = load_product(ctx, d.product_id);
    if (p.defined && !p.sku.empty() && p.sku != d.sku) ctx.del(key("sku", p.sku));
    p.sku = d.sku;
    p.name = d.name;
    p.category = d.category;
    p.image_url = d.image_url;
    p.cross_sell = d.cross_sell;
    p.price = d.price;
    p.cost = d.cost;
    p.min_stock = d.min_stock;
    p.active = d.active;
    p.defined = true;
    if (p.created_at.empty()) p.created_at = at;
    p.updated_at = at;
    ctx.put(key("sku", p.sku), p.id);
    save_product(ctx, p);
  } else if (type == events::product_updated::kType) {
    BOOST_OUTCOME_TRY(auto u, decode_event<events::product_updated>(e));
    auto p = load_product(ctx, u.product_id);
    if (u.sku && *u.sku != p.sku) {
      if (!p.sku.empty()) ctx.del(key("sku", p.sku));
      p.sku = *u.sku;
      ctx.put(key("sku", p.sku), p.id);
    }
    if (u.name) p.name = *u.name;
    if (u.category) p.category = *u.category;
    if (u.image_url) p.image_url = *u.image_url;
    if (u.cross_sell) p.cross_sell = *u.cross_sell;
    if (u.price) p.price = *u.price;
    if (u.cost) p.cost = *u.cost;
    if (u.min_stock) p.min_stock = *u.min_stock;
    if (u.active) p.active = *u.active;
    p.updated_at = at;
    save_product(ctx, p);
  } else if (type == events::warehouse_created::kType) {
    BOOST_OUTCOME_TRY(auto w, decode_event<events::warehouse_created>(e));
    store(ctx, key("w", w.warehouse_id), warehouse_record{w.warehouse_id, w.name});
  } else if (type == events::stock_adjusted::kType) {
    BOOST_OUTCOME_TRY(auto a, decode_event<events::stock_adjusted>(e));
    move_stock(ctx, a.product_id, a.warehouse, a.delta, 0, at);
  } else if (type == events::stock_transferred::kType) {
    BOOST_OUTCOME_TRY(auto t, decode_event<events::stock_transferred>(e));
    move_stock(ctx, t.product_id, t.from, -t.qty, 0, at);
    move_stock(ctx, t.product_id, t.to, t.qty, 0, at);
  } else if (type == events::order_placed::kType) {
    BOOST_OUTCOME_TRY(auto o_ref, decode_shared<events::order_placed>(e));
    const events::order_placed& o = *o_ref;
    std::string rk = key("r", o.order_id);
    if (ctx.contains(rk)) return success();
    reservation r;
    r.warehouse = o.warehouse;
    for (const auto& it : o.items) {
      if (it.product_id.empty() || it.qty <= 0) continue;
      r.items.push_back({it.product_id, it.qty});
      move_stock(ctx, it.product_id, o.warehouse, 0, it.qty, "");
    }
    store(ctx, rk, r);
  } else if (type == events::order_status_changed::kType) {
    BOOST_OUTCOME_TRY(auto s_ref, decode_shared<events::order_status_changed>(e));
    const events::order_status_changed& s = *s_ref;
    std::string rk = key("r", s.order_id);
    auto r = load<reservation>(ctx, rk);
    if (!r || r->state != "reserved") return success();
    auto to = parse_order_status(s.to);
    if (!to) return success();
    if (*to == order_status::cancelled) {
      for (const auto& it : r->items) move_stock(ctx, it.product_id, r->warehouse, 0, -it.qty, "");
      r->state = "released";
    } else if (is_shipped_or_later(*to)) {
      for (const auto& it : r->items)
        move_stock(ctx, it.product_id, r->warehouse, -it.qty, -it.qty, "");
      r->state = "shipped";
    } else {
      return success();
    }
    store(ctx, rk, *r);
  }
  return success();
}

namespace catalog_query {

std::optional<product_record> get(const read_view& v, std::string_view id) {
  return load<product_record>(v, key("p", id));
}

std::optional<std::string> by_sku(const read_view& v, std::string_view sku) {
  return v.get(key("sku", sku));
}

product_page list(const read_view& v, const product_filter& f) {
  std::string end = prefix_end("p/");
  if (!f.cursor.empty() && f.cursor.rfind("p/", 0) == 0 && f.cursor < end) end = f.cursor;
  size_t limit = std::clamp<size_t>(f.limit, 1, 500);
  product_page page;
  std::string last;
  v.scan(
      "p/", end,
      [&](std::string_view k, std::string_view val) {
        auto r = decode_record<product_record>(val);
        if (!r) return true;
        auto& p = r.value();
        if (!p.defined) return true;
        if (f.active_only && !p.active) return true;
        if (!f.category.empty() && p.category != f.category) return true;
        if (f.min_price >= 0 && p.price < f.min_price) return true;
        if (f.max_price >= 0 && p.price > f.max_price) return true;
        if (f.in_stock_only && p.available <= 0) return true;
        if (!f.q.empty() && !icontains(p.name, f.q) && !icontains(p.sku, f.q)) return true;
        if (page.items.size() == limit) {
          page.next_cursor = last;
          return false;
        }
        page.items.push_back(std::move(p));
        last = std::string(k);
        return true;
      },
      /*reverse=*/true);
  return page;
}

std::vector<stock_record> stock_of(const read_view& v, std::string_view product_id) {
  std::vector<stock_record> out;
  std::string p = key("s", product_id) + "/";
  v.scan(p, prefix_end(p), [&](std::string_view, std::string_view val) {
    if (auto r = decode_record<stock_record>(val)) out.push_back(std::move(r).value());
    return true;
  });
  return out;
}

std::vector<stock_record> stock(const read_view& v, std::string_view warehouse, bool below) {
  std::vector<stock_record> out;
  auto keep = [&](const stock_record& s) { return warehouse.empty() || s.warehouse == warehouse; };
  if (below) {
    v.scan("low/", prefix_end("low/"), [&](std::string_view k, std::string_view) {
      for (auto& s : stock_of(v, k.substr(4)))
        if (keep(s)) out.push_back(std::move(s));
      return true;
    });
    return out;
  }
  v.scan("s/", prefix_end("s/"), [&](std::string_view, std::string_view val) {
    if (auto r = decode_record<stock_record>(val); r && keep(r.value()))
      out.push_back(std::move(r).value());
    return true;
  });
  return out;
}

std::vector<product_record> below_min(const read_view& v) {
  std::vector<product_record> out;
  v.scan("low/", prefix_end("low/"), [&](std::string_view k, std::string_view) {
    if (auto p = get(v, k.substr(4))) out.push_back(std::move(*p));
    return true;
  });
  return out;
}

std::vector<warehouse_record> warehouses(const read_view& v) {
  std::vector<warehouse_record> out;
  v.scan("w/", prefix_end("w/"), [&](std::string_view, std::string_view val) {
    if (auto r = decode_record<warehouse_record>(val)) out.push_back(std::move(r).value());
    return true;
  });
  if (out.empty()) out.push_back({"main", "Gudang Utama"});
  return out;
}

}  // namespace catalog_query
}  // namespace roms::projections
