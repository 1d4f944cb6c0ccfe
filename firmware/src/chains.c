/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/chains.h"

#include <stddef.h>

#include "firmware/include/hal.h"
#include "firmware/src/dma.h"
#include "firmware/src/fw_util.h"
#include "firmware/src/prefetch.h"
#include "firmware/src/ring.h"
#include "firmware/src/tile.h"

/** A layer's KV-cache bases, read straight from the layer table. */
typedef struct kv_bases {
  uint64_t k_cache, v_cache;
  uint64_t prefix_k, prefix_v; /* shared KV prefix (manifest kv_prefix_tokens), else 0 */
} kv_bases;

_Static_assert(offsetof(llmvp_layer_entry, v_cache) == offsetof(llmvp_layer_entry, k_cache) + 8u,
               "k_cache and v_cache must be adjacent for one 16-byte read");

static uint64_t layer_entry_addr(const fw_ctx* c, uint32_t layer) {
  return c->m.layer_table + (uint64_t)layer * sizeof(llmvp_layer_entry);
}

_Static_assert(offsetof(llmvp_layer_entry, prefix_v) == offsetof(llmvp_layer_entry, prefix_k) + 8u,
               "prefix_k and prefix_v must be adjacent for one 16-byte read");

static kv_bases read_kv_bases(const fw_ctx* c, uint32_t layer) {
  uint64_t v[2], p[2] = {0u, 0u};
  hal_read_block(layer_entry_addr(c, layer) + offsetof(llmvp_layer_entry, k_cache), v, sizeof v);
  if (c->m.kv_prefix_tokens != 0u)
    hal_read_block(layer_entry_addr(c, layer) + offsetof(llmvp_layer_entry, prefix_k), p, sizeof p);
  const kv_bases kv = {v[0], v[1], p[0], p[1]};
  return kv;
}

/** ATTN for every request row of one layer at `step` (tile slots
 *  fw_tile_attn_slot .. + batch). The first waits for the layer's KV writes. */
static void put_attn_rows(const fw_ctx* c, fw_ring_writer* w, kv_bases kv, uint32_t step) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint64_t act = fw_dtype_bytes(m->dt_act);
  const uint64_t q_row = (uint64_t)m->heads * m->head_dim * act;
  const uint64_t lat_row = (uint64_t)m->heads * m->mla_kv_lora * act;
  const uint64_t qr_row = (uint64_t)m->heads * m->mla_rope * act;
  const int paged = m->kv_block_tokens != 0u;
  if (c->prefill == FW_PREFILL_BLOCK) {
    /* One causal block per request piece of the chunk (contiguous cache). */
    uint64_t row = 0;
    for (uint32_t i = 0; i < c->prefill_segs; ++i) {
      const uint64_t req = (uint64_t)c->seg_kv[i] * m->kv_request_stride;
      llmvp_desc d = tile_attn(s->attn + row * q_row, s->q + row * q_row, kv.k_cache + req, kv.v_cache + req, 0u,
                               m->heads, m->kv_heads, m->head_dim, m->dt_act, m->dt_kv);
      d.opcode = LLMVP_OP_ATTN_PREFILL;
      d.m = c->seg_rows[i];
      d.arg1 = c->seg_start[i];
      if (i == 0u) d.wait_sem = fw_sem_field(FW_SEM_KV_DONE);
      ring_writer_put(w, d);
      row += c->seg_rows[i];
    }
    return;
  }
  if (fw_attn_batched(m)) {
    /* One ATTN over every row (fw_write_attn_rows fills the row table). */
    llmvp_desc d =
        tile_attn(s->attn, s->q, kv.k_cache, kv.v_cache, 0u, m->heads, m->kv_heads, m->head_dim, m->dt_act, m->dt_kv);
    d.flags |= DESC_F_ROWS;
    d.m = m->batch;
    d.w_group = (uint32_t)c->rings.attn_rows; /* work region, control SRAM: < 4 GiB */
    if (paged) {
      d.flags |= DESC_F_PAGED;
      d.arg1 = m->kv_block_tokens;
    }
    d.wait_sem = fw_sem_field(FW_SEM_KV_DONE);
    ring_writer_put(w, d);
    (void)step;
    return;
  }
  const uint32_t prefix = m->kv_prefix_tokens;
  /* The shared prefix (timing only: the two partial attentions are not
   * merged; the prefix pass writes the same output the own pass then
   * overwrites). Its keys and values are the same for every request, so one
   * pass reads them once for the query heads of all rows (rows are adjacent
   * in the scratchpad), as shared-prefix batched attention does. It does not
   * depend on this step's KV writes. */
  if (prefix != 0u)
    ring_writer_put(w, tile_attn(c->spad.attn, c->spad.q, kv.prefix_k, kv.prefix_v, prefix, m->heads * m->batch,
                                 m->kv_heads, m->head_dim, m->dt_act, m->dt_kv));
  for (uint32_t r = 0; r < m->batch; ++r) {
    const uint64_t req = paged ? 0u : (uint64_t)fw_kv_row(c, r) * m->kv_request_stride;
    const uint32_t ctx = fw_position(c, r, step) + 1u - prefix; /* own positions */
    llmvp_desc d = fw_is_mla(m) ? tile_attn_mla(s->mla_olat + r * lat_row, s->mla_qlat + r * lat_row,
                                                s->mla_qrope + r * qr_row, kv.k_cache + req, ctx, m->heads,
                                                m->mla_kv_lora, m->mla_rope, m->head_dim, m->dt_act, m->dt_kv)
                                : tile_attn(s->attn + r * q_row, s->q + r * q_row, kv.k_cache + req, kv.v_cache + req,
                                            ctx, m->heads, m->kv_heads, m->head_dim, m->dt_act, m->dt_kv);
    if (paged) {
      d.flags |= DESC_F_PAGED;
      d.arg1 = m->kv_block_tokens;
      d.w_group = (uint32_t)(m->block_table +
                             (uint64_t)fw_kv_row(c, r) * m->block_table_stride * 4u); /* control SRAM: < 4 GiB */
    }
    if (r == 0) d.wait_sem = fw_sem_field(FW_SEM_KV_DONE);
    ring_writer_put(w, d);
  }
}

