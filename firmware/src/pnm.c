/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/pnm.h"

#include <stddef.h>

#include "firmware/include/hal.h"
#include "firmware/include/regs.h"
#include "firmware/src/chains.h"
#include "firmware/src/fw_util.h"
#include "firmware/src/plan.h"
#include "firmware/src/ring.h"
#include "firmware/src/tile.h"

static int attn_on_pnm(const llmvp_manifest* m) { return (m->pnm_ops & LLMVP_PNM_OPS_ATTN) != 0u; }

/* Upper bounds of the chains (descriptors), for placing the rings; the
 * rings get the lengths the build produced. B is the larger of the batch and
 * a prefill pass's rows; attention takes B descriptors on the side that runs
 * it. Per layer: tile at most 1 norm, 3U (q k v: GO and DONE NOPs, or a
 * prefill pass's GEMV per shard), 2 RoPE, B (attention on the tile) or 2U,
 * 3U (o), 1 norm, 13 (MoE FFN) or 2U + 1 + 4U (dense FFN with a combine on
 * the engines); MLA's block (attention on the tile) is at most 17 + B.
 * Engine: 3 + B (attention on the engines) + 1 + 1 + 2 + 1 + 1. DMA: 2B
 * (KV copies for the tile's attention) or none, + 1. */
static uint64_t rows_bound(const llmvp_manifest* m) {
  const uint32_t pass = m->prefill_chunk != 0u ? fw_prefill_rows(m) : 0u;
  return pass > m->batch ? pass : m->batch;
}
static uint64_t tile_bound(const llmvp_manifest* m) {
  const uint64_t u = m->pnm_units, attn = attn_on_pnm(m) ? 0u : rows_bound(m);
  return 1u + (uint64_t)m->layers * (32u + 14u * u + attn) + 4u + 2u * u;
}
static uint64_t engine_bound(const llmvp_manifest* m) {
  return (uint64_t)m->layers * (12u + (attn_on_pnm(m) ? rows_bound(m) : 0u)) + 2u;
}
static uint64_t dma_bound(const llmvp_manifest* m) {
  return (attn_on_pnm(m) ? 0u : (uint64_t)m->layers * 2u * rows_bound(m)) + 1u;
}

static uint32_t op_mode(const llmvp_manifest* m, uint32_t shift) { return (m->pnm_ops >> shift) & 3u; }
/** A prefill pass runs sharded class `shift` on the tile, one GEMV per shard (manifest.h LLMVP_PNM_PREFILL_TILE). */
static int tile_over_shards(const fw_ctx* c, uint32_t shift) {
  return c->prefill != 0u && op_mode(&c->m, shift) != LLMVP_PNM_TILE &&
         (c->m.pnm_ops & LLMVP_PNM_PREFILL_TILE(shift)) != 0u;
}
/** Class `shift` runs on the tile: placed there, or a prefill pass over its shards. */
static int on_tile(const fw_ctx* c, uint32_t shift) {
  return op_mode(&c->m, shift) == LLMVP_PNM_TILE || tile_over_shards(c, shift);
}
/** A tile GEMV of class `shift`: typed as a projection if `linear`, and in a
 *  prefill pass over the shards reading them all at once (DESC_F_SHARDS). */
static llmvp_desc tile_proj(const fw_ctx* c, uint32_t shift, int linear, llmvp_desc d) {
  const llmvp_manifest* m = &c->m;
  if (linear && m->w_group != 0u) {
    d.dt_w = (uint8_t)m->dt_linear;
    d.w_group = m->w_group;
  }
  if (tile_over_shards(c, shift)) {
    d.flags |= DESC_F_SHARDS;
    d.arg0 = m->pnm_units | (op_mode(m, shift) == LLMVP_PNM_COLS ? 1u : 0u) << 8;
    d.arg1 = (uint32_t)(m->pnm_stride / 4096u); /* validate.c: a multiple of 4 KiB below 2^44 */
  }
  return d;
}

