// The fold batch's overlay (projections/internal/overlay.h): its cache keeps the most recently
// used entries within its byte limit, and scans merge the batch's writes in key order.
#include "projections/internal/overlay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>

#include "tests/testing/temp_dir.h"

namespace roms::projections::internal {
namespace {

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_.path().string(), &db).ok());
    db_.reset(db);
  }
  // Writes the overlay's batch to RocksDB and tells it so.
  void commit(overlay& ov, size_t keep_bytes) {
    rocksdb::WriteBatch wb;
    ov.write_to(wb);
    ASSERT_TRUE(db_->Write(rocksdb::WriteOptions(), &wb).ok());
    ov.committed(keep_bytes);
  }
  // Removes `key` behind the overlay's back: a cached entry still answers, an evicted one not.
  void forget(const std::string& key) {
    ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), key).ok());
  }
  rocksdb::ColumnFamilyHandle* cf() { return db_->DefaultColumnFamily(); }

  testing::temp_dir dir_;
  std::unique_ptr<rocksdb::DB> db_;
};

std::string k(int i) { return "k/" + std::to_string(1000 + i); }

TEST_F(OverlayTest, EvictsLeastRecentlyUsedFirstAndStaysWithinItsLimit) {
  overlay ov(db_.get(), cf());
  const std::string value(100, 'v');
  for (int i = 0; i < 100; ++i) ov.put(k(i), value);
  const size_t all = ov.bytes();
  commit(ov, all);  // everything fits
  ASSERT_EQ(ov.bytes(), all);
  // Use keys 0..9 again (most recent now), then shrink the cache to about a fifth.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ov.get(k(i)));
  rocksdb::WriteBatch none;
  ov.write_to(none);
  ov.committed(all / 5);
  EXPECT_LE(ov.bytes(), all / 5);
  EXPECT_GT(ov.bytes(), all / 5 - all / 50);  // evicts only what it must
  for (int i = 0; i < 100; ++i) forget(k(i));
  // The ten most recent stayed cached; the oldest ones are gone.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ov.get(k(i)).value_or(""), value) << i;
  for (int i = 10; i < 20; ++i) EXPECT_FALSE(ov.get(k(i))) << i;
}

// put_cold(): the value is written like any other but is the first to leave the cache; a
// later touch makes it an ordinary entry again.
TEST_F(OverlayTest, ColdWritesAreEvictedFirstAndStillRead) {
  overlay ov(db_.get(), cf());
  const std::string value(100, 'v');
  for (int i = 0; i < 20; ++i) ov.put(k(i), value);   // the oldest ten are 0..9
  for (int i = 20; i < 30; ++i) ov.put_cold(k(i), value);  // written last, but cold
  ov.put_cold(k(30), value);
  ASSERT_TRUE(ov.get(k(30)));  // touched again: an ordinary entry
  const size_t all = ov.bytes();
  commit(ov, all - all / 31 * 10);  // room for 21 of the 31 entries
  for (int i = 0; i < 31; ++i) forget(k(i));
  for (int i = 20; i < 30; ++i) EXPECT_FALSE(ov.get(k(i))) << i;  // the cold ones went
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ov.get(k(i)).value_or(""), value) << i;
  EXPECT_EQ(ov.get(k(30)).value_or(""), value);
}

TEST_F(OverlayTest, ColdWritesReachTheStore) {
  overlay ov(db_.get(), cf());
  ov.put_cold(k(1), "delivered");
  commit(ov, 0);  // nothing stays cached
  std::string got;
  ASSERT_TRUE(db_->Get(rocksdb::ReadOptions(), k(1), &got).ok());
  EXPECT_EQ(got, "delivered");
  EXPECT_EQ(ov.get(k(1)).value_or(""), "delivered");
}