/** COPY k and v of every row of one layer into the KV cache at the row's
 *  position of `step` (DMA slots fw_dma_layer_slot .. + 2 * batch). */
static void put_kv_copies(const fw_ctx* c, fw_ring_writer* w, kv_bases kv, uint32_t step, int last_layer) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint64_t act = fw_dtype_bytes(m->dt_act), kvb = fw_dtype_bytes(m->dt_kv);
  /* GQA: k row and v row into the K and V caches. MLA: the latent and the
   * rope key into one latent-cache row [kv_lora | rope] of the K cache. */
  const int mla = fw_is_mla(m);
  const uint32_t elems0 = mla ? m->mla_kv_lora : m->kv_heads * m->head_dim;
  const uint32_t elems1 = mla ? m->mla_rope : elems0;
  const uint64_t src0 = mla ? s->mla_lat : s->k, src1 = mla ? s->mla_krope : s->v;
  const uint64_t cache_row = mla ? ((uint64_t)elems0 + elems1) * kvb : (uint64_t)elems0 * kvb;
  const uint64_t dst1_base = mla ? kv.k_cache + (uint64_t)elems0 * kvb : kv.v_cache;
  if (c->prefill == FW_PREFILL_BLOCK) {
    /* Each piece's rows are consecutive positions of one request. */
    uint64_t row = 0;
    for (uint32_t i = 0; i < c->prefill_segs; ++i) {
      const uint64_t at = (uint64_t)c->seg_kv[i] * m->kv_request_stride + (uint64_t)c->seg_start[i] * cache_row;
      llmvp_desc k = dma_copy(kv.k_cache + at, src0 + row * elems0 * act, elems0 * c->seg_rows[i], m->dt_act, m->dt_kv);
      llmvp_desc v = dma_copy(dst1_base + at, src1 + row * elems1 * act, elems1 * c->seg_rows[i], m->dt_act, m->dt_kv);
      if (i == 0u) k.wait_sem = fw_sem_field(FW_SEM_KV_READY);
      if (i + 1u == c->prefill_segs) {
        v.signal_sem = fw_sem_field(FW_SEM_KV_DONE);
        if (last_layer) v.flags |= DESC_F_IRQ;
      }
      ring_writer_put(w, k);
      ring_writer_put(w, v);
      row += c->seg_rows[i];
    }
    return;
  }
  for (uint32_t r = 0; r < m->batch; ++r) {
    const uint32_t pos = fw_position(c, r, step) - m->kv_prefix_tokens; /* row in the request's own cache */
    const uint64_t at = m->kv_block_tokens != 0u
                            ? ((uint64_t)c->kv_block[r] * m->kv_block_tokens + pos % m->kv_block_tokens) * cache_row
                            : (uint64_t)fw_kv_row(c, r) * m->kv_request_stride + (uint64_t)pos * cache_row;
    llmvp_desc k = dma_copy(kv.k_cache + at, src0 + (uint64_t)r * elems0 * act, elems0, m->dt_act, m->dt_kv);
    llmvp_desc v = dma_copy(dst1_base + at, src1 + (uint64_t)r * elems1 * act, elems1, m->dt_act, m->dt_kv);
    if (r == 0) k.wait_sem = fw_sem_field(FW_SEM_KV_READY);
    if (r + 1u == m->batch) {
      v.signal_sem = fw_sem_field(FW_SEM_KV_DONE);
      if (last_layer) v.flags |= DESC_F_IRQ; /* DMA idle => safe to patch and re-post */
    }
    ring_writer_put(w, k);
    ring_writer_put(w, v);
  }
}