int fw_pnm_plan_rings(fw_ctx* c, fw_fault* f) {
  const llmvp_manifest* m = &c->m;
  const uint64_t tl = tile_bound(m), dl = dma_bound(m), el = engine_bound(m);
  const uint64_t base = fw_align_up(m->work_base, LLMVP_DESC_BYTES);
  const uint64_t rings_end = base + (tl + dl + el * m->pnm_units) * LLMVP_DESC_BYTES;
  /* batched ATTN on the tile (plan.h fw_attn_batched): its row table after the rings */
  llmvp_manifest widest = *m;
  widest.batch = (uint32_t)rows_bound(m);
  const uint64_t end = rings_end + (fw_attn_batched(&widest) ? widest.batch * LLMVP_ATTN_ROW_BYTES : 0u);
  if (end - m->work_base > m->work_bytes) {
    f->code = FW_ERR_NO_SPACE;
    f->source = 0;
    f->index = fw_sat32(end - m->work_base);
    f->info = FW_SPACE_RINGS;
    return -1;
  }
  c->rings.tile_base = base;
  c->rings.dma_base = base + tl * LLMVP_DESC_BYTES;
  c->pnm_ring_base = c->rings.dma_base + dl * LLMVP_DESC_BYTES;
  c->rings.attn_rows = fw_attn_batched(&widest) ? rings_end : 0u; /* 64-byte aligned */
  c->pnm_ring_stride = (uint32_t)el; /* < 2^32: the work region lies in the 256 MiB SRAM window */
  return 0;
}

static uint64_t pnm_ring(const fw_ctx* c, uint32_t p) {
  return c->pnm_ring_base + (uint64_t)p * c->pnm_ring_stride * LLMVP_DESC_BYTES;
}

/* The rings being written: a full build writes every descriptor; a patch
 * (full == 0) rewrites only those that depend on the step and skips the
 * others, walking the same sequence. */
typedef struct pnm_writers {
  fw_ring_writer tile, dma, eng[LLMVP_MAX_PNM];
  int full;
} pnm_writers;

static void put_fixed(const pnm_writers* pw, fw_ring_writer* w, llmvp_desc d) {
  if (pw->full)
    ring_writer_put(w, d);
  else
    ring_writer_skip(w);
}

static llmvp_desc nop(int wait, uint32_t wait_sem, int signal, uint32_t signal_sem) {
  llmvp_desc d = fw_desc(LLMVP_OP_NOP, LLMVP_DT_FP32, LLMVP_DT_FP32, LLMVP_DT_FP32);
  if (wait) d.wait_sem = fw_sem_field(wait_sem);
  if (signal) d.signal_sem = fw_sem_field(signal_sem);
  return d;
}

/** U tile NOPs: signal every engine's GO. */
static void put_go(const fw_ctx* c, pnm_writers* pw) {
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) put_fixed(pw, &pw->tile, nop(0, 0, 1, FW_SEM_PNM_GO(p)));
}
/** U tile NOPs: wait for every engine's DONE. */
static void put_wait(const fw_ctx* c, pnm_writers* pw) {
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) put_fixed(pw, &pw->tile, nop(1, FW_SEM_PNM_DONE, 0, 0));
}

static llmvp_desc waits(llmvp_desc d, uint32_t p) {
  d.wait_sem = fw_sem_field(FW_SEM_PNM_GO(p));
  return d;
}
static llmvp_desc signals(llmvp_desc d) {
  d.signal_sem = fw_sem_field(FW_SEM_PNM_DONE);
  return d;
}

/** A phase of n descriptors on engine p: the first waits GO(p), the last
 *  signals DONE (one NOP doing both if n == 0). */
static void put_phase(const fw_ctx* c, pnm_writers* pw, uint32_t p, llmvp_desc* d, uint32_t n) {
  (void)c;
  if (n == 0u) {
    put_fixed(pw, &pw->eng[p], nop(1, FW_SEM_PNM_GO(p), 1, FW_SEM_PNM_DONE));
    return;
  }
  d[0] = waits(d[0], p);
  d[n - 1u] = signals(d[n - 1u]);
  for (uint32_t i = 0; i < n; ++i) put_fixed(pw, &pw->eng[p], d[i]);
}

static uint8_t weight_type(const llmvp_manifest* m, int linear) {
  return linear && m->w_group != 0u ? (uint8_t)m->dt_linear : m->dt_w;
}

