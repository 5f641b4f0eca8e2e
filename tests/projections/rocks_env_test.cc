// The RocksDB options of the read models (projections/internal/rocks.cc): what a flush writes
// is stored uncompressed (L0 and the base level take every flush and most compaction), the
// levels below compressed.
#include "projections/internal/rocks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/table_properties.h>

#include "tests/testing/temp_dir.h"

namespace roms::projections::internal {
namespace {

bool lz4_supported() {
  auto s = rocksdb::GetSupportedCompressions();
  return std::find(s.begin(), s.end(), rocksdb::kLZ4Compression) != s.end();
}

TEST(RocksEnv, FlushesAreWrittenUncompressedAndDeeperLevelsCompressed) {
  if (!lz4_supported()) GTEST_SKIP() << "this RocksDB has no LZ4";
  rocks_env env = make_rocks_env(64ull << 20);
  const auto& per_level = env.cf.compression_per_level;
  ASSERT_GE(per_level.size(), 3u);
  EXPECT_EQ(per_level[0], rocksdb::kNoCompression);  // L0
  EXPECT_EQ(per_level[1], rocksdb::kNoCompression);  // the base level
  for (size_t i = 2; i < per_level.size(); ++i) EXPECT_EQ(per_level[i], rocksdb::kLZ4Compression);

  // A real flush: the L0 file says how it was written.
  testing::temp_dir dir;
  rocksdb::Options o(env.db, env.cf);
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(o, (dir.path() / "db").string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::string value(200, 'x');  // compressible: LZ4 would shrink it
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "o/" + std::to_string(i), value).ok());
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  rocksdb::TablePropertiesCollection props;
  ASSERT_TRUE(db->GetPropertiesOfAllTables(&props).ok());
  ASSERT_EQ(props.size(), 1u);
  for (const auto& [file, p] : props) EXPECT_EQ(p->compression_name, "NoCompression") << file;
  ASSERT_TRUE(db->Close().ok());
}

}  // namespace
}  // namespace roms::projections::internal
