/* SPDX-License-Identifier: Apache-2.0 */
/*
 * All firmware state of one run. Lives on fw_main's stack (the firmware has
 * no mutable globals) and is passed by pointer.
 */
#pragma once
#include <stdint.h>

#include "firmware/include/manifest.h"
#include "firmware/include/memmap.h"
#include "firmware/src/engine.h"
#include "firmware/src/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fw_ctx {
  llmvp_manifest m;                     /* validated copy of the host's manifest */
  uint32_t prompt_len[LLMVP_MAX_BATCH]; /* requests[r].prompt_len */
  uint32_t cached_len[LLMVP_MAX_BATCH]; /* requests[r].cached_len */
  uint32_t token[LLMVP_MAX_BATCH];      /* row r: input token of the running step, then its argmax */
  uint32_t kv_block[LLMVP_MAX_BATCH];   /* paged KV: block of row r's position in the running step */
  fw_spad_plan spad;
  fw_ring_plan rings;
  fw_engine dma;  /* DMA engine 0: KV-cache writes */
  fw_engine tile; /* compute tile 0: the transformer */
  fw_engine pf;   /* DMA engine m.prefetch_dma: HBF weight prefetch (prefetch.h), when m.prefetch_depth != 0 */
  /* Prefill chain being built (manifest prefill_chunk != 0): m.batch is then
   * the chunk's rows, all of request prefill_req at positions prefill_start.. */
  uint32_t prefill;
  uint32_t prefill_req;
  uint32_t prefill_start;
  /* near-memory offload (manifest.pnm_units != 0; firmware/src/pnm.h) */
  fw_engine pnm[LLMVP_MAX_PNM];
  uint64_t pnm_ring_base;   /* engine p's ring at pnm_ring_base + p * pnm_ring_stride descriptors */
  uint32_t pnm_ring_stride; /* descriptors reserved per engine ring */
  uint32_t pnm_ring_len;    /* descriptors per engine chain (ring size) */
  fw_engine coll;           /* collectives engine 0 (tensor parallel only) */
} fw_ctx;

/** Position processed by request row r in decode step s. */
static inline uint32_t fw_position(const fw_ctx* c, uint32_t row, uint32_t step) { return c->cached_len[row] + step; }

/** Address of tokens[row * token_stride + pos]. */
static inline uint64_t fw_token_addr(const fw_ctx* c, uint32_t row, uint32_t pos) {
  return c->m.tokens + ((uint64_t)row * c->m.token_stride + pos) * 4u;
}

#ifdef __cplusplus
}
#endif
