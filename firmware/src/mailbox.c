/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/mailbox.h"

#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"

uint64_t mbox_manifest_addr(void) {
  const uint64_t lo = hal_read32(LLMVP_MAILBOX_BASE + MBOX_MANIFEST_LO);
  const uint64_t hi = hal_read32(LLMVP_MAILBOX_BASE + MBOX_MANIFEST_HI);
  return (hi << 32) | lo;
}

void mbox_set_status(uint32_t status) { hal_write32(LLMVP_MAILBOX_BASE + MBOX_STATUS, status); }

void mbox_set_step(uint32_t steps_done) { hal_write32(LLMVP_MAILBOX_BASE + MBOX_STEP, steps_done); }

void mbox_set_prefilled(uint32_t requests) { hal_write32(LLMVP_MAILBOX_BASE + MBOX_PREFILLED, requests); }

uint32_t mbox_submitted(void) { return hal_read32(LLMVP_MAILBOX_BASE + MBOX_SUBMITTED); }

void mbox_serve_event(uint32_t request, uint32_t event) {
  hal_write32(LLMVP_MAILBOX_BASE + MBOX_SERVE_EVENT, request | event);
}

void mbox_clear_host_irq(void) { hal_write32(LLMVP_MAILBOX_BASE + MBOX_HOST_IRQ, 0u); }

void mbox_report_error(const fw_fault* f) {
  hal_write32(LLMVP_MAILBOX_BASE + MBOX_ERR_CODE, f->code);
  hal_write32(LLMVP_MAILBOX_BASE + MBOX_ERR_SOURCE, f->source);
  hal_write32(LLMVP_MAILBOX_BASE + MBOX_ERR_INDEX, f->index);
  hal_write32(LLMVP_MAILBOX_BASE + MBOX_ERR_INFO, f->info);
  mbox_set_status(MBOX_ST_ERROR);
}
