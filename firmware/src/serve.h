/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Serving with continuous batching (manifest serve_requests != 0; issue 4
 * scenarios). Requests arrive over time through the mailbox (MBOX_SUBMITTED);
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

/** Serves manifest.serve_requests requests; 0, or -1 with `f` set. */
int fw_serve(fw_ctx* c, fw_fault* f);

/* The decode executor's step machinery (decode.c), with step 0 meaning
 * "the positions in cached_len". */
void fw_step_switch_rings(fw_ctx* c, uint64_t tile_base, uint32_t tile_len, uint64_t dma_base, uint32_t dma_len);
void fw_step_write_inputs(fw_ctx* c);
void fw_step_write_prefill_inputs(fw_ctx* c, uint64_t tokens, uint32_t start, uint32_t rows, uint32_t at);
/** One block prefill pass over `rows` rows (inputs written, c->seg_* set). */
int fw_step_prefill_block(fw_ctx* c, uint32_t rows, fw_fault* f);
int fw_step_wait(const fw_ctx* c, fw_fault* f);
void fw_step_collect(fw_ctx* c);
/** One row-wise prefill pass (plan.h fw_prefill_rowwise): rows = positions
 *  start .. start + rows - 1 of request `req` (KV row `kv_row`); leaves the
 *  engines on the prefill rings and the last row's argmax at spad.tokens_out. */
int fw_step_prefill_rows(fw_ctx* c, uint32_t req, uint32_t kv_row, uint32_t prompt_len, uint32_t start, uint32_t rows,
                         fw_fault* f);

#ifdef __cplusplus
}
#endif
