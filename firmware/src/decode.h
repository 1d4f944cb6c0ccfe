/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decode executor: the prefill (manifest prefill_chunk != 0) and the
 * manifest.steps decode steps of one batch, on the engines fw_step_start
 * (step.h) set up.
 *
 * Per step s: write tokens_in / positions into the scratchpad (one burst),
 * patch the position-dependent descriptors (s > 0), ring the DMA then the
 * tile doorbell, sleep until both chains have raised DONE (an ERROR from
 * either ends the run), copy the argmax tokens into the token buffer where
 * the schedule asks for them, write MBOX_STEP = s + 1.
 */
#pragma once
#include <stdint.h>

#include "firmware/src/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Runs the prefill and the decode steps of the manifest in c->m (after
 *  fw_step_start; not for serving, see serve.h). Writes MBOX_STEP per step;
 *  does not write DONE/ERROR (fw_main does). Returns 0, or -1 with `f` set. */
int fw_decode(fw_ctx* c, fw_fault* f);

#ifdef __cplusplus
}
#endif
