#include "projections/store.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <shared_mutex>
#include <sstream>
#include <thread>

#include <rocksdb/sst_file_writer.h>
#include <rocksdb/utilities/checkpoint.h>

#include "core/errc.h"
#include "events/json_writer.h"
#include "events/payload.h"
#include "projections/internal/keys.h"
#include "projections/internal/overlay.h"
#include "projections/internal/parallel.h"
#include "projections/internal/rocks.h"
#include "projections/payload_memo.h"

namespace fs = std::filesystem;

namespace roms::projections {

namespace internal {

namespace {

constexpr std::string_view kCheckpointFile = "roms-checkpoint.json";
// Under <data>/projections: SST files of a bulk load between their writing and ingestion.
constexpr std::string_view kIngestDir = "ingest";

error_info make_error(errc c, std::string msg) { return {make_error_code(c), std::move(msg)}; }

// A snapshot of one generation. Holds the generation (and through it the DB) alive, so it
// stays readable after a switch drops the column family, and even after the store is gone.
class snapshot_view final : public read_view {
 public:
  explicit snapshot_view(std::shared_ptr<gen_cf> g)
      : gen_(std::move(g)), snap_(gen_->db()->db->GetSnapshot()) {}
  ~snapshot_view() override { gen_->db()->db->ReleaseSnapshot(snap_); }

  std::optional<std::string> get(std::string_view key) const override {
    if (is_reserved(key)) return std::nullopt;
    rocksdb::ReadOptions ro;
    ro.snapshot = snap_;
    rocksdb::PinnableSlice v;
    auto s = gen_->db()->db->Get(ro, gen_->cf(), rocksdb::Slice(key.data(), key.size()), &v);
    if (!s.ok()) return std::nullopt;
    return v.ToString();
  }

  void scan(std::string_view begin, std::string_view end,
            const std::function<bool(std::string_view, std::string_view)>& f,
            bool reverse) const override {
    std::string upper(end.empty() || end > kReservedBegin ? kReservedBegin : end);
    std::string lower(begin);
    if (lower >= upper) return;
    rocksdb::ReadOptions ro;
    ro.snapshot = snap_;
    rocksdb::Slice lo(lower), hi(upper);
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &hi;
    std::unique_ptr<rocksdb::Iterator> it(gen_->db()->db->NewIterator(ro, gen_->cf()));
    if (reverse) {
      for (it->SeekToLast(); it->Valid(); it->Prev()) {
        if (!f(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size())))
          return;
      }
    } else {
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (!f(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size())))
          return;
      }
    }
  }

 private:
  std::shared_ptr<gen_cf> gen_;
  const rocksdb::Snapshot* snap_;
};

std::string hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(d[p[i] >> 4]);
    s.push_back(d[p[i] & 15]);
  }
  return s;
}

void be64(unsigned char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}

std::optional<uint32_t> read_version(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  std::string v;
  auto s = db->Get(rocksdb::ReadOptions(), cf, kVersionKey, &v);
  if (s.IsNotFound()) return 0u;
  if (!s.ok()) return std::nullopt;
  auto n = parse_u64(v);
  if (!n || *n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

std::optional<std::vector<int64_t>> read_position(rocksdb::DB* db,
                                                  rocksdb::ColumnFamilyHandle* cf) {
  std::string v;
  auto s = db->Get(rocksdb::ReadOptions(), cf, kPositionKey, &v);
  if (s.IsNotFound()) return std::vector<int64_t>{};
  if (!s.ok()) return std::nullopt;
  return decode_position(v);
}

// The position stored in every generation column family of the RocksDB directory `dir`
// (a checkpoint), by column family name. Opens it read-only with few open files: only the
// files holding the position keys are read.
result_msg<std::map<std::string, std::vector<int64_t>>> read_positions(const rocks_env& env,
                                                                       const fs::path& dir) {
  rocksdb::DBOptions o = env.db;
  o.create_if_missing = false;
  o.max_open_files = 64;  // -1 would open every table file up front
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(o, dir.string(), &names);
  if (!s.ok()) return rocks_error(s, "read the checkpoint " + dir.string());
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) descs.emplace_back(n, env.cf);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(o, dir.string(), descs, &handles, &raw);
  if (!s.ok()) return rocks_error(s, "open the checkpoint " + dir.string());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::map<std::string, std::vector<int64_t>> out;
  std::optional<error_info> err;
  for (auto* h : handles) {
    if (!err && parse_cf_name(h->GetName())) {
      auto p = read_position(db.get(), h);
      if (p) {
        out[h->GetName()] = std::move(*p);
      } else {
        err = make_error(errc::corruption, "checkpoint " + dir.string() +
                                               ": unreadable position in " + h->GetName());
      }
    }
    db->DestroyColumnFamilyHandle(h);
  }
  if (err) return *err;
  return out;
}

result_msg<void> write_file_atomic(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return make_error(errc::io_error, "cannot write " + tmp.string());
  bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  ok = std::fflush(f) == 0 && ok;
  ok = ::fsync(fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) return make_error(errc::io_error, "cannot write " + path.string());
  return success();
}

std::optional<std::string> read_small_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string checkpoint_json(const checkpoint_info& cp) {
  events::json_writer w;
  w.begin_object();
  w.field("format", int64_t{1});
  w.field("sequence", cp.sequence);
  w.field("created", format_rfc3339(cp.created));
  w.key("projections").begin_object();
  for (const auto& [name, e] : cp.projections) {
    w.key(name).begin_object();
    w.field("version", e.version);
    w.key("position").begin_array();
    for (int64_t o : e.position) w.value(o);
    w.end_array();
    w.end_object();
  }
  w.end_object();
  w.end_object();
  return std::move(w).str();
}

std::optional<checkpoint_info> parse_checkpoint_json(std::string_view json) {
  checkpoint_info cp;
  auto r = events::parse_object(
      json,
      [&](std::string_view k, events::json_value& v) -> result<void> {
        if (k == "sequence") {
          BOOST_OUTCOME_TRY(auto n, v.get_int64());
          cp.sequence = static_cast<uint64_t>(n);
        } else if (k == "created") {
          BOOST_OUTCOME_TRY(auto s, v.get_string());
          auto t = parse_rfc3339(s);
          if (!t) return errc::invalid_argument;
          cp.created = *t;
        } else if (k == "projections") {
          return v.for_each_field([&](std::string_view name, events::json_value& pv) {
            checkpoint_info::entry e;
            auto r2 =
                pv.for_each_field([&](std::string_view f, events::json_value& fv) -> result<void> {
                  if (f == "version") {
                    BOOST_OUTCOME_TRY(auto n, fv.get_int64());
                    e.version = static_cast<uint32_t>(n);
                  } else if (f == "position") {
                    return fv.for_each_element([&](events::json_value& x) -> result<void> {
                      BOOST_OUTCOME_TRY(auto n, x.get_int64());
                      e.position.push_back(n);
                      return success();
                    });
                  }
                  return success();
                });
            if (!r2) return r2;
            cp.projections.emplace(std::string(name), std::move(e));
            return result<void>(success());
          });
        }
        return success();
      },
      nullptr);
  if (!r) return std::nullopt;
  return cp;
}

}  // namespace

