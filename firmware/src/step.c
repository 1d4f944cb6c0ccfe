/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/step.h"

#include <string.h>

#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"
#include "firmware/src/chains.h"
#include "firmware/src/fw_util.h"
#include "firmware/src/mailbox.h"
#include "firmware/src/plan.h"
#include "firmware/src/pnm.h"
#include "firmware/src/prefetch.h"
#include "firmware/src/trace.h"
#include "firmware/src/validate.h"

/* tokens_in [B] u32, padding to 64 bytes, positions [B] u32: one burst. */
#define STEP_INPUT_WORDS (2u * LLMVP_MAX_BATCH + FW_SPAD_ALIGN / 4u)

static void reset_semaphore(uint32_t sem) { hal_write32(LLMVP_SEM_BASE + SEM_SET(sem), 0u); }

/** Engines reset, rings programmed and filled, IRQs enabled, engines enabled. */
static void setup_engines(fw_ctx* c) {
  engine_init(&c->dma, LLMVP_DMA_BASE(0), LLMVP_IRQ_DMA(0));
  engine_init(&c->tile, LLMVP_TILE_BASE(0), LLMVP_IRQ_TILE(0));
  engine_reset(&c->dma);
  engine_reset(&c->tile);
  reset_semaphore(FW_SEM_KV_READY);
  reset_semaphore(FW_SEM_KV_DONE);
  if (c->m.pnm_units != 0u) { /* near-memory offload: firmware/src/pnm.h (builds, then configures) */
    fw_pnm_setup(c);
    engine_enable(&c->dma);
    engine_enable(&c->tile);
    return;
  }
  engine_configure(&c->dma, c->rings.dma_base, c->rings.dma_len);
  engine_configure(&c->tile, c->rings.tile_base, c->rings.tile_len);
  uint32_t irqs = engine_irq_mask(&c->dma) | engine_irq_mask(&c->tile);
  if (fw_uses_coll(&c->m)) {
    engine_init(&c->coll, LLMVP_COLL_BASE(0), LLMVP_IRQ_COLL(0));
    engine_reset(&c->coll);
    reset_semaphore(FW_SEM_COLL_IN);
    reset_semaphore(FW_SEM_COLL_OUT);
    engine_configure(&c->coll, c->rings.coll_base, c->rings.coll_len);
    irqs |= engine_irq_mask(&c->coll);
  }
  if (c->m.prefill_chunk == 0u && c->m.serve_requests == 0u) { /* prefill, serving: built later */
    fw_load_kv_blocks(c, 0);
    fw_build_chains(c);
  }
  uint32_t irqs_pf = 0;
  if (fw_prefetching(&c->m)) { /* not with prefill (validate.c) */
    engine_init(&c->pf, LLMVP_DMA_BASE(c->m.prefetch_dma), LLMVP_IRQ_DMA(c->m.prefetch_dma));
    engine_reset(&c->pf);
    engine_configure(&c->pf, c->rings.pf_base, c->rings.pf_len);
    fw_prefetch_build(c);
    irqs_pf = engine_irq_mask(&c->pf);
  }
  intc_enable(irqs | irqs_pf);
  engine_enable(&c->dma);
  engine_enable(&c->tile);
  if (fw_uses_coll(&c->m)) engine_enable(&c->coll);
  if (fw_prefetching(&c->m)) engine_enable(&c->pf);
}

int fw_step_start(fw_ctx* c, uint64_t manifest_addr, fw_fault* f) {
  if (fw_load_manifest(c, manifest_addr, f) != 0) return -1;
  if (fw_plan_spad(&c->m, &c->spad, f) != 0) return -1;
  if ((c->m.pnm_units != 0u ? fw_pnm_plan_rings(c, f) : fw_plan_rings(&c->m, &c->rings, f)) != 0) return -1;
  fw_trace_mark(0, TRACE_PH_SETUP);
  setup_engines(c);
  fw_trace_mark(0, TRACE_PH_IDLE);
  /* RUNNING marks the end of one-time set-up: the host times decode from here. */
  mbox_set_status(MBOX_ST_RUNNING);
  c->prefill = 0u;
  return 0;
}