TEST_F(OverlayTest, ScanMergesWritesInKeyOrderIncludingKeysWrittenAheadDuringIt) {
  overlay ov(db_.get(), cf());
  for (int i : {5, 1, 9}) ov.put(k(i), "old");
  commit(ov, 0);  // nothing cached: reads go to RocksDB
  for (int i : {7, 3, 1}) ov.put(k(i), "new");  // unsorted writes, one overwrite
  ov.del(k(9));
  std::vector<std::string> seen;
  ov.scan("k/", "k0", [&](std::string_view key, std::string_view val) {
    seen.push_back(std::string(key) + "=" + std::string(val));
    if (key == k(3)) ov.put(k(4), "during");  // ahead of the cursor: visited
    if (key == k(5)) {
      // A nested scan sees the batch's writes so far, in order.
      std::vector<std::string> inner;
      ov.scan("k/", "k0", [&](std::string_view key2, std::string_view) {
        inner.emplace_back(key2);
        return true;
      });
      EXPECT_EQ(inner, (std::vector<std::string>{k(1), k(3), k(4), k(5), k(7)}));
    }
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{k(1) + "=new", k(3) + "=new", k(4) + "=during",
                                            k(5) + "=old", k(7) + "=new"}));
  rocksdb::WriteBatch wb;
  EXPECT_EQ(ov.write_to(wb), 5u);  // 1, 3, 4, 7 and the delete of 9
  ASSERT_TRUE(db_->Write(rocksdb::WriteOptions(), &wb).ok());
  ov.committed(0);
  std::string v;
  EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), k(4), &v).ok());
  EXPECT_EQ(v, "during");
  EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), k(9), &v).IsNotFound());
}

TEST_F(OverlayTest, WritesUnderScannedPrefixesAreOrderedForScansAndTheRestSortedAtCommit) {
  overlay ov(db_.get(), cf(), {"due/"});
  ov.put("due/3", "");
  ov.put("k/9", "x");
  ov.put("due/1", "");
  ov.put("a/5", "y");
  ov.put("due/2", "");
  ov.del("due/3");
  std::vector<std::string> seen;
  auto collect = [&](std::string_view key, std::string_view) {
    seen.emplace_back(key);
    return true;
  };
  ov.scan("due/", "due0", collect);  // "due0": the first key after the prefix
  EXPECT_EQ(seen, (std::vector<std::string>{"due/1", "due/2"}));
  // A scan outside the declared prefixes is still complete and ordered.
  seen.clear();
  ov.scan("", "", collect);
  EXPECT_EQ(seen, (std::vector<std::string>{"a/5", "due/1", "due/2", "k/9"}));
  // Commit writes every key in key order.
  struct order_check : rocksdb::WriteBatch::Handler {
    std::vector<std::string> keys;
    rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& k, const rocksdb::Slice&) override {
      keys.push_back(k.ToString());
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice& k) override {
      keys.push_back("-" + k.ToString());
      return rocksdb::Status::OK();
    }
  } h;
  rocksdb::WriteBatch wb;
  EXPECT_EQ(ov.write_to(wb), 5u);
  ASSERT_TRUE(wb.Iterate(&h).ok());
  EXPECT_EQ(h.keys, (std::vector<std::string>{"a/5", "due/1", "due/2", "-due/3", "k/9"}));
}

