/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/serve.h"

#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"
#include "firmware/src/chains.h"
#include "firmware/src/fw_util.h"
#include "firmware/src/mailbox.h"
#include "firmware/src/step.h"
#include "firmware/src/trace.h"

#define SLOT_FREE 0u
#define SLOT_PREFILL 1u /* prompt positions pos .. prompt_len-1 still to prefill */
#define SLOT_DECODE 2u  /* next step processes position pos */

typedef struct serve_slot {
  uint32_t phase;
  uint32_t req;        /* request id (serve_table index, token buffer row) */
  uint32_t prompt_len; /* llmvp_serve_request */
  uint32_t gen_len;
  uint32_t pos;      /* next position to process */
  uint32_t produced; /* tokens generated so far */
  uint32_t token;    /* SLOT_DECODE: input token of the next step once past the prompt */
} serve_slot;

typedef struct serve_state {
  serve_slot slot[LLMVP_MAX_BATCH];
  uint32_t next;       /* next request to admit */
  uint32_t finished;   /* requests done */
  uint32_t steps;      /* decode steps run */
  uint32_t chain_rows; /* rows of the decode chain last built (0: none) */
  uint32_t on_decode;  /* the engines run the decode rings (else the prefill rings or none yet) */
  uint32_t irqs;       /* engine interrupt lines */
} serve_state;

static int bad_request(fw_fault* f, uint32_t request) {
  f->code = FW_ERR_BAD_MANIFEST;
  f->source = 0;
  f->index = request;
  f->info = FW_MFIELD_SERVE;
  return -1;
}

/** Moves submitted requests into free slots, oldest first. */
static int admit(fw_ctx* c, serve_state* st, uint32_t submitted, fw_fault* f) {
  const llmvp_manifest* m = &c->m;
  for (uint32_t s = 0; s < m->batch && st->next < submitted && st->next < m->serve_requests; ++s) {
    serve_slot* sl = &st->slot[s];
    if (sl->phase != SLOT_FREE) continue;
    llmvp_serve_request e;
    hal_read_block(m->serve_table + (uint64_t)st->next * sizeof e, &e, sizeof e);
    if (e.prompt_len == 0u || e.gen_len == 0u || (uint64_t)e.prompt_len + e.gen_len > (uint64_t)m->max_context + 1u)
      return bad_request(f, st->next);
    sl->req = st->next++;
    sl->prompt_len = e.prompt_len;
    sl->gen_len = e.gen_len;
    sl->pos = 0u;
    sl->produced = 0u;
    sl->token = 0u;
    sl->phase = m->prefill_chunk != 0u ? SLOT_PREFILL : SLOT_DECODE;
  }
  return 0;
}

/** Records one generated token of slot s; frees the slot after the last. */
static void produced(serve_state* st, uint32_t s) {
  serve_slot* sl = &st->slot[s];
  if (++sl->produced == 1u) mbox_serve_event(sl->req, MBOX_EV_FIRST);
  if (sl->produced < sl->gen_len) return;
  mbox_serve_event(sl->req, MBOX_EV_FINISHED);
  sl->phase = SLOT_FREE;
  ++st->finished;
}

/** Sleeps until the host submits beyond `seen` requests. */
static void wait_submission(uint32_t seen, uint32_t irqs) {
  intc_enable(irqs | (1u << LLMVP_IRQ_MAILBOX));
  for (;;) {
    mbox_clear_host_irq(); /* before the read: a later submission raises it again */
    if (mbox_submitted() != seen) break;
    hal_wait_irq();
  }
  intc_enable(irqs);
}

/** After a prefill pass of `rows` positions of slot s: at the prompt's end,
 *  its first token (spad.tokens_out[out]). */
static void prefill_done(fw_ctx* c, serve_state* st, uint32_t s, uint32_t rows, uint32_t out) {
  serve_slot* sl = &st->slot[s];
  sl->pos += rows;
  if (sl->pos < sl->prompt_len) return;
  sl->token = hal_read32(c->spad.tokens_out + (uint64_t)out * 4u);
  hal_write32(c->m.tokens + ((uint64_t)sl->req * c->m.token_stride + sl->prompt_len) * 4u, sl->token);
  sl->phase = SLOT_DECODE;
  produced(st, s);
}

/** The prefilling slot with the oldest request after request `after` (all
 *  when `any`); c->m.batch if none. */
static uint32_t next_prefill(const fw_ctx* c, const serve_state* st, uint32_t after, int any) {
  uint32_t s = c->m.batch;
  for (uint32_t i = 0; i < c->m.batch; ++i) {
    const serve_slot* sl = &st->slot[i];
    if (sl->phase != SLOT_PREFILL || (!any && sl->req <= after)) continue;
    if (s == c->m.batch || sl->req < st->slot[s].req) s = i;
  }
  return s;
}

/** One prefill pass, oldest requests first: a block pass packs the next
 *  prompt positions of as many prefilling requests as fit in a chunk (so
 *  short prompts share the weight stream); a row-wise pass (paged KV, MLA)
 *  takes one request. */
