# SPDX-License-Identifier: Apache-2.0
# The layering, enforced by the compiler: a library's include path is a
# folder of links to exactly the source folders its floor may include
# (docs/architecture.md "Layers"). An #include of a higher floor, or of the
# firmware's private sources, does not resolve and fails the build.
#
# llmvp_floor(<target> SEES <path>...)
#   <path> is a folder or a single file relative to the source root, e.g.
#   `models`, `firmware/include` or `firmware/src/fw_main.h`.
function(llmvp_floor target)
  cmake_parse_arguments(F "" "" "SEES" ${ARGN})
  set(root ${PROJECT_BINARY_DIR}/floors/${target})
  file(REMOVE_RECURSE ${root})
  set(linked)
  foreach(path ${F_SEES})
    # a path inside a folder already linked is visible through that link
    set(covered OFF)
    foreach(done ${linked})
      string(FIND "${path}/" "${done}/" at)
      if(at EQUAL 0)
        set(covered ON)
      endif()
    endforeach()
    if(covered)
      continue()
    endif()
    list(APPEND linked ${path})
    if(NOT EXISTS ${PROJECT_SOURCE_DIR}/${path})
      message(FATAL_ERROR "llmvp_floor(${target}): ${path} does not exist")
    endif()
    get_filename_component(parent ${root}/${path} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${path} ${root}/${path} SYMBOLIC)
  endforeach()
  target_include_directories(${target} PUBLIC ${root})
endfunction()

# What each floor may include, from the bottom up. A floor sees the floors
# below it; only the firmware sees firmware/src, except the one entry header
# the simulation uses to start the control CPU.
set(LLMVP_SEES_FIRMWARE firmware)
set(LLMVP_SEES_MODELS models firmware/include)
set(LLMVP_SEES_PLATFORM platform ${LLMVP_SEES_MODELS})
set(LLMVP_SEES_WORKLOAD workload ${LLMVP_SEES_MODELS})
set(LLMVP_SEES_CONFIG config ${LLMVP_SEES_WORKLOAD} platform)
set(LLMVP_SEES_HOST host ${LLMVP_SEES_CONFIG})
set(LLMVP_SEES_ANALYSIS analysis ${LLMVP_SEES_HOST})
set(LLMVP_SEES_REPORT report ${LLMVP_SEES_ANALYSIS})
set(LLMVP_SEES_TESTBENCH testbench ${LLMVP_SEES_REPORT} firmware/src/fw_main.h)
