/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/engine.h"

#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"

#define ENG_IRQ_ALL (ENG_IRQ_DONE | ENG_IRQ_ERROR)

void engine_init(fw_engine* e, uint64_t regs, uint32_t irq_line) {
  e->regs = regs;
  e->ring_base = 0;
  e->ring_size = 0;
  e->irq_line = irq_line;
  e->tail = 0;
}

void engine_reset(fw_engine* e) {
  hal_write32(e->regs + ENG_CTRL, ENG_CTRL_RESET);
  e->tail = 0;
}

void engine_configure(fw_engine* e, uint64_t ring_base, uint32_t ring_size) {
  e->ring_base = ring_base;
  e->ring_size = ring_size;
  hal_write32(e->regs + ENG_RING_BASE_LO, (uint32_t)ring_base);
  hal_write32(e->regs + ENG_RING_BASE_HI, (uint32_t)(ring_base >> 32));
  hal_write32(e->regs + ENG_RING_SIZE, ring_size);
  hal_write32(e->regs + ENG_IRQ_STATUS, ENG_IRQ_ALL);
  hal_write32(e->regs + ENG_IRQ_ENABLE, ENG_IRQ_ALL);
}

void engine_enable(const fw_engine* e) { hal_write32(e->regs + ENG_CTRL, ENG_CTRL_ENABLE); }

void engine_disable(const fw_engine* e) { hal_write32(e->regs + ENG_CTRL, 0u); }

void engine_post(fw_engine* e, uint32_t count) {
  if (count > UINT32_MAX - e->tail) {
    engine_reset(e);
    engine_configure(e, e->ring_base, e->ring_size);
    engine_enable(e);
  }
  e->tail += count;
  hal_write32(e->regs + ENG_TAIL, e->tail);
}

uint32_t engine_ack_irq(const fw_engine* e) {
  const uint32_t status = hal_read32(e->regs + ENG_IRQ_STATUS);
  if (status != 0u) hal_write32(e->regs + ENG_IRQ_STATUS, status);
  return status;
}

void engine_read_error(const fw_engine* e, fw_fault* f) {
  const uint32_t code = hal_read32(e->regs + ENG_ERR_CODE);
  const uint32_t info = hal_read32(e->regs + ENG_ERR_INFO);
  f->code = FW_ERR_ENGINE;
  f->source = hal_read32(e->regs + ENG_ID);
  f->index = hal_read32(e->regs + ENG_ERR_INDEX);
  f->info = (code << 16) | (info & 0xFFFFu);
}

void intc_enable(uint32_t mask) { hal_write32(LLMVP_INTC_BASE + INTC_ENABLE, mask); }

uint32_t intc_pending(void) { return hal_read32(LLMVP_INTC_BASE + INTC_PENDING); }

int engines_wait_done(const fw_engine* const* engines, uint32_t n, fw_fault* f) {
  const uint32_t all = n >= 32u ? ~0u : (1u << n) - 1u;
  uint32_t done = 0; /* bit i: engines[i] finished its chain */
  while (done != all) {
    hal_wait_irq();
    const uint32_t pending = intc_pending();
    for (uint32_t i = 0; i < n; ++i) {
      if (!(pending & engine_irq_mask(engines[i]))) continue;
      const uint32_t status = engine_ack_irq(engines[i]);
      if (status & ENG_IRQ_ERROR) {
        engine_read_error(engines[i], f);
        return -1;
      }
      if (status & ENG_IRQ_DONE) done |= 1u << i;
    }
  }
  return 0;
}