class store_impl {
 public:
  fs::path dir_;
  store_options opts_;
  std::shared_ptr<db_holder> db_;
  std::vector<std::shared_ptr<projection>> projections_;

  mutable std::mutex mu_;  // live_, unknown_, next_gen_
  std::map<std::string, std::shared_ptr<gen_cf>, std::less<>> live_;
  std::vector<std::shared_ptr<gen_cf>> unknown_;  // live generations of names not in code
  uint64_t next_gen_ = 1;

  // Commits hold it shared; a switch and a checkpoint hold it exclusively, so neither sees
  // half a commit and no commit reaches a dropped generation.
  mutable std::shared_mutex commit_mu_;
  std::mutex checkpoint_mu_;

  std::shared_ptr<projection> find(std::string_view name) const {
    for (const auto& p : projections_)
      if (p->name() == name) return p;
    return nullptr;
  }

  std::shared_ptr<gen_cf> live(std::string_view name) const {
    std::lock_guard lk(mu_);
    auto it = live_.find(name);
    return it == live_.end() ? nullptr : it->second;
  }

  result_msg<std::shared_ptr<gen_cf>> create_generation(const std::shared_ptr<projection>& p,
                                                        uint32_t version) {
    uint64_t gen;
    {
      std::lock_guard lk(mu_);
      gen = next_gen_++;
    }
    std::string name(p->name());
    rocksdb::ColumnFamilyHandle* h = nullptr;
    auto s = db_->db->CreateColumnFamily(db_->env.cf, cf_name(name, gen), &h);
    if (!s.ok()) return rocks_error(s, "create column family for '" + name + "'");
    auto g = std::make_shared<gen_cf>(db_, h, p, name, gen, version, std::vector<int64_t>{});
    rocksdb::WriteBatch wb;
    wb.Put(db_->meta, kNextGenerationKey, std::to_string(gen + 1));
    if (version != 0) wb.Put(h, kVersionKey, std::to_string(version));
    wb.Put(h, kPositionKey, encode_position({}));
    rocksdb::WriteOptions wo;
    s = db_->db->Write(wo, &wb);
    if (!s.ok()) {
      g->dropped = true;
      db_->db->DropColumnFamily(h).PermitUncheckedError();
      return rocks_error(s, "initialise generation of '" + name + "'");
    }
    return g;
  }

  // Makes g live (durably), drops the previous live generation. Caller holds commit_mu_
  // exclusively.
  result_msg<void> make_live_locked(const std::shared_ptr<gen_cf>& g) {
    rocksdb::WriteBatch wb;
    wb.Put(db_->meta, std::string(kActivePrefix) + g->name(), std::to_string(g->generation()));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->db->Write(wo, &wb);
    if (!s.ok()) return rocks_error(s, "switch '" + g->name() + "'");
    std::shared_ptr<gen_cf> old;
    {
      std::lock_guard lk(mu_);
      auto& slot = live_[g->name()];
      old = std::move(slot);
      slot = g;
    }
    if (old && old != g) {
      old->dropped = true;
      // Readers holding `old` (views) keep reading it: the column family's data is deleted
      // only when its last handle is destroyed (~gen_cf).
      auto ds = db_->db->DropColumnFamily(old->cf());
      if (!ds.ok()) return rocks_error(ds, "drop previous generation of '" + g->name() + "'");
    }
    return success();
  }

  result_msg<void> open_db(const fs::path& db_dir) {
    std::vector<std::string> names;
    auto ls = rocksdb::DB::ListColumnFamilies(db_->env.db, db_dir.string(), &names);
    if (!ls.ok()) {
      if (opts_.read_only) return rocks_error(ls, "open " + db_dir.string());
      names = {rocksdb::kDefaultColumnFamilyName};
    }
    if (std::find(names.begin(), names.end(), kMetaCf) == names.end()) {
      if (opts_.read_only)
        return make_error(errc::corruption, db_dir.string() + " is not a ROMS projections store");
      names.emplace_back(kMetaCf);
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const auto& n : names) descs.emplace_back(n, db_->env.cf);
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::Status s;
    if (opts_.read_only) {
      s = rocksdb::DB::OpenForReadOnly(db_->env.db, db_dir.string(), descs, &handles, &db_->db);
    } else {
      s = rocksdb::DB::Open(db_->env.db, db_dir.string(), descs, &handles, &db_->db);
    }
    if (!s.ok()) return rocks_error(s, "open " + db_dir.string());

    // Sort the handles: meta, generations, the rest.
    struct found {
      std::string name;
      uint64_t gen;
      rocksdb::ColumnFamilyHandle* h;
    };
    std::vector<found> gens;
    for (auto* h : handles) {
      const std::string& n = h->GetName();
      if (n == kMetaCf) {
        db_->meta = h;
      } else if (auto p = parse_cf_name(n)) {
        gens.push_back({p->first, p->second, h});
      } else {
        db_->other.push_back(h);
      }
    }

    std::string v;
    auto gs = db_->db->Get(rocksdb::ReadOptions(), db_->meta, kNextGenerationKey, &v);
    if (gs.ok()) {
      if (auto n = parse_u64(v)) next_gen_ = *n;
    }
    std::map<std::string, uint64_t> active;
    {
      std::unique_ptr<rocksdb::Iterator> it(
          db_->db->NewIterator(rocksdb::ReadOptions(), db_->meta));
      for (it->Seek(kActivePrefix); it->Valid() && it->key().starts_with(kActivePrefix);
           it->Next()) {
        auto name = it->key().ToString().substr(kActivePrefix.size());
        if (auto g = parse_u64(it->value().ToString())) active[name] = *g;
      }
      if (!it->status().ok()) return rocks_error(it->status(), "read meta");
    }

    for (auto& f : gens) {
      next_gen_ = std::max(next_gen_, f.gen + 1);
      auto a = active.find(f.name);
      if (a == active.end() || a->second != f.gen) {
        // Not live: an interrupted rebuild or an undropped old generation.
        if (!opts_.read_only) db_->db->DropColumnFamily(f.h).PermitUncheckedError();
        db_->db->DestroyColumnFamilyHandle(f.h);
        continue;
      }
      auto ver = read_version(db_->db, f.h);
      auto pos = read_position(db_->db, f.h);
      if (!ver || !pos) {
        db_->db->DestroyColumnFamilyHandle(f.h);
        return make_error(errc::corruption, "bookkeeping of projection '" + f.name +
                                                "' generation " + std::to_string(f.gen) +
                                                " is unreadable");
      }
      auto p = find(f.name);
      auto g = std::make_shared<gen_cf>(db_, f.h, p, f.name, f.gen, *ver, std::move(*pos));
      if (p) {
        live_[f.name] = g;
      } else {
        unknown_.push_back(g);
      }
    }
    if (opts_.read_only) return success();

    // Projections without a live generation, or with a stale one.
    for (const auto& p : projections_) {
      std::string name(p->name());
      auto it = live_.find(name);
      bool missing = it == live_.end();
      bool stale = !missing && it->second->stored_version() != p->version();
      if (!missing && !(stale && opts_.on_stale == stale_policy::reset)) continue;
      uint32_t version = opts_.on_stale == stale_policy::reset ? p->version() : 0;
      BOOST_OUTCOME_TRY(auto g, create_generation(p, version));
      std::unique_lock lk(commit_mu_);
      BOOST_OUTCOME_TRY(make_live_locked(g));
    }
    return success();
  }