/** Engine p's shard of a GEMV [n][k] by output rows, written in place into
 *  dst [batch][n]; `linear`: typed as the manifest's projections (maybe
 *  quantised); `accum`: adds dst; `bias` != 0: adds its slice. */
static llmvp_desc shard_rows(const fw_ctx* c, uint32_t p, uint64_t dst, uint64_t x, uint64_t weight, uint32_t n,
                             uint32_t k, int linear, int accum, uint64_t bias) {
  const llmvp_manifest* m = &c->m;
  const uint32_t np = fw_pnm_count(n, m->pnm_units, p), n0 = fw_pnm_first(n, m->pnm_units, p);
  if (np == 0u) return nop(0, 0, 0, 0);
  llmvp_desc d = fw_desc(LLMVP_OP_PNM_GEMV, m->dt_act, weight_type(m, linear), m->dt_act);
  if (linear && m->w_group != 0u) d.w_group = m->w_group;
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

static uint64_t partial_bytes(const llmvp_manifest* m) { return (uint64_t)m->batch * m->hidden * 4u; }

/** Engine p's shard of a projection [hidden][k] by input features: fp32
 *  partial sums [batch][hidden] of x[:, k0_p .. k0_p + k_p) into partial p. */
static llmvp_desc shard_cols(const fw_ctx* c, uint32_t p, uint64_t x, uint64_t weight, uint32_t k) {
  const llmvp_manifest* m = &c->m;
  const uint32_t kp = fw_pnm_count(k, m->pnm_units, p), k0 = fw_pnm_first(k, m->pnm_units, p);
  llmvp_desc d = fw_desc(LLMVP_OP_PNM_GEMV, m->dt_act, weight_type(m, 1), LLMVP_DT_FP32);
  if (m->w_group != 0u) d.w_group = m->w_group;
  d.src0 = x + (uint64_t)k0 * fw_dtype_bytes(m->dt_act);
  d.src1 = weight + (uint64_t)p * m->pnm_stride;
  d.dst = c->spad.partial + (uint64_t)p * partial_bytes(m);
  d.m = m->batch;
  d.n = m->hidden;
  d.k = kp;
  d.arg0 = k;
  return d;
}

/** x += the U partial sums: on the tile (U - 1 fp32 ADDs into partial 0,
 *  one ADD into x) or, with LLMVP_PNM_OPS_REDUCE, on the engines (each
 *  reduces its slice of batch x hidden into x). */
static void put_combine(const fw_ctx* c, pnm_writers* pw) {
  const llmvp_manifest* m = &c->m;
  const uint32_t u = m->pnm_units, count = m->batch * m->hidden;
  const uint64_t part = c->spad.partial, act = fw_dtype_bytes(m->dt_act);
  if (m->pnm_ops & LLMVP_PNM_OPS_REDUCE) {
    put_go(c, pw);
    for (uint32_t p = 0; p < u; ++p) {
      const uint32_t ep = fw_pnm_count(count, u, p), e0 = fw_pnm_first(count, u, p);
      llmvp_desc d = nop(0, 0, 0, 0);
      if (ep != 0u) {
        d = fw_desc(LLMVP_OP_PNM_REDUCE, LLMVP_DT_FP32, LLMVP_DT_FP32, m->dt_act);
        d.src0 = part + (uint64_t)e0 * 4u;
        d.dst = c->spad.x + (uint64_t)e0 * act;
        d.src2 = d.dst;
        d.flags |= DESC_F_ACCUM;
        d.m = 1u;
        d.n = ep;
        d.k = u;
        d.arg1 = count;
      }
      put_phase(c, pw, p, &d, 1u);
    }
    put_wait(c, pw);
    return;
  }
  for (uint32_t p = 0; p < u; ++p) {
    const int last = p + 1u == u;
    llmvp_desc add = fw_desc(LLMVP_OP_ADD, last ? m->dt_act : (uint8_t)LLMVP_DT_FP32, LLMVP_DT_FP32,
                             last ? m->dt_act : (uint8_t)LLMVP_DT_FP32);
    add.src0 = last ? c->spad.x : part;
    add.src1 = last ? part : part + (uint64_t)(p + 1u) * partial_bytes(m);
    add.dst = add.src0;
    add.m = m->batch;
    add.n = m->hidden;
    put_fixed(pw, &pw->tile, add);
  }
}

/** Engine p's ATTN of every row of one layer at `step`, each appending the
 *  row's new k and v (its kv heads) to the shard first; the first waits
 *  GO(p); then `tail` if not null (O by columns); the last signals DONE.
 *  Always written (the context lengths change). */
static void put_attn(const fw_ctx* c, pnm_writers* pw, uint32_t p, const llmvp_layer_entry* e, uint32_t step,
                     const llmvp_desc* tail) {
  const llmvp_manifest* m = &c->m;
  const uint32_t hp = fw_pnm_count(m->kv_heads, m->pnm_units, p), h0 = fw_pnm_first(m->kv_heads, m->pnm_units, p);
  const uint32_t group = m->heads / m->kv_heads;
  const uint64_t act = fw_dtype_bytes(m->dt_act);
  const uint64_t q_row = (uint64_t)m->heads * m->head_dim * act, q_off = (uint64_t)h0 * group * m->head_dim * act;
  const uint64_t shard = (uint64_t)p * m->pnm_stride;
  const uint64_t kv_row = (uint64_t)m->kv_heads * m->head_dim * act, kv_off = (uint64_t)h0 * m->head_dim * act;
  for (uint32_t r = 0; r < m->batch; ++r) {
    llmvp_desc d = nop(0, 0, 0, 0);
    if (hp != 0u) {
      const uint64_t req = shard + (uint64_t)fw_kv_row(c, r) * m->kv_request_stride;
      d = tile_attn(c->spad.attn + r * q_row + q_off, c->spad.q + r * q_row + q_off, e->k_cache + req, e->v_cache + req,
                    fw_position(c, r, step) + 1u, hp * group, hp, m->head_dim, m->dt_act, m->dt_kv);
      d.opcode = LLMVP_OP_PNM_ATTN_APPEND;
      d.arg1 = (uint32_t)(c->spad.k + r * kv_row + kv_off); /* scratchpad 0: below 4 GiB (memmap.h) */
      d.w_group = (uint32_t)(c->spad.v + r * kv_row + kv_off);
    }
    if (r == 0u) d = waits(d, p);
    if (r + 1u == m->batch && tail == NULL) d = signals(d);
    ring_writer_put(&pw->eng[p], d);
  }
  if (tail != NULL) ring_writer_put(&pw->eng[p], signals(*tail));
}

/** q, k, v from h: on the engines (one phase) or the tile. */
static void put_qkv(const fw_ctx* c, pnm_writers* pw, const llmvp_layer_entry* e) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t q_dim = m->heads * m->head_dim, kv_dim = m->kv_heads * m->head_dim, b = m->batch;
  const int bias = m->attn_bias != 0u;
  if (on_tile(c, LLMVP_PNM_SHIFT_QKV)) {
    const uint8_t act = m->dt_act, wt = m->dt_w;
    const uint32_t q = LLMVP_PNM_SHIFT_QKV;
    put_fixed(pw, &pw->tile,
              tile_proj(c, q, 1,
                        bias ? tile_gemv_bias(s->q, s->h, e->wq, e->bq, b, q_dim, m->hidden, act, wt)
                             : tile_gemv(s->q, s->h, e->wq, b, q_dim, m->hidden, act, wt)));
    put_fixed(pw, &pw->tile,
              tile_proj(c, q, 1,
                        bias ? tile_gemv_bias(s->k, s->h, e->wk, e->bk, b, kv_dim, m->hidden, act, wt)
                             : tile_gemv(s->k, s->h, e->wk, b, kv_dim, m->hidden, act, wt)));
    put_fixed(pw, &pw->tile,
              tile_proj(c, q, 1,
                        bias ? tile_gemv_bias(s->v, s->h, e->wv, e->bv, b, kv_dim, m->hidden, act, wt)
                             : tile_gemv(s->v, s->h, e->wv, b, kv_dim, m->hidden, act, wt)));
    return;
  }
  put_go(c, pw);
  for (uint32_t p = 0; p < m->pnm_units; ++p) {
    llmvp_desc d[3] = {shard_rows(c, p, s->q, s->h, e->wq, q_dim, m->hidden, 1, 0, bias ? e->bq : 0u),
                       shard_rows(c, p, s->k, s->h, e->wk, kv_dim, m->hidden, 1, 0, bias ? e->bk : 0u),
                       shard_rows(c, p, s->v, s->h, e->wv, kv_dim, m->hidden, 1, 0, bias ? e->bv : 0u)};
    put_phase(c, pw, p, d, 3u);
  }
  put_wait(c, pw);
}

