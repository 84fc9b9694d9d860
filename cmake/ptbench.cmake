# One helper per kind of target, so that adding a test or a benchmark is one line.

add_library(ptbench_options INTERFACE)
target_compile_options(ptbench_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
if(PTBENCH_WERROR)
  target_compile_options(ptbench_options INTERFACE -Werror)
endif()
if(PTBENCH_SANITIZE)
  target_compile_options(ptbench_options INTERFACE -fsanitize=${PTBENCH_SANITIZE} -fno-omit-frame-pointer
                                                   -fno-sanitize-recover=all)
  target_link_options(ptbench_options INTERFACE -fsanitize=${PTBENCH_SANITIZE})
endif()
set(ptbench_build_type "${CMAKE_BUILD_TYPE}")
if(PTBENCH_SANITIZE)
  string(APPEND ptbench_build_type "+sanitize=${PTBENCH_SANITIZE}")
endif()
target_compile_definitions(ptbench_options INTERFACE PTBENCH_BUILD_TYPE="${ptbench_build_type}")

# ptbench_add_test(name SOURCES... [LIBS ...] [RESOURCE_LOCK lock]): a GoogleTest binary
# registered with ctest, one ctest test per test case; with PTBENCH_TEST_SHARDS=N, N ctest tests
# (GoogleTest's shards), each running its share of the cases in one process. Under a sanitizer a
# process start is what a short test costs: 759 ThreadSanitizer tests took 146 s one per process,
# and their programs run whole in 40 s (2026-12-03, 2-vCPU host).
set(PTBENCH_TEST_SHARDS 0 CACHE STRING
    "Run each GoogleTest program as this many ctest tests (shards) instead of one per test case")
function(ptbench_add_test name)
  if(NOT PTBENCH_ENABLE_TESTS)
    return()
  endif()
  cmake_parse_arguments(arg "" "RESOURCE_LOCK" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBS} ptbench_options GTest::gtest GTest::gtest_main
                                        Threads::Threads)
  set(props TIMEOUT 300)
  if(arg_RESOURCE_LOCK)
    # Tests that inspect a host-wide namespace (SysV keys) must not overlap each other.
    list(APPEND props RESOURCE_LOCK ${arg_RESOURCE_LOCK})
  endif()
  if(PTBENCH_TEST_SHARDS GREATER 0)
    ptbench_add_test_shards(${name} ${PTBENCH_TEST_SHARDS} ${props})
    return()
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${props}
                       WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()

# ptbench_add_test_shards(name count PROPERTIES...): name.shard1 .. name.shard<count>.
function(ptbench_add_test_shards name count)
  math(EXPR last "${count} - 1")
  foreach(index RANGE ${last})
    math(EXPR number "${index} + 1")
    add_test(NAME ${name}.shard${number} COMMAND ${name}
             WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    set_tests_properties(${name}.shard${number} PROPERTIES ${ARGN} ENVIRONMENT
                         "GTEST_TOTAL_SHARDS=${count};GTEST_SHARD_INDEX=${index}")
  endforeach()
endfunction()

# ptbench_add_bench(name [VALIDATION] SOURCES... [LIBS ...]): a Google Benchmark program that is
# also a ctest smoke test: every benchmark of the smoke profile runs once at a tiny min time.
# VALIDATION programs test the harness itself (BM_Calibrated) and stay out of the quick and full
# profiles; the ci profile runs them.
function(ptbench_add_bench name)
  cmake_parse_arguments(arg "VALIDATION" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ptbench_bench_main ${arg_LIBS} ptbench_options)
  if(arg_VALIDATION)
    set_property(GLOBAL APPEND PROPERTY PTBENCH_VALIDATION_PROGRAMS ${name})
  else()
    set_property(GLOBAL APPEND PROPERTY PTBENCH_BENCH_PROGRAMS ${name})
  endif()
  if(PTBENCH_ENABLE_TESTS)
    add_test(NAME ${name}.smoke
             COMMAND ${name} --ptbench_profile=smoke --benchmark_min_time=0.0001
                     --benchmark_repetitions=1)
    # The IPC programs make SysV queues: keep them apart from the tests that audit that namespace.
    set_tests_properties(${name}.smoke PROPERTIES TIMEOUT 300 LABELS smoke RESOURCE_LOCK sysv_ipc
                         FAIL_REGULAR_EXPRESSION "ERROR OCCURRED")
  endif()
endfunction()

include(GoogleTest)

# ptbench_git_sha(VAR): the short revision of the source tree, with "-dirty" when tracked files
# differ from it, or "unknown" outside a git checkout. Read at configure time; the configure step
# reruns when HEAD, the branch or the index moves, so a commit updates it. VAR_ORDINAL: the
# commit's first-parent ordinal (the count of commits on the first-parent line), or "unknown".
function(ptbench_git_sha var)
  set(sha unknown)
  set(ordinal unknown)
  find_package(Git QUIET)
  if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE out
                    OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0 AND out)
      set(sha ${out})
      execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
                      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE status ERROR_QUIET)
      if(status)
        string(APPEND sha -dirty)
      endif()
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-list --count --first-parent HEAD
                      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE count
                      OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE count_rc ERROR_QUIET)
      if(count_rc EQUAL 0 AND count)
        set(ordinal ${count})
      endif()
    endif()
    foreach(f HEAD index)
      if(EXISTS ${PROJECT_SOURCE_DIR}/.git/${f})
        set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                     ${PROJECT_SOURCE_DIR}/.git/${f})
      endif()
    endforeach()
  endif()
  set(${var} ${sha} PARENT_SCOPE)
  set(${var}_ORDINAL ${ordinal} PARENT_SCOPE)  # the commit's first-parent ordinal
endfunction()