  projection_info info_of(const std::shared_ptr<projection>& p) const {
    projection_info i;
    i.name = std::string(p->name());
    i.code_version = p->version();
    if (auto g = live(i.name)) {
      i.stored_version = g->stored_version();
      i.generation = g->generation();
      i.position = g->position();
      uint64_t sst = 0, mem = 0;
      db_->db->GetIntProperty(g->cf(), "rocksdb.live-sst-files-size", &sst);
      db_->db->GetIntProperty(g->cf(), "rocksdb.cur-size-all-mem-tables", &mem);
      i.approximate_bytes = sst + mem;
    }
    return i;
  }
};

// --- fold_batch ---

class batch_impl {
 public:
  struct slot {
    slot(std::shared_ptr<gen_cf> g, std::shared_ptr<fold_target> t)
        : gen(std::move(g)),
          target(std::move(t)),
          ctx(gen->fold_overlay()),
          position(gen->position()) {
      // Programmer error: two fold batches writing one generation at once.
      if (gen->in_batch.exchange(true)) std::abort();
    }
    // Forgets what was applied since the last commit.
    void forget() {
      ctx.discard();
      position = gen->position();
      moved = false;
    }
    ~slot() {
      if (ctx.dirty() > 0 || moved || ctx.error()) ctx.discard();  // uncommitted
      ctx.set_complete(false);
      ctx.set_deferred(false);
      if (raised_l0)
        (void)gen->db()->db->SetOptions(gen->cf(), internal::l0_options(gen->db()->env.cf));
      gen->in_batch = false;
    }
    std::shared_ptr<gen_cf> gen;
    std::shared_ptr<fold_target> target;  // the same object, as given
    overlay& ctx;
    std::vector<int64_t> position;
    bool moved = false;
    bool raised_l0 = false;  // a bulk load's L0 compaction trigger is set (bulk_l0_options)
    double last_cost = 0;  // seconds spent in the last apply(span), for scheduling
  };
  store_impl& store_;
  durability durability_;
  std::vector<std::unique_ptr<slot>> slots_;
  uint64_t pending_ = 0;
  uint64_t last_keys_ = 0;
  size_t keep_bytes() const { return static_cast<size_t>(store_.opts_.fold_cache_bytes); }
  void forget_all() {
    for (auto& sp : slots_) sp->forget();
    pending_ = 0;
  }
  // A conflict naming the first target whose generation was replaced or dropped, if any.
  // Checked under the store's commit lock, so no switch can slip in before the write.
  std::optional<error_info> dropped() const {
    for (const auto& sp : slots_) {
      if (sp->gen->dropped)
        return make_error(errc::conflict, "generation " + std::to_string(sp->gen->generation()) +
                                              " of '" + sp->gen->name() +
                                              "' was replaced or dropped");
    }
    return std::nullopt;
  }

  batch_impl(store_impl& s, durability d) : store_(s), durability_(d) {}
};

}  // namespace internal

using internal::batch_impl;
using internal::gen_cf;
using internal::make_error;
using internal::store_impl;

// --- projection_store ---

projection_store::projection_store(std::unique_ptr<store_impl> impl) : impl_(std::move(impl)) {}
projection_store::~projection_store() = default;

result_msg<std::shared_ptr<projection_store>> projection_store::open(
    const fs::path& data_dir, std::vector<std::shared_ptr<projection>> projections,
    store_options opts) {
  std::set<std::string, std::less<>> seen;
  for (const auto& p : projections) {
    if (!p) return make_error(errc::invalid_argument, "null projection");
    if (!internal::valid_projection_name(p->name()))
      return make_error(errc::invalid_argument, "projection name '" + std::string(p->name()) +
                                                    "' must be 1..64 of [a-z0-9_-]");
    if (!seen.emplace(p->name()).second)
      return make_error(errc::invalid_argument,
                        "projection '" + std::string(p->name()) + "' given twice");
    // Derived entries are only ever written blind (a fold never reads them back), and a
    // projection that has them says what they derive from.
    const auto wo = p->write_only_prefixes();
    for (const auto& d : p->derived_prefixes()) {
      bool under = std::any_of(wo.begin(), wo.end(),
                               [&](const std::string& w) { return d.starts_with(w); });
      if (d.empty() || !under || p->derived_from().empty())
        return make_error(errc::invalid_argument,
                          "projection '" + std::string(p->name()) + "': derived prefix '" + d +
                              "' must be under a write-only prefix, with derived_from() set");
    }
  }
  auto impl = std::make_unique<store_impl>();
  impl->dir_ = data_dir / "projections";
  impl->opts_ = opts;
  impl->projections_ = std::move(projections);
  impl->db_ = std::make_shared<internal::db_holder>();
  impl->db_->env = internal::make_rocks_env(opts.memory_budget_bytes);
  fs::path db_dir = impl->dir_ / "db";
  if (!opts.read_only) {
    std::error_code ec;
    fs::create_directories(db_dir, ec);
    if (ec)
      return make_error(errc::io_error, "cannot create " + db_dir.string() + ": " + ec.message());
    // Leftovers of a checkpoint interrupted half-way.
    for (auto& e : fs::directory_iterator(impl->dir_ / "checkpoints", ec)) {
      if (e.path().filename().string().starts_with("tmp-")) fs::remove_all(e.path(), ec);
    }
    // SST files of a bulk load interrupted before their ingestion (their generation is
    // dropped on open anyway).
    fs::remove_all(impl->dir_ / internal::kIngestDir, ec);
  } else if (!fs::exists(db_dir)) {
    return make_error(errc::not_found, db_dir.string() + " does not exist");
  }
  BOOST_OUTCOME_TRY(impl->open_db(db_dir));
  return std::shared_ptr<projection_store>(new projection_store(std::move(impl)));
}