/** Types a projection GEMV's weights as the manifest's linear type (maybe
 *  group-quantised) and returns it. */
static llmvp_desc linear(const llmvp_manifest* m, llmvp_desc d) {
  if (m->w_group == 0u) return d; /* not quantised: dt_w as built */
  d.dt_w = (uint8_t)m->dt_linear;
  d.w_group = m->w_group;
  return d;
}

/** A routed-expert GEMV_MOE as a linear projection; expert parallel: over
 *  this chip's window of experts (descriptors.h DESC_F_EXPERT_WINDOW). */
static llmvp_desc moe_gemv(const llmvp_manifest* m, llmvp_desc d) {
  if (fw_ep(m)) {
    const uint32_t local = m->experts / m->ep_ranks;
    d.arg0 = m->top_k | m->ep_rank << 8 | local << 16;
    d.flags |= DESC_F_EXPERT_WINDOW;
  }
  return linear(m, d);
}

/** Tensor parallel: the block's projection writes this chip's fp32 partial
 *  sums (signalling the collectives engine), and an ADD waits for the
 *  all-reduced sum and adds it to x (2 descriptors). */
static void put_tp_add(const fw_ctx* c, fw_ring_writer* w);
static void put_tp_projection(const fw_ctx* c, fw_ring_writer* w, uint64_t in, uint64_t weight, uint32_t k) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  llmvp_desc proj = linear(m, tile_gemv(s->partial, in, weight, m->batch, m->hidden, k, m->dt_act, m->dt_w));
  proj.dt_out = LLMVP_DT_FP32;
  proj.signal_sem = fw_sem_field(FW_SEM_COLL_IN);
  ring_writer_put(w, proj);
  put_tp_add(c, w);
}

/** Tensor parallel: the ADD that waits for the all-reduced partial sums and
 *  adds them to x. */
static void put_tp_add(const fw_ctx* c, fw_ring_writer* w) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  llmvp_desc add = fw_desc(LLMVP_OP_ADD, m->dt_act, LLMVP_DT_FP32, m->dt_act);
  add.src0 = s->x;
  add.src1 = s->partial;
  add.dst = s->x;
  add.m = m->batch;
  add.n = m->hidden;
  add.wait_sem = fw_sem_field(FW_SEM_COLL_OUT);
  ring_writer_put(w, add);
}

/** SwiGLU hidden layer of width ffn on h, into gate (3 descriptors). */
static void put_ffn_hidden(const fw_ctx* c, fw_ring_writer* w, uint64_t gate, uint64_t up, uint32_t ffn) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t b = m->batch;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  ring_writer_put(w, linear(m, tile_gemv(s->gate, s->h, gate, b, ffn, m->hidden, act, wt)));
  ring_writer_put(w, linear(m, tile_gemv(s->up, s->h, up, b, ffn, m->hidden, act, wt)));
  ring_writer_put(w, tile_swiglu(s->gate, s->gate, s->up, b, ffn, act));
}

/** Dense SwiGLU FFN of width ffn on h, accumulated into x (4 descriptors). */
static void put_dense_ffn(const fw_ctx* c, fw_ring_writer* w, uint64_t gate, uint64_t up, uint64_t down, uint32_t ffn) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t b = m->batch;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  put_ffn_hidden(c, w, gate, up, ffn);
  if (fw_tp(m)) {
    put_tp_projection(c, w, s->gate, down, ffn);
    return;
  }
  ring_writer_put(w, linear(m, tile_gemv_accum(s->x, s->gate, down, s->x, b, m->hidden, ffn, act, wt)));
}

/** A dispatch-family descriptor (MOE_DISPATCH, MOE_GATHER) over this
 *  chip's rows for the group's ep_ranks chips. */
static llmvp_desc dispatch_desc(const llmvp_manifest* m, uint8_t opcode, uint8_t out, uint64_t src0, uint64_t src1,
                                uint64_t dst, uint64_t src2) {
  llmvp_desc d = fw_desc(opcode, m->dt_act, LLMVP_DT_FP32, out);
  d.src0 = src0;
  d.src1 = src1;
  d.dst = dst;
  d.src2 = src2;
  d.m = m->batch;
  d.n = m->hidden;
  d.k = m->top_k;
  d.arg0 = m->experts;
  d.arg1 = m->ep_ranks;
  return d;
}

/** The routed experts' GEMV_MOE gate and up on `rows` rows of `in` routed
 *  by `route`, SWIGLU, GEMV_MOE down into eout (4 descriptors). */
