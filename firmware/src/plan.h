/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory plan: where the activation buffers live in the scratchpad, where
 * the descriptor rings live in the work region, and the layout of the two
 * per-token descriptor chains (which ring slot holds which descriptor).
 */
#pragma once
#include <stdint.h>

#include "firmware/include/manifest.h"
#include "firmware/src/fw_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FW_SPAD_ALIGN 64u /* every scratchpad buffer starts 64-byte aligned */

/* Semaphores (index into the semaphore block). Both return to 0 after each
 * layer: ROPE(k) signals KV_READY once, the layer's first KV copy waits it;
 * the layer's last KV copy signals KV_DONE once, its first ATTN waits it. */
#define FW_SEM_KV_READY 0u /* tile -> DMA: k and v of this layer are in the scratchpad */
#define FW_SEM_KV_DONE 1u  /* DMA -> tile: k and v of this layer are in the KV cache */
/* Tensor parallel (tp_ranks > 1): the tile's partial projection is ready for
 * the collectives engine, and the all-reduced sum is back. */
#define FW_SEM_COLL_IN 2u  /* tile -> collectives: partial sums in spad.partial */
#define FW_SEM_COLL_OUT 3u /* collectives -> tile: all-reduced sums in spad.partial */

/* ---- Tile chain, one per token --------------------------------------------
 *   EMBED
 *   per layer (FW_TILE_LAYER_FIXED + batch descriptors):
 *     [0] RMSNORM attn  [1] GEMV q  [2] GEMV k  [3] GEMV v  [4] ROPE q  [5] ROPE k
 *     [6 .. 6+batch-1] ATTN, one per request row (batch > 1: one ATTN with
 *     DESC_F_ROWS over all rows, see fw_attn_batched; the layout follows
 *     fw_attn_descs)
 *     then GEMV o (+x), RMSNORM ffn, GEMV gate, GEMV up, SWIGLU, GEMV down (+x)
 *   RMSNORM final, GEMV lm_head, ARGMAX (DESC_F_IRQ)
 * length = 4 + layers * (12 + batch)
 * (pipeline parallel: NOPs in place of EMBED and of the last three on the
 * stages that do not run them, see fw_pp)                                   */
#define FW_TILE_FIXED_DESCS 4u  /* EMBED + final RMSNORM + lm_head GEMV + ARGMAX */
#define FW_TILE_LAYER_FIXED 12u /* per-layer descriptors besides the ATTNs */
#define FW_TILE_WQ_OFFSET 1u    /* GEMV q within a layer */
#define FW_TILE_ATTN_OFFSET 6u  /* first ATTN within a layer */

/* ---- DMA chain, one per token ---------------------------------------------
 *   per layer, per row r: COPY k row r, COPY v row r (2 * batch descriptors);
 *   the first waits KV_READY, the last signals KV_DONE; the chain's last
 *   descriptor also carries DESC_F_IRQ.
 * length = 2 * layers * batch                                                */

/* MoE layer (layer >= first_moe_layer when experts != 0): the same first
 * 6 + batch descriptors, then GEMV o (+x), RMSNORM ffn, GEMV router (fp32
 * logits), TOPK, GEMV_MOE gate, GEMV_MOE up, SWIGLU, GEMV_MOE down
 * (per-slot input), MOE_COMBINE (+x), and with shared experts GEMV gate,
 * GEMV up, SWIGLU, GEMV down (+x): 15 (+4) + batch descriptors.           */
#define FW_TILE_MOE_LAYER_FIXED 15u
#define FW_TILE_SHARED_DESCS 4u

/* MLA layer (mla_kv_lora != 0, absorbed form): RMSNORM attn, [GEMV q_a,
 * RMSNORM q_a (q_lora != 0)], GEMV q_nope, GEMV q_rope, GEMV kv_a (latent),
 * GEMV k_rope, RMSNORM latent, ROPE q_rope, ROPE k_rope (signals KV_READY),
 * GEMV_HEADS q_lat = W_uk^T q_nope, then one ATTN_MLA per row, GEMV_HEADS
 * W_uv (latent -> v per head), GEMV o (+x), RMSNORM ffn and the FFN (dense
 * or MoE as above). */