const fs::path& projection_store::dir() const { return impl_->dir_; }
bool projection_store::read_only() const { return impl_->opts_.read_only; }
const std::vector<std::shared_ptr<projection>>& projection_store::projections() const {
  return impl_->projections_;
}

std::vector<projection_info> projection_store::info() const {
  std::vector<projection_info> out;
  for (const auto& p : impl_->projections_) out.push_back(impl_->info_of(p));
  return out;
}

result_msg<projection_info> projection_store::info(std::string_view name) const {
  auto p = impl_->find(name);
  if (!p) return make_error(errc::not_found, "no projection named '" + std::string(name) + "'");
  return impl_->info_of(p);
}

result_msg<std::shared_ptr<const read_view>> projection_store::view(std::string_view name) const {
  auto g = impl_->live(name);
  if (!g) return make_error(errc::not_found, "no projection named '" + std::string(name) + "'");
  // A generation built by another version may store its records in a layout this code would
  // misread. Version 0: created empty and never built, nothing to misread.
  const uint32_t stored = g->stored_version(), code = g->proj().version();
  if (stored != code && stored != 0 && !g->proj().reads_stored_version(stored))
    return make_error(errc::unavailable,
                      "the '" + std::string(name) + "' read model is being rebuilt for this " +
                          "version of ROMS (stored by version " + std::to_string(stored) +
                          ", read by version " + std::to_string(code) +
                          "); it answers again when the rebuild is done (roms projections status)");
  return std::shared_ptr<const read_view>(std::make_shared<internal::snapshot_view>(std::move(g)));
}

result_msg<std::string> projection_store::digest(std::string_view name) const {
  auto g = impl_->live(name);
  if (!g) return make_error(errc::not_found, "no projection named '" + std::string(name) + "'");
  auto* db = g->db()->db;
  const rocksdb::Snapshot* snap = db->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.fill_cache = false;  // a full scan must not evict the working set
  rocksdb::Slice hi(internal::kReservedBegin);
  ro.iterate_upper_bound = &hi;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, g->cf()));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  unsigned char len[8];
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    internal::be64(len, it->key().size());
    EVP_DigestUpdate(md.get(), len, 8);
    EVP_DigestUpdate(md.get(), it->key().data(), it->key().size());
    internal::be64(len, it->value().size());
    EVP_DigestUpdate(md.get(), len, 8);
    EVP_DigestUpdate(md.get(), it->value().data(), it->value().size());
  }
  auto st = it->status();
  it.reset();
  db->ReleaseSnapshot(snap);
  if (!st.ok()) return internal::rocks_error(st, "digest of '" + std::string(name) + "'");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(md.get(), out, &n);
  return internal::hex(out, n);
}

std::shared_ptr<fold_target> projection_store::live(std::string_view name) const {
  return impl_->live(name);
}

result_msg<std::shared_ptr<fold_target>> projection_store::begin_generation(std::string_view name) {
  if (read_only()) return make_error(errc::unsupported, "the projections store is read-only");
  auto p = impl_->find(name);
  if (!p) return make_error(errc::not_found, "no projection named '" + std::string(name) + "'");
  BOOST_OUTCOME_TRY(auto g, impl_->create_generation(p, p->version()));
  return std::shared_ptr<fold_target>(std::move(g));
}

result_msg<void> projection_store::switch_to(const std::shared_ptr<fold_target>& t) {
  auto g = std::dynamic_pointer_cast<gen_cf>(t);
  if (!g || g->db() != impl_->db_ || g->dropped)
    return make_error(errc::invalid_argument, "not a generation of this store");
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = impl_->db_->db->Flush(fo, g->cf());
  if (!s.ok()) return internal::rocks_error(s, "flush '" + g->name() + "'");
  std::unique_lock lk(impl_->commit_mu_);
  return impl_->make_live_locked(g);
}

result_msg<void> projection_store::discard(const std::shared_ptr<fold_target>& t) {
  auto g = std::dynamic_pointer_cast<gen_cf>(t);
  if (!g || g->db() != impl_->db_)
    return make_error(errc::invalid_argument, "not a generation of this store");
  if (impl_->live(g->name()) == g)
    return make_error(errc::invalid_argument, "cannot discard the live generation");
  std::unique_lock lk(impl_->commit_mu_);
  if (g->dropped.exchange(true)) return success();
  auto s = impl_->db_->db->DropColumnFamily(g->cf());
  if (!s.ok()) return internal::rocks_error(s, "discard generation of '" + g->name() + "'");
  return success();
}

result_msg<void> projection_store::flush() {
  if (read_only()) return success();
  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  std::vector<std::shared_ptr<gen_cf>> keep;
  {
    std::lock_guard lk(impl_->mu_);
    for (auto& [n, g] : impl_->live_) {
      cfs.push_back(g->cf());
      keep.push_back(g);
    }
  }
  cfs.push_back(impl_->db_->meta);
  auto s = impl_->db_->db->Flush(fo, cfs);
  if (!s.ok()) return internal::rocks_error(s, "flush");
  return success();
}

result_msg<void> projection_store::flush(const std::vector<std::shared_ptr<fold_target>>& targets) {
  if (read_only()) return success();
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  for (const auto& t : targets) {
    auto g = std::dynamic_pointer_cast<gen_cf>(t);
    if (!g || g->db() != impl_->db_)
      return make_error(errc::invalid_argument, "not a generation of this store");
    if (!g->dropped) cfs.push_back(g->cf());
  }
  if (cfs.empty()) return success();
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = impl_->db_->db->Flush(fo, cfs);
  if (!s.ok()) return internal::rocks_error(s, "flush");
  return success();
}

