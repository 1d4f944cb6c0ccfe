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

/* ---- Tile chain, one per token --------------------------------------------
 *   EMBED
 *   per layer (FW_TILE_LAYER_FIXED + batch descriptors):
 *     [0] RMSNORM attn  [1] GEMV q  [2] GEMV k  [3] GEMV v  [4] ROPE q  [5] ROPE k
 *     [6 .. 6+batch-1] ATTN, one per request row
 *     then GEMV o (+x), RMSNORM ffn, GEMV gate, GEMV up, SWIGLU, GEMV down (+x)
 *   RMSNORM final, GEMV lm_head, ARGMAX (DESC_F_IRQ)
 * length = 4 + layers * (12 + batch)                                         */
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

static inline int fw_is_moe_layer(const llmvp_manifest* m, uint64_t layer) {
  return m->experts != 0u && layer >= m->first_moe_layer;
}
static inline uint64_t fw_tile_moe_layer_len(const llmvp_manifest* m) {
  return FW_TILE_MOE_LAYER_FIXED + (m->shared_ffn != 0u ? FW_TILE_SHARED_DESCS : 0u) + m->batch;
}
/** Ring slot of the first descriptor (RMSNORM attn) of layer l (l <= layers). */
static inline uint64_t fw_tile_layer_slot(const llmvp_manifest* m, uint64_t layer) {
  const uint64_t dense_before = m->experts == 0u || layer < m->first_moe_layer ? layer : m->first_moe_layer;
  return 1u + dense_before * (FW_TILE_LAYER_FIXED + m->batch) + (layer - dense_before) * fw_tile_moe_layer_len(m);
}
static inline uint64_t fw_tile_chain_len(const llmvp_manifest* m) {
  return fw_tile_layer_slot(m, m->layers) + FW_TILE_FIXED_DESCS - 1u;
}
static inline uint64_t fw_tile_attn_slot(const llmvp_manifest* m, uint64_t layer) {
  return fw_tile_layer_slot(m, layer) + FW_TILE_ATTN_OFFSET;
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
  uint64_t router;     /* [B][experts] fp32 router logits */
  uint64_t route;      /* routing record: u32 ids [B][top_k], fp32 weights [B][top_k] */
  uint64_t egate;      /* [B][top_k][expert_ffn]  also SWIGLU output */
  uint64_t eup;        /* [B][top_k][expert_ffn] */
  uint64_t eout;       /* [B][top_k][hidden] */
  uint64_t tokens_in;  /* u32 [B]  (positions follows it: one burst per step) */
  uint64_t positions;  /* u32 [B] */
  uint64_t tokens_out; /* u32 [B] */
  uint64_t end;        /* first byte after the plan */
} fw_spad_plan;

/** Where the rings go in the work region. */
typedef struct fw_ring_plan {
  uint64_t tile_base, dma_base;
  uint32_t tile_len, dma_len; /* descriptors == chain lengths */
} fw_ring_plan;

/** Plans the scratchpad; FW_ERR_NO_SPACE (FW_SPACE_SPAD) if spad_bytes is too small. */
int fw_plan_spad(const llmvp_manifest* m, fw_spad_plan* p, fw_fault* f);
/** Plans the rings; FW_ERR_NO_SPACE (FW_SPACE_RINGS) if work_bytes is too small. */
int fw_plan_rings(const llmvp_manifest* m, fw_ring_plan* p, fw_fault* f);

#ifdef __cplusplus
}
#endif
