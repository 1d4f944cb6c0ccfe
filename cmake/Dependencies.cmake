# SPDX-License-Identifier: Apache-2.0
# All dependencies come from Debian packages (see scripts/install-deps).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMC REQUIRED IMPORTED_TARGET GLOBAL systemc>=2.3.4)
add_library(SystemC::systemc ALIAS PkgConfig::SYSTEMC)

# Debian's SystemC 2.3.4 is built as C++17; a mismatched standard fails to
# link with an undefined sc_api_version_* symbol. Catch that at configure time.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_LIBRARIES PkgConfig::SYSTEMC)
check_cxx_source_compiles([[
#include <systemc>
int sc_main(int, char**) { return 0; }
]] LLMVP_SYSTEMC_LINKS)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT LLMVP_SYSTEMC_LINKS)
  message(FATAL_ERROR "Cannot link a trivial sc_main against SystemC as C++${CMAKE_CXX_STANDARD}. "
                      "Debian's libsystemc-dev is built as C++17; build llmvp as C++17.")
endif()

find_package(Boost 1.81.0 EXACT REQUIRED CONFIG COMPONENTS program_options json)
find_package(yaml-cpp REQUIRED)
if(NOT TARGET yaml-cpp::yaml-cpp)
  add_library(yaml-cpp::yaml-cpp ALIAS yaml-cpp)
endif()
find_package(Threads REQUIRED)
