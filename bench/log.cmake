# The embedded log: durable append throughput (1/16/256 writers), read throughput, tail
# latency, against an fsync-loop reference on the same disk. See bench/log_bench.cc.
roms_add_bench(log_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/log_bench.cc DEPS roms::events Threads::Threads)
