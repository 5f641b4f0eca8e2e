#include "tools/gen/generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <queue>
#include <string>
#include <unordered_map>

#include "events/payload.h"
#include "events/types.h"

namespace roms::tools::gen {

namespace {

constexpr int64_t kMinute = 60'000'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWib = 7 * kHour;  // Asia/Jakarta, no DST

// splitmix64: small, fast and the same on every platform (std:: distributions are not), so a
// seed gives the same stream whatever the standard library.
class rng64 {
 public:
  explicit rng64(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int64_t range(int64_t lo, int64_t hi) {                                 // [lo, hi]
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return unit() < p; }
  int poisson(double mean) {  // Knuth; the means here are small
    double l = std::exp(-mean), p = 1.0;
    int k = 0;
    do {
      ++k;
      p *= unit();
    } while (p > l && k < 1000);
    return k - 1;
  }
  template <class T, size_t N>
  const T& pick(const std::array<T, N>& a) {
    return a[next() % N];
  }

 private:
  uint64_t s_;
};

const std::array<const char*, 64> kFirst = {
    "Budi", "Siti", "Agus", "Dewi", "Andi", "Rina", "Eko", "Sri", "Joko", "Wati", "Ahmad",
    "Nur", "Dian", "Putri", "Rizky", "Ayu", "Hendra", "Fitri", "Bambang", "Indah", "Yusuf",
    "Lestari", "Fajar", "Maya", "Arif", "Ratna", "Dimas", "Intan", "Teguh", "Wulan", "Bayu",
    "Citra", "Hadi", "Nanda", "Irfan", "Sari", "Gilang", "Mega", "Reza", "Novi", "Yoga",
    "Tika", "Wahyu", "Anisa", "Rudi", "Kartika", "Ilham", "Yuni", "Dodi", "Melati", "Surya",
    "Laras", "Taufik", "Dinda", "Galih", "Rahma", "Adi", "Ningsih", "Made", "Ketut", "Wayan",
    "Nyoman", "Ucok", "Butet"};
const std::array<const char*, 40> kLast = {
    "Santoso", "Wijaya", "Saputra", "Pratama", "Kusuma", "Hidayat", "Setiawan", "Nugroho",
    "Siregar", "Harahap", "Nasution", "Simanjuntak", "Lubis", "Gunawan", "Halim", "Suryadi",
    "Wibowo", "Susanto", "Rahayu", "Hakim", "Purnomo", "Utomo", "Hartono", "Kurniawan",
    "Firmansyah", "Ramadhan", "Putra", "Sembiring", "Ginting", "Tarigan", "Pangaribuan",
    "Manurung", "Sitompul", "Wardhana", "Permana", "Syahputra", "Maulana", "Anggraini",
    "Handoko", "Salim"};
struct city {
  const char* name;
  const char* province;
  double weight;
};
const std::array<city, 40> kCities = {{
    {"Jakarta Selatan", "DKI Jakarta", 6}, {"Jakarta Barat", "DKI Jakarta", 5},
    {"Jakarta Timur", "DKI Jakarta", 5},   {"Jakarta Utara", "DKI Jakarta", 3},
    {"Surabaya", "Jawa Timur", 6},         {"Bandung", "Jawa Barat", 6},
    {"Bekasi", "Jawa Barat", 5},           {"Depok", "Jawa Barat", 4},
    {"Bogor", "Jawa Barat", 4},            {"Tangerang", "Banten", 5},
    {"Tangerang Selatan", "Banten", 3},    {"Semarang", "Jawa Tengah", 4},
    {"Surakarta", "Jawa Tengah", 2},       {"Yogyakarta", "DI Yogyakarta", 3},
    {"Sleman", "DI Yogyakarta", 2},        {"Malang", "Jawa Timur", 3},
    {"Sidoarjo", "Jawa Timur", 2},         {"Medan", "Sumatera Utara", 4},
    {"Palembang", "Sumatera Selatan", 2},  {"Padang", "Sumatera Barat", 2},
    {"Pekanbaru", "Riau", 2},              {"Batam", "Kepulauan Riau", 2},
    {"Bandar Lampung", "Lampung", 2},      {"Jambi", "Jambi", 1},
    {"Banda Aceh", "Aceh", 1},             {"Pontianak", "Kalimantan Barat", 1},
    {"Balikpapan", "Kalimantan Timur", 1.5}, {"Samarinda", "Kalimantan Timur", 1},
    {"Banjarmasin", "Kalimantan Selatan", 1}, {"Makassar", "Sulawesi Selatan", 3},
    {"Manado", "Sulawesi Utara", 1},       {"Kendari", "Sulawesi Tenggara", 0.5},
    {"Denpasar", "Bali", 2},               {"Mataram", "Nusa Tenggara Barat", 1},
    {"Kupang", "Nusa Tenggara Timur", 0.5}, {"Ambon", "Maluku", 0.5},
    {"Jayapura", "Papua", 0.5},            {"Cirebon", "Jawa Barat", 1},
    {"Tasikmalaya", "Jawa Barat", 1},      {"Kediri", "Jawa Timur", 1},
}};
struct product_base {
  const char* name;
  const char* category;
  int64_t price;  // IDR
  const char* cross_sell;
};
const std::array<product_base, 30> kProducts = {{
    {"Kopi Bubuk Arabika Gayo", "Kopi", 65000, "Kak, sekalian Gula Aren-nya biar makin nikmat!"},
    {"Kopi Bubuk Robusta Lampung", "Kopi", 45000, "Cobain juga Kopi Arabika Gayo kami, Kak!"},
    {"Kopi Biji Toraja", "Kopi", 85000, "Sekalian grinder manualnya, Kak?"},
    {"Gula Aren Cair", "Pemanis", 35000, "Pas banget buat kopi susu gula aren, Kak!"},
    {"Gula Aren Bubuk", "Pemanis", 30000, "Cocok dipadukan dengan Kopi Robusta kami!"},
    {"Teh Melati Tubruk", "Teh", 25000, "Teh enak, tambah Madu Hutan-nya Kak?"},
    {"Teh Hijau Puncak", "Teh", 40000, "Sekalian Madu Hutan biar sehat, Kak!"},
    {"Madu Hutan Sumbawa", "Madu", 120000, "Kak, Madu Hutan cocok dengan Teh Hijau kami."},
    {"Keripik Singkong Balado", "Camilan", 18000, "Tambah Sambal Bawang untuk lauknya, Kak?"},
    {"Keripik Tempe Sagu", "Camilan", 20000, "Cobain Keripik Singkong Balado juga, Kak!"},
    {"Rempeyek Kacang", "Camilan", 22000, "Pas ditemani Teh Melati, Kak!"},
    {"Sambal Bawang Pedas", "Sambal", 35000, "Sekalian Sambal Roa-nya, Kak?"},
    {"Sambal Roa Manado", "Sambal", 55000, "Cocok dengan Keripik Tempe kami!"},
    {"Rendang Daging Kemasan", "Lauk", 95000, "Tambah Sambal Bawang biar makin mantap!"},
    {"Abon Sapi", "Lauk", 60000, "Cocok dengan Sambal Roa, Kak!"},
    {"Kerudung Voal Motif", "Fashion", 75000, "Kak, bros cantiknya sekalian?"},
    {"Gamis Katun Rayon", "Fashion", 185000, "Kerudung Voal senada tersedia, Kak!"},
    {"Batik Tulis Pekalongan", "Fashion", 350000, "Sekalian kain batik cap untuk keluarga?"},
    {"Kemeja Batik Pria", "Fashion", 225000, "Batik Tulis Pekalongan juga ready, Kak!"},
    {"Tas Rotan Bulat", "Kerajinan", 145000, "Dompet rotan kecilnya cocok, Kak!"},
    {"Dompet Rotan Mini", "Kerajinan", 65000, "Tas Rotan Bulat-nya juga ready!"},
    {"Sabun Herbal Sereh", "Perawatan", 25000, "Sekalian Minyak Kayu Putih-nya, Kak?"},
    {"Minyak Kayu Putih", "Perawatan", 45000, "Sabun Herbal Sereh juga ada, Kak!"},
    {"Lulur Bali Boreh", "Perawatan", 55000, "Cocok dengan Sabun Herbal kami!"},
    {"Jamu Kunyit Asam", "Minuman", 15000, "Kak, Jamu Beras Kencur juga segar!"},
    {"Jamu Beras Kencur", "Minuman", 15000, "Coba Jamu Kunyit Asam juga, Kak!"},
    {"Bumbu Rendang Instan", "Bumbu", 28000, "Rendang Daging Kemasan siap saji juga ada!"},
    {"Bumbu Soto Lamongan", "Bumbu", 22000, "Sekalian Sambal Bawang-nya, Kak?"},
    {"Kacang Mete Goreng", "Camilan", 75000, "Cocok jadi hampers Lebaran, Kak!"},
    {"Kue Nastar Premium", "Kue", 110000, "Kastengel-nya juga ready untuk Lebaran!"},
}};
const std::array<const char*, 8> kVariants = {"250g", "500g", "1kg", "Botol 350ml",
                                              "Paket Hemat", "Isi 3", "Ukuran L", "Edisi Lebaran"};
const std::array<int, 19> kOperators = {811, 812, 813, 821, 822, 823, 851, 852, 853, 877,
                                        878, 881, 882, 895, 896, 897, 898, 899, 838};

struct channel_share {
  const char* channel;
  double share;
  const char* actor;
};
const std::array<channel_share, 8> kChannels = {{
    {"whatsapp", 0.38, "user:1"},
    {"web", 0.22, "system"},
    {"marketplace", 0.15, "apikey:marketplace"},
    {"shopify", 0.09, "webhook:shopify"},
    {"woocommerce", 0.05, "webhook:woocommerce"},
    {"phone", 0.05, "user:2"},
    {"walk_in", 0.03, "user:2"},
    {"api", 0.03, "apikey:storefront"},
}};
struct payment_share {
  const char* method;
  double share;
  const char* timing;
};
const std::array<payment_share, 7> kPayments = {{
    {"bank_transfer", 0.34, "prepaid"},
    {"virtual_account", 0.16, "prepaid"},
    {"ewallet", 0.18, "prepaid"},
    {"qris", 0.12, "prepaid"},
    {"cod", 0.14, "postpaid"},
    {"card", 0.03, "prepaid"},
    {"cash", 0.03, "prepaid"},
}};
const std::array<const char*, 5> kCouriers = {"JNE", "J&T", "SiCepat", "AnterAja", "Pos Indonesia"};

// Orders per minute relative to the daily mean, by hour of day in WIB.
const std::array<double, 24> kHourCurve = {0.25, 0.15, 0.1, 0.1,  0.15, 0.3, 0.5, 0.7,
                                           0.9,  1.1,  1.2, 1.3,  1.5,  1.3, 1.1, 1.0,
                                           1.0,  1.1,  1.3, 1.7,  1.9,  1.8, 1.3, 0.6};

std::string pad(uint64_t n, int width) {
  std::string s = std::to_string(n);
  if (static_cast<int>(s.size()) < width) s.insert(0, static_cast<size_t>(width - static_cast<int>(s.size())), '0');
  return s;
}

template <class Arr>
size_t pick_weighted(rng64& r, const Arr& a) {
  double total = 0;
  for (const auto& x : a) total += x.share;
  double u = r.unit() * total;
  for (size_t i = 0; i < a.size(); ++i) {
    u -= a[i].share;
    if (u < 0) return i;
  }
  return a.size() - 1;
}

}  // namespace

struct generator::impl {
  struct product {
    std::string id, sku, name, category, cross_sell;
    int64_t price = 0, cost = 0, min_stock = 0;
    int64_t on_hand = 0, reserved = 0;  // warehouse "main"
    bool restock_pending = false;
  };
  struct customer {
    std::string id, name, phone, email;
    int city = 0;
    bool phone_valid = true;
    bool renamed = false;
  };
  struct item {
    int product;
    int64_t qty;
  };
  struct order {
    std::string id;
    int customer;
    std::string status = "pending";
    std::vector<item> items;
  };
  enum class kind { new_order, advance, restock };
  struct scheduled {
    int64_t t;
    uint64_t seq;
    kind k;
    uint64_t ref;      // order number or product index
    std::string to;    // advance: target status
    bool operator>(const scheduled& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };

  gen_options o;
  rng64 r;
  rng64 ids;
  std::vector<product> products;
  std::vector<double> product_cdf;
  std::vector<customer> customers;
  std::vector<int> order_customers;  // one entry per order: repeat picks are proportional to it
  std::unordered_map<uint64_t, order> open;
  std::priority_queue<scheduled, std::vector<scheduled>, std::greater<>> queue;
  std::deque<events::envelope> ready;
  uint64_t seq = 0, order_no = 0, produced = 0;
  int64_t minute = 0;  // start of the next minute to simulate (µs)
  int64_t last_time = 0;
  bool set_up = false;
  counts stats;
  std::vector<std::string> warehouses;

  explicit impl(gen_options opts)
      : o(opts), r(opts.seed * 0x2545f4914f6cdd1dull + 1), ids(opts.seed ^ 0x5bd1e995ull) {
    minute = to_micros(o.start);
  }

  std::string event_id(int64_t t_us) {
    static const char* hx = "0123456789abcdef";
    uint64_t ms = static_cast<uint64_t>(t_us / 1000);
    uint64_t a = ids.next(), b = ids.next();
    std::string s(36, '0');
    int pos = 0;
    auto put = [&](uint64_t v, int nibbles) {
      for (int i = nibbles - 1; i >= 0; --i) {
        if (pos == 8 || pos == 13 || pos == 18 || pos == 23) s[static_cast<size_t>(pos++)] = '-';
        s[static_cast<size_t>(pos++)] = hx[(v >> (4 * i)) & 15];
      }
    };
    put(ms, 12);
    put(0x7, 1);
    put(a, 3);
    put(0x8 | (b >> 62), 1);
    put(b, 15);
    return s;
  }

