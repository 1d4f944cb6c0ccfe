/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Serving with continuous batching (manifest serve_requests != 0; the host
 * plays a scenario). Requests arrive over time through the mailbox (MBOX_SUBMITTED);
 * each iteration the firmware
 *   1. admits submitted requests, oldest first, into free slots (a slot is a
 *      KV-cache row of max_context positions: the host sized the cache for
 *      `batch` slots, so a request that holds a slot always fits);
 *   2. runs one prefill chunk of the oldest request still prefilling
 *      (prefill_chunk != 0): prefill is chunked and interleaved with decode,
 *      so a long prompt delays running requests by one chunk per step, not
 *      by its whole length;
 *   3. runs one decode step over every request that holds a slot and is
 *      past its prefill (prefill_chunk == 0: its prompt goes through decode
 *      steps, one token per step, teacher-forced), then frees the slots of
 *      requests that generated gen_len tokens;
 *   4. sleeps on the mailbox IRQ when no request holds a slot.
 * The decode chains are rebuilt when the set of decoding requests changed
 * and patched otherwise.
 */
#pragma once
#include <stdint.h>

#include "firmware/src/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Serves manifest.serve_requests requests on the engines fw_step_start
 *  (step.h) set up; 0, or -1 with `f` set. */
int fw_serve(fw_ctx* c, fw_fault* f);

#ifdef __cplusplus
}
#endif
