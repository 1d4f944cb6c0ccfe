/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generic driver for an engine register block (DMA engine or compute tile,
 * regs.h ENG_*) and the interrupt controller lines they raise.
 *
 * Call order: engine_init, engine_reset, engine_configure, (write the ring),
 * intc_enable, engine_enable; then engine_post / engine_ack_irq per batch of
 * work; engine_disable at the end.
 */
#pragma once
#include <stdint.h>

#include "firmware/src/fw_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fw_engine {
  uint64_t regs;      /* register block base (memmap.h) */
  uint64_t ring_base; /* descriptor ring in memory, 64-byte aligned */
  uint32_t ring_size; /* descriptors */
  uint32_t irq_line;  /* interrupt-controller line (memmap.h LLMVP_IRQ_*) */
  uint32_t tail;      /* last value written to ENG_TAIL */
} fw_engine;

void engine_init(fw_engine* e, uint64_t regs, uint32_t irq_line);
/** ENG_CTRL = RESET: clears errors and IRQ status, HEAD = TAIL = 0, disabled. */
void engine_reset(fw_engine* e);
/** Programs the ring, clears stale IRQ status, enables DONE and ERROR IRQs. */
void engine_configure(fw_engine* e, uint64_t ring_base, uint32_t ring_size);
/** ENG_CTRL = ENABLE: the engine fetches descriptors while HEAD != TAIL. */
void engine_enable(const fw_engine* e);
void engine_disable(const fw_engine* e);
/** Doorbell: TAIL += count. The engine must be idle (HEAD == TAIL) if the
 *  free-running counter would wrap: the ring is then restarted at counter 0,
 *  because slot = counter % size is only continuous across 2^32 for
 *  power-of-two sizes. */
void engine_post(fw_engine* e, uint32_t count);
/** Reads ENG_IRQ_STATUS, acknowledges (W1C) what was set, returns it. */
uint32_t engine_ack_irq(const fw_engine* e);
/** Fills `f` as FW_ERR_ENGINE from the engine's ID and ERR_* registers. */
void engine_read_error(const fw_engine* e, fw_fault* f);
/** The engine's bit in INTC_PENDING / INTC_ENABLE. */
static inline uint32_t engine_irq_mask(const fw_engine* e) { return 1u << e->irq_line; }

/** Sleeps until each of the n engines (n <= 32) raised its DONE interrupt
 *  once; -1 with `f` filled on the first engine error. */
int engines_wait_done(const fw_engine* const* engines, uint32_t n, fw_fault* f);

/** INTC_ENABLE = mask. */
void intc_enable(uint32_t mask);
/** INTC_PENDING. */
uint32_t intc_pending(void);

#ifdef __cplusplus
}
#endif