result_msg<checkpoint_info> projection_store::checkpoint() {
  if (read_only()) return make_error(errc::unsupported, "the projections store is read-only");
  std::lock_guard cl(impl_->checkpoint_mu_);
  fs::path root = impl_->dir_ / "checkpoints";
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return make_error(errc::io_error, "cannot create " + root.string() + ": " + ec.message());
  auto existing = list_checkpoints(impl_->dir_.parent_path());
  checkpoint_info cp;
  cp.sequence = existing.empty() ? 1 : existing.back().sequence + 1;
  cp.created =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  char seq[32];
  std::snprintf(seq, sizeof seq, "%010llu", static_cast<unsigned long long>(cp.sequence));
  fs::path tmp = root / ("tmp-" + std::string(seq));
  cp.dir = root / seq;
  fs::remove_all(tmp, ec);
  // The live path writes without RocksDB's WAL (durability::no_wal), so what its memtables
  // hold is in no file a checkpoint could link or copy. Flush first, outside the commit lock
  // (the runner keeps folding meanwhile): the checkpoint then holds everything up to a moment
  // ago. Whatever is committed after the flush is not in it, so the positions recorded are
  // read back from the checkpoint itself, never from memory: they are exactly what it holds.
  BOOST_OUTCOME_TRY(flush());
  struct taken {
    std::string name;
    std::string cf;
    uint32_t version;
  };
  std::vector<taken> gens;
  {
    rocksdb::Checkpoint* raw = nullptr;
    auto s = rocksdb::Checkpoint::Create(impl_->db_->db, &raw);
    if (!s.ok()) return internal::rocks_error(s, "checkpoint");
    std::unique_ptr<rocksdb::Checkpoint> ck(raw);
    // No commit and no switch runs while the checkpoint is cut, so the generations named
    // here are the ones inside it and no commit is half in it. Up to 16 MiB of WAL (writes
    // made with durability::wal) is copied instead of flushing every memtable (restore
    // replays it on open).
    std::unique_lock lk(impl_->commit_mu_);
    {
      std::lock_guard ml(impl_->mu_);
      for (auto& [name, g] : impl_->live_)
        gens.push_back({name, internal::cf_name(name, g->generation()), g->stored_version()});
    }
    s = ck->CreateCheckpoint(tmp.string(), /*log_size_for_flush=*/16ull << 20);
    if (!s.ok()) {
      fs::remove_all(tmp, ec);
      return internal::rocks_error(s, "checkpoint");
    }
  }
  auto positions = internal::read_positions(impl_->db_->env, tmp);
  if (!positions) {
    fs::remove_all(tmp, ec);
    return positions.error();
  }
  for (const auto& t : gens) {
    auto it = positions.value().find(t.cf);
    if (it == positions.value().end()) {
      fs::remove_all(tmp, ec);
      return make_error(errc::corruption,
                        "checkpoint " + tmp.string() + " lacks column family " + t.cf);
    }
    cp.projections[t.name] = {t.version, it->second};
  }
  BOOST_OUTCOME_TRY(
      internal::write_file_atomic(tmp / internal::kCheckpointFile, internal::checkpoint_json(cp)));
  fs::rename(tmp, cp.dir, ec);
  if (ec) return make_error(errc::io_error, "cannot rename checkpoint: " + ec.message());
  existing.push_back(cp);
  // Thinning: beyond keep_checkpoints, drop the checkpoint whose removal leaves the smallest
  // gap (in events) between its neighbours; the oldest and the newest always stay. Recent
  // history stays dense, old history sparse, and every point keeps a checkpoint before it.
  size_t keep = std::max<size_t>(impl_->opts_.keep_checkpoints, 1);
  auto events_in = [](const checkpoint_info& c) {
    uint64_t m = 0;
    for (const auto& [n, e] : c.projections) {
      uint64_t sum = 0;
      for (int64_t o : e.position) sum += static_cast<uint64_t>(std::max<int64_t>(o, 0));
      m = std::max(m, sum);
    }
    return m;
  };
  while (existing.size() > keep) {
    size_t victim = 0;
    if (existing.size() >= 3 && keep >= 2) {
      uint64_t best = UINT64_MAX;
      for (size_t i = 1; i + 1 < existing.size(); ++i) {
        uint64_t gap = events_in(existing[i + 1]) -
                       std::min(events_in(existing[i + 1]), events_in(existing[i - 1]));
        if (gap < best) {
          best = gap;
          victim = i;
        }
      }
    }
    fs::remove_all(existing[victim].dir, ec);
    existing.erase(existing.begin() + static_cast<long>(victim));
  }
  return cp;
}

std::vector<checkpoint_info> projection_store::list_checkpoints(const fs::path& data_dir) {
  std::vector<checkpoint_info> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(data_dir / "projections" / "checkpoints", ec)) {
    auto seq = internal::parse_u64(e.path().filename().string());
    if (!seq || !e.is_directory()) continue;
    auto text = internal::read_small_file(e.path() / internal::kCheckpointFile);
    if (!text) continue;
    auto cp = internal::parse_checkpoint_json(*text);
    if (!cp) continue;
    cp->sequence = *seq;
    cp->dir = e.path();
    out.push_back(std::move(*cp));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  return out;
}

result_msg<void> projection_store::copy_checkpoint(const checkpoint_info& cp,
                                                   const fs::path& into_data_dir) {
  fs::path dst = into_data_dir / "projections" / "db";
  std::error_code ec;
  if (fs::exists(dst, ec) && !fs::is_empty(dst, ec))
    return make_error(errc::conflict, dst.string() + " already holds a projections store");
  fs::create_directories(dst, ec);
  if (ec) return make_error(errc::io_error, "cannot create " + dst.string() + ": " + ec.message());
  for (auto& e : fs::directory_iterator(cp.dir, ec)) {
    if (!e.is_regular_file()) continue;
    auto name = e.path().filename();
    if (name == internal::kCheckpointFile) continue;
    std::error_code lec;
    // SST files are immutable: hard links share them. Everything else (MANIFEST, WAL,
    // OPTIONS, CURRENT) is copied because RocksDB may append to it.
    if (e.path().extension() == ".sst") {
      fs::create_hard_link(e.path(), dst / name, lec);
      if (!lec) continue;
    }
    fs::copy_file(e.path(), dst / name, fs::copy_options::overwrite_existing, lec);
    if (lec)
      return make_error(errc::io_error, "cannot copy " + e.path().string() + ": " + lec.message());
  }
  if (ec) return make_error(errc::io_error, "cannot read " + cp.dir.string() + ": " + ec.message());
  return success();
}