  void emit(std::string_view type, uint32_t version, std::string stream, int64_t t,
            std::string actor, std::string payload, std::string correlation = {}) {
    events::envelope e;
    t = std::max(t, last_time);  // time never goes backwards in the stream
    last_time = t;
    e.id = event_id(t);
    e.type = std::string(type);
    e.version = version;
    e.stream = std::move(stream);
    e.time = from_micros(t);
    e.actor = std::move(actor);
    e.correlation_id = std::move(correlation);
    e.payload = std::move(payload);
    ready.push_back(std::move(e));
  }
  template <class T>
  void emit(const T& p, std::string stream, int64_t t, std::string actor,
            std::string correlation = {}) {
    emit(T::kType, T::kVersion, std::move(stream), t, std::move(actor), events::encode_payload(p),
         std::move(correlation));
  }

  void setup() {
    int64_t t = minute;
    events::settings_changed s;
    s.shop_name = "Toko Nusantara Jaya";
    s.currency = "IDR";
    s.time_zone = "Asia/Jakarta";
    emit(s, "settings", t, "cli");
    warehouses = {"main"};
    const std::array<const char*, 4> wh = {"jakarta-2", "surabaya", "medan", "makassar"};
    for (int i = 0; i < o.warehouses && i < static_cast<int>(wh.size()); ++i) {
      warehouses.emplace_back(wh[static_cast<size_t>(i)]);
      emit(events::warehouse_created{wh[static_cast<size_t>(i)],
                                     std::string("Gudang ") + wh[static_cast<size_t>(i)]},
           std::string("warehouse-") + wh[static_cast<size_t>(i)], t, "user:1");
    }
    double cum = 0;
    for (int i = 0; i < o.products; ++i) {
      const auto& b = kProducts[static_cast<size_t>(i) % kProducts.size()];
      size_t variant = static_cast<size_t>(i) / kProducts.size();
      product p;
      p.id = "prd_" + pad(static_cast<uint64_t>(i + 1), 5);
      p.sku = "SKU-" + pad(static_cast<uint64_t>(i + 1), 5);
      p.name = std::string(b.name) +
               (variant == 0 ? "" : std::string(" ") + kVariants[(variant - 1) % kVariants.size()]);
      p.category = b.category;
      p.cross_sell = b.cross_sell;
      // Prices in round thousands of rupiah, varying by variant.
      p.price = (b.price * (80 + r.range(0, 60)) / 100 * (variant == 0 ? 1 : 1 + static_cast<int64_t>(variant) / 3)) / 1000 * 1000;
      p.price = std::max<int64_t>(p.price, 5000);
      p.cost = p.price * (55 + r.range(0, 20)) / 100 / 100 * 100;
      p.min_stock = r.range(5, 30);
      events::product_defined d;
      d.product_id = p.id;
      d.sku = p.sku;
      d.name = p.name;
      d.category = p.category;
      d.image_url = "https://cdn.example.id/img/" + p.sku + ".jpg";
      d.cross_sell = p.cross_sell;
      d.price = p.price;
      d.cost = p.cost;
      d.min_stock = p.min_stock;
      emit(d, p.id, t, "user:1");
      // Zipf-like popularity.
      cum += 1.0 / std::pow(static_cast<double>(i + 1), 0.9);
      product_cdf.push_back(cum);
      products.push_back(std::move(p));
    }
    for (size_t i = 0; i < products.size(); ++i) {
      auto& p = products[i];
      int64_t qty = r.range(100, 600);
      p.on_hand = qty;
      emit(events::stock_adjusted{p.id, "main", qty, "received"}, p.id, t, "user:1");
      ++stats.stock_moves;
      for (size_t w = 1; w < warehouses.size(); ++w) {
        if (!r.chance(0.4)) continue;
        emit(events::stock_adjusted{p.id, warehouses[w], r.range(20, 120), "received"}, p.id, t,
             "user:1");
        ++stats.stock_moves;
      }
    }
    set_up = true;
  }

