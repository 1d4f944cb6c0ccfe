/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-token descriptor chains (layout in plan.h): built once into the
 * rings, then re-executed every step after patching the position-dependent
 * descriptors (per layer: the ATTN rows' context length and the KV-cache
 * destinations of the DMA copies).
 */
#pragma once
#include <stdint.h>

#include "firmware/src/context.h"
#include "firmware/src/ring.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FW_DEBUG_OPCODE 0x7Fu                  /* FW_DEBUG_BAD_OPCODE: not an opcode of any engine */
#define FW_DEBUG_ADDRESS 0x0000F00000000000ull /* FW_DEBUG_BAD_ADDRESS: outside every memory window */

/** Paged KV cache: reads each row's block id for `step` into c->kv_block
 *  (one control-SRAM read per row); call before building or patching. */
void fw_load_kv_blocks(fw_ctx* c, uint32_t step);
/** Writes both chains for step 0 into c->rings (engines must be idle). */
void fw_build_chains(const fw_ctx* c);
/** Rewrites the position-dependent descriptors for `step` (engines idle).
 *  Per layer: one 16-byte layer-table read and ceil(B/16) + ceil(2B/16)
 *  ring bursts. */
void fw_patch_chains(const fw_ctx* c, uint32_t step);

/* Pieces of the chains, for the near-memory firmware's fallback to the
 * tile (pnm.c): the ATTN rows of one layer (the first waits KV_DONE), the
 * DMA KV copies of one layer (the first waits KV_READY, the last signals
 * KV_DONE and, in the last layer, raises the IRQ), the routed-expert FFN,
 * and MLA's attention block from RMSNORM attn to RMSNORM ffn. */
void fw_put_attn_rows(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e, uint32_t step);
/** The row table of the batched decode ATTN (plan.h fw_attn_batched) for `step`: per row its
 *  context length, block table (paged) or cache slot, written in bursts of 16 rows; else nothing. */
void fw_write_attn_rows(const fw_ctx* c, uint32_t step);
void fw_put_kv_copies(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e, uint32_t step, int last_layer);
void fw_put_moe_ffn(const fw_ctx* c, fw_ring_writer* w, const llmvp_layer_entry* e);
void fw_put_mla_attention(const fw_ctx* c, fw_ring_writer* w, uint32_t layer, const llmvp_layer_entry* e,
                          uint32_t step);

#ifdef __cplusplus
}
#endif
