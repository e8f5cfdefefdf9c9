# Runs a libFuzzer binary for SECONDS on a working copy of the seed corpus; used by the
# *_fuzz_smoke tests and scripts/fuzz.sh.
#
#   cmake -DFUZZER=path -DWORK_DIR=dir -DSEED_DIR=dir [-DJMX_CORPUS_DIR=dir]
#         [-DREGRESSION_DIR=dir] [-DDICT=file] [-DSECONDS=60] [-DFRESH=ON] -P run_fuzzer.cmake
#
# WORK_DIR/corpus receives every file of SEED_DIR and the *.jmx of JMX_CORPUS_DIR (FRESH=ON
# empties it first; otherwise what earlier runs found is kept). The inputs in REGRESSION_DIR
# are replayed first. A crash, sanitizer report, leak, timeout (> 10 s for one input) or
# out-of-memory makes the script fail; the input is then in WORK_DIR/artifacts/.
foreach(required FUZZER WORK_DIR SEED_DIR)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${required}=... is required")
  endif()
endforeach()
if(NOT DEFINED SECONDS)
  set(SECONDS 60)
endif()

set(corpus ${WORK_DIR}/corpus)
set(artifacts ${WORK_DIR}/artifacts)
if(FRESH)
  file(REMOVE_RECURSE ${corpus})
endif()
file(MAKE_DIRECTORY ${corpus} ${artifacts})

if(NOT IS_DIRECTORY ${SEED_DIR})
  message(FATAL_ERROR "run_fuzzer.cmake: no seed directory ${SEED_DIR}")
endif()
file(GLOB seeds LIST_DIRECTORIES false ${SEED_DIR}/*)
if(DEFINED JMX_CORPUS_DIR)
  if(IS_DIRECTORY ${JMX_CORPUS_DIR})
    file(GLOB jmx LIST_DIRECTORIES false ${JMX_CORPUS_DIR}/*.jmx)
    list(APPEND seeds ${jmx})
  else()
    message(STATUS "no shared corpus at ${JMX_CORPUS_DIR}; fuzzing from ${SEED_DIR} only")
  endif()
endif()
if(seeds)
  file(COPY ${seeds} DESTINATION ${corpus})
endif()

# UBSan reports carry a stack trace; any non-zero exit of the fuzzer is a finding.
set(env ${CMAKE_COMMAND} -E env UBSAN_OPTIONS=print_stacktrace=1)

if(DEFINED REGRESSION_DIR)
  file(GLOB regressions LIST_DIRECTORIES false ${REGRESSION_DIR}/*)
  list(FILTER regressions EXCLUDE REGEX "/README[^/]*$")
  set(failing "")
  foreach(input ${regressions})
    execute_process(COMMAND ${env} ${FUZZER} -timeout=10 -rss_limit_mb=2048 ${input}
                    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE output)
    if(rc EQUAL 0)
      message(STATUS "regression passes: ${input}")
    else()
      # The sanitizer's summary lines, not its whole stack trace.
      string(REGEX MATCHALL "[^\n]*(ERROR|SUMMARY|what\\(\\)|contract violated)[^\n]*" summary "${output}")
      list(JOIN summary "\n    " summary_text)
      message(STATUS "regression FAILS (exit ${rc}): ${input}\n    ${summary_text}")
      list(APPEND failing ${input})
    endif()
  endforeach()
  if(failing)
    list(JOIN failing "\n  " failing_text)
    message(FATAL_ERROR "regression inputs fail:\n  ${failing_text}")
  endif()
endif()

set(command ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix=${artifacts}/)
if(DEFINED DICT)
  list(APPEND command -dict=${DICT})
endif()
list(APPEND command ${corpus})
list(JOIN command " " printable)
message(STATUS "running: UBSAN_OPTIONS=print_stacktrace=1 ${printable}")
execute_process(COMMAND ${env} ${command} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the fuzzer found a problem (exit ${rc}); the input is in ${artifacts}/ "
                      "(its name is in the output above); reproduce with: ${FUZZER} INPUT")
endif()
