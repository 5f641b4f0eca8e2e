// The fold batch's overlay (projections/internal/overlay.h): its cache keeps the most recently
// used entries within its byte limit, and scans merge the batch's writes in key order.
#include "projections/internal/overlay.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>

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

}  // namespace
}  // namespace roms::projections::internal
