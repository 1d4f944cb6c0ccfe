/* SPDX-License-Identifier: Apache-2.0 */
/* Mailbox driver: the firmware's side of the host interface (regs.h MBOX_*). */
#pragma once
#include <stdint.h>

#include "firmware/src/fw_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Manifest address the host left in MBOX_MANIFEST_LO/HI. */
uint64_t mbox_manifest_addr(void);
/** MBOX_STATUS = status (MBOX_ST_*); notifies the host. */
void mbox_set_status(uint32_t status);
/** MBOX_STEP = steps completed; notifies the host. */
void mbox_set_step(uint32_t steps_done);
/** MBOX_PREFILLED = requests whose prefill finished; notifies the host. */
void mbox_set_prefilled(uint32_t requests);
/** Serving: MBOX_SUBMITTED (requests the host has submitted so far). */
uint32_t mbox_submitted(void);
/** Serving: MBOX_SERVE_EVENT = request | MBOX_EV_*; notifies the host. */
void mbox_serve_event(uint32_t request, uint32_t event);
/** Lowers the host's mailbox interrupt (MBOX_HOST_IRQ = 0). */
void mbox_clear_host_irq(void);
/** Writes the MBOX_ERR_* registers from `f`, then MBOX_STATUS = MBOX_ST_ERROR
 *  (last, so the host sees complete error details when notified). */
void mbox_report_error(const fw_fault* f);

#ifdef __cplusplus
}
#endif