void fw_step_stop(fw_ctx* c) {
  fw_trace_mark(c->m.steps, TRACE_PH_IDLE);
  engine_disable(&c->dma);
  engine_disable(&c->tile);
  fw_pnm_disable(c);
  if (fw_uses_coll(&c->m)) engine_disable(&c->coll);
  if (fw_prefetching(&c->m)) engine_disable(&c->pf);
}

void fw_step_switch_rings(fw_ctx* c, uint64_t tile_base, uint32_t tile_len, uint64_t dma_base, uint32_t dma_len) {
  engine_reset(&c->dma);
  engine_reset(&c->tile);
  engine_configure(&c->dma, dma_base, dma_len);
  engine_configure(&c->tile, tile_base, tile_len);
  engine_enable(&c->dma);
  engine_enable(&c->tile);
}

void fw_step_write_inputs(fw_ctx* c, uint32_t step) {
  const uint32_t b = c->m.batch;
  const uint32_t pos_word = (uint32_t)((c->spad.positions - c->spad.tokens_in) / 4u);
  uint32_t words[STEP_INPUT_WORDS];
  if (pos_word + b > STEP_INPUT_WORDS) { /* buffers sized for a prefill chunk: two bursts */
    for (uint32_t r = 0; r < b; ++r) {
      const uint32_t pos = fw_position(c, r, step);
      if (pos < c->prompt_len[r]) c->token[r] = hal_read32(fw_token_addr(c, r, pos));
      words[r] = c->token[r];
      words[LLMVP_MAX_BATCH + r] = pos;
    }
    hal_write_block(c->spad.tokens_in, words, (size_t)b * 4u);
    hal_write_block(c->spad.positions, words + LLMVP_MAX_BATCH, (size_t)b * 4u);
    return;
  }
  memset(words, 0, (size_t)(pos_word + b) * 4u);
  for (uint32_t r = 0; r < b; ++r) {
    const uint32_t pos = fw_position(c, r, step);
    if (pos < c->prompt_len[r]) c->token[r] = hal_read32(fw_token_addr(c, r, pos));
    words[r] = c->token[r];
    words[pos_word + r] = pos;
  }
  hal_write_block(c->spad.tokens_in, words, (size_t)(pos_word + b) * 4u);
}

void fw_step_write_prefill_inputs(fw_ctx* c, uint64_t tokens, uint32_t start, uint32_t rows, uint32_t at) {
  uint32_t words[LLMVP_MAX_BATCH];
  for (uint32_t first = 0; first < rows; first += LLMVP_MAX_BATCH) {
    const uint32_t n = rows - first < LLMVP_MAX_BATCH ? rows - first : LLMVP_MAX_BATCH;
    const uint64_t to = (uint64_t)(at + first) * 4u;
    hal_read_block(tokens + (uint64_t)(start + first) * 4u, words, (size_t)n * 4u);
    hal_write_block(c->spad.tokens_in + to, words, (size_t)n * 4u);
    for (uint32_t i = 0; i < n; ++i) words[i] = start + first + i;
    hal_write_block(c->spad.positions + to, words, (size_t)n * 4u);
  }
}

int fw_step_wait(const fw_ctx* c, fw_fault* f) {
  const fw_engine* engines[4u + LLMVP_MAX_PNM];
  uint32_t n = 0;
  engines[n++] = &c->dma;
  engines[n++] = &c->tile;
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) engines[n++] = &c->pnm[p];
  if (fw_uses_coll(&c->m)) engines[n++] = &c->coll;
  if (fw_prefetching(&c->m)) engines[n++] = &c->pf;
  return engines_wait_done(engines, n, f);
}