static void put_expert_ffn(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e, uint64_t in, uint64_t route,
                           uint32_t rows) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t k = m->top_k, eff = m->expert_ffn;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  ring_writer_put(w, moe_gemv(m, tile_gemv_moe(s->egate, in, e->exp_gate, e->expert_stride, route, rows, eff, m->hidden,
                                               k, m->experts, 0, act, wt)));
  ring_writer_put(w, moe_gemv(m, tile_gemv_moe(s->eup, in, e->exp_up, e->expert_stride, route, rows, eff, m->hidden, k,
                                               m->experts, 0, act, wt)));
  ring_writer_put(w, tile_swiglu(s->egate, s->egate, s->eup, rows * k, eff, act));
  ring_writer_put(w, moe_gemv(m, tile_gemv_moe(s->eout, s->egate, e->exp_down, e->expert_stride, route, rows, m->hidden,
                                               eff, k, m->experts, 1, act, wt)));
}

/** Expert parallel with data-parallel attention (plan.h fw_ep_dispatch):
 *  from MOE_DISPATCH to MOE_RETURN, the shared experts in between. */
static void put_moe_dispatch(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t rows = (uint32_t)fw_expert_rows(m, m->batch), k = m->top_k;
  const uint8_t act = m->dt_act;
  llmvp_desc pack = dispatch_desc(m, LLMVP_OP_MOE_DISPATCH, LLMVP_DT_U32, s->h, s->route, s->dsend, s->dmap);
  pack.signal_sem = fw_sem_field(FW_SEM_COLL_IN);
  ring_writer_put(w, pack);
  /* The shared experts overlap the dispatch all-to-all. */
  if (m->shared_ffn != 0u) put_dense_ffn(c, w, e->w_gate, e->w_up, e->w_down, m->shared_ffn);
  llmvp_desc unpack = dispatch_desc(m, LLMVP_OP_MOE_GATHER, act, s->drecv, s->dcounts, s->erows, s->eroute);
  unpack.wait_sem = fw_sem_field(FW_SEM_COLL_OUT);
  ring_writer_put(w, unpack);
  put_expert_ffn(c, w, e, s->erows, s->eroute, rows);
  llmvp_desc combine = tile_moe_combine(s->eret, s->eout, s->eroute, 0u, rows, m->hidden, k, act);
  combine.flags &= (uint8_t)~DESC_F_ACCUM;
  combine.dt_out = LLMVP_DT_FP32;
  combine.signal_sem = fw_sem_field(FW_SEM_COLL_IN);
  ring_writer_put(w, combine);
  llmvp_desc ret = fw_desc(LLMVP_OP_MOE_RETURN, LLMVP_DT_FP32, LLMVP_DT_U32, act);
  ret.src0 = s->eback;
  ret.src1 = s->dmap;
  ret.src2 = s->x;
  ret.dst = s->x;
  ret.m = m->batch;
  ret.n = m->hidden;
  ret.arg1 = m->ep_ranks;
  ret.flags |= DESC_F_ACCUM;
  ret.wait_sem = fw_sem_field(FW_SEM_COLL_OUT);
  ring_writer_put(w, ret);
}

/** Routed experts (router, top-k, grouped expert GEMVs, weighted combine
 *  into x) then the shared experts: 9 (+4) descriptors, see plan.h. */
void fw_put_moe_ffn(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t b = m->batch, k = m->top_k;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  llmvp_desc router = tile_gemv(s->router, s->h, e->router, b, m->experts, m->hidden, act, wt);
  router.dt_out = LLMVP_DT_FP32; /* routers score in fp32 */
  ring_writer_put(w, router);
  ring_writer_put(w, tile_topk(s->route, s->router, b, m->experts, k, m->router_scoring, m->routed_scale_bits));
  if (fw_ep_dispatch(m)) {
    put_moe_dispatch(c, w, e);
    return;
  }
  put_expert_ffn(c, w, e, s->h, s->route, b);
  if (!fw_ep(m)) {
    ring_writer_put(w, tile_moe_combine(s->x, s->eout, s->route, s->x, b, m->hidden, k, act));
    if (m->shared_ffn != 0u) put_dense_ffn(c, w, e->w_gate, e->w_up, e->w_down, m->shared_ffn);
    return;
  }
  /* Expert parallel (plan.h): this chip's fp32 partial of the combine, the
   * shared experts' column shard added into it, all-reduced, added to x. */
  llmvp_desc combine = tile_moe_combine(s->partial, s->eout, s->route, 0u, b, m->hidden, k, act);
  combine.flags &= (uint8_t)~DESC_F_ACCUM;
  combine.dt_out = LLMVP_DT_FP32;
  if (m->shared_ffn == 0u) combine.signal_sem = fw_sem_field(FW_SEM_COLL_IN);
  ring_writer_put(w, combine);
  if (m->shared_ffn != 0u) {
    put_ffn_hidden(c, w, e->w_gate, e->w_up, m->shared_ffn);
    llmvp_desc down =
        linear(m, tile_gemv_accum(s->partial, s->gate, e->w_down, s->partial, b, m->hidden, m->shared_ffn, act, wt));
    down.dt_out = LLMVP_DT_FP32;
    down.signal_sem = fw_sem_field(FW_SEM_COLL_IN);
    ring_writer_put(w, down);
  }
  put_tp_add(c, w);
}

