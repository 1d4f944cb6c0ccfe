/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/pnm.h"

#include <stddef.h>

#include "firmware/include/hal.h"
#include "firmware/include/regs.h"
#include "firmware/src/dma.h"
#include "firmware/src/fw_util.h"
#include "firmware/src/ring.h"
#include "firmware/src/tile.h"

#define TILE_LAYER_FIXED 5u   /* RMSNORM, ROPE q, ROPE k, RMSNORM, SWIGLU */
#define TILE_LAYER_GROUPS 9u  /* groups of U NOPs: 4 GO, 5 WAIT */
#define ENGINE_LAYER_FIXED 7u /* GEMV q k v o gate up down (+ batch ATTN) */
#define ENGINE_ATTN_OFFSET 3u /* first ATTN within an engine's layer */

static uint64_t tile_len(const llmvp_manifest* m) {
  return 1u + (uint64_t)m->layers * (TILE_LAYER_FIXED + TILE_LAYER_GROUPS * m->pnm_units) + 2u + 2u * m->pnm_units;
}
static uint64_t engine_layer_len(const llmvp_manifest* m) { return ENGINE_LAYER_FIXED + m->batch; }
static uint64_t engine_len(const llmvp_manifest* m) { return (uint64_t)m->layers * engine_layer_len(m) + 1u; }
static uint64_t dma_layer_len(const llmvp_manifest* m) { return 2u * (uint64_t)m->pnm_units * m->batch; }

int fw_pnm_plan_rings(fw_ctx* c, fw_fault* f) {
  const llmvp_manifest* m = &c->m;
  const uint64_t tl = tile_len(m), dl = dma_layer_len(m) * m->layers, el = engine_len(m);
  const uint64_t base = fw_align_up(m->work_base, LLMVP_DESC_BYTES);
  const uint64_t end = base + (tl + dl + el * m->pnm_units) * LLMVP_DESC_BYTES;
  if (end - m->work_base > m->work_bytes) {
    f->code = FW_ERR_NO_SPACE;
    f->source = 0;
    f->index = fw_sat32(end - m->work_base);
    f->info = FW_SPACE_RINGS;
    return -1;
  }
  c->rings.tile_base = base;
  c->rings.tile_len = (uint32_t)tl; /* < 2^32: the work region lies in the 256 MiB SRAM window */
  c->rings.dma_base = base + tl * LLMVP_DESC_BYTES;
  c->rings.dma_len = (uint32_t)dl;
  c->pnm_ring_base = c->rings.dma_base + dl * LLMVP_DESC_BYTES;
  c->pnm_ring_len = (uint32_t)el;
  return 0;
}

static uint64_t pnm_ring(const fw_ctx* c, uint32_t p) {
  return c->pnm_ring_base + (uint64_t)p * c->pnm_ring_len * LLMVP_DESC_BYTES;
}

static llmvp_desc nop(int wait, uint32_t wait_sem, int signal, uint32_t signal_sem) {
  llmvp_desc d = fw_desc(LLMVP_OP_NOP, LLMVP_DT_FP32, LLMVP_DT_FP32, LLMVP_DT_FP32);
  if (wait) d.wait_sem = fw_sem_field(wait_sem);
  if (signal) d.signal_sem = fw_sem_field(signal_sem);
  return d;
}

/** U tile NOPs: signal every engine's GO. */
static void put_go(const fw_ctx* c, fw_ring_writer* w) {
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) ring_writer_put(w, nop(0, 0, 1, FW_SEM_PNM_GO(p)));
}
/** U tile NOPs: wait for every engine's DONE. */
static void put_wait(const fw_ctx* c, fw_ring_writer* w) {
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) ring_writer_put(w, nop(1, FW_SEM_PNM_DONE, 0, 0));
}

/** Engine p's shard of a GEMV [n][k] (output rows), written in place into
 *  dst [batch][n]; `linear`: typed as the manifest's projections (maybe
 *  quantised); `accum`: adds dst; `bias` != 0: adds its slice. */
