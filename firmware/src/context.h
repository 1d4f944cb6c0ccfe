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
   * the chunk's rows (FW_PREFILL_BLOCK: the pieces in seg_* below;
   * FW_PREFILL_ROWS: the rows' state as for decode). */
  uint32_t prefill; /* 0, FW_PREFILL_BLOCK or FW_PREFILL_ROWS (plan.h fw_prefill_rowwise) */
  /* near-memory offload (manifest.pnm_units != 0; firmware/src/pnm.h) */
  fw_engine pnm[LLMVP_MAX_PNM];
  uint64_t pnm_ring_base;   /* engine p's ring at pnm_ring_base + p * pnm_ring_stride descriptors */
  uint32_t pnm_ring_stride; /* descriptors reserved per engine ring */
  uint32_t pnm_ring_len;    /* descriptors per engine chain (ring size) */
  fw_engine coll;           /* collectives engine 0 (tensor parallel only) */
  /* Serving (manifest serve_requests != 0; firmware/src/serve.h): row r of
   * the running step is request row_req[r], whose KV cache is slot
   * row_slot[r]. Zero otherwise: row r is request r in KV row r. */
  uint32_t serving;
  uint32_t row_req[LLMVP_MAX_BATCH];
  uint32_t row_slot[LLMVP_MAX_BATCH];
  /* FW_PREFILL_BLOCK pass: the chunk's rows are prefill_segs pieces of
   * requests, piece i seg_rows[i] consecutive positions from seg_start[i] in
   * KV row seg_kv[i]; seg_out[i] != 0: it ends that prompt (its last row's
   * argmax is wanted, in piece order at spad.tokens_out). */
  uint32_t prefill_segs;
  uint32_t seg_kv[LLMVP_MAX_BATCH];
  uint32_t seg_start[LLMVP_MAX_BATCH];
  uint32_t seg_rows[LLMVP_MAX_BATCH];
  uint32_t seg_out[LLMVP_MAX_BATCH];
} fw_ctx;

/** Position processed by request row r in decode step s. */
static inline uint32_t fw_position(const fw_ctx* c, uint32_t row, uint32_t step) { return c->cached_len[row] + step; }

#define FW_PREFILL_BLOCK 1u /* one ATTN_PREFILL over the chunk (contiguous cache) */
#define FW_PREFILL_ROWS 2u  /* decode-style rows at consecutive positions (paged cache, MLA) */

/** Request (token buffer row) of step row `row`. */
static inline uint32_t fw_row_request(const fw_ctx* c, uint32_t row) { return c->serving ? c->row_req[row] : row; }
/** KV-cache row (contiguous: k_cache + it * kv_request_stride; paged: block table row) of step row `row`. */
static inline uint32_t fw_kv_row(const fw_ctx* c, uint32_t row) { return c->serving ? c->row_slot[row] : row; }

/** Address of tokens[request * token_stride + pos] of step row `row`. */
static inline uint64_t fw_token_addr(const fw_ctx* c, uint32_t row, uint32_t pos) {
  return c->m.tokens + ((uint64_t)fw_row_request(c, row) * c->m.token_stride + pos) * 4u;
}

#ifdef __cplusplus
}
#endif
