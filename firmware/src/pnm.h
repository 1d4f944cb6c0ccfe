/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Near-memory offload (manifest.pnm_units = U != 0): GEMVs and attention run
 * on the U near-memory engines, each on its own shard (manifest.h), and the
 * compute tile runs the rest (embedding, norms, RoPE, SwiGLU, argmax) and
 * orders the phases. No partial sums need combining: GEMV shards are output
 * rows written in place (LLMVP_OP_PNM_GEMV arg1 = row stride), attention
 * shards are whole kv heads.
 *
 * Synchronisation (semaphores FW_SEM_PNM_GO(p), FW_SEM_PNM_DONE): the tile
 * starts a phase with one NOP per engine signalling GO(p); every engine
 * signals DONE once at the end of the phase; the tile waits with U NOPs on
 * DONE. Per-engine GO semaphores keep a fast engine from taking another
 * engine's start. The attention phase is started by the DMA engine, whose
 * KV-cache writes of shard p end with a GO(p).
 *
 * Tile chain:  EMBED, per layer [RMSNORM, GO*U, WAIT*U (q k v), ROPE q,
 *   ROPE k (signals KV_READY), WAIT*U (attention), GO*U, WAIT*U (o),
 *   RMSNORM, GO*U, WAIT*U (gate up), SWIGLU, GO*U, WAIT*U (down)],
 *   RMSNORM, GO*U, WAIT*U (lm_head), ARGMAX (IRQ)
 * Engine p:    per layer [GEMV q, k, v (DONE), ATTN per row (DONE),
 *   GEMV o (DONE), GEMV gate, up (DONE), GEMV down (DONE)],
 *   GEMV lm_head (DONE, IRQ); empty shards are NOPs with the same waits
 *   and signals.
 * DMA:         per layer, per shard p: COPY k and v of every row into the
 *   shard at the row's position, the last signalling GO(p) (no heads: one
 *   NOP signalling GO(p)); the first waits KV_READY; the last of the chain
 *   raises the IRQ.
 * Per step the ATTN context lengths and the DMA destinations are patched.
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
/** Patches the chains for `step` (engines idle). */
void fw_pnm_patch(fw_ctx* c, uint32_t step);
/** Rings every doorbell for one step. */
void fw_pnm_post(fw_ctx* c);
void fw_pnm_disable(const fw_ctx* c);

#ifdef __cplusplus
}
#endif