static llmvp_desc shard_gemv(const fw_ctx* c, uint32_t p, uint64_t dst, uint64_t x, uint64_t weight, uint32_t n,
                             uint32_t k, int linear, int accum, uint64_t bias) {
  const llmvp_manifest* m = &c->m;
  const uint32_t np = fw_pnm_count(n, m->pnm_units, p), n0 = fw_pnm_first(n, m->pnm_units, p);
  if (np == 0u) return nop(0, 0, 0, 0);
  const int quantised = linear && m->w_group != 0u;
  llmvp_desc d = fw_desc(LLMVP_OP_PNM_GEMV, m->dt_act, quantised ? (uint8_t)m->dt_linear : m->dt_w, m->dt_act);
  if (quantised) d.w_group = m->w_group;
  d.src0 = x;
  d.src1 = weight + (uint64_t)p * m->pnm_stride;
  d.dst = dst + (uint64_t)n0 * fw_dtype_bytes(m->dt_act);
  d.m = m->batch;
  d.n = np;
  d.k = k;
  d.arg1 = n;
  if (accum) {
    d.flags |= DESC_F_ACCUM;
    d.src2 = d.dst;
  } else if (bias != 0u) {
    d.flags |= DESC_F_BIAS;
    d.src2 = bias + (uint64_t)n0 * fw_dtype_bytes(m->dt_w);
  }
  return d;
}

static llmvp_desc waits(llmvp_desc d, uint32_t p) {
  d.wait_sem = fw_sem_field(FW_SEM_PNM_GO(p));
  return d;
}
static llmvp_desc signals(llmvp_desc d) {
  d.signal_sem = fw_sem_field(FW_SEM_PNM_DONE);
  return d;
}

/** Engine p's ATTN of every row of one layer at `step`. */
static void put_attn(const fw_ctx* c, fw_ring_writer* w, uint32_t p, uint64_t k_cache, uint64_t v_cache,
                     uint32_t step) {
  const llmvp_manifest* m = &c->m;
  const uint32_t hp = fw_pnm_count(m->kv_heads, m->pnm_units, p), h0 = fw_pnm_first(m->kv_heads, m->pnm_units, p);
  const uint32_t group = m->heads / m->kv_heads;
  const uint64_t act = fw_dtype_bytes(m->dt_act);
  const uint64_t q_row = (uint64_t)m->heads * m->head_dim * act, q_off = (uint64_t)h0 * group * m->head_dim * act;
  const uint64_t shard = (uint64_t)p * m->pnm_stride;
  for (uint32_t r = 0; r < m->batch; ++r) {
    llmvp_desc d = nop(0, 0, 0, 0);
    if (hp != 0u) {
      const uint64_t req = shard + (uint64_t)r * m->kv_request_stride;
      d = tile_attn(c->spad.attn + r * q_row + q_off, c->spad.q + r * q_row + q_off, k_cache + req, v_cache + req,
                    fw_position(c, r, step) + 1u, hp * group, hp, m->head_dim, m->dt_act, m->dt_kv);
      d.opcode = LLMVP_OP_PNM_ATTN;
    }
    if (r == 0u) d = waits(d, p);
    if (r + 1u == m->batch) d = signals(d);
    ring_writer_put(w, d);
  }
}

/** DMA: k and v of every row into each shard at the row's position of `step`. */
static void put_kv(const fw_ctx* c, fw_ring_writer* w, uint64_t k_cache, uint64_t v_cache, uint32_t step,
                   int last_layer) {
  const llmvp_manifest* m = &c->m;
  const uint64_t act = fw_dtype_bytes(m->dt_act), kvb = fw_dtype_bytes(m->dt_kv);
  const uint64_t spad_row = (uint64_t)m->kv_heads * m->head_dim * act;
  for (uint32_t p = 0; p < m->pnm_units; ++p) {
    const uint32_t hp = fw_pnm_count(m->kv_heads, m->pnm_units, p), h0 = fw_pnm_first(m->kv_heads, m->pnm_units, p);
    const uint32_t elems = hp * m->head_dim;
    for (uint32_t r = 0; r < m->batch; ++r) {
      llmvp_desc k = nop(0, 0, 0, 0), v = nop(0, 0, 0, 0);
      if (hp != 0u) {
        const uint64_t at = (uint64_t)p * m->pnm_stride + (uint64_t)r * m->kv_request_stride +
                            (uint64_t)fw_position(c, r, step) * elems * kvb;
        const uint64_t src = r * spad_row + (uint64_t)h0 * m->head_dim * act;
        k = dma_copy(k_cache + at, c->spad.k + src, elems, m->dt_act, m->dt_kv);
        v = dma_copy(v_cache + at, c->spad.v + src, elems, m->dt_act, m->dt_kv);
      }
      if (p == 0u && r == 0u) k.wait_sem = fw_sem_field(FW_SEM_KV_READY);
      if (r + 1u == m->batch) {
        v.signal_sem = fw_sem_field(FW_SEM_PNM_GO(p));
        if (last_layer && p + 1u == m->pnm_units) v.flags |= DESC_F_IRQ;
      }
      ring_writer_put(w, k);
      ring_writer_put(w, v);
    }
  }
}