/** A residual projection x += in @ weight^T ([hidden][k]) of class `shift`:
 *  tile, engines by rows, or engines by columns and a combine. */
static void put_residual(const fw_ctx* c, pnm_writers* pw, uint32_t shift, uint64_t in, uint64_t weight, uint32_t k) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t mode = op_mode(m, shift);
  if (on_tile(c, shift)) {
    put_fixed(
        pw, &pw->tile,
        tile_proj(c, shift, 1, tile_gemv_accum(s->x, in, weight, s->x, m->batch, m->hidden, k, m->dt_act, m->dt_w)));
    return;
  }
  put_go(c, pw);
  for (uint32_t p = 0; p < m->pnm_units; ++p) {
    llmvp_desc d = mode == LLMVP_PNM_COLS ? shard_cols(c, p, in, weight, k)
                                          : shard_rows(c, p, s->x, in, weight, m->hidden, k, 1, 1, 0u);
    put_phase(c, pw, p, &d, 1u);
  }
  put_wait(c, pw);
  if (mode == LLMVP_PNM_COLS) put_combine(c, pw);
}

/** RMSNORM, q k v, RoPE, attention (engines or tile), o, RMSNORM ffn. */
static void put_attention_block(const fw_ctx* c, pnm_writers* pw, const llmvp_layer_entry* e, uint32_t step,
                                int last_layer) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t b = m->batch, q_dim = m->heads * m->head_dim;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  put_fixed(pw, &pw->tile, tile_rmsnorm(s->h, s->x, e->attn_norm, b, m->hidden, m->rms_eps_bits, act, wt));
  put_qkv(c, pw, e);
  put_fixed(pw, &pw->tile, tile_rope(s->q, s->positions, b, m->heads, m->head_dim, m->rope_theta_bits, act));
  llmvp_desc rope_k = tile_rope(s->k, s->positions, b, m->kv_heads, m->head_dim, m->rope_theta_bits, act);
  if (!attn_on_pnm(m)) rope_k.signal_sem = fw_sem_field(FW_SEM_KV_READY);
  put_fixed(pw, &pw->tile, rope_k);
  if (!attn_on_pnm(m)) { /* the tile, over an unsharded cache (paged allowed) */
    fw_put_kv_copies(c, &pw->dma, e, step, last_layer);
    fw_put_attn_rows(c, &pw->tile, e, step);
    put_residual(c, pw, LLMVP_PNM_SHIFT_O, s->attn, e->wo, q_dim);
  } else {
    put_go(c, pw);
    /* O by columns with kv heads a multiple of U: engine p's heads are its
     * wo columns, so it goes on without a barrier (fused). */
    /* NOLINTNEXTLINE(clang-analyzer-core.DivideZero): pnm.c runs with pnm_units != 0 only */
    const int fused = op_mode(m, LLMVP_PNM_SHIFT_O) == LLMVP_PNM_COLS && m->kv_heads % m->pnm_units == 0u &&
                      !tile_over_shards(c, LLMVP_PNM_SHIFT_O);
    for (uint32_t p = 0; p < m->pnm_units; ++p) {
      const llmvp_desc o = shard_cols(c, p, s->attn, e->wo, q_dim);
      put_attn(c, pw, p, e, step, fused ? &o : NULL);
    }
    put_wait(c, pw);
    if (fused)
      put_combine(c, pw);
    else
      put_residual(c, pw, LLMVP_PNM_SHIFT_O, s->attn, e->wo, q_dim);
  }
  put_fixed(pw, &pw->tile, tile_rmsnorm(s->h, s->x, e->ffn_norm, b, m->hidden, m->rms_eps_bits, act, wt));
}

