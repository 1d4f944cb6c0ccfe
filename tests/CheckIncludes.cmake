# SPDX-License-Identifier: Apache-2.0
# The layering rules (docs/architecture.md "Layers"), checked on the sources
# themselves. The build already refuses an include a library's floor does not
# see (cmake/Floors.cmake); this check also covers headers no library
# compiles, relative includes that climb out of a folder, and the firmware's
# freestanding C library.
#
#   cmake -DSRC=<source root> -P CheckIncludes.cmake
#
# Rules:
#   - a file under a floor's folder includes only project headers its floor
#     sees (LLMVP_SEES_* in cmake/Floors.cmake);
#   - firmware includes only its own headers and <stdint.h>, <stddef.h>,
#     <string.h> (DESIGN.md "Firmware boundary");
#   - tests may include any floor, but of firmware/src only the entry header,
#     except the firmware's own unit tests (tests/firmware);
#   - no #include with "..";
#   - the host's placement (host/ChipLayout.h, host/RunOptions.h, host/Placer.h)
#     and what it is computed from (platform/ChipParams.h, config/Loaders.h,
#     workload/*.h) reach, through every project header they include, neither
#     SystemC/TLM nor platform/Chip.h: they run without a chip.
include(${SRC}/cmake/Floors.cmake)

set(floors firmware models platform workload config host analysis report testbench)
set(freestanding stdint.h stddef.h string.h)
set(violations)

# Does project path `inc` lie inside one of `sees` (folders or single files)?
function(llmvp_visible inc sees out)
  set(ok OFF)
  foreach(p ${sees})
    string(FIND "${inc}/" "${p}/" at)
    if(at EQUAL 0 OR inc STREQUAL p)
      set(ok ON)
    endif()
  endforeach()
  set(${out} ${ok} PARENT_SCOPE)
endfunction()

# Checks every #include of `file` (relative to SRC); appends to `violations`.
function(llmvp_check_file file sees c_only)
  file(STRINGS ${SRC}/${file} lines REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${lines})
    if(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
      set(inc ${CMAKE_MATCH_1})
      if(inc MATCHES "\\.\\.")
        list(APPEND violations "${file}: \"${inc}\" climbs out with ..")
        continue()
      endif()
      # a bare name is a header beside the file
      if(NOT inc MATCHES "/")
        get_filename_component(dir ${file} DIRECTORY)
        set(inc ${dir}/${inc})
      endif()
      if(NOT EXISTS ${SRC}/${inc})
        continue() # generated (report/Version.h) or a system header in quotes
      endif()
      llmvp_visible(${inc} "${sees}" ok)
      if(NOT ok)
        list(APPEND violations "${file}: includes \"${inc}\", which its floor does not see")
      endif()
    elseif(c_only AND line MATCHES "#[ \t]*include[ \t]*<([^>]+)>")
      list(FIND freestanding ${CMAKE_MATCH_1} at)
      if(at LESS 0)
        list(APPEND violations "${file}: includes <${CMAKE_MATCH_1}>, not a freestanding C header the firmware may use")
      endif()
    endif()
  endforeach()
  set(violations ${violations} PARENT_SCOPE)
endfunction()

foreach(floor ${floors})
  string(TOUPPER ${floor} up)
  set(sees ${LLMVP_SEES_${up}})
  set(c_only OFF)
  if(floor STREQUAL "firmware")
    set(c_only ON)
  endif()
  file(GLOB_RECURSE files RELATIVE ${SRC} ${SRC}/${floor}/*.h ${SRC}/${floor}/*.c ${SRC}/${floor}/*.cpp)
  foreach(f ${files})
    llmvp_check_file(${f} "${sees}" ${c_only})
  endforeach()
endforeach()

# Tests see every floor but the firmware's private sources.
set(test_sees ${floors} tests firmware/include firmware/src/fw_main.h)
list(REMOVE_ITEM test_sees firmware)
file(GLOB_RECURSE files RELATIVE ${SRC} ${SRC}/tests/*.h ${SRC}/tests/*.cpp)
foreach(f ${files})
  if(f MATCHES "^tests/firmware/")
    llmvp_check_file(${f} "${test_sees};firmware" OFF)
  else()
    llmvp_check_file(${f} "${test_sees}" OFF)
  endif()
endforeach()

# The host's placement and the configuration it is computed from run without
# SystemC: no header these reach, following project includes, includes
# SystemC or TLM (nor platform/Chip.h, the built chip). The message lists the
# include chain from the header checked.
file(GLOB workload_headers RELATIVE ${SRC} ${SRC}/workload/*.h)
set(sysfree_roots host/ChipLayout.h host/RunOptions.h host/Placer.h platform/ChipParams.h config/Loaders.h
                  ${workload_headers})
set(queue ${sysfree_roots})
set(seen ${sysfree_roots})
while(queue)
  list(POP_FRONT queue f)
  string(MAKE_C_IDENTIFIER "${f}" id)
  file(STRINGS ${SRC}/${f} lines REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${lines})
    set(bad "")
    if(line MATCHES "#[ \t]*include[ \t]*<(systemc|tlm|tlm_utils/[^>]*|sysc/[^>]*)>")
      set(bad "<${CMAKE_MATCH_1}>")
    elseif(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
      set(inc ${CMAKE_MATCH_1})
      if(NOT inc MATCHES "/")
        get_filename_component(dir ${f} DIRECTORY)
        set(inc ${dir}/${inc})
      endif()
      if(inc STREQUAL "platform/Chip.h")
        set(bad "\"${inc}\"")
      elseif(EXISTS ${SRC}/${inc})
        list(FIND seen ${inc} known)
        if(known GREATER -1)
          continue()
        endif()
        list(APPEND seen ${inc})
        list(APPEND queue ${inc})
        string(MAKE_C_IDENTIFIER "${inc}" inc_id)
        set(from_${inc_id} ${f})
      endif()
    endif()
    if(bad)
      set(chain ${f})
      set(at ${id})
      while(DEFINED from_${at})
        set(chain "${from_${at}} -> ${chain}")
        string(MAKE_C_IDENTIFIER "${from_${at}}" at)
      endwhile()
      list(APPEND violations "${chain} includes ${bad}: the host's placement and its configuration run without SystemC")
    endif()
  endforeach()
endwhile()

list(LENGTH violations n)
if(n GREATER 0)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "${n} include rule violation(s):\n  ${text}")
endif()
message(STATUS "include rules: every floor includes only what it may")
