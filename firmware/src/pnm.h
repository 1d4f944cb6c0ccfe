/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Near-memory offload (manifest.pnm_units = U != 0): each operator runs
 * where manifest.pnm_ops says (manifest.h; the host's policy,
 * host/PnmPolicy.h): projections on the engines by output rows (in
 * place) or input columns (fp32 partial sums in the scratchpad, added by
 * the tile or by PNM_REDUCE on the engines), or on the tile; attention on
 * the engines (PNM_ATTN_APPEND: each appends its kv heads' new k and v)
 * or on the tile (single-chip chains, paged allowed); MoE experts and MLA
 * attention always on the tile. Norms, RoPE, SwiGLU, embedding and argmax
 * are the tile's.
 *
 * Synchronisation (semaphores FW_SEM_PNM_GO(p), FW_SEM_PNM_DONE): the tile
 * starts an engine phase with one NOP per engine signalling GO(p); every
 * engine signals DONE once at the end of the phase; the tile waits with U
 * NOPs on DONE. Per-engine GO semaphores keep a fast engine from taking
 * another engine's start. Engines without work in a phase run one NOP with
 * the same wait and signal. With o by columns after attention on the
 * engines and kv_heads % U == 0, engine p runs its o partial sums right
 * after its attention in the same phase (fused).
 *
 * Per step only the position-dependent descriptors are rewritten (one walk
 * over the same sequence, skipping the others): the engines' attention,
 * the tile's attention rows and the DMA's KV copies, and the tile fallback
 * blocks.
 */
#pragma once
#include <stdint.h>

#include "firmware/src/context.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FW_SEM_PNM_GO(p) (20u + (p)) /* tile or DMA -> engine p: its inputs are ready */
#define FW_SEM_PNM_DONE 28u          /* engines -> tile: one per engine per phase */

/** Shard p of n items over u engines: count and first index. */
static inline uint32_t fw_pnm_count(uint32_t n, uint32_t u, uint32_t p) { return n / u + (p < n % u ? 1u : 0u); }
static inline uint32_t fw_pnm_first(uint32_t n, uint32_t u, uint32_t p) {
  return p * (n / u) + (p < n % u ? p : n % u);
}

/** Places the tile, DMA and engine rings in the work region; FW_ERR_NO_SPACE if it is too small. */
int fw_pnm_plan_rings(fw_ctx* c, fw_fault* f);
/** Resets and configures the engines, builds the chains for step 0, enables everything. */
void fw_pnm_setup(fw_ctx* c);
/** A prefill pass's attention is one causal ATTN_PREFILL block on the tile
 *  (attention not on the engines, contiguous cache, not MLA); else decode-style rows. */
int fw_pnm_block_attention(const llmvp_manifest* m);
/** Builds the chains for step 0 of the current rows (a prefill pass: c->prefill
 *  set and m.batch its rows) and points every engine at them (engines idle). */
void fw_pnm_rebuild(fw_ctx* c);
/** Patches the chains for `step` (engines idle). */
void fw_pnm_patch(fw_ctx* c, uint32_t step);
/** Rings every doorbell for one step. */
void fw_pnm_post(fw_ctx* c);
void fw_pnm_disable(const fw_ctx* c);

#ifdef __cplusplus
}
#endif