static void read_entry(const fw_ctx* c, uint32_t layer, llmvp_layer_entry* e) {
  hal_read_block(c->m.layer_table + (uint64_t)layer * sizeof(llmvp_layer_entry), e, sizeof *e);
}

static void put_tile_layer(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t b = m->batch;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  ring_writer_put(w, tile_rmsnorm(s->h, s->x, e->attn_norm, b, m->hidden, m->rms_eps_bits, act, wt));
  put_go(c, w);
  put_wait(c, w); /* q, k, v */
  ring_writer_put(w, tile_rope(s->q, s->positions, b, m->heads, m->head_dim, m->rope_theta_bits, act));
  llmvp_desc rope_k = tile_rope(s->k, s->positions, b, m->kv_heads, m->head_dim, m->rope_theta_bits, act);
  rope_k.signal_sem = fw_sem_field(FW_SEM_KV_READY);
  ring_writer_put(w, rope_k);
  put_wait(c, w); /* attention (started by the DMA) */
  put_go(c, w);
  put_wait(c, w); /* o */
  ring_writer_put(w, tile_rmsnorm(s->h, s->x, e->ffn_norm, b, m->hidden, m->rms_eps_bits, act, wt));
  put_go(c, w);
  put_wait(c, w); /* gate, up */
  ring_writer_put(w, tile_swiglu(s->gate, s->gate, s->up, b, m->ffn, act));
  put_go(c, w);
  put_wait(c, w); /* down */
}

static void put_engine_layer(const fw_ctx* c, fw_ring_writer* w, uint32_t p, const llmvp_layer_entry* e) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t q_dim = m->heads * m->head_dim, kv_dim = m->kv_heads * m->head_dim;
  const int bias = m->attn_bias != 0u;
  ring_writer_put(w, waits(shard_gemv(c, p, s->q, s->h, e->wq, q_dim, m->hidden, 1, 0, bias ? e->bq : 0u), p));
  ring_writer_put(w, shard_gemv(c, p, s->k, s->h, e->wk, kv_dim, m->hidden, 1, 0, bias ? e->bk : 0u));
  ring_writer_put(w, signals(shard_gemv(c, p, s->v, s->h, e->wv, kv_dim, m->hidden, 1, 0, bias ? e->bv : 0u)));
  put_attn(c, w, p, e->k_cache, e->v_cache, 0);
  ring_writer_put(w, signals(waits(shard_gemv(c, p, s->x, s->attn, e->wo, m->hidden, q_dim, 1, 1, 0), p)));
  ring_writer_put(w, waits(shard_gemv(c, p, s->gate, s->h, e->w_gate, m->ffn, m->hidden, 1, 0, 0), p));
  ring_writer_put(w, signals(shard_gemv(c, p, s->up, s->h, e->w_up, m->ffn, m->hidden, 1, 0, 0)));
  ring_writer_put(w, signals(waits(shard_gemv(c, p, s->x, s->gate, e->w_down, m->hidden, m->ffn, 1, 1, 0), p)));
}

static void build(const fw_ctx* c) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t u = m->pnm_units;
  fw_ring_writer tile, dma, eng;
  ring_writer_begin(&tile, c->rings.tile_base, 0);
  ring_writer_begin(&dma, c->rings.dma_base, 0);
  ring_writer_put(&tile, tile_embed(s->x, s->tokens_in, m->embed, m->batch, m->hidden, m->vocab, m->dt_act, m->dt_w));
  for (uint32_t l = 0; l < m->layers; ++l) {
    llmvp_layer_entry e;
    read_entry(c, l, &e);
    put_tile_layer(c, &tile, &e);
    put_kv(c, &dma, e.k_cache, e.v_cache, 0, l + 1u == m->layers);
  }
  ring_writer_put(&tile,
                  tile_rmsnorm(s->h, s->x, m->final_norm, m->batch, m->hidden, m->rms_eps_bits, m->dt_act, m->dt_w));
  put_go(c, &tile);
  put_wait(c, &tile); /* lm_head */
  llmvp_desc* argmax = ring_writer_put(&tile, tile_argmax(s->tokens_out, s->logits, m->batch, m->vocab, m->dt_act));
  argmax->flags |= DESC_F_IRQ;
  ring_writer_flush(&tile);
  ring_writer_flush(&dma);
  for (uint32_t p = 0; p < u; ++p) {
    ring_writer_begin(&eng, pnm_ring(c, p), 0);
    for (uint32_t l = 0; l < m->layers; ++l) {
      llmvp_layer_entry e;
      read_entry(c, l, &e);
      put_engine_layer(c, &eng, p, &e);
    }
    llmvp_desc head = signals(waits(shard_gemv(c, p, s->logits, s->h, m->lm_head, m->vocab, m->hidden, 0, 0, 0), p));
    head.flags |= DESC_F_IRQ;
    ring_writer_put(&eng, head);
    ring_writer_flush(&eng);
  }
}

