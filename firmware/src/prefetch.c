/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/prefetch.h"

#include <stddef.h>

#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"
#include "firmware/src/dma.h"
#include "firmware/src/fw_util.h"
#include "firmware/src/ring.h"

_Static_assert(offsetof(llmvp_layer_entry, w_bytes) == offsetof(llmvp_layer_entry, w_base) + 8u,
               "w_base and w_bytes must be adjacent for one 16-byte read");

static uint64_t slot_base(const llmvp_manifest* m, uint32_t layer) {
  return m->staging_base + (uint64_t)(layer % m->prefetch_depth) * m->staging_slot_bytes;
}

static void relocate(uint64_t* addr, uint64_t from, uint64_t bytes, uint64_t to) {
  if (*addr != 0u && *addr >= from && *addr - from < bytes) *addr = to + (*addr - from);
}

void fw_prefetch_relocate(const fw_ctx* c, uint32_t layer, llmvp_layer_entry* e) {
  if (!fw_prefetching(&c->m)) return;
  const uint64_t from = e->w_base, bytes = e->w_bytes, to = slot_base(&c->m, layer);
  uint64_t* fields[] = {&e->attn_norm, &e->wq, &e->wk, &e->wv, &e->wo,     &e->ffn_norm, &e->w_gate, &e->w_up,
                        &e->w_down,    &e->bq, &e->bk, &e->bv, &e->router, &e->exp_gate, &e->exp_up, &e->exp_down};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; ++i) relocate(fields[i], from, bytes, to);
}

/* The first word of a descriptor: opcode, flags, wait_sem, signal_sem (little endian). */
_Static_assert(offsetof(llmvp_desc, wait_sem) == 2u && offsetof(llmvp_desc, signal_sem) == 3u,
               "wait_sem and signal_sem are bytes 2 and 3 of a descriptor");

void fw_prefetch_mark_layer(const fw_ctx* c, uint32_t first, uint32_t last) {
  const uint64_t a = c->rings.tile_base + (uint64_t)first * LLMVP_DESC_BYTES;
  const uint64_t b = c->rings.tile_base + (uint64_t)last * LLMVP_DESC_BYTES;
  hal_write32(a, (hal_read32(a) & 0xFF00FFFFu) | ((uint32_t)fw_sem_field(FW_SEM_W_READY) << 16));
  hal_write32(b, (hal_read32(b) & 0x00FFFFFFu) | ((uint32_t)fw_sem_field(FW_SEM_W_FREE) << 24));
}

void fw_prefetch_build(const fw_ctx* c) {
  const llmvp_manifest* m = &c->m;
  hal_write32(LLMVP_SEM_BASE + SEM_SET(FW_SEM_W_READY), 0u);
  hal_write32(LLMVP_SEM_BASE + SEM_SET(FW_SEM_W_FREE), m->prefetch_depth);
  fw_ring_writer w;
  ring_writer_begin(&w, c->rings.pf_base, 0);
  for (uint32_t l = 0; l < m->layers; ++l) {
    uint64_t region[2]; /* w_base, w_bytes */
    hal_read_block(m->layer_table + (uint64_t)l * sizeof(llmvp_layer_entry) + offsetof(llmvp_layer_entry, w_base),
                   region, sizeof region);
    /* A plain byte copy in 4-byte elements (regions are page aligned). */
    llmvp_desc d = dma_copy(slot_base(m, l), region[0], (uint32_t)(region[1] / 4u), LLMVP_DT_FP32, LLMVP_DT_FP32);
    d.wait_sem = fw_sem_field(FW_SEM_W_FREE);
    d.signal_sem = fw_sem_field(FW_SEM_W_READY);
    if (l + 1u == m->layers) d.flags |= DESC_F_IRQ;
    ring_writer_put(&w, d);
  }
  ring_writer_flush(&w);
}
