# Build for this host's SIMD level (AVX2) when it has it; simdjson's on-demand parser is
# otherwise compiled in its slow scalar fallback. Default: ON when /proc/cpuinfo lists avx2.
if(NOT DEFINED ROMS_HOST_SIMD)
  set(_avx2 OFF)
  if(EXISTS /proc/cpuinfo)
    file(STRINGS /proc/cpuinfo _flags REGEX "^flags.* pclmulqdq .* avx2 .*bmi2" LIMIT_COUNT 1)
    if(_flags)
      set(_avx2 ON)
    endif()
  endif()
  option(ROMS_HOST_SIMD "Compile for this host's AVX2 (x86-64-v3)" ${_avx2})
endif()

# The allocator of every ROMS executable. jemalloc (Debian's libjemalloc-dev): the folds
# allocate and free millions of small strings (overlay entries, records, keys), and with
# glibc's malloc a 1M-event rebuild spent ~14% of its CPU in malloc/free; with jemalloc it
# took ~17% less CPU in total (docs/benchmarks.md). "system" keeps glibc's; sanitizer builds
# always do.
set(ROMS_MALLOC "jemalloc" CACHE STRING "Allocator of the executables: jemalloc or system")
set_property(CACHE ROMS_MALLOC PROPERTY STRINGS jemalloc system)
if(ROMS_MALLOC STREQUAL "jemalloc" AND NOT ROMS_SANITIZE)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

# Shared compile settings for every ROMS target.
function(roms_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  if(ROMS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(ROMS_HOST_SIMD)
    # simdjson 3.0's on-demand parser picks its SIMD kernel at compile time.
    target_compile_options(${target} PRIVATE -march=x86-64-v3 -mpclmul)
  endif()
  if(ROMS_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "EXECUTABLE" AND TARGET PkgConfig::JEMALLOC)
    target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
  endif()
endfunction()

# roms_add_library(<folder> SOURCES ... DEPS ...) creates roms_<folder> with alias roms::<folder>.
function(roms_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(roms_${name} ${ARG_SOURCES})
  add_library(roms::${name} ALIAS roms_${name})
  target_include_directories(roms_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(roms_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  roms_target_options(roms_${name})
endfunction()

# roms_add_test(<name> SOURCES ... DEPS ...) registers a GoogleTest binary with ctest.
function(roms_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  roms_target_options(${name})
  include(GoogleTest)
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