#define FW_TILE_MLA_PREFIX 9u /* descriptors before the ATTNs without q_lora (+2 with) */
/* Tensor parallel: GEMV o and GEMV down write fp32 partial sums (no
 * residual), the collectives engine all-reduces them, and an ADD puts the
 * sum into x: one more tile descriptor per block, two per layer. The
 * collectives chain holds two ALL_REDUCEs per layer (tags 2l and 2l + 1). */
#define FW_TILE_TP_EXTRA 2u
static inline int fw_tp(const llmvp_manifest* m) { return m->tp_ranks > 1u; }
/* Expert parallel (MoE layers with tp_ranks > 1, ep_ranks == tp_ranks): the
 * attention stays tensor parallel, so after its all-reduce every chip holds
 * every row and the dispatch moves no data. The router and TOPK run on every
 * chip; each GEMV_MOE runs the chip's window of experts (the other slots are
 * skipped), MOE_COMBINE writes the chip's fp32 partial without the residual,
 * the shared experts (split by columns like a dense FFN) add their partial
 * into it, and the block's all-reduce is the combine: the same two
 * all-reduces and two ADDs per layer as a dense layer. */
static inline int fw_ep(const llmvp_manifest* m) { return m->ep_ranks > 1u; }
/* Expert parallel with data-parallel attention (manifest ep_dispatch): the
 * chip owns its rows; an MoE layer's FFN is router, TOPK, MOE_DISPATCH
 * (signals COLL_IN), [the shared experts], MOE_GATHER (waits COLL_OUT),
 * GEMV_MOE gate, up, SWIGLU, GEMV_MOE down over the ep_ranks x batch rows
 * that arrived, MOE_COMBINE into fp32 partials (signals COLL_IN),
 * MOE_RETURN (+x, waits COLL_OUT): three descriptors more than one chip's.
 * The collectives chain holds the two variable ALL_TO_ALLs of every MoE
 * layer. */
#define FW_TILE_DISPATCH_EXTRA 3u
static inline int fw_ep_dispatch(const llmvp_manifest* m) { return m->ep_dispatch != 0u && m->ep_ranks > 1u; }
static inline uint64_t fw_moe_layers(const llmvp_manifest* m) {
  return m->experts == 0u || m->first_moe_layer >= m->layers ? 0u : m->layers - m->first_moe_layer;
}
/** Expert rows the chip's expert GEMVs run on: the group's with dispatch. */
static inline uint64_t fw_expert_rows(const llmvp_manifest* m, uint64_t rows) {
  return fw_ep_dispatch(m) ? rows * m->ep_ranks : rows;
}
/* Pipeline parallel (manifest pp_stages > 1): the collectives chain holds
 * the stage's two transfers (chains.c put_coll_chain); a stage after the first
 * starts its tile chain with a NOP that waits for x (COLL_OUT), a stage
 * before the last ends it with a NOP that signals COLL_IN (x ready to send)
 * instead of the final norm, lm_head and argmax; the last stage's ARGMAX
 * signals COLL_IN (tokens ready to send). */
static inline int fw_pp(const llmvp_manifest* m) { return m->pp_stages > 1u; }
static inline int fw_pp_first(const llmvp_manifest* m) { return !fw_pp(m) || m->pp_stage == 0u; }
static inline int fw_pp_last(const llmvp_manifest* m) { return !fw_pp(m) || m->pp_stage + 1u == m->pp_stages; }
/** The group of this chip's collectives (descriptors.h m, k): its
 *  expert-parallel group with all-to-all dispatch, else its tensor-parallel
 *  group. A group is consecutive system chips; with pipeline stages, stage
 *  s's groups of R chips start at chip s * R (manifest.h pp_stage). */