// Thousands of writes under a scanned prefix (the ordered index sorts them in runs of 256 and
// merges the runs): every scan of a random range lists exactly the keys a plain ordered map of
// the same writes holds, in order, merged over what RocksDB held; keys that share long
// prefixes and keys that extend other keys included. Both with a store behind the overlay
// and complete (nothing behind it).
TEST_F(OverlayTest, ScansAfterThousandsOfWritesListWhatAnOrderedMapHolds) {
  for (bool complete : {false, true}) {
    SCOPED_TRACE(complete ? "complete" : "over RocksDB");
    std::mt19937 rng(complete ? 7 : 11);
    auto some_key = [&] {
      // "co/<customer>/<time>/<order>": long shared heads; sometimes a key and its extension.
      std::string c = "cus_01J" + std::to_string(rng() % 40);
      std::string key = "co/" + c + "/" + std::to_string(1000000 + rng() % 5000);
      if (rng() % 4 == 0) key += "/x" + std::to_string(rng() % 3);
      return key;
    };
    std::map<std::string, std::string> model;
    overlay ov(db_.get(), cf(), {"co/"});
    if (complete) {
      ov.set_complete(true);
    } else {
      // What an earlier batch left in RocksDB.
      for (int i = 0; i < 500; ++i) {
        std::string key = some_key();
        ov.put(key, "stored");
        model[key] = "stored";
      }
      commit(ov, 0);
    }
    auto check = [&](const std::string& lo, const std::string& hi) {
      std::vector<std::pair<std::string, std::string>> got, want;
      ov.scan(lo, hi, [&](std::string_view key, std::string_view v) {
        got.emplace_back(std::string(key), std::string(v));
        return true;
      });
      // An empty end: to the end.
      for (auto it = model.lower_bound(lo); it != model.end() && (hi.empty() || it->first < hi);
           ++it)
        want.emplace_back(it->first, it->second);
      ASSERT_EQ(got, want) << "[" << lo << ", " << hi << ")";
    };
    for (int i = 0; i < 6000; ++i) {
      std::string key = some_key();
      if (rng() % 5 == 0) {
        ov.del(key);
        model.erase(key);
      } else {
        std::string v = "v" + std::to_string(i);
        ov.put(key, v);
        model[key] = v;
      }
      if (i % 97 == 0) {
        std::string a = some_key(), b = some_key();
        if (b < a) std::swap(a, b);
        check(a, b);
        std::string c = "co/cus_01J" + std::to_string(rng() % 40) + "/";
        check(c, c.substr(0, c.size() - 1) + "0");  // one customer's keys
      }
    }
    check("co/", "co0");
    check("", "");
    // A callback that writes: keys ahead of the cursor are visited, in ascending order.
    std::vector<std::string> seen;
    ov.scan("co/", "co0", [&](std::string_view key, std::string_view) {
      seen.emplace_back(key);
      if (seen.size() == 10) ov.put(std::string(key) + "/during", "d");
      return true;
    });
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(seen.size(), model.size() + 1);
    ASSERT_GE(seen.size(), 11u);
    EXPECT_EQ(seen[10], seen[9] + "/during");
    ov.discard();
  }
}

TEST_F(OverlayTest, CompleteOverlayNeverReadsRocksDBAndBuildsSortedSstFiles) {
  // What RocksDB holds behind a complete overlay is, by contract, nothing; a key put there
  // directly shows that get() and scan() do not look.
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), "k/0", "behind").ok());
  overlay ov(db_.get(), cf());
  ov.set_complete(true);
  EXPECT_FALSE(ov.get("k/0"));
  for (int i : {4, 2, 8, 6}) ov.put(k(i), "v" + std::to_string(i));
  ov.del(k(8));  // never stored: no tombstone needed
  std::vector<std::string> seen;
  ov.scan("k/", "k0", [&](std::string_view key, std::string_view) {
    seen.emplace_back(key);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{k(2), k(4), k(6)}));

  auto sst = [&](const std::string& name, size_t* n) {
    rocksdb::SstFileWriter w{rocksdb::EnvOptions(), rocksdb::Options()};
    std::string path = (dir_.path() / name).string();
    EXPECT_TRUE(w.Open(path).ok());
    EXPECT_TRUE(ov.write_to(w, n).ok());  // out of order would fail here
    EXPECT_TRUE(w.Finish().ok());
    EXPECT_TRUE(db_->IngestExternalFile({path}, rocksdb::IngestExternalFileOptions()).ok());
  };
  size_t n = 0;
  sst("a.sst", &n);
  EXPECT_EQ(n, 3u);
  ov.committed(0);  // written out: no longer complete, reads go to RocksDB
  EXPECT_FALSE(ov.complete());
  EXPECT_EQ(ov.get("k/0").value_or(""), "behind");
  EXPECT_EQ(ov.get(k(6)).value_or(""), "v6");
  // Not complete: a delete must reach the store as a tombstone.
  ov.del(k(6));
  sst("b.sst", &n);
  EXPECT_EQ(n, 1u);
  std::string v;
  EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), k(6), &v).IsNotFound());
  EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), k(4), &v).ok());
}