  int pick_product() {
    double u = r.unit() * product_cdf.back();
    auto it = std::lower_bound(product_cdf.begin(), product_cdf.end(), u);
    return static_cast<int>(std::min<size_t>(static_cast<size_t>(it - product_cdf.begin()), products.size() - 1));
  }

  int new_customer() {
    customer c;
    size_t idx = customers.size();
    c.id = "cus_" + pad(idx + 1, 7);
    std::string first = r.pick(kFirst), last = r.pick(kLast);
    // Some customers type their name casually; an agent fixes it later (customer.renamed).
    c.renamed = !r.chance(0.15);
    c.name = c.renamed ? first + " " + last : first + std::to_string(r.range(1, 999));
    if (!c.renamed) {
      for (auto& ch : c.name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    // Unique per customer: the index through a permutation of 10^8 (odd multiplier).
    uint64_t body = (static_cast<uint64_t>(idx) * 48271ull + 12345ull) % 100000000ull;
    int op = kOperators[idx % kOperators.size()];
    c.phone_valid = !r.chance(0.002);
    c.phone = c.phone_valid ? "+62" + std::to_string(op) + pad(body, 8)
                            : "0" + std::to_string(op) + "-" + pad(body, 8).substr(0, 4) + "-" +
                                  pad(body, 8).substr(4) + "x";
    if (r.chance(0.6)) {
      std::string e = first + "." + last + std::to_string(idx % 1000) + "@";
      for (auto& ch : e) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const std::array<const char*, 4> domains = {"gmail.com", "yahoo.co.id", "outlook.com",
                                                  "gmail.com"};
      c.email = e + r.pick(domains);
    }
    double total = 0;
    for (const auto& x : kCities) total += x.weight;
    double u = r.unit() * total;
    for (size_t i = 0; i < kCities.size(); ++i) {
      u -= kCities[i].weight;
      if (u < 0) {
        c.city = static_cast<int>(i);
        break;
      }
    }
    customers.push_back(std::move(c));
    ++stats.customers;
    return static_cast<int>(idx);
  }

  void place_order(int64_t t) {
    // Returning customers become more common as the shop's base grows.
    double p_new = 0.35 + 0.5 * std::exp(-static_cast<double>(order_no) / 20000.0);
    size_t ch = pick_weighted(r, kChannels);
    bool is_new = customers.empty() || r.chance(p_new);
    int cidx = 0;
    if (is_new) {
      cidx = new_customer();
      const auto& c = customers[static_cast<size_t>(cidx)];
      events::customer_registered reg;
      reg.customer_id = c.id;
      reg.phone = c.phone;
      reg.phone_valid = c.phone_valid;
      reg.name = c.name;
      reg.email = c.email;
      reg.city = kCities[static_cast<size_t>(c.city)].name;
      reg.province = kCities[static_cast<size_t>(c.city)].province;
      reg.source = std::string(kChannels[ch].channel == std::string("whatsapp") ? "chat:" : "order:") +
                   kChannels[ch].channel;
      emit(reg, c.id, t, kChannels[ch].actor);
      t += 1000;
    } else {
      cidx = order_customers[r.next() % order_customers.size()];
    }
    order_customers.push_back(cidx);
    const auto& c = customers[static_cast<size_t>(cidx)];

    ++order_no;
    ++stats.orders;
    order ord;
    ord.id = "ord_" + pad(order_no, 8);
    ord.customer = cidx;
    events::order_placed p;
    p.order_id = ord.id;
    p.channel = kChannels[ch].channel;
    p.external_id = (p.channel == "shopify" ? "#" : p.channel.substr(0, 3) + "-") +
                    std::to_string(1000 + order_no);
    p.customer_id = c.id;
    p.customer = {c.name, c.phone, c.email, kCities[static_cast<size_t>(c.city)].name,
                  kCities[static_cast<size_t>(c.city)].province};
    int n_items = 1 + (r.chance(0.45) ? 1 : 0) + (r.chance(0.2) ? 1 : 0) + (r.chance(0.08) ? 1 : 0);
    for (int i = 0; i < n_items; ++i) {
      int pi = pick_product();
      bool dup = false;
      for (auto& it : ord.items) dup = dup || it.product == pi;
      if (dup) continue;
      auto& pr = products[static_cast<size_t>(pi)];
      int64_t qty = r.chance(0.7) ? 1 : r.range(2, 4);
      events::order_item item;
      item.product_id = pr.id;
      item.sku = pr.sku;
      item.name = pr.name;
      item.qty = qty;
      item.price = pr.price;
      if (pr.on_hand - pr.reserved < qty) {
        item.backorder = true;
        p.flags.push_back("backorder");
      }
      pr.reserved += qty;
      p.total += qty * pr.price;
      p.items.push_back(std::move(item));
      ord.items.push_back({pi, qty});
      if (pr.on_hand - pr.reserved < pr.min_stock && !pr.restock_pending) {
        pr.restock_pending = true;
        queue.push({t + r.range(2, 30) * kHour, seq++, kind::restock, static_cast<uint64_t>(pi), {}});
      }
    }
    if (!c.phone_valid) p.flags.push_back("phone_invalid");
    size_t pay = pick_weighted(r, kPayments);
    p.payment = {kPayments[pay].method, kPayments[pay].timing};
    if (r.chance(0.1)) p.note = r.chance(0.5) ? "Tolong dibungkus rapi ya kak" : "Kirim sore saja";
    emit(p, ord.id, t, kChannels[ch].actor);
    // What happens next.
    if (r.chance(0.03)) {
      queue.push({t + r.range(30, 600) * kMinute, seq++, kind::advance, order_no, "cancelled"});
    } else {
      queue.push({t + r.range(15, 240) * kMinute, seq++, kind::advance, order_no, "processed"});
    }
    open.emplace(order_no, std::move(ord));
  }

  void advance(const scheduled& s) {
    auto it = open.find(s.ref);
    if (it == open.end()) return;
    auto& ord = it->second;
    events::order_status_changed c;
    c.order_id = ord.id;
    c.from = ord.status;
    c.to = s.to;
    int64_t t = s.t;
    std::string next;
    int64_t next_t = 0;
    if (s.to == "processed") {
      if (r.chance(0.04)) {
        next = "cancelled";
        next_t = t + r.range(1, 10) * kHour;
      } else {
        next = "shipped";
        next_t = t + r.range(6, 30) * kHour;
      }
    } else if (s.to == "shipped") {
      c.courier = r.pick(kCouriers);
      c.tracking_number = std::string(c.courier == "J&T" ? "JP" : "JN") + pad(r.next() % 10000000000ull, 10);
      for (const auto& i : ord.items) {
        auto& p = products[static_cast<size_t>(i.product)];
        p.reserved -= i.qty;
        p.on_hand -= i.qty;
      }
      next = "delivered";
      next_t = t + r.range(18, 96) * kHour;
    } else if (s.to == "cancelled") {
      c.note = r.chance(0.5) ? "Dibatalkan pembeli" : "Pembayaran tidak diterima";
      for (const auto& i : ord.items) products[static_cast<size_t>(i.product)].reserved -= i.qty;
      ++stats.cancelled;
    } else if (s.to == "delivered") {
      ++stats.delivered;
    }
    ord.status = s.to;
    emit(c, ord.id, t, s.to == "delivered" ? "webhook:courier" : "user:1");
    if (!next.empty()) {
      queue.push({next_t, seq++, kind::advance, s.ref, next});
    } else {
      open.erase(it);
    }
  }

  void restock(const scheduled& s) {
    auto& p = products[s.ref];
    p.restock_pending = false;
    int64_t qty = std::max<int64_t>(p.reserved - p.on_hand, 0) + r.range(100, 400);
    p.on_hand += qty;
    emit(events::stock_adjusted{p.id, "main", qty, "received"}, p.id, s.t, "user:1");
    ++stats.stock_moves;
  }

  void occasional(int64_t t) {
    // A CS agent fixes a casually typed name.
    if (!customers.empty() && r.chance(0.02)) {
      auto& c = customers[r.next() % customers.size()];
      if (!c.renamed) {
        c.renamed = true;
        std::string first = c.name.substr(0, c.name.find_first_of("0123456789"));
        if (!first.empty()) first[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(first[0])));
        c.name = first + " " + r.pick(kLast);
        emit(events::customer_renamed{c.id, c.name}, c.id, t + r.range(0, 59) * 1'000'000, "user:2");
      }
    }
    if (!customers.empty() && r.chance(0.004)) {
      auto& c = customers[r.next() % customers.size()];
      events::customer_updated u;
      u.customer_id = c.id;
      c.city = static_cast<int>(r.next() % kCities.size());
      u.city = kCities[static_cast<size_t>(c.city)].name;
      u.province = kCities[static_cast<size_t>(c.city)].province;
      emit(u, c.id, t + r.range(0, 59) * 1'000'000, "user:2");
    }
    if (r.chance(0.001)) {
      auto& p = products[r.next() % products.size()];
      events::product_updated u;
      u.product_id = p.id;
      p.price = std::max<int64_t>(5000, p.price * (90 + r.range(0, 25)) / 100 / 1000 * 1000);
      u.price = p.price;
      emit(u, p.id, t + r.range(0, 59) * 1'000'000, "user:1");
    }
    if (warehouses.size() > 1 && r.chance(0.003)) {
      auto& p = products[static_cast<size_t>(pick_product())];
      int64_t qty = r.range(5, 30);
      if (p.on_hand - p.reserved > qty + p.min_stock) {
        p.on_hand -= qty;
        emit(events::stock_transferred{p.id, "main", warehouses[1 + r.next() % (warehouses.size() - 1)], qty},
             p.id, t + r.range(0, 59) * 1'000'000, "user:1");
        ++stats.stock_moves;
      }
    }
    if (r.chance(0.002)) {
      auto& p = products[static_cast<size_t>(pick_product())];
      if (p.on_hand - p.reserved > 2) {
        p.on_hand -= 1;
        emit(events::stock_adjusted{p.id, "main", -1, "damaged"}, p.id, t + r.range(0, 59) * 1'000'000,
             "user:1");
        ++stats.stock_moves;
      }
    }
  }

  double rate(int64_t t) const {
    int64_t local = t + kWib;
    int64_t day = local / kDay;
    int hour = static_cast<int>((local % kDay) / kHour);
    double m = o.orders_per_minute * kHourCurve[static_cast<size_t>(hour)];
    int dow = static_cast<int>((day + 4) % 7);  // 1970-01-01 was a Thursday; 0 = Sunday
    if (dow == 0 || dow == 6) m *= 1.25;
    // A Ramadan-like month before Lebaran (mid-February to mid-March 2026).
    int64_t since_start = (t - to_micros(o.start)) / kDay;
    if (since_start >= 48 && since_start < 78) m *= 1.5;
    return m;
  }

  void simulate_minute() {
    int64_t start = minute;
    int64_t end = minute + kMinute;
    if (o.clock_ticks) {
      emit(events::clock_ticked{}, "clock", start, "system");
      ++stats.ticks;
    }
    int n = r.poisson(rate(start));
    for (int i = 0; i < n; ++i)
      queue.push({start + r.range(0, kMinute - 1), seq++, kind::new_order, 0, {}});
    occasional(start);
    while (!queue.empty() && queue.top().t < end) {
      scheduled s = queue.top();
      queue.pop();
      switch (s.k) {
        case kind::new_order: place_order(s.t); break;
        case kind::advance: advance(s); break;
        case kind::restock: restock(s); break;
      }
    }
    minute = end;
  }
};

generator::generator(gen_options o) : impl_(std::make_unique<impl>(o)) {}
generator::~generator() = default;
generator::generator(generator&&) noexcept = default;
generator& generator::operator=(generator&&) noexcept = default;

std::vector<events::envelope> generator::next(size_t max) {
  auto& m = *impl_;
  std::vector<events::envelope> out;
  uint64_t left = m.o.events - m.produced;
  size_t want = static_cast<size_t>(std::min<uint64_t>(max, left));
  out.reserve(want);
  if (!m.set_up && want > 0) m.setup();
  while (out.size() < want) {
    if (m.ready.empty()) m.simulate_minute();
    while (!m.ready.empty() && out.size() < want) {
      out.push_back(std::move(m.ready.front()));
      m.ready.pop_front();
    }
  }
  m.produced += out.size();
  return out;
}

uint64_t generator::produced() const { return impl_->produced; }
timestamp generator::now() const { return from_micros(impl_->last_time); }
generator::counts generator::stats() const { return impl_->stats; }

}  // namespace roms::tools::gen
