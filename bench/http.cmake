# The HTTP transport's bench server (GET /ping); bench/http_bench.sh drives it with wrk.
roms_add_bench(http_echo SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/http_echo.cc DEPS roms::http)