// Writes under write-only prefixes skip the map: the last write of a key wins, they merge in
// key order with the map's writes (in a WriteBatch and in an SST file, where order and one
// entry per key are required), they are not cached after the commit, and reading them is an
// error that names the rule.
TEST_F(OverlayTest, WriteOnlyPrefixesKeepTheLastWriteMergedInKeyOrderAndRefuseReads) {
  overlay ov(db_.get(), cf(), {}, {"i/", "j/"});
  ov.put("j/2", "first");
  ov.put("k/1", "record");
  ov.put("i/9", "gone");
  ov.put("j/2", "second");  // the last write of j/2 wins
  ov.del("i/9");            // a delete after a put: the delete wins
  ov.put("i/1", "one");
  ov.put("a/1", "record");
  EXPECT_EQ(ov.dirty(), 7u);  // two map keys, five writes in the list
  EXPECT_FALSE(ov.error());
  rocksdb::WriteBatch wb;
  EXPECT_EQ(ov.write_to(wb), 5u);  // a/1, i/1, i/9 (delete), j/2, k/1
  struct order : rocksdb::WriteBatch::Handler {
    std::vector<std::string> ops;
    rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
      ops.push_back(k.ToString() + "=" + v.ToString());
      return rocksdb::Status::OK();
    }
    rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice& k) override {
      ops.push_back(k.ToString() + " deleted");
      return rocksdb::Status::OK();
    }
  } h;
  ASSERT_TRUE(wb.Iterate(&h).ok());
  EXPECT_EQ(h.ops, (std::vector<std::string>{"a/1=record", "i/1=one", "i/9 deleted", "j/2=second",
                                             "k/1=record"}));
  ASSERT_TRUE(db_->Write(rocksdb::WriteOptions(), &wb).ok());
  const size_t before = ov.bytes();
  ov.committed(1 << 20);
  EXPECT_LT(ov.bytes(), before);  // the list is gone; the map's entries stay cached
  EXPECT_EQ(ov.dirty(), 0u);

  // Reads under a write-only prefix are refused, scans that reach one too; others are fine.
  EXPECT_EQ(ov.get("k/1").value_or(""), "record");
  EXPECT_FALSE(ov.error());
  ov.scan("k/", "k0", [](std::string_view, std::string_view) { return true; });
  EXPECT_FALSE(ov.error());
  EXPECT_FALSE(ov.get("j/2"));
  ASSERT_TRUE(ov.error());
  EXPECT_NE(ov.error()->find("write-only"), std::string::npos) << *ov.error();
  ov.discard();
  ov.scan("a/", "z", [](std::string_view, std::string_view) { return true; });
  ASSERT_TRUE(ov.error());
  ov.discard();

  // In a bulk load's SST file: sorted, once per key, no tombstone while complete.
  overlay bulk(db_.get(), cf(), {}, {"i/"});
  bulk.set_complete(true);
  for (int i : {5, 3, 5, 1}) bulk.put("i/" + std::to_string(i), "v" + std::to_string(i));
  bulk.put("h/1", "record");
  bulk.del("i/3");
  rocksdb::SstFileWriter w{rocksdb::EnvOptions(), rocksdb::Options()};
  const std::string path = (dir_.path() / "bulk.sst").string();
  ASSERT_TRUE(w.Open(path).ok());
  size_t n = 0;
  ASSERT_TRUE(bulk.write_to(w, &n).ok());  // out of order or a repeated key fails here
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(n, 3u);  // h/1, i/1, i/5
}

