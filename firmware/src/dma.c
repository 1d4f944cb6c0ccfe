/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/dma.h"

#include "firmware/src/fw_util.h"

llmvp_desc dma_copy(uint64_t dst, uint64_t src, uint32_t elems, uint8_t dt_src, uint8_t dt_dst) {
  llmvp_desc d = fw_desc(LLMVP_OP_COPY, dt_src, LLMVP_DT_FP32, dt_dst);
  d.src0 = src;
  d.dst = dst;
  d.n = elems;
  return d;
}