static inline uint32_t fw_coll_ranks(const llmvp_manifest* m) {
  return fw_ep_dispatch(m) ? m->ep_ranks : fw_tp(m) ? m->tp_ranks : 1u;
}
static inline uint32_t fw_coll_first(const llmvp_manifest* m) {
  return (fw_pp(m) ? m->pp_stage : 0u) * fw_coll_ranks(m);
}
/** The collectives engine runs: tensor or pipeline parallel. */
static inline int fw_uses_coll(const llmvp_manifest* m) { return fw_tp(m) || fw_pp(m) || fw_ep_dispatch(m); }
/** The collectives chain (chains.c put_coll_chain): two all-reduces per
 *  layer with tensor parallel, a pipeline stage's two transfers, and two
 *  all-to-alls per MoE layer with dispatch. */
static inline uint64_t fw_coll_chain_len(const llmvp_manifest* m) {
  return (fw_tp(m) ? 2u * m->layers : 0u) + (fw_pp(m) ? 2u : 0u) + (fw_ep_dispatch(m) ? 2u * fw_moe_layers(m) : 0u);
}

static inline int fw_is_moe_layer(const llmvp_manifest* m, uint64_t layer) {
  return m->experts != 0u && layer >= m->first_moe_layer;
}
static inline int fw_is_mla(const llmvp_manifest* m) { return m->mla_kv_lora != 0u; }
/** Decode attention of a batch is one ATTN (DESC_F_ROWS) per layer over the
 *  row table at fw_ring_plan.attn_rows, as GPU decode-attention kernels run
 *  one launch over all sequences; per-row ATTNs remain for batch 1, MLA, a
 *  shared KV prefix and attention on near-memory engines (pnm.c). */
static inline int fw_attn_batched(const llmvp_manifest* m) {
  return m->batch > 1u && m->kv_prefix_tokens == 0u && !fw_is_mla(m) &&
         !(m->pnm_units != 0u && (m->pnm_ops & LLMVP_PNM_OPS_ATTN) != 0u);
}
/** ATTN descriptors per layer: one (batched), else one per request row,
 *  plus one with a shared KV prefix (manifest kv_prefix_tokens): the prefix
 *  ATTN of all rows at once, then the own-cache ATTN of every row. */
static inline uint64_t fw_attn_descs(const llmvp_manifest* m) {
  if (fw_attn_batched(m)) return 1u;
  return (uint64_t)m->batch + (m->kv_prefix_tokens != 0u ? 1u : 0u);
}
/** Near-memory offload with a projection split by input columns: the fp32
 *  partial sums [pnm_units][B][hidden] live at fw_spad_plan.partial. */
static inline int fw_pnm_partials(const llmvp_manifest* m) {
  return m->pnm_units != 0u && (((m->pnm_ops >> LLMVP_PNM_SHIFT_O) & 3u) == LLMVP_PNM_COLS ||
                                ((m->pnm_ops >> LLMVP_PNM_SHIFT_DOWN) & 3u) == LLMVP_PNM_COLS);
}
/** Descriptors of a layer before its first ATTN. */
static inline uint64_t fw_tile_attn_offset(const llmvp_manifest* m) {
  if (!fw_is_mla(m)) return FW_TILE_ATTN_OFFSET;
  return FW_TILE_MLA_PREFIX + (m->mla_q_lora != 0u ? 2u : 0u);
}
/** Descriptors of a layer from the first ATTN to the end of its attention
 *  block (ATTNs, [GEMV_HEADS W_uv], GEMV o, RMSNORM ffn). */
