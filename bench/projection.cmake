# projection_bench: fold, rebuild and restore throughput of the read models over synthetic
# events (bench/projection_bench.sh runs it next to RocksDB's db_bench fillrandom).
roms_add_bench(projection_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/projection_bench.cc
  DEPS roms::consumers roms::tools_gen)