/** Multi-head latent attention, absorbed form (plan.h): from RMSNORM attn to
 *  RMSNORM ffn. */
void fw_put_mla_attention(const fw_ctx* c, fw_ring_writer* w, uint32_t layer, const llmvp_layer_entry* e,
                          uint32_t step) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t b = m->batch, heads = m->heads, lat = m->mla_kv_lora, rope = m->mla_rope;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  ring_writer_put(w, tile_rmsnorm(s->h, s->x, e->attn_norm, b, m->hidden, m->rms_eps_bits, act, wt));
  uint64_t q_in = s->h;
  uint32_t q_in_dim = m->hidden;
  if (m->mla_q_lora != 0u) {
    ring_writer_put(w, tile_gemv(s->mla_cq, s->h, e->mla_q_a, b, m->mla_q_lora, m->hidden, act, wt));
    ring_writer_put(w, tile_rmsnorm(s->mla_cq, s->mla_cq, e->mla_q_a_norm, b, m->mla_q_lora, m->rms_eps_bits, act, wt));
    q_in = s->mla_cq;
    q_in_dim = m->mla_q_lora;
  }
  llmvp_desc* qn = ring_writer_put(w, tile_gemv(s->q, q_in, e->mla_q_nope, b, heads * m->mla_nope, q_in_dim, act, wt));
  if (layer == 0 && (m->debug_flags & FW_DEBUG_BAD_OPCODE)) qn->opcode = FW_DEBUG_OPCODE;
  if (layer == 0 && (m->debug_flags & FW_DEBUG_BAD_ADDRESS)) qn->src1 = FW_DEBUG_ADDRESS;
  ring_writer_put(w, tile_gemv(s->mla_qrope, q_in, e->mla_q_rope, b, heads * rope, q_in_dim, act, wt));
  ring_writer_put(w, tile_gemv(s->mla_lat, s->h, e->mla_kv_a, b, lat, m->hidden, act, wt));
  ring_writer_put(w, tile_gemv(s->mla_krope, s->h, e->mla_k_rope, b, rope, m->hidden, act, wt));
  ring_writer_put(w, tile_rmsnorm(s->mla_lat, s->mla_lat, e->mla_kv_norm, b, lat, m->rms_eps_bits, act, wt));
  ring_writer_put(w, tile_rope(s->mla_qrope, s->positions, b, heads, rope, m->rope_theta_bits, act));
  llmvp_desc rope_k = tile_rope(s->mla_krope, s->positions, b, 1u, rope, m->rope_theta_bits, act);
  rope_k.signal_sem = fw_sem_field(FW_SEM_KV_READY);
  ring_writer_put(w, rope_k);
  ring_writer_put(w, tile_gemv_heads(s->mla_qlat, s->q, e->mla_w_uk, b, heads, lat, m->mla_nope, act, wt));
  const kv_bases kv = {e->k_cache, e->v_cache, 0u, 0u}; /* MLA: no shared prefix */
  put_attn_rows(c, w, kv, step);
  ring_writer_put(w, tile_gemv_heads(s->attn, s->mla_olat, e->mla_w_uv, b, heads, m->mla_v, lat, act, wt));
  ring_writer_put(w, tile_gemv_accum(s->x, s->attn, e->wo, s->x, b, m->hidden, heads * m->mla_v, act, wt));
  ring_writer_put(w, tile_rmsnorm(s->h, s->x, e->ffn_norm, b, m->hidden, m->rms_eps_bits, act, wt));
}

