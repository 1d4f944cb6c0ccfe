/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Weight prefetch from High Bandwidth Flash (manifest prefetch_depth != 0).
 *
 * DMA engine prefetch_dma runs a chain of one COPY per layer: layer l's
 * weights region (layer entry w_base, w_bytes) into staging slot
 * l % depth. Two counting semaphores pace it against the compute tile:
 *   FW_SEM_W_FREE  (starts at depth): the COPY of layer l waits for a free
 *                  slot; the tile's last descriptor of layer l signals it;
 *   FW_SEM_W_READY (starts at 0): the COPY signals it when layer l is staged;
 *                  the tile's first descriptor of layer l waits for it.
 * So the DMA runs up to `depth` layers ahead of the tile and the flash page
 * latency hides behind the compute of earlier layers. Both return to their
 * start values after each step.
 */
#pragma once
#include <stdint.h>

#include "firmware/src/context.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FW_SEM_W_READY 2u /* prefetch DMA -> tile: layer weights staged */
#define FW_SEM_W_FREE 3u  /* tile -> prefetch DMA: a staging slot is free */

static inline int fw_prefetching(const llmvp_manifest* m) { return m->prefetch_depth != 0u; }
/** Prefetch chain length: one COPY per layer. */
static inline uint64_t fw_prefetch_chain_len(const llmvp_manifest* m) { return fw_prefetching(m) ? m->layers : 0u; }
/** Points the weight operands of layer `layer` at its staging slot. */
void fw_prefetch_relocate(const fw_ctx* c, uint32_t layer, llmvp_layer_entry* e);
/** Makes the tile descriptors at ring slots `first` and `last` (a layer's
 *  first and last, already in the ring) wait for W_READY and signal W_FREE. */
void fw_prefetch_mark_layer(const fw_ctx* c, uint32_t first, uint32_t last);
/** Resets the two semaphores (W_FREE = depth) and writes the prefetch chain
 *  into c->rings.pf_base (engine idle). */
void fw_prefetch_build(const fw_ctx* c);

#ifdef __cplusplus
}
#endif
