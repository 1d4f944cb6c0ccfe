/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/decode.h"

#include <string.h>

#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"
#include "firmware/src/chains.h"
#include "firmware/src/fw_util.h"
#include "firmware/src/mailbox.h"
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
  if (fw_tp(&c->m)) {
    engine_init(&c->coll, LLMVP_COLL_BASE(0), LLMVP_IRQ_COLL(0));
    engine_reset(&c->coll);
    reset_semaphore(FW_SEM_COLL_IN);
    reset_semaphore(FW_SEM_COLL_OUT);
    engine_configure(&c->coll, c->rings.coll_base, c->rings.coll_len);
    irqs |= engine_irq_mask(&c->coll);
  }
  if (c->m.prefill_chunk == 0u) { /* with prefill: built once the prompts are in the cache */
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
  if (fw_tp(&c->m)) engine_enable(&c->coll);
  if (fw_prefetching(&c->m)) engine_enable(&c->pf);
}

/** Points both engines at new rings (engines idle): reset, configure, enable. */
static void switch_rings(fw_ctx* c, uint64_t tile_base, uint32_t tile_len, uint64_t dma_base, uint32_t dma_len) {
  engine_reset(&c->dma);
  engine_reset(&c->tile);
  engine_configure(&c->dma, dma_base, dma_len);
  engine_configure(&c->tile, tile_base, tile_len);
  engine_enable(&c->dma);
  engine_enable(&c->tile);
}

/** Loads this step's input token of every row (the prompt token while
 *  teacher forcing, else last step's argmax, which is also what the token
 *  buffer holds) and writes tokens_in and positions to the scratchpad. */
static void write_step_inputs(fw_ctx* c, uint32_t step) {
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

/** Prefill inputs: `rows` prompt tokens of request r from position `start`
 *  and their positions, in bursts of at most LLMVP_MAX_BATCH words. */
static void write_prefill_inputs(fw_ctx* c, uint32_t r, uint32_t start, uint32_t rows) {
  uint32_t words[LLMVP_MAX_BATCH];
  for (uint32_t first = 0; first < rows; first += LLMVP_MAX_BATCH) {
    const uint32_t n = rows - first < LLMVP_MAX_BATCH ? rows - first : LLMVP_MAX_BATCH;
    hal_read_block(fw_token_addr(c, r, start + first), words, (size_t)n * 4u);
    hal_write_block(c->spad.tokens_in + (uint64_t)first * 4u, words, (size_t)n * 4u);
    for (uint32_t i = 0; i < n; ++i) words[i] = start + first + i;
    hal_write_block(c->spad.positions + (uint64_t)first * 4u, words, (size_t)n * 4u);
  }
}

/** Sleeps until every engine in use raised DONE for this step; -1 on an engine error. */
static int wait_step_done(const fw_ctx* c, fw_fault* f) {
  const fw_engine* engines[4u + LLMVP_MAX_PNM];
  uint32_t n = 0;
  engines[n++] = &c->dma;
  engines[n++] = &c->tile;
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) engines[n++] = &c->pnm[p];
  if (fw_tp(&c->m)) engines[n++] = &c->coll;
  if (fw_prefetching(&c->m)) engines[n++] = &c->pf;
  return engines_wait_done(engines, n, f);
}

/** Reads the argmax of every row; stores it in the token buffer at pos + 1
 *  unless that position still belongs to the prompt. */
static void collect_tokens(fw_ctx* c, uint32_t step) {
  const uint32_t b = c->m.batch;
  hal_read_block(c->spad.tokens_out, c->token, (size_t)b * 4u);
  for (uint32_t r = 0; r < b; ++r) {
    const uint32_t pos = fw_position(c, r, step);
    if (pos + 1u >= c->prompt_len[r]) hal_write32(fw_token_addr(c, r, pos + 1u), c->token[r]);
  }
}

static int run_step(fw_ctx* c, uint32_t step, fw_fault* f) {
  fw_trace_mark(step, TRACE_PH_PATCH);
  write_step_inputs(c, step);
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
    if (fw_tp(&c->m)) engine_post(&c->coll, c->rings.coll_len);
  }
  fw_trace_mark(step, TRACE_PH_WAIT);
  if (wait_step_done(c, f) != 0) return -1;
  fw_trace_mark(step, TRACE_PH_COLLECT);
  collect_tokens(c, step);
  mbox_set_step(step + 1u);
  return 0;
}

/** Prefill of every request (manifest.h "prefill"), then the decode chains
 *  for the positions after the prompts. */
static int run_prefill(fw_ctx* c, fw_fault* f) {
  const uint32_t batch = c->m.batch, chunk = c->m.prefill_chunk;
  const fw_ring_plan* rp = &c->rings;
  switch_rings(c, rp->prefill_tile_base, rp->prefill_tile_len, rp->prefill_dma_base, rp->prefill_dma_len);
  for (uint32_t r = 0; r < batch; ++r) {
    for (uint32_t start = c->cached_len[r]; start < c->prompt_len[r]; start += chunk) {
      const uint32_t rows = c->prompt_len[r] - start < chunk ? c->prompt_len[r] - start : chunk;
      fw_trace_mark(0, TRACE_PH_PATCH);
      write_prefill_inputs(c, r, start, rows);
      c->prefill = 1u;
      c->prefill_req = r;
      c->prefill_start = start;
      c->m.batch = rows;
      fw_build_chains(c);
      c->m.batch = batch;
      c->prefill = 0u;
      engine_post(&c->dma, rp->prefill_dma_len);
      engine_post(&c->tile, rp->prefill_tile_len);
      fw_trace_mark(0, TRACE_PH_WAIT);
      if (wait_step_done(c, f) != 0) return -1;
    }
    fw_trace_mark(0, TRACE_PH_COLLECT);
    c->token[r] = hal_read32(c->spad.tokens_out);
    hal_write32(fw_token_addr(c, r, c->prompt_len[r]), c->token[r]);
    c->cached_len[r] = c->prompt_len[r]; /* decode continues after the prompt */
    mbox_set_prefilled(r + 1u);
  }
  switch_rings(c, rp->tile_base, rp->tile_len, rp->dma_base, rp->dma_len);
  fw_load_kv_blocks(c, 0);
  fw_build_chains(c);
  return 0;
}

int fw_decode(fw_ctx* c, uint64_t manifest_addr, fw_fault* f) {
  if (fw_load_manifest(c, manifest_addr, f) != 0) return -1;
  if (fw_plan_spad(&c->m, &c->spad, f) != 0) return -1;
  if ((c->m.pnm_units != 0u ? fw_pnm_plan_rings(c, f) : fw_plan_rings(&c->m, &c->rings, f)) != 0) return -1;
  fw_trace_mark(0, TRACE_PH_SETUP);
  setup_engines(c);
  fw_trace_mark(0, TRACE_PH_IDLE);
  /* RUNNING marks the end of one-time set-up: the host times decode from here. */
  mbox_set_status(MBOX_ST_RUNNING);
  c->prefill = 0u;
  if (c->m.prefill_chunk != 0u && run_prefill(c, f) != 0) return -1;
  for (uint32_t s = 0; s < c->m.steps; ++s) {
    if (run_step(c, s, f) != 0) return -1;
  }
  fw_trace_mark(c->m.steps, TRACE_PH_IDLE);
  engine_disable(&c->dma);
  engine_disable(&c->tile);
  fw_pnm_disable(c);
  if (fw_tp(&c->m)) engine_disable(&c->coll);
  if (fw_prefetching(&c->m)) engine_disable(&c->pf);
  return 0;
}