static void put_layer(const fw_ctx* c, fw_ring_writer* w, uint32_t layer, const llmvp_layer_entry* e) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t b = m->batch;
  const uint8_t act = m->dt_act, wt = m->dt_w;
  const uint32_t q_dim = m->heads * m->head_dim, kv_dim = m->kv_heads * m->head_dim;

  if (fw_is_mla(m)) {
    fw_put_mla_attention(c, w, layer, e, 0);
    if (fw_is_moe_layer(m, layer)) {
      fw_put_moe_ffn(c, w, e);
      return;
    }
    put_dense_ffn(c, w, e->w_gate, e->w_up, e->w_down, m->ffn);
    return;
  }
  ring_writer_put(w, tile_rmsnorm(s->h, s->x, e->attn_norm, b, m->hidden, m->rms_eps_bits, act, wt));
  const int bias = m->attn_bias != 0u;
  llmvp_desc* wq =
      ring_writer_put(w, linear(m, bias ? tile_gemv_bias(s->q, s->h, e->wq, e->bq, b, q_dim, m->hidden, act, wt)
                                        : tile_gemv(s->q, s->h, e->wq, b, q_dim, m->hidden, act, wt)));
  if (layer == 0 && (m->debug_flags & FW_DEBUG_BAD_OPCODE)) wq->opcode = FW_DEBUG_OPCODE;
  if (layer == 0 && (m->debug_flags & FW_DEBUG_BAD_ADDRESS)) wq->src1 = FW_DEBUG_ADDRESS;
  ring_writer_put(w, linear(m, bias ? tile_gemv_bias(s->k, s->h, e->wk, e->bk, b, kv_dim, m->hidden, act, wt)
                                    : tile_gemv(s->k, s->h, e->wk, b, kv_dim, m->hidden, act, wt)));
  ring_writer_put(w, linear(m, bias ? tile_gemv_bias(s->v, s->h, e->wv, e->bv, b, kv_dim, m->hidden, act, wt)
                                    : tile_gemv(s->v, s->h, e->wv, b, kv_dim, m->hidden, act, wt)));
  ring_writer_put(w, tile_rope(s->q, s->positions, b, m->heads, m->head_dim, m->rope_theta_bits, act));
  llmvp_desc rope_k = tile_rope(s->k, s->positions, b, m->kv_heads, m->head_dim, m->rope_theta_bits, act);
  rope_k.signal_sem = fw_sem_field(FW_SEM_KV_READY);
  ring_writer_put(w, rope_k);
  const kv_bases kv = {e->k_cache, e->v_cache, e->prefix_k, e->prefix_v};
  put_attn_rows(c, w, kv, 0);
  if (fw_tp(m))
    put_tp_projection(c, w, s->attn, e->wo, q_dim);
  else
    ring_writer_put(w, linear(m, tile_gemv_accum(s->x, s->attn, e->wo, s->x, b, m->hidden, q_dim, act, wt)));
  ring_writer_put(w, tile_rmsnorm(s->h, s->x, e->ffn_norm, b, m->hidden, m->rms_eps_bits, act, wt));
  if (fw_is_moe_layer(m, layer)) {
    fw_put_moe_ffn(c, w, e);
    return;
  }
  put_dense_ffn(c, w, e->w_gate, e->w_up, e->w_down, m->ffn);
}

void fw_put_attn_rows(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e, uint32_t step) {
  const kv_bases kv = {e->k_cache, e->v_cache, e->prefix_k, e->prefix_v};
  put_attn_rows(c, w, kv, step);
}

void fw_put_kv_copies(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e, uint32_t step, int last_layer) {
  const kv_bases kv = {e->k_cache, e->v_cache, e->prefix_k, e->prefix_v};
  put_kv_copies(c, w, kv, step, last_layer);
}

void fw_load_kv_blocks(fw_ctx* c, uint32_t step) {
  const llmvp_manifest* m = &c->m;
  if (m->kv_block_tokens == 0u) return;
  for (uint32_t r = 0; r < m->batch; ++r) {
    const uint32_t entry = fw_position(c, r, step) / m->kv_block_tokens;
    c->kv_block[r] = hal_read32(m->block_table + ((uint64_t)fw_kv_row(c, r) * m->block_table_stride + entry) * 4u);
  }
}

void fw_write_attn_rows(const fw_ctx* c, uint32_t step) {
  const llmvp_manifest* m = &c->m;
  if (c->prefill == FW_PREFILL_BLOCK || !fw_attn_batched(m)) return; /* decode, or a row-wise prefill pass */
  llmvp_attn_row rows[16];
  for (uint32_t r0 = 0; r0 < m->batch; r0 += 16u) {
    const uint32_t n = m->batch - r0 < 16u ? m->batch - r0 : 16u;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t r = r0 + i;
      const int paged = m->kv_block_tokens != 0u;
      rows[i].ctx = fw_position(c, r, step) + 1u;
      rows[i].block_table =
          paged ? (uint32_t)(m->block_table + (uint64_t)fw_kv_row(c, r) * m->block_table_stride * 4u) : 0u;
      rows[i].cache_offset = paged ? 0u : (uint64_t)fw_kv_row(c, r) * m->kv_request_stride;
    }
    hal_write_block(c->rings.attn_rows + (uint64_t)r0 * LLMVP_ATTN_ROW_BYTES, rows, (size_t)n * LLMVP_ATTN_ROW_BYTES);
  }
}

/** The collectives engine's chain (plan.h fw_coll_chain_len): a pipeline
 *  stage after the first RECVs x from the stage before (signals COLL_OUT:
 *  the tile's first NOP waits for it); then the tensor-parallel group's two
 *  all-reduces per layer of the fp32 partial sums, in place (wait COLL_IN,
 *  signal COLL_OUT); then a stage before the last SENDs x on and the last
 *  SENDs its tokens to stage 0 (wait COLL_IN: the tile's last NOP, or the
 *  ARGMAX), and stage 0 RECVs them. Peers are chips: stage * T + this
 *  chip's tensor-parallel rank, T the group's size. Nothing is patched per
 *  step; the last descriptor raises the IRQ. */
