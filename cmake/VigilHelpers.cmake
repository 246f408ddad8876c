# One-line helpers for the targets of a component (see docs/architecture.md).
#
#   vigil_add_library(NAME SRCS a.cc b.cc DEPS other_lib ...)   -> static library vigil_NAME
#   vigil_add_test(NAME SRCS x_test.cc DEPS lib ... [LABELS slow])  -> gtest executable NAME
#   vigil_add_subdirs(a b c)   -> add_subdirectory for each listed folder that exists
#
# A library links only the components below it (layers in docs/architecture.md).

function(vigil_add_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(vigil_${name} STATIC ${ARG_SRCS})
  target_include_directories(vigil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  set(deps)
  foreach(d ${ARG_DEPS})
    if(TARGET vigil_${d})
      list(APPEND deps vigil_${d})
    else()
      list(APPEND deps ${d})
    endif()
  endforeach()
  target_link_libraries(vigil_${name} PUBLIC ${deps})
endfunction()

function(vigil_add_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  set(deps)
  foreach(d ${ARG_DEPS})
    if(TARGET vigil_${d})
      list(APPEND deps vigil_${d})
    else()
      list(APPEND deps ${d})
    endif()
  endforeach()
  target_link_libraries(${name} PRIVATE ${deps} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${labels}" ENVIRONMENT "VIGIL_BIN=${CMAKE_BINARY_DIR}/bin/vigil;VIGIL_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()

macro(vigil_add_subdirs)
  foreach(sub ${ARGN})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${sub}/CMakeLists.txt)
      add_subdirectory(${sub})
    endif()
  endforeach()
endmacro()

# libFuzzer target (only with -DVIGIL_FUZZ=ON and clang). Without it, the fuzzer's
# entry point is linked into a small driver that replays the seed corpus, so every
# fuzzer is at least built and run on its seeds by the normal test run.
function(vigil_add_fuzzer name)
  cmake_parse_arguments(ARG "" "CORPUS" "SRCS;DEPS" ${ARGN})
  set(deps)
  foreach(d ${ARG_DEPS})
    if(TARGET vigil_${d})
      list(APPEND deps vigil_${d})
    else()
      list(APPEND deps ${d})
    endif()
  endforeach()
  if(VIGIL_FUZZ)
    add_executable(${name} ${ARG_SRCS})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    # A time-boxed libFuzzer run per target (label fuzzrun; scripts/fuzz runs them). New
    # inputs go to a scratch dir, never into the committed seed corpus.
    set_property(GLOBAL APPEND PROPERTY VIGIL_FUZZERS ${name})
    add_test(NAME fuzz.${name}
             COMMAND ${PROJECT_SOURCE_DIR}/fuzz/run-one $<TARGET_FILE:${name}>
                     ${PROJECT_SOURCE_DIR}/${ARG_CORPUS})
    set_tests_properties(fuzz.${name} PROPERTIES LABELS "fuzzrun" TIMEOUT 600)
  else()
    add_executable(${name} ${ARG_SRCS} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
    if(ARG_CORPUS)
      add_test(NAME ${name}_seeds COMMAND ${name} ${PROJECT_SOURCE_DIR}/${ARG_CORPUS})
      set_tests_properties(${name}_seeds PROPERTIES LABELS "unit;fuzz")
    endif()
  endif()
  target_link_libraries(${name} PRIVATE ${deps})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endfunction()