// Keys that share long prefixes, differ only past 16 or 32 bytes, hold zero bytes, or are
// prefixes of one another: the commit writes them in RocksDB's byte order, once per key, the
// last write of each winning. A model (std::map) says what that is.
TEST_F(OverlayTest, CommitOrdersKeysThatShareLongPrefixesByteForByte) {
  std::mt19937 rng(7);
  const std::vector<std::string> stems = {
      "ts/0000000000000",           // 16 bytes: the digit boundary
      "ts/00000000000001",          // 17
      "co/cus_01jabcdefghjkmnpqrst/00000000017",  // past 32
      "w/",
      std::string("w/\0\0", 4),  // zero bytes, as key_head() pads
  };
  auto random_key = [&](std::string_view prefix) {
    std::string k(prefix);
    k += stems[rng() % stems.size()];
    const size_t tail = rng() % 20;  // 0: the stem itself
    for (size_t i = 0; i < tail; ++i) k.push_back("0\0az/"[rng() % 6]);
    return k;
  };
  for (int round = 0; round < 20; ++round) {
    overlay ov(db_.get(), cf(), {}, {"i/"});
    std::map<std::string, std::optional<std::string>> want;
    for (int n = 0; n < 2000; ++n) {
      const bool listed = rng() % 4 != 0;  // most writes under the write-only prefix
      std::string k = random_key(listed ? "i/" : "m/");
      if (rng() % 5 == 0) {
        ov.del(k);
        want[k] = std::nullopt;
      } else {
        std::string v = std::to_string(n);
        ov.put(k, v);
        want[k] = v;
      }
    }
    ASSERT_FALSE(ov.error());
    rocksdb::WriteBatch wb;
    EXPECT_EQ(ov.write_to(wb), want.size());
    struct collect : rocksdb::WriteBatch::Handler {
      std::vector<std::pair<std::string, std::optional<std::string>>> ops;
      rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
        ops.emplace_back(k.ToString(), v.ToString());
        return rocksdb::Status::OK();
      }
      rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice& k) override {
        ops.emplace_back(k.ToString(), std::nullopt);
        return rocksdb::Status::OK();
      }
    } h;
    ASSERT_TRUE(wb.Iterate(&h).ok());
    const std::vector<std::pair<std::string, std::optional<std::string>>> expected(want.begin(),
                                                                                   want.end());
    ASSERT_EQ(h.ops, expected) << "round " << round;
  }
}

TEST_F(OverlayTest, AscendingPrefixAnswersReadsBeyondItsGreatestKeyWithoutRocksDB) {
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), "o/0003", "three").ok());
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), "o/0005", "five").ok());
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), "p/0009", "product").ok());
  overlay ov(db_.get(), cf(), {}, {}, {"o/"});
  // At or below the greatest key RocksDB holds under o/: read from RocksDB.
  EXPECT_FALSE(ov.get("o/0004"));
  EXPECT_EQ(ov.get("o/0005"), "five");
  EXPECT_EQ(ov.store_reads(), 2u);
  // Beyond it (a new order's "folded already?" check): absent, no read.
  EXPECT_FALSE(ov.get("o/0009"));
  EXPECT_FALSE(ov.peek("o/0100"));
  EXPECT_EQ(ov.store_reads(), 2u);
  // Other prefixes read as usual.
  EXPECT_EQ(ov.get("p/0009"), "product");
  EXPECT_EQ(ov.store_reads(), 3u);
  // The overlay's own writes raise the bound: once evicted, they are read back from RocksDB.
  ov.put("o/0010", "ten");
  commit(ov, 0);
  EXPECT_EQ(ov.get("o/0010"), "ten");
  EXPECT_EQ(ov.store_reads(), 4u);
  // The bound is trusted (a generation has a single writer): a key put beyond it behind the
  // overlay's back is not looked for.
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), "o/0020", "behind").ok());
  EXPECT_FALSE(ov.get("o/0020"));
  EXPECT_EQ(ov.store_reads(), 4u);
}

TEST_F(OverlayTest, AscendingBoundCountsWritesMadeBeforeItWasFirstNeeded) {
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), "o/0003", "three").ok());
  overlay ov(db_.get(), cf(), {}, {}, {"o/"});
  // Written (not yet committed) before any read under o/ asked RocksDB for its last key.
  ov.put("o/0030", "thirty");
  EXPECT_FALSE(ov.get("o/0001"));  // the bound is learnt here: RocksDB's last key is o/0003
  commit(ov, 0);                   // o/0030 is now only in RocksDB
  EXPECT_EQ(ov.get("o/0030"), "thirty");
  EXPECT_FALSE(ov.get("o/0031"));
  EXPECT_EQ(ov.store_reads(), 2u);  // o/0001 and o/0030
}

}  // namespace
}  // namespace roms::projections::internal