static void put_coll_chain(const fw_ctx* c) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  const uint32_t tp = fw_tp(m) ? m->tp_ranks : 1u, rank = fw_tp(m) ? m->tp_rank : 0u;
  const uint32_t stage = m->pp_stage, last = m->pp_stages - 1u;
  fw_ring_writer w;
  llmvp_desc* tail = 0;
  ring_writer_begin(&w, c->rings.coll_base, 0);
  llmvp_desc x = fw_desc(LLMVP_OP_SEND, m->dt_act, m->dt_act, m->dt_act);
  x.src0 = s->x;
  x.dst = s->x;
  x.n = m->batch * m->hidden;
  x.arg1 = LLMVP_PP_TAG_X;
  llmvp_desc tokens = fw_desc(LLMVP_OP_SEND, LLMVP_DT_U32, LLMVP_DT_U32, LLMVP_DT_U32);
  tokens.src0 = s->tokens_out;
  tokens.dst = s->tokens_out;
  tokens.n = m->batch;
  tokens.arg1 = LLMVP_PP_TAG_TOKENS;
  if (fw_pp(m) && stage != 0u) {
    llmvp_desc in = x;
    in.opcode = LLMVP_OP_RECV;
    in.arg0 = (stage - 1u) * tp + rank;
    in.signal_sem = fw_sem_field(FW_SEM_COLL_OUT);
    tail = ring_writer_put(&w, in);
  }
  for (uint32_t i = 0; fw_tp(m) && i < 2u * m->layers; ++i) {
    llmvp_desc d = fw_desc(LLMVP_OP_ALL_REDUCE, LLMVP_DT_FP32, LLMVP_DT_FP32, LLMVP_DT_FP32);
    d.src0 = s->partial;
    d.dst = s->partial;
    d.n = m->batch * m->hidden;
    d.arg0 = LLMVP_COLL_ALG_CONFIG;
    d.arg1 = i; /* call site: layer i / 2, attention (even) or FFN (odd) */
    d.m = fw_coll_ranks(m);
    d.k = fw_coll_first(m);
    d.wait_sem = fw_sem_field(FW_SEM_COLL_IN);
    d.signal_sem = fw_sem_field(FW_SEM_COLL_OUT);
    tail = ring_writer_put(&w, d);
  }
  /* Data-parallel attention: each MoE layer's dispatch and combine. */
  for (uint64_t i = 0; fw_ep_dispatch(m) && i < 2u * fw_moe_layers(m); ++i) {
    const uint64_t rows = fw_expert_rows(m, m->batch);
    const int records = i % 2u == 0u;
    const uint8_t t = records ? LLMVP_DT_U32 : LLMVP_DT_FP32;
    llmvp_desc d = fw_desc(LLMVP_OP_ALL_TO_ALL, t, t, t);
    d.src0 = records ? s->dsend : s->eret;
    d.dst = records ? s->drecv : s->eback;
    d.src2 = records ? s->dmap : s->eroute + rows * m->top_k * 8u; /* the counts MOE_DISPATCH / MOE_GATHER wrote */
    d.src1 = records ? s->dcounts : 0u;
    d.n = m->batch *
          (records ? llmvp_moe_record_words(m->hidden, m->top_k, (uint32_t)fw_dtype_bytes(m->dt_act)) : m->hidden);
    d.arg0 = LLMVP_COLL_ALG_CONFIG;
    d.arg1 = (uint32_t)i; /* call site: MoE layer i / 2, dispatch (even) or combine (odd) */
    d.m = fw_coll_ranks(m);
    d.k = fw_coll_first(m);
    d.wait_sem = fw_sem_field(FW_SEM_COLL_IN);
    d.signal_sem = fw_sem_field(FW_SEM_COLL_OUT);
    tail = ring_writer_put(&w, d);
  }
  if (fw_pp(m)) {
    llmvp_desc out = stage == last ? tokens : x;
    out.arg0 = (stage == last ? 0u : stage + 1u) * tp + rank;
    out.wait_sem = fw_sem_field(FW_SEM_COLL_IN);
    tail = ring_writer_put(&w, out);
    if (stage == 0u) {
      llmvp_desc in = tokens;
      in.opcode = LLMVP_OP_RECV;
      in.arg0 = last * tp + rank;
      tail = ring_writer_put(&w, in);
    }
  }
  if (tail != 0) tail->flags |= DESC_F_IRQ;
  ring_writer_flush(&w);
}

/** A NOP of the tile chain (pipeline parallel: waits for x, or hands it on). */
static llmvp_desc tile_nop(void) { return fw_desc(LLMVP_OP_NOP, LLMVP_DT_FP32, LLMVP_DT_FP32, LLMVP_DT_FP32); }