std::string projection_store::debug_stats() const {
  std::string out, s;
  impl_->db_->db->GetProperty("rocksdb.stats", &s);
  out += s;
  // Each read model's column family: its levels, compactions and ingested files.
  for (const auto& p : impl_->projections_) {
    auto g = impl_->live(p->name());
    if (!g) continue;
    s.clear();
    if (impl_->db_->db->GetProperty(g->cf(), "rocksdb.cfstats-no-file-histogram", &s))
      out += "--- " + std::string(p->name()) + " ---\n" + s;
  }
  out += "block cache usage: " + std::to_string(impl_->db_->env.cache->GetUsage()) + " of " +
         std::to_string(impl_->db_->env.cache->GetCapacity()) + "\n";
  out += "memtables: " + std::to_string(impl_->db_->env.wbm->memory_usage()) + " of " +
         std::to_string(impl_->db_->env.wbm->buffer_size()) + "\n";
  return out;
}

// --- fold_batch ---

fold_batch::fold_batch(projection_store& store, std::vector<std::shared_ptr<fold_target>> targets,
                       durability d)
    : impl_(std::make_unique<batch_impl>(*store.impl_, d)) {
  for (auto& t : targets) {
    auto g = std::dynamic_pointer_cast<gen_cf>(t);
    // Programmer error: targets come from this store's live() / begin_generation().
    if (!g || g->db() != store.impl_->db_) std::abort();
    impl_->slots_.push_back(std::make_unique<batch_impl::slot>(std::move(g), t));
  }
  if (d == durability::bulk) {
    // A generation whose column family holds no keys of the read model yet (a fresh one):
    // its overlay starts complete, and the fold never reads RocksDB until it is written out.
    for (auto& sp : impl_->slots_) {
      auto& s = *sp;
      if (s.ctx.dirty() > 0 || s.ctx.bytes() > 0) continue;
      rocksdb::ReadOptions ro;
      rocksdb::Slice upper(internal::kReservedBegin.data(), internal::kReservedBegin.size());
      ro.iterate_upper_bound = &upper;
      std::unique_ptr<rocksdb::Iterator> it(store.impl_->db_->db->NewIterator(ro, s.gen->cf()));
      it->SeekToFirst();
      if (!it->Valid() && it->status().ok()) {
        s.ctx.set_complete(true);
        // Fresh: its derived index entries are written from the records by finish().
        s.ctx.set_deferred(true);
        // Every write-out's file spans the column family's whole key range, so it lands in
        // L0 and each L0 compaction rewrites everything below it: merge more of them at a
        // time while the generation is loaded (restored when the batch ends).
        if (s.gen->db()->db
                ->SetOptions(s.gen->cf(), internal::bulk_l0_options(store.impl_->db_->env.cf))
                .ok())
          s.raised_l0 = true;
      }
    }
  }
}

fold_batch::~fold_batch() = default;

size_t fold_batch::targets() const { return impl_->slots_.size(); }
const std::shared_ptr<fold_target>& fold_batch::target(size_t i) const {
  return impl_->slots_[i]->target;
}
const std::vector<int64_t>& fold_batch::position(size_t i) const {
  return impl_->slots_[i]->position;
}
uint64_t fold_batch::pending_events() const { return impl_->pending_; }
uint64_t fold_batch::last_commit_keys() const { return impl_->last_keys_; }

namespace {

// Applies e to one slot; the error names the projection and the position.
std::optional<error_info> apply_to(batch_impl::slot& s, const events::stored_event& e) {
  const auto part = e.position.partition;
  const auto off = e.position.offset;
  auto& pos = s.position;
  if (static_cast<size_t>(part) >= pos.size()) pos.resize(static_cast<size_t>(part) + 1, 0);
  int64_t& next = pos[static_cast<size_t>(part)];
  if (off < next) return std::nullopt;  // already applied (committed earlier)
  projection& p = s.gen->proj();
  if (p.wants(e.event.type)) {
    auto r = p.apply(e, s.ctx);
    std::optional<std::string> why;
    if (!r) {
      why = r.error().message;
    } else if (s.ctx.error()) {
      why = *s.ctx.error();
    }
    if (why) {
      std::error_code code = r ? make_error_code(errc::invalid_argument) : r.error().code;
      return error_info{code, "projection '" + s.gen->name() + "' failed at partition " +
                                  std::to_string(part) + " offset " + std::to_string(off) + " (" +
                                  e.event.type + " v" + std::to_string(e.event.version) + ", id " +
                                  e.event.id + "): " + *why};
    }
  }
  next = off + 1;
  s.moved = true;
  return std::nullopt;
}

std::optional<error_info> check_position(const events::stored_event& e) {
  if (e.position.partition < 0 || e.position.offset < 0)
    return make_error(errc::invalid_argument, "invalid log position " +
                                                  std::to_string(e.position.partition) + ":" +
                                                  std::to_string(e.position.offset));
  return std::nullopt;
}

}  // namespace

result_msg<void> fold_batch::apply(const events::stored_event& e) {
  if (auto bad = check_position(e)) return *bad;
  ++impl_->pending_;
  for (auto& sp : impl_->slots_) {
    if (auto err = apply_to(*sp, e)) return *err;
  }
  return success();
}

result_msg<void> fold_batch::apply(std::span<const events::stored_event> evs, size_t threads,
                                   size_t* failed_index, payload_memo* given_memo) {
  for (size_t i = 0; i < evs.size(); ++i) {
    if (auto bad = check_position(evs[i])) {
      if (failed_index) *failed_index = i;
      return *bad;
    }
  }
  impl_->pending_ += evs.size();
  auto& slots = impl_->slots_;
  // Longest first (by the previous call's cost): the pool finishes together more often.
  std::vector<size_t> order(slots.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return slots[a]->last_cost > slots[b]->last_cost; });
  struct failure {
    size_t index = SIZE_MAX;
    std::optional<error_info> error;
  };
  std::vector<failure> failures(slots.size());
  // Payloads several projections decode: parsed once (or already, by the caller).
  std::optional<payload_memo> own_memo;
  payload_memo* memo = given_memo;
  if (!memo || !memo->covers(evs)) memo = &own_memo.emplace(evs);
  internal::parallel_for(order.size(), threads, [&](size_t k) {
    payload_memo::scope use(memo);
    size_t si = order[k];
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < evs.size(); ++i) {
      if (auto err = apply_to(*slots[si], evs[i])) {
        failures[si] = {i, std::move(err)};
        break;
      }
    }
    slots[si]->last_cost =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });
  const failure* first = nullptr;
  for (const auto& f : failures)
    if (f.error && (!first || f.index < first->index)) first = &f;
  if (first) {
    if (failed_index) *failed_index = first->index;
    return *first->error;
  }
  return success();
}