void fw_pnm_setup(fw_ctx* c) {
  const uint32_t u = c->m.pnm_units;
  uint32_t mask = engine_irq_mask(&c->dma) | engine_irq_mask(&c->tile);
  hal_write32(LLMVP_SEM_BASE + SEM_SET(FW_SEM_KV_READY), 0u);
  hal_write32(LLMVP_SEM_BASE + SEM_SET(FW_SEM_PNM_DONE), 0u);
  for (uint32_t p = 0; p < u; ++p) {
    engine_init(&c->pnm[p], LLMVP_PNM_BASE(p), LLMVP_IRQ_PNM(p));
    engine_reset(&c->pnm[p]);
    engine_configure(&c->pnm[p], pnm_ring(c, p), c->pnm_ring_len);
    hal_write32(LLMVP_SEM_BASE + SEM_SET(FW_SEM_PNM_GO(p)), 0u);
    mask |= engine_irq_mask(&c->pnm[p]);
  }
  build(c);
  intc_enable(mask);
  for (uint32_t p = 0; p < u; ++p) engine_enable(&c->pnm[p]);
}

void fw_pnm_patch(const fw_ctx* c, uint32_t step) {
  const llmvp_manifest* m = &c->m;
  fw_ring_writer w;
  for (uint32_t l = 0; l < m->layers; ++l) {
    uint64_t kv[2];
    hal_read_block(m->layer_table + (uint64_t)l * sizeof(llmvp_layer_entry) + offsetof(llmvp_layer_entry, k_cache), kv,
                   sizeof kv);
    for (uint32_t p = 0; p < m->pnm_units; ++p) {
      ring_writer_begin(&w, pnm_ring(c, p), (uint32_t)(l * engine_layer_len(m) + ENGINE_ATTN_OFFSET));
      put_attn(c, &w, p, kv[0], kv[1], step);
      ring_writer_flush(&w);
    }
    ring_writer_begin(&w, c->rings.dma_base, (uint32_t)(l * dma_layer_len(m)));
    put_kv(c, &w, kv[0], kv[1], step, l + 1u == m->layers);
    ring_writer_flush(&w);
  }
}

void fw_pnm_post(fw_ctx* c) {
  engine_post(&c->dma, c->rings.dma_len);
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) engine_post(&c->pnm[p], c->pnm_ring_len);
  engine_post(&c->tile, c->rings.tile_len);
}

int fw_pnm_wait(const fw_ctx* c, fw_fault* f) {
  const uint32_t u = c->m.pnm_units;
  const fw_engine* engines[2u + LLMVP_MAX_PNM];
  engines[0] = &c->dma;
  engines[1] = &c->tile;
  for (uint32_t p = 0; p < u; ++p) engines[2u + p] = &c->pnm[p];
  const uint32_t n = 2u + u, all = (1u << n) - 1u;
  uint32_t done = 0;
  while (done != all) {
    hal_wait_irq();
    const uint32_t pending = intc_pending();
    for (uint32_t i = 0; i < n; ++i) {
      if (!(pending & engine_irq_mask(engines[i]))) continue;
      const uint32_t status = engine_ack_irq(engines[i]);
      if (status & ENG_IRQ_ERROR) {
        engine_read_error(engines[i], f);
        return -1;
      }
      if (status & ENG_IRQ_DONE) done |= 1u << i;
    }
  }
  return 0;
}

void fw_pnm_disable(const fw_ctx* c) {
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) engine_disable(&c->pnm[p]);
}