void fw_build_chains(const fw_ctx* c) {
  const llmvp_manifest* m = &c->m;
  const fw_spad_plan* s = &c->spad;
  fw_ring_writer tile, dma;
  fw_write_attn_rows(c, 0);
  ring_writer_begin(&tile, c->prefill ? c->rings.prefill_tile_base : c->rings.tile_base, 0);
  ring_writer_begin(&dma, c->prefill ? c->rings.prefill_dma_base : c->rings.dma_base, 0);

  if (fw_pp_first(m)) {
    ring_writer_put(&tile, tile_embed(s->x, s->tokens_in, m->embed, m->batch, m->hidden, m->vocab, m->dt_act, m->dt_w));
  } else { /* pipeline stage > 0: x arrives from the stage before */
    llmvp_desc wait = tile_nop();
    wait.wait_sem = fw_sem_field(FW_SEM_COLL_OUT);
    ring_writer_put(&tile, wait);
  }
  for (uint32_t l = 0; l < m->layers; ++l) {
    llmvp_layer_entry e;
    hal_read_block(layer_entry_addr(c, l), &e, sizeof e);
    fw_prefetch_relocate(c, l, &e);
    if (fw_prefetching(m)) ring_writer_flush(&tile); /* the layer's first descriptor is patched in the ring */
    const uint32_t first = ring_writer_slot(&tile);
    put_layer(c, &tile, l, &e);
    if (fw_prefetching(m)) {
      ring_writer_flush(&tile);
      fw_prefetch_mark_layer(c, first, ring_writer_slot(&tile) - 1u);
    }
    const kv_bases kv = {e.k_cache, e.v_cache, e.prefix_k, e.prefix_v};
    put_kv_copies(c, &dma, kv, 0, l + 1u == m->layers);
  }
  if (!fw_pp_last(m)) { /* pipeline stage: hand x on instead of the head */
    llmvp_desc done = tile_nop();
    done.signal_sem = fw_sem_field(FW_SEM_COLL_IN);
    done.flags |= DESC_F_IRQ;
    ring_writer_put(&tile, done);
    ring_writer_flush(&tile);
    ring_writer_flush(&dma);
    put_coll_chain(c);
    return;
  }
  /* A prefill chunk needs the next token of its last position only; a block
   * pass, of the last row of every piece that ends its prompt (h rows in
   * piece order; the chunk's last row if none does). */
  uint32_t out_rows = c->prefill ? 1u : m->batch;
  const uint64_t x_row = (uint64_t)m->hidden * fw_dtype_bytes(m->dt_act);
  const uint64_t last = c->prefill ? (uint64_t)(m->batch - 1u) * x_row : 0u;
  if (c->prefill == FW_PREFILL_BLOCK) {
    uint64_t row = 0;
    out_rows = 0u;
    for (uint32_t i = 0; i < c->prefill_segs; ++i) {
      row += c->seg_rows[i];
      if (c->seg_out[i] == 0u) continue;
      ring_writer_put(&tile, tile_rmsnorm(s->h + out_rows * x_row, s->x + (row - 1u) * x_row, m->final_norm, 1u,
                                          m->hidden, m->rms_eps_bits, m->dt_act, m->dt_w));
      ++out_rows;
    }
  }
  if (out_rows == 0u || c->prefill != FW_PREFILL_BLOCK) {
    out_rows = out_rows == 0u ? 1u : out_rows;
    ring_writer_put(&tile, tile_rmsnorm(s->h, s->x + last, m->final_norm, out_rows, m->hidden, m->rms_eps_bits,
                                        m->dt_act, m->dt_w));
  }
  ring_writer_put(&tile, tile_gemv(s->logits, s->h, m->lm_head, out_rows, m->vocab, m->hidden, m->dt_act, m->dt_w));
  llmvp_desc* argmax = ring_writer_put(&tile, tile_argmax(s->tokens_out, s->logits, out_rows, m->vocab, m->dt_act));
  argmax->flags |= DESC_F_IRQ;
  if (fw_pp(m)) argmax->signal_sem = fw_sem_field(FW_SEM_COLL_IN); /* the last stage's tokens to stage 0 */
  ring_writer_flush(&tile);
  ring_writer_flush(&dma);
  if (fw_uses_coll(m)) put_coll_chain(c);
}

void fw_patch_chains(const fw_ctx* c, uint32_t step) {
  const llmvp_manifest* m = &c->m;
  fw_ring_writer w;
  fw_write_attn_rows(c, step); /* batched: the ATTN descriptors stay as built */
  for (uint32_t l = 0; l < m->layers; ++l) {
    const kv_bases kv = read_kv_bases(c, l);
    if (!fw_attn_batched(m)) {
      ring_writer_begin(&w, c->rings.tile_base, (uint32_t)fw_tile_attn_slot(m, l));
      put_attn_rows(c, &w, kv, step);
      ring_writer_flush(&w);
    }
    ring_writer_begin(&w, c->rings.dma_base, (uint32_t)fw_dma_layer_slot(l, m->batch));
    put_kv_copies(c, &w, kv, step, l + 1u == m->layers);
    ring_writer_flush(&w);
  }
}