static int prefill_pass(fw_ctx* c, serve_state* st, fw_fault* f) {
  uint32_t s = next_prefill(c, st, 0u, 1);
  if (s == c->m.batch) return 0;
  st->on_decode = 0u;
  const uint32_t chunk = fw_prefill_rows(&c->m);
  if (fw_prefill_rowwise(&c->m)) {
    serve_slot* sl = &st->slot[s];
    const uint32_t left = sl->prompt_len - sl->pos, rows = left < chunk ? left : chunk;
    if (fw_step_prefill_rows(c, sl->req, s, sl->prompt_len, sl->pos, rows, f) != 0) return -1;
    fw_trace_mark(st->steps, TRACE_PH_COLLECT);
    prefill_done(c, st, s, rows, 0u);
    return 0;
  }
  uint32_t slot_of[LLMVP_MAX_BATCH];
  uint32_t rows = 0;
  c->prefill_segs = 0u;
  fw_trace_mark(st->steps, TRACE_PH_PATCH);
  while (s != c->m.batch && rows < chunk) {
    const serve_slot* sl = &st->slot[s];
    const uint32_t left = sl->prompt_len - sl->pos, take = left < chunk - rows ? left : chunk - rows;
    const uint32_t i = c->prefill_segs++;
    slot_of[i] = s;
    c->seg_kv[i] = s; /* the KV-cache row: the slot */
    c->seg_start[i] = sl->pos;
    c->seg_rows[i] = take;
    c->seg_out[i] = take == left;
    fw_step_write_prefill_inputs(c, c->m.tokens + (uint64_t)sl->req * c->m.token_stride * 4u, sl->pos, take, rows);
    rows += take;
    s = next_prefill(c, st, sl->req, 0);
  }
  if (fw_step_prefill_block(c, rows, f) != 0) return -1;
  fw_trace_mark(st->steps, TRACE_PH_COLLECT);
  uint32_t out = 0;
  for (uint32_t i = 0; i < c->prefill_segs; ++i) {
    /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): the pass keeps prefill_segs, so slot_of[i] is set */
    prefill_done(c, st, slot_of[i], c->seg_rows[i], out);
    out += c->seg_out[i] != 0u;
  }
  return 0;
}

/** One decode step over every slot in SLOT_DECODE (rows in slot order). */
static int decode_step(fw_ctx* c, serve_state* st, fw_fault* f) {
  const uint32_t batch = c->m.batch;
  uint32_t rows = 0;
  int changed = 0;
  for (uint32_t s = 0; s < batch; ++s) {
    const serve_slot* sl = &st->slot[s];
    if (sl->phase != SLOT_DECODE) continue;
    changed |= rows >= st->chain_rows || c->row_slot[rows] != s || c->row_req[rows] != sl->req;
    c->row_slot[rows] = s;
    c->row_req[rows] = sl->req;
    c->prompt_len[rows] = sl->prompt_len;
    c->cached_len[rows] = sl->pos;
    c->token[rows] = sl->token;
    ++rows;
  }
  if (rows == 0u) return 0;
  changed |= rows != st->chain_rows;
  fw_trace_mark(st->steps, TRACE_PH_PATCH);
  c->m.batch = rows;
  const uint32_t tile_len = (uint32_t)fw_tile_chain_len(&c->m);
  const uint32_t dma_len = (uint32_t)fw_dma_chain_len(c->m.layers, rows);
  fw_step_write_inputs(c, 0);
  fw_load_kv_blocks(c, 0);
  if (changed || !st->on_decode) { /* the rings' size is the chain's length */
    fw_step_switch_rings(c, c->rings.tile_base, tile_len, c->rings.dma_base, dma_len);
    st->on_decode = 1u;
  }
  if (changed) {
    fw_build_chains(c);
    st->chain_rows = rows;
  } else {
    fw_patch_chains(c, 0);
  }
  engine_post(&c->dma, dma_len);
  engine_post(&c->tile, tile_len);
  fw_trace_mark(st->steps, TRACE_PH_WAIT);
  const int rc = fw_step_wait(c, f);
  c->m.batch = batch;
  if (rc != 0) return -1;
  fw_trace_mark(st->steps, TRACE_PH_COLLECT);
  c->m.batch = rows;
  fw_step_collect(c, 0);
  c->m.batch = batch;
  for (uint32_t r = 0; r < rows; ++r) {
    serve_slot* sl = &st->slot[c->row_slot[r]];
    const uint32_t pos = sl->pos++;
    sl->token = c->token[r];
    if (pos + 1u >= sl->prompt_len) produced(st, c->row_slot[r]);
  }
  mbox_set_step(++st->steps);
  return 0;
}

int fw_serve(fw_ctx* c, fw_fault* f) {
  serve_state st;
  for (uint32_t s = 0; s < LLMVP_MAX_BATCH; ++s) st.slot[s].phase = SLOT_FREE;
  st.next = st.finished = st.steps = st.chain_rows = st.on_decode = 0u;
  st.irqs = engine_irq_mask(&c->dma) | engine_irq_mask(&c->tile);
  c->serving = 1u;
  while (st.finished < c->m.serve_requests) {
    const uint32_t submitted = mbox_submitted();
    if (admit(c, &st, submitted, f) != 0) return -1;
    int busy = 0;
    for (uint32_t s = 0; s < c->m.batch; ++s) busy |= st.slot[s].phase != SLOT_FREE;
    if (!busy) {
      fw_trace_mark(st.steps, TRACE_PH_IDLE);
      wait_submission(submitted, st.irqs);
      continue;
    }
    if (prefill_pass(c, &st, f) != 0 || decode_step(c, &st, f) != 0) return -1;
  }
  c->serving = 0u;
  return 0;
}
