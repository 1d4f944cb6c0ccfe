/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/ring.h"

#include "firmware/include/hal.h"

void ring_writer_begin(fw_ring_writer* w, uint64_t ring_base, uint32_t slot) {
  w->ring_base = ring_base;
  w->slot = slot;
  w->fill = 0;
}

llmvp_desc* ring_writer_put(fw_ring_writer* w, llmvp_desc d) {
  if (w->fill == FW_RING_CHUNK) ring_writer_flush(w);
  w->buf[w->fill] = d;
  return &w->buf[w->fill++];
}

void ring_writer_flush(fw_ring_writer* w) {
  if (w->fill == 0u) return;
  hal_write_block(w->ring_base + (uint64_t)w->slot * LLMVP_DESC_BYTES, w->buf, (size_t)w->fill * LLMVP_DESC_BYTES);
  w->slot += w->fill;
  w->fill = 0;
}

void ring_writer_skip(fw_ring_writer* w) {
  ring_writer_flush(w);
  w->slot += 1u;
}
