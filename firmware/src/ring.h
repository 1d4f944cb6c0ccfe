/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Descriptor ring writer: collects consecutive descriptors in a small local
 * buffer and writes them to the ring in memory with one burst per
 * FW_RING_CHUNK descriptors, instead of one HAL access per descriptor.
 */
#pragma once
#include <stdint.h>

#include "firmware/include/descriptors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FW_RING_CHUNK 16u /* descriptors per burst (1 KiB of stack) */

typedef struct fw_ring_writer {
  uint64_t ring_base;
  uint32_t slot; /* ring slot of buf[0] */
  uint32_t fill; /* descriptors in buf */
  llmvp_desc buf[FW_RING_CHUNK];
} fw_ring_writer;

/** Start writing at ring slot `slot` (descriptor index from ring_base). */
void ring_writer_begin(fw_ring_writer* w, uint64_t ring_base, uint32_t slot);
/** Appends a descriptor; returns it in the buffer so the caller may still
 *  adjust it until the next append or flush. */
llmvp_desc* ring_writer_put(fw_ring_writer* w, llmvp_desc d);
/** Writes buffered descriptors to memory. */
void ring_writer_flush(fw_ring_writer* w);
/** Leaves the next slot as it is (flushes, then moves past it). */
void ring_writer_skip(fw_ring_writer* w);
/** Next slot to be written. */
static inline uint32_t ring_writer_slot(const fw_ring_writer* w) { return w->slot + w->fill; }

#ifdef __cplusplus
}
#endif
