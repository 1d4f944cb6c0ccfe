/* SPDX-License-Identifier: Apache-2.0 */
/* DMA-engine descriptor builders (descriptors.h). */
#pragma once
#include <stdint.h>

#include "firmware/include/descriptors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** COPY: dst[i] = convert(src[i]) for i < elems, dt_src -> dt_dst. */
llmvp_desc dma_copy(uint64_t dst, uint64_t src, uint32_t elems, uint8_t dt_src, uint8_t dt_dst);

#ifdef __cplusplus
}
#endif