static inline uint64_t fw_tile_attn_len(const llmvp_manifest* m) { return fw_attn_descs(m) + (fw_is_mla(m) ? 3u : 2u); }
/** Length of a dense-FFN layer (moe == 0) or of an MoE layer (moe != 0). */
static inline uint64_t fw_tile_layer_len(const llmvp_manifest* m, int moe) {
  /* FFN part: SWIGLU FFN (4), or router, TOPK, 3 GEMV_MOE, SWIGLU, COMBINE (7) + shared (4) */
  const uint64_t ffn =
      moe ? FW_TILE_MOE_LAYER_FIXED - FW_TILE_LAYER_FIXED + 4u + (m->shared_ffn != 0u ? FW_TILE_SHARED_DESCS : 0u) : 4u;
  return fw_tile_attn_offset(m) + fw_tile_attn_len(m) + ffn + (fw_tp(m) ? FW_TILE_TP_EXTRA : 0u) +
         (moe && fw_ep_dispatch(m) ? FW_TILE_DISPATCH_EXTRA : 0u);
}
/** Ring slot of the first descriptor (RMSNORM attn) of layer l (l <= layers). */
static inline uint64_t fw_tile_layer_slot(const llmvp_manifest* m, uint64_t layer) {
  const uint64_t dense_before = m->experts == 0u || layer < m->first_moe_layer ? layer : m->first_moe_layer;
  return 1u + dense_before * fw_tile_layer_len(m, 0) + (layer - dense_before) * fw_tile_layer_len(m, 1);
}
static inline uint64_t fw_tile_chain_len(const llmvp_manifest* m) {
  return fw_tile_layer_slot(m, m->layers) + (fw_pp_last(m) ? FW_TILE_FIXED_DESCS - 1u : 1u);
}
/** Tile chain length of a block prefill pass over `segs` request pieces:
 *  one ATTN_PREFILL per piece and layer (never one batched ATTN). */
static inline uint64_t fw_block_prefill_chain_len(const llmvp_manifest* m, uint32_t segs) {
  llmvp_manifest one = *m;
  one.batch = 1u;
  return fw_tile_chain_len(&one) + (uint64_t)m->layers * (segs - 1u);
}
static inline uint64_t fw_tile_attn_slot(const llmvp_manifest* m, uint64_t layer) {
  return fw_tile_layer_slot(m, layer) + fw_tile_attn_offset(m);
}
static inline uint64_t fw_dma_chain_len(uint64_t layers, uint64_t batch) { return 2u * layers * batch; }
static inline uint64_t fw_dma_layer_slot(uint64_t layer, uint64_t batch) { return 2u * layer * batch; }

/** Scratchpad addresses (activations, dt_act, `batch` rows each). */
typedef struct fw_spad_plan {
  uint64_t x;      /* [B][hidden]  residual stream */
  uint64_t h;      /* [B][hidden]  normalised input of the next block */
  uint64_t q;      /* [B][heads * head_dim] */
  uint64_t k;      /* [B][kv_heads * head_dim] */
  uint64_t v;      /* [B][kv_heads * head_dim] */
  uint64_t attn;   /* [B][heads * head_dim] */
  uint64_t gate;   /* [B][max(ffn, shared_ffn)]  also SWIGLU output */
  uint64_t up;     /* [B][max(ffn, shared_ffn)] */
  uint64_t logits; /* [B][vocab] */
  /* MoE models only (else 0) */
  uint64_t router; /* [B][experts] fp32 router logits */
  uint64_t route;  /* routing record: u32 ids [B][top_k], fp32 weights [B][top_k] */
  uint64_t egate;  /* [B][top_k][expert_ffn]  also SWIGLU output */
  uint64_t eup;    /* [B][top_k][expert_ffn] */
  uint64_t eout;   /* [B][top_k][hidden] */
  /* MLA models only (else 0); q holds q_nope [B][heads * nope], attn the
   * per-head values [B][heads * v] */
  uint64_t mla_cq;     /* [B][q_lora] compressed query */
  uint64_t mla_qrope;  /* [B][heads * rope] */
  uint64_t mla_lat;    /* [B][kv_lora] latent of this token */
  uint64_t mla_krope;  /* [B][rope] shared rope key of this token */
  uint64_t mla_qlat;   /* [B][heads * kv_lora] absorbed queries */
  uint64_t mla_olat;   /* [B][heads * kv_lora] attention output in latent space */
  uint64_t tokens_in;  /* u32 [B]  (positions follows it: one burst per step) */
  uint64_t positions;  /* u32 [B] */
  uint64_t tokens_out; /* u32 [B] */
  uint64_t partial;    /* tensor parallel: fp32 [B][hidden] partial / all-reduced sums (else 0) */
  /* all-to-all dispatch only (fw_ep_dispatch, else 0); R = ep_ranks, W = record words */
  uint64_t dsend;   /* u32 [R][B][W] dispatch records to send */
  uint64_t drecv;   /* u32 [R][B][W] dispatch records received */
  uint64_t dmap;    /* u32 [R] send counts, then u32 [B][R] dispatch map (MOE_DISPATCH) */
  uint64_t dcounts; /* u32 [R] words received from each chip */
  uint64_t erows;   /* [R*B][hidden] the rows the experts run on */
  uint64_t eroute;  /* their routing record: ids, weights [R*B][top_k], then u32 [R] return counts */
  uint64_t eret;    /* fp32 [R][B][hidden] partials to send back */
  uint64_t eback;   /* fp32 [R][B][hidden] partials returned */
  uint64_t end;     /* first byte after the plan */
} fw_spad_plan;

