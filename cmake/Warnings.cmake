# SPDX-License-Identifier: Apache-2.0
add_library(llmvp_warnings INTERFACE)
add_library(llmvp::warnings ALIAS llmvp_warnings)
target_compile_options(llmvp_warnings INTERFACE -Wall -Wextra -Wshadow=local -Wno-unused-parameter
                       $<$<BOOL:${LLMVP_WERROR}>:-Werror>)

add_library(llmvp_sanitize INTERFACE)
add_library(llmvp::sanitize ALIAS llmvp_sanitize)
if(LLMVP_SANITIZE)
  target_compile_options(llmvp_sanitize INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=undefined)
  target_link_options(llmvp_sanitize INTERFACE -fsanitize=address,undefined)
endif()