void fw_step_collect(fw_ctx* c, uint32_t step) {
  const uint32_t b = c->m.batch;
  hal_read_block(c->spad.tokens_out, c->token, (size_t)b * 4u);
  for (uint32_t r = 0; r < b; ++r) {
    const uint32_t pos = fw_position(c, r, step);
    if (pos + 1u >= c->prompt_len[r]) hal_write32(fw_token_addr(c, r, pos + 1u), c->token[r]);
  }
}

int fw_step_prefill_block(fw_ctx* c, uint32_t rows, fw_fault* f) {
  const uint32_t batch = c->m.batch;
  uint32_t outs = 0;
  for (uint32_t i = 0; i < c->prefill_segs; ++i) outs += c->seg_out[i] != 0u;
  const uint32_t tile_len = (uint32_t)fw_block_prefill_chain_len(&c->m, c->prefill_segs) + (outs > 1u ? outs - 1u : 0u);
  const uint32_t dma_len = (uint32_t)fw_dma_chain_len(c->m.layers, c->prefill_segs);
  c->prefill = FW_PREFILL_BLOCK;
  c->m.batch = rows;
  fw_build_chains(c);
  c->m.batch = batch;
  c->prefill = 0u;
  fw_step_switch_rings(c, c->rings.prefill_tile_base, tile_len, c->rings.prefill_dma_base, dma_len);
  engine_post(&c->dma, dma_len);
  engine_post(&c->tile, tile_len);
  fw_trace_mark(0, TRACE_PH_WAIT);
  return fw_step_wait(c, f);
}

int fw_step_prefill_rows(fw_ctx* c, uint32_t req, uint32_t kv_row, uint32_t prompt_len, uint32_t start, uint32_t rows,
                         fw_fault* f) {
  /* Row i is position start + i of `req`; the per-row state is borrowed and
   * given back (it holds the decode rows). */
  uint32_t saved[6][LLMVP_MAX_BATCH];
  uint32_t* state[6] = {c->prompt_len, c->cached_len, c->token, c->kv_block, c->row_req, c->row_slot};
  for (uint32_t a = 0; a < 6u; ++a) memcpy(saved[a], state[a], (size_t)rows * 4u);
  const uint32_t batch = c->m.batch, serving = c->serving;
  for (uint32_t i = 0; i < rows; ++i) {
    c->prompt_len[i] = prompt_len;
    c->cached_len[i] = start + i;
    c->row_req[i] = req;
    c->row_slot[i] = kv_row;
  }
  c->serving = 1u;
  c->m.batch = rows;
  fw_trace_mark(0, TRACE_PH_PATCH);
  fw_step_write_inputs(c, 0);
  c->prefill = FW_PREFILL_ROWS;
  if (c->m.pnm_units != 0u) { /* pnm.c: the pass's chains in the decode rings */
    if (fw_pnm_block_attention(&c->m)) {
      /* attention on the tile over a contiguous cache: one causal block */
      c->prefill = FW_PREFILL_BLOCK;
      c->prefill_segs = 1u;
      c->seg_kv[0] = kv_row;
      c->seg_start[0] = start;
      c->seg_rows[0] = rows;
      c->seg_out[0] = 1u;
    }
    fw_pnm_rebuild(c);
    c->prefill = 0u;
    fw_pnm_post(c);
  } else {
    const uint32_t tile_len = (uint32_t)fw_tile_chain_len(&c->m);
    const uint32_t dma_len = (uint32_t)fw_dma_chain_len(c->m.layers, rows);
    fw_load_kv_blocks(c, 0);
    fw_build_chains(c);
    c->prefill = 0u;
    fw_step_switch_rings(c, c->rings.prefill_tile_base, tile_len, c->rings.prefill_dma_base, dma_len);
    engine_post(&c->dma, dma_len);
    engine_post(&c->tile, tile_len);
  }
  fw_trace_mark(0, TRACE_PH_WAIT);
  const int rc = fw_step_wait(c, f);
  c->m.batch = batch;
  c->serving = serving;
  for (uint32_t a = 0; a < 6u; ++a) memcpy(state[a], saved[a], (size_t)rows * 4u);
  return rc;
}
