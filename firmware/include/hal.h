/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hardware abstraction layer: the only way firmware touches the chip.
 *
 * On the virtual platform these functions are implemented by the control-CPU
 * model (models/cpu), which turns each call into a TLM transaction with a
 * configured per-access cost. On silicon they would be volatile loads/stores
 * and a WFI instruction. Firmware must not call anything else to reach
 * hardware, and must keep no mutable global state (several chips run the
 * same firmware image in one simulation).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** 32-bit MMIO/memory read at a chip physical address. Blocks for its cost. */
uint32_t hal_read32(uint64_t addr);
/** 32-bit MMIO/memory write at a chip physical address. */
void hal_write32(uint64_t addr, uint32_t value);
/** 64-bit read/write (descriptor address fields, manifest pointers). */
uint64_t hal_read64(uint64_t addr);
void hal_write64(uint64_t addr, uint64_t value);
/** Burst transfers between firmware-local buffers and device memory: one
 *  transaction of `bytes` bytes, costed by the fabric like any other access. */
void hal_read_block(uint64_t addr, void* dst, size_t bytes);
void hal_write_block(uint64_t addr, const void* src, size_t bytes);
/** Sleep until at least one enabled interrupt line of the interrupt
 *  controller is pending. Returns immediately if one already is. */
void hal_wait_irq(void);
/** Control-CPU cycle counter (free-running since reset). */
uint64_t hal_cycles(void);

#ifdef __cplusplus
}
#endif