/** Where the rings go in the work region. */
typedef struct fw_ring_plan {
  uint64_t tile_base, dma_base, coll_base;
  uint32_t tile_len, dma_len, coll_len; /* descriptors == chain lengths (coll_len 0: single chip) */
  /* prefill chains (prefill_chunk != 0, else 0): one ATTN_PREFILL and two
   * KV COPYs per layer, so as long as a batch-1 decode chain */
  uint64_t prefill_tile_base, prefill_dma_base;
  uint32_t prefill_tile_len, prefill_dma_len;
  uint64_t pf_base; /* HBF weight prefetch ring (prefetch.h), pf_len == 0 without */
  uint32_t pf_len;
  uint64_t attn_rows; /* fw_attn_batched: the decode row table, batch x llmvp_attn_row (else 0) */
} fw_ring_plan;

/** Prefill with a paged KV cache, MLA or near-memory offload runs each chunk
 *  as decode-style rows (one ATTN per row at its own position: the causal
 *  mask is each row's context length), at most LLMVP_MAX_BATCH rows per
 *  pass; otherwise a chunk is one ATTN_PREFILL block over a contiguous cache. */
static inline int fw_prefill_rowwise(const llmvp_manifest* m) {
  return m->kv_block_tokens != 0u || m->mla_kv_lora != 0u || m->pnm_units != 0u;
}
/** Rows of one prefill pass: the chunk, capped for row-wise prefill. */
static inline uint32_t fw_prefill_rows(const llmvp_manifest* m) {
  return fw_prefill_rowwise(m) && m->prefill_chunk > LLMVP_MAX_BATCH ? LLMVP_MAX_BATCH : m->prefill_chunk;
}

/** Request pieces a block prefill pass may hold (each at least one row). */
static inline uint32_t fw_prefill_max_segs(const llmvp_manifest* m) {
  return m->prefill_chunk < m->batch ? m->prefill_chunk : m->batch;
}

/** Activation rows the scratchpad holds: the batch, or a prefill chunk. */
static inline uint64_t fw_spad_rows(const llmvp_manifest* m) {
  return m->prefill_chunk > m->batch ? m->prefill_chunk : m->batch;
}

/** Plans the scratchpad; FW_ERR_NO_SPACE (FW_SPACE_SPAD) if spad_bytes is too small. */
int fw_plan_spad(const llmvp_manifest* m, fw_spad_plan* p, fw_fault* f);
/** Plans the rings; FW_ERR_NO_SPACE (FW_SPACE_RINGS) if work_bytes is too small. */
int fw_plan_rings(const llmvp_manifest* m, fw_ring_plan* p, fw_fault* f);

#ifdef __cplusplus
}
#endif