/** Dense SwiGLU FFN on h into x: gate and up (engines or tile), SWIGLU, down. */
static void put_ffn(const fw_ctx* c, pnm_writers* pw, const llmvp_layer_entry* e) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t b = m->batch;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  const uint32_t gu = LLMVP_PNM_SHIFT_GATE_UP;
  if (on_tile(c, gu)) {
    put_fixed(pw, &pw->tile, tile_proj(c, gu, 1, tile_gemv(s->gate, s->h, e->w_gate, b, m->ffn, m->hidden, act, wt)));
    put_fixed(pw, &pw->tile, tile_proj(c, gu, 1, tile_gemv(s->up, s->h, e->w_up, b, m->ffn, m->hidden, act, wt)));
  } else {
    put_go(c, pw);
    for (uint32_t p = 0; p < m->pnm_units; ++p) {
      llmvp_desc d[2] = {shard_rows(c, p, s->gate, s->h, e->w_gate, m->ffn, m->hidden, 1, 0, 0u),
                         shard_rows(c, p, s->up, s->h, e->w_up, m->ffn, m->hidden, 1, 0, 0u)};
      put_phase(c, pw, p, d, 2u);
    }
    put_wait(c, pw);
  }
  put_fixed(pw, &pw->tile, tile_swiglu(s->gate, s->gate, s->up, b, m->ffn, act));
  put_residual(c, pw, LLMVP_PNM_SHIFT_DOWN, s->gate, e->w_down, m->ffn);
}

