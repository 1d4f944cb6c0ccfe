# SPDX-License-Identifier: Apache-2.0
# Fails if clang-format would change any C/C++ source of the project.
file(GLOB_RECURSE files RELATIVE ${SRC}
  ${SRC}/models/*.h ${SRC}/models/*.cpp ${SRC}/platform/*.h ${SRC}/platform/*.cpp
  ${SRC}/workload/*.h ${SRC}/workload/*.cpp ${SRC}/config/*.h ${SRC}/config/*.cpp ${SRC}/host/*.h ${SRC}/host/*.cpp
  ${SRC}/analysis/*.h ${SRC}/analysis/*.cpp ${SRC}/report/*.h ${SRC}/report/*.cpp
  ${SRC}/testbench/*.h ${SRC}/testbench/*.cpp ${SRC}/firmware/*.h ${SRC}/firmware/*.c
  ${SRC}/tests/*.h ${SRC}/tests/*.cpp)
set(bad "")
foreach(f ${files})
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror ${SRC}/${f} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    list(APPEND bad ${f})
  endif()
endforeach()
if(bad)
  string(REPLACE ";" "\n  " text "${bad}")
  message(FATAL_ERROR "clang-format would change (run clang-format -i on them):\n  ${text}")
endif()
