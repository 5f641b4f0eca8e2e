# The CS inbox: inbound webhook → conversation.assigned on the agent's live stream, open loop
# at a fixed rate (docs/benchmarks.md, "CS inbox"). Uses the API test stack (tests/http).
if(TARGET roms_testing)
  roms_add_bench(inbox_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/inbox_bench.cc
    DEPS roms::http_api roms_testing Threads::Threads)
endif()
