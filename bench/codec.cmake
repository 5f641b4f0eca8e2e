roms_add_bench(codec_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/codec_bench.cc DEPS roms::events benchmark::benchmark)
