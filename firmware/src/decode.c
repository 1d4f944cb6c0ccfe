/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/decode.h"

#include "firmware/include/hal.h"
#include "firmware/include/regs.h"
#include "firmware/src/chains.h"
#include "firmware/src/fw_util.h"
#include "firmware/src/mailbox.h"
#include "firmware/src/pnm.h"
#include "firmware/src/prefetch.h"
#include "firmware/src/step.h"
#include "firmware/src/trace.h"

static int run_step(fw_ctx* c, uint32_t step, fw_fault* f) {
  fw_trace_mark(step, TRACE_PH_PATCH);
  fw_step_write_inputs(c, step);
  const int pnm = c->m.pnm_units != 0u;
  if (step > 0 && pnm) {
    fw_pnm_patch(c, step);
  } else if (step > 0) {
    fw_load_kv_blocks(c, step);
    fw_patch_chains(c, step);
  } /* the build wrote step 0 */
  if (pnm) {
    fw_pnm_post(c);
  } else {
    /* The prefetch DMA starts first: the tile's first layer waits for it. */
    if (fw_prefetching(&c->m)) engine_post(&c->pf, c->rings.pf_len);
    engine_post(&c->dma, c->rings.dma_len);
    engine_post(&c->tile, c->rings.tile_len);
    if (fw_uses_coll(&c->m)) engine_post(&c->coll, c->rings.coll_len);
  }
  fw_trace_mark(step, TRACE_PH_WAIT);
  if (fw_step_wait(c, f) != 0) return -1;
  fw_trace_mark(step, TRACE_PH_COLLECT);
  fw_step_collect(c, step);
  mbox_set_step(step + 1u);
  return 0;
}

/** Block prefill of every request, packed: each pass fills up to a chunk of
 *  rows with the next prompt positions of the requests in order, so short
 *  prompts share a pass (and its weight stream). Requests finish in order. */
static int run_prefill_packed(fw_ctx* c, fw_fault* f) {
  const uint32_t batch = c->m.batch, chunk = c->m.prefill_chunk;
  uint32_t next = 0; /* first request with prompt positions left (cached_len = progress) */
  while (next < batch) {
    uint32_t rows = 0;
    c->prefill_segs = 0u;
    fw_trace_mark(0, TRACE_PH_PATCH);
    for (uint32_t r = next; r < batch && rows < chunk; ++r) {
      const uint32_t left = c->prompt_len[r] - c->cached_len[r];
      const uint32_t take = left < chunk - rows ? left : chunk - rows;
      const uint32_t i = c->prefill_segs++;
      c->seg_kv[i] = r;
      c->seg_start[i] = c->cached_len[r];
      c->seg_rows[i] = take;
      c->seg_out[i] = take == left;
      fw_step_write_prefill_inputs(c, fw_token_addr(c, r, 0), c->cached_len[r], take, rows);
      rows += take;
    }
    if (fw_step_prefill_block(c, rows, f) != 0) return -1;
    fw_trace_mark(0, TRACE_PH_COLLECT);
    uint32_t out = 0;
    for (uint32_t i = 0; i < c->prefill_segs; ++i) {
      const uint32_t r = c->seg_kv[i];
      c->cached_len[r] += c->seg_rows[i];
      if (c->seg_out[i] == 0u) continue;
      c->token[r] = hal_read32(c->spad.tokens_out + (uint64_t)out++ * 4u);
      hal_write32(fw_token_addr(c, r, c->prompt_len[r]), c->token[r]);
      mbox_set_prefilled(r + 1u);
      next = r + 1u;
    }
  }
  return 0;
}

/** Prefill of every request (manifest.h "prefill"), then the decode chains
 *  for the positions after the prompts. */
static int run_prefill(fw_ctx* c, fw_fault* f) {
  const uint32_t batch = c->m.batch, chunk = fw_prefill_rows(&c->m);
  const fw_ring_plan* rp = &c->rings;
  if (!fw_prefill_rowwise(&c->m)) {
    if (run_prefill_packed(c, f) != 0) return -1;
    fw_step_switch_rings(c, rp->tile_base, rp->tile_len, rp->dma_base, rp->dma_len);
    fw_load_kv_blocks(c, 0);
    fw_build_chains(c);
    return 0;
  }
  for (uint32_t r = 0; r < batch; ++r) {
    for (uint32_t start = c->cached_len[r]; start < c->prompt_len[r]; start += chunk) {
      const uint32_t rows = c->prompt_len[r] - start < chunk ? c->prompt_len[r] - start : chunk;
      if (fw_step_prefill_rows(c, r, r, c->prompt_len[r], start, rows, f) != 0) return -1;
    }
    fw_trace_mark(0, TRACE_PH_COLLECT);
    c->token[r] = hal_read32(c->spad.tokens_out);
    hal_write32(fw_token_addr(c, r, c->prompt_len[r]), c->token[r]);
    c->cached_len[r] = c->prompt_len[r]; /* decode continues after the prompt */
    mbox_set_prefilled(r + 1u);
  }
  if (c->m.pnm_units != 0u) { /* pnm.c: the decode chains in the same rings */
    fw_pnm_rebuild(c);
    return 0;
  }
  fw_step_switch_rings(c, rp->tile_base, rp->tile_len, rp->dma_base, rp->dma_len);
  fw_load_kv_blocks(c, 0);
  fw_build_chains(c);
  return 0;
}

int fw_decode(fw_ctx* c, fw_fault* f) {
  if (c->m.prefill_chunk != 0u && run_prefill(c, f) != 0) return -1;
  for (uint32_t s = 0; s < c->m.steps; ++s) {
    if (run_step(c, s, f) != 0) return -1;
  }
  return 0;
}