/** Walks the whole step: `full` writes every descriptor, else only the
 *  step-dependent ones (and the tile-fallback blocks, rewritten whole). */
static void walk(fw_ctx* c, uint32_t step, int full) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t u = m->pnm_units;
  pnm_writers pw;
  pw.full = full;
  fw_write_attn_rows(c, step); /* batched attention on the tile */
  ring_writer_begin(&pw.tile, c->rings.tile_base, 0);
  ring_writer_begin(&pw.dma, c->rings.dma_base, 0);
  for (uint32_t p = 0; p < u; ++p) ring_writer_begin(&pw.eng[p], pnm_ring(c, p), 0);
  put_fixed(&pw, &pw.tile, tile_embed(s->x, s->tokens_in, m->embed, m->batch, m->hidden, m->vocab, m->dt_act, m->dt_w));
  for (uint32_t l = 0; l < m->layers; ++l) {
    llmvp_layer_entry e;
    hal_read_block(m->layer_table + (uint64_t)l * sizeof(llmvp_layer_entry), &e, sizeof e);
    const int last = l + 1u == m->layers;
    if (fw_is_mla(m)) { /* MLA's attention block on the tile */
      fw_put_mla_attention(c, &pw.tile, l, &e, step);
      fw_put_kv_copies(c, &pw.dma, &e, step, last);
    } else {
      put_attention_block(c, &pw, &e, step, last);
    }
    if (fw_is_moe_layer(m, l)) { /* routed experts on the tile (rewritten whole when patching) */
      fw_put_moe_ffn(c, &pw.tile, &e);
    } else {
      put_ffn(c, &pw, &e);
    }
  }
  /* A prefill pass needs the next token of its last row only. */
  const uint32_t out_rows = c->prefill != 0u ? 1u : m->batch;
  const uint64_t last = (uint64_t)(m->batch - out_rows) * m->hidden * fw_dtype_bytes(m->dt_act);
  put_fixed(&pw, &pw.tile,
            tile_rmsnorm(s->h, s->x + last, m->final_norm, out_rows, m->hidden, m->rms_eps_bits, m->dt_act, m->dt_w));
  if (on_tile(c, LLMVP_PNM_SHIFT_LM_HEAD)) {
    put_fixed(&pw, &pw.tile,
              tile_proj(c, LLMVP_PNM_SHIFT_LM_HEAD, 0,
                        tile_gemv(s->logits, s->h, m->lm_head, out_rows, m->vocab, m->hidden, m->dt_act, m->dt_w)));
  } else {
    put_go(c, &pw);
    for (uint32_t p = 0; p < u; ++p) {
      llmvp_desc d = shard_rows(c, p, s->logits, s->h, m->lm_head, m->vocab, m->hidden, 0, 0, 0u);
      if (d.opcode != LLMVP_OP_NOP) d.m = out_rows;
      put_phase(c, &pw, p, &d, 1u);
    }
    put_wait(c, &pw);
  }
  llmvp_desc argmax = tile_argmax(s->tokens_out, s->logits, out_rows, m->vocab, m->dt_act);
  argmax.flags |= DESC_F_IRQ;
  put_fixed(&pw, &pw.tile, argmax);
  for (uint32_t p = 0; p < u; ++p) {
    llmvp_desc end = nop(0, 0, 0, 0);
    end.flags |= DESC_F_IRQ;
    put_fixed(&pw, &pw.eng[p], end);
    ring_writer_flush(&pw.eng[p]);
  }
  if (attn_on_pnm(m)) { /* the engines append their KV shards: the DMA only ends the step */
    llmvp_desc end = nop(0, 0, 0, 0);
    end.flags |= DESC_F_IRQ;
    put_fixed(&pw, &pw.dma, end);
  }
  ring_writer_flush(&pw.tile);
  ring_writer_flush(&pw.dma);
  if (full) {
    c->rings.tile_len = ring_writer_slot(&pw.tile);
    c->rings.dma_len = ring_writer_slot(&pw.dma);
    c->pnm_ring_len = u != 0u ? ring_writer_slot(&pw.eng[0]) : 0u;
  }
}