namespace {

// <projections>/ingest, where write-outs build their SST files, created if needed.
result_msg<fs::path> ingest_dir(const store_impl& st) {
  fs::path dir = st.dir_ / internal::kIngestDir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(errc::io_error, "cannot create " + dir.string() + ": " + ec.message());
  return dir;
}

// The store's commit lock (shared) for write-outs: no switch or drop runs under it. If a
// generation of the batch was dropped or replaced already, the batch forgets everything and
// the conflict is returned.
result_msg<std::shared_lock<std::shared_mutex>> write_out_lock(batch_impl& b) {
  std::shared_lock lk(b.store_.commit_mu_);
  if (auto e = b.dropped()) {
    lk.unlock();
    b.forget_all();
    return *e;
  }
  return lk;
}

// Writes slot `s`'s pending writes and position as one SST file in `dir` and ingests it into
// its column family; then keeps its most recently used quarter (at most an eighth of
// `budget`) cached. The caller holds the store's commit lock (shared) and has checked that no
// generation was dropped. On failure the slot forgets its pending writes.
std::optional<error_info> write_out(store_impl& st, batch_impl::slot& s, const fs::path& dir,
                                    size_t budget, uint64_t* keys) {
  static std::atomic<uint64_t> seq{0};
  const fs::path file = dir / (std::to_string(s.gen->generation()) + "-" +
                               std::to_string(seq.fetch_add(1)) + ".sst");
  auto fail = [&](const rocksdb::Status& rs, const std::string& what) {
    std::error_code rec;
    fs::remove(file, rec);
    s.forget();
    return internal::rocks_error(rs, what + " for '" + s.gen->name() + "'");
  };
  const rocksdb::Options options(st.db_->env.db, st.db_->env.cf);
  rocksdb::SstFileWriter w(rocksdb::EnvOptions(), options, s.gen->cf());
  auto rs = w.Open(file.string());
  if (!rs.ok()) return fail(rs, "open " + file.string());
  size_t n = 0;
  rs = s.ctx.write_to(w, &n);
  // The position last: reserved keys sort after every key of the read model.
  if (rs.ok()) rs = w.Put(internal::kPositionKey, internal::encode_position(s.position));
  if (rs.ok()) rs = w.Finish();
  if (!rs.ok()) return fail(rs, "write " + file.string());
  rocksdb::IngestExternalFileOptions io;
  io.move_files = true;           // a hard link; the file is ours alone
  io.write_global_seqno = false;  // the sequence number lives in the MANIFEST
  for (int attempt = 0;; ++attempt) {
    rs = st.db_->db->IngestExternalFile(s.gen->cf(), {file.string()}, io);
    // TryAgain: RocksDB could not place the file this time (seen under load while other
    // generations were written and flushed: consumers' outbox tests under a busy CPU). The
    // file is still ours (a failed ingestion removes only its own links), so it is ingested
    // again after a short wait.
    if (!rs.IsTryAgain() || attempt == 7) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1 << attempt));
  }
  if (!rs.ok()) return fail(rs, "ingest " + file.string());
  std::error_code rec;
  fs::remove(file, rec);  // the store holds its own link
  *keys = n;
  s.gen->set_position(s.position);
  s.moved = false;
  const size_t fp = s.ctx.footprint();
  s.ctx.committed(std::min(fp / 4, budget / 8));
  return std::nullopt;
}

// Bulk loading (durability::bulk): writes the chosen slots' pending writes and positions as
// one SST file each and ingests it into the slot's column family. all: every slot with
// something pending; otherwise only when the slots together are over the bulk budget, the
// largest until what stays in memory is at most half the budget. A written-out slot keeps
// its most recently used quarter (at most an eighth of the budget) cached.
result_msg<void> bulk_commit(batch_impl& b, size_t threads, bool all) {
  auto& st = b.store_;
  auto& slots = b.slots_;
  const size_t budget = static_cast<size_t>(std::max<uint64_t>(st.opts_.bulk_memory_bytes, 1));
  std::vector<size_t> pick;
  if (all) {
    for (size_t i = 0; i < slots.size(); ++i)
      if (slots[i]->ctx.dirty() > 0 || slots[i]->moved) pick.push_back(i);
  } else {
    size_t total = 0;
    for (auto& sp : slots) total += sp->ctx.footprint();
    if (total > budget) {
      std::vector<size_t> order(slots.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        return slots[x]->ctx.footprint() > slots[y]->ctx.footprint();
      });
      size_t stays = total;
      for (size_t i : order) {
        if (stays <= budget / 2) break;
        size_t fp = slots[i]->ctx.footprint();
        size_t keep = std::min(fp / 4, budget / 8);
        pick.push_back(i);
        stays -= fp - std::min(fp, keep);
      }
    }
  }
  b.pending_ = 0;
  b.last_keys_ = 0;
  if (pick.empty()) return success();

  std::vector<std::optional<error_info>> errors(pick.size());
  std::vector<uint64_t> keys(pick.size(), 0);
  BOOST_OUTCOME_TRY(const fs::path dir, ingest_dir(st));
  {
    BOOST_OUTCOME_TRY(auto lk, write_out_lock(b));
    internal::parallel_for(pick.size(), threads, [&](size_t k) {
      errors[k] = write_out(st, *slots[pick[k]], dir, budget, &keys[k]);
    });
  }
  for (auto& e : errors)
    if (e) return *e;
  for (auto k : keys) b.last_keys_ += k;
  return success();
}

// The smallest key after every key under `prefix` ("" for an empty prefix: no bound).
std::string after_prefix(std::string_view prefix) {
  std::string e(prefix);
  while (!e.empty() && static_cast<unsigned char>(e.back()) == 0xff) e.pop_back();
  if (!e.empty()) ++e.back();
  return e;
}

