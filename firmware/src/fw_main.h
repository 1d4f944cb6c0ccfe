/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware entry point, called by the control-CPU model after reset.
 *
 * Contract:
 *  - The host has written a manifest (manifest.h) into device memory and its
 *    address into MBOX_MANIFEST_LO/HI before releasing reset.
 *  - fw_main validates it, programs DMA engine 0 and compute tile 0, runs
 *    manifest.steps decode steps, and reports through the mailbox:
 *      MBOX_STATUS  RUNNING once the manifest is accepted and planned,
 *                   DONE after the last step, ERROR on any failure;
 *      MBOX_STEP    s + 1 after step s (its tokens are already in memory);
 *      MBOX_ERR_*   on ERROR, see fw_errors.h.
 *  - Returns 0 on success, else the FW_ERR_* code also written to
 *    MBOX_ERR_CODE.
 *  - Reentrant: all state lives on this call's stack (under 8 KiB), so
 *    several chips may run the same image concurrently.
 */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

int fw_main(void);

#ifdef __cplusplus
}
#endif