void fw_pnm_setup(fw_ctx* c) {
  const uint32_t u = c->m.pnm_units;
  hal_write32(LLMVP_SEM_BASE + SEM_SET(FW_SEM_PNM_DONE), 0u);
  fw_load_kv_blocks(c, 0);
  walk(c, 0, 1);
  engine_configure(&c->dma, c->rings.dma_base, c->rings.dma_len);
  engine_configure(&c->tile, c->rings.tile_base, c->rings.tile_len);
  uint32_t mask = engine_irq_mask(&c->dma) | engine_irq_mask(&c->tile);
  for (uint32_t p = 0; p < u; ++p) {
    engine_init(&c->pnm[p], LLMVP_PNM_BASE(p), LLMVP_IRQ_PNM(p));
    engine_reset(&c->pnm[p]);
    engine_configure(&c->pnm[p], pnm_ring(c, p), c->pnm_ring_len);
    hal_write32(LLMVP_SEM_BASE + SEM_SET(FW_SEM_PNM_GO(p)), 0u);
    mask |= engine_irq_mask(&c->pnm[p]);
  }
  intc_enable(mask);
  for (uint32_t p = 0; p < u; ++p) engine_enable(&c->pnm[p]);
}

int fw_pnm_block_attention(const llmvp_manifest* m) {
  return !attn_on_pnm(m) && m->kv_block_tokens == 0u && !fw_is_mla(m);
}

static void restart(fw_engine* e, uint64_t base, uint32_t len) {
  engine_reset(e);
  engine_configure(e, base, len);
  engine_enable(e);
}

void fw_pnm_rebuild(fw_ctx* c) {
  fw_load_kv_blocks(c, 0);
  walk(c, 0, 1);
  restart(&c->dma, c->rings.dma_base, c->rings.dma_len);
  restart(&c->tile, c->rings.tile_base, c->rings.tile_len);
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) restart(&c->pnm[p], pnm_ring(c, p), c->pnm_ring_len);
}

void fw_pnm_patch(fw_ctx* c, uint32_t step) {
  fw_load_kv_blocks(c, step);
  walk(c, step, 0);
}

void fw_pnm_post(fw_ctx* c) {
  engine_post(&c->dma, c->rings.dma_len);
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) engine_post(&c->pnm[p], c->pnm_ring_len);
  engine_post(&c->tile, c->rings.tile_len);
}

void fw_pnm_disable(const fw_ctx* c) {
  for (uint32_t p = 0; p < c->m.pnm_units; ++p) engine_disable(&c->pnm[p]);
}