// The derive pass (projection::derived_prefixes()): for each slot folded with its derived
// index entries deferred (a fresh generation in a bulk load), reads every record under the
// projection's derived_from() from its column family (everything is written out by now) and
// puts the entries derive() makes, written out as SST files whenever they pass a share of
// the bulk budget. After it the slot's folds write those entries themselves. The slots run
// on up to `threads` threads.
result_msg<void> derive_deferred(batch_impl& b, size_t threads) {
  auto& st = b.store_;
  std::vector<batch_impl::slot*> todo;
  for (auto& sp : b.slots_)
    if (sp->ctx.deferred()) todo.push_back(sp.get());
  if (todo.empty()) return success();
  const size_t budget = static_cast<size_t>(std::max<uint64_t>(st.opts_.bulk_memory_bytes, 1));
  const size_t spill = std::max<size_t>(budget / (2 * todo.size()), 1 << 20);
  BOOST_OUTCOME_TRY(const fs::path dir, ingest_dir(st));
  std::vector<std::optional<error_info>> errors(todo.size());
  std::vector<uint64_t> keys(todo.size(), 0);
  {
    BOOST_OUTCOME_TRY(auto lk, write_out_lock(b));
    internal::parallel_for(todo.size(), threads, [&](size_t k) {
      auto& s = *todo[k];
      s.ctx.set_deferred(false);
      const projection& p = s.gen->proj();
      const std::string from = p.derived_from();
      const std::string to = after_prefix(from);
      auto failed = [&](error_info e) {
        s.forget();
        errors[k] = std::move(e);
      };
      rocksdb::ReadOptions ro;
      ro.fill_cache = false;  // one pass over every record: keep the cache for the fold
      ro.readahead_size = 2 << 20;
      rocksdb::Slice upper(to);
      if (!to.empty()) ro.iterate_upper_bound = &upper;
      std::unique_ptr<rocksdb::Iterator> it(st.db_->db->NewIterator(ro, s.gen->cf()));
      for (it->Seek(from); it->Valid(); it->Next()) {
        const auto key = it->key().ToStringView();
        if (!key.starts_with(from) || internal::is_reserved(key)) break;
        auto r = p.derive(key, it->value().ToStringView(), s.ctx);
        if (!r || s.ctx.error()) {
          return failed(error_info{r ? make_error_code(errc::invalid_argument) : r.error().code,
                                   "projection '" + s.gen->name() + "' cannot derive its index " +
                                       "entries from '" + std::string(key) + "': " +
                                       (r ? *s.ctx.error() : r.error().message)});
        }
        if (s.ctx.footprint() > spill) {
          uint64_t n = 0;
          if (auto e = write_out(st, s, dir, budget, &n)) return failed(std::move(*e));
          keys[k] += n;
        }
      }
      if (!it->status().ok())
        return failed(internal::rocks_error(it->status(), "read '" + s.gen->name() +
                                                              "' to derive its index entries"));
      it.reset();
      if (s.ctx.dirty() > 0) {
        uint64_t n = 0;
        if (auto e = write_out(st, s, dir, budget, &n)) return failed(std::move(*e));
        keys[k] += n;
      }
    });
  }
  for (auto& e : errors)
    if (e) return *e;
  for (auto k : keys) b.last_keys_ += k;
  return success();
}

}  // namespace

result_msg<void> fold_batch::finish(size_t threads) {
  if (impl_->durability_ == durability::bulk) {
    BOOST_OUTCOME_TRY(bulk_commit(*impl_, threads, true));
    return derive_deferred(*impl_, threads);
  }
  return commit_separately(threads);
}

result_msg<void> fold_batch::commit_separately(size_t threads) {
  if (impl_->durability_ == durability::bulk) return bulk_commit(*impl_, threads, false);
  auto& st = impl_->store_;
  auto& slots = impl_->slots_;
  std::vector<std::optional<error_info>> errors(slots.size());
  std::vector<uint64_t> keys(slots.size(), 0);
  {
    std::shared_lock lk(st.commit_mu_);
    if (auto e = impl_->dropped()) {
      lk.unlock();
      reset();
      return *e;
    }
    rocksdb::WriteOptions wo;
    wo.disableWAL = impl_->durability_ == durability::no_wal;
    internal::parallel_for(slots.size(), threads, [&](size_t i) {
      auto& s = *slots[i];
      rocksdb::WriteBatch wb;
      keys[i] = s.ctx.write_to(wb);
      if (s.moved)
        wb.Put(s.gen->cf(), internal::kPositionKey, internal::encode_position(s.position));
      if (keys[i] == 0 && !s.moved) return;
      auto ws = st.db_->db->Write(wo, &wb);
      if (!ws.ok()) {
        errors[i] = internal::rocks_error(ws, "commit fold batch of '" + s.gen->name() + "'");
        s.forget();
        return;
      }
      if (s.moved) s.gen->set_position(s.position);
      s.ctx.committed(impl_->keep_bytes());
      s.moved = false;
    });
  }
  for (auto& e : errors)
    if (e) return *e;
  impl_->pending_ = 0;
  impl_->last_keys_ = 0;
  for (auto k : keys) impl_->last_keys_ += k;
  return success();
}

result_msg<void> fold_batch::commit() {
  if (impl_->durability_ == durability::bulk) return bulk_commit(*impl_, 1, false);
  auto& st = impl_->store_;
  rocksdb::WriteBatch wb;
  uint64_t keys = 0;
  bool any = false;
  for (auto& sp : impl_->slots_) {
    keys += sp->ctx.write_to(wb);
    if (sp->moved) {
      wb.Put(sp->gen->cf(), internal::kPositionKey, internal::encode_position(sp->position));
      any = true;
    }
  }
  if (keys == 0 && !any) {
    impl_->pending_ = 0;
    impl_->last_keys_ = 0;
    return success();
  }
  rocksdb::WriteOptions wo;
  wo.disableWAL = impl_->durability_ == durability::no_wal;
  wo.sync = false;
  {
    std::shared_lock lk(st.commit_mu_);
    if (auto e = impl_->dropped()) {
      lk.unlock();
      reset();
      return *e;
    }
    auto s = st.db_->db->Write(wo, &wb);
    if (!s.ok()) {
      lk.unlock();
      reset();
      return internal::rocks_error(s, "commit fold batch");
    }
    for (auto& sp : impl_->slots_) {
      if (sp->moved) sp->gen->set_position(sp->position);
    }
  }
  for (auto& sp : impl_->slots_) {
    sp->ctx.committed(impl_->keep_bytes());
    sp->moved = false;
  }
  impl_->pending_ = 0;
  impl_->last_keys_ = keys;
  return success();
}

void fold_batch::reset() { impl_->forget_all(); }

}  // namespace roms::projections
