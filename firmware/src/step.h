/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Step machinery shared by the decode executor (decode.c) and the serving
 * loop (serve.c): write a pass's inputs into the scratchpad, point the
 * engines at their rings and kick them, sleep until they are done, collect
 * the argmax tokens. Row r's position in step s is fw_position(c, r, s)
 * (fw_util.h); the serving loop passes step 0, meaning "the positions in
 * cached_len".
 */
#pragma once
#include <stdint.h>

#include "firmware/src/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Loads and checks the manifest at `manifest_addr`, plans the scratchpad
 *  and the rings, sets up the engines (the decode chains are built here
 *  unless prefill or serving builds them later) and writes MBOX_STATUS =
 *  RUNNING. Returns 0, or -1 with `f` set. */
int fw_step_start(fw_ctx* c, uint64_t manifest_addr, fw_fault* f);
/** After the last step: disables every engine in use. */
void fw_step_stop(fw_ctx* c);
/** Points both engines at new rings (engines idle): reset, configure, enable. */
void fw_step_switch_rings(fw_ctx* c, uint64_t tile_base, uint32_t tile_len, uint64_t dma_base, uint32_t dma_len);
/** Loads step `step`'s input token of every row (the prompt token while
 *  teacher forcing, else last step's argmax, which is also what the token
 *  buffer holds) and writes tokens_in and positions to the scratchpad. */
void fw_step_write_inputs(fw_ctx* c, uint32_t step);
/** Prefill inputs: `rows` prompt tokens (token buffer row at `tokens`) from
 *  position `start` and their positions, at chunk row `at`, in bursts of at
 *  most LLMVP_MAX_BATCH words. */
void fw_step_write_prefill_inputs(fw_ctx* c, uint64_t tokens, uint32_t start, uint32_t rows, uint32_t at);
/** Sleeps until every engine in use raised DONE for this step; -1 on an engine error. */
int fw_step_wait(const fw_ctx* c, fw_fault* f);
/** Reads the argmax of every row; stores it in the token buffer at pos + 1
 *  unless that position still belongs to the prompt. */
void fw_step_collect(fw_ctx* c, uint32_t step);
/** Runs one block prefill pass over `rows` chunk rows whose inputs are
 *  written and whose pieces are in c->seg_* (the engines end on the
 *  prefill rings). */
int fw_step_prefill_block(fw_ctx* c, uint32_t rows, fw_fault* f);
/** One row-wise prefill pass (plan.h fw_prefill_rowwise): rows = positions
 *  start .. start + rows - 1 of request `req` (KV row `kv_row`); leaves the
 *  engines on the prefill rings and the last row's argmax at spad.tokens_out. */
int fw_step_prefill_rows(fw_ctx* c, uint32_t req, uint32_t kv_row, uint32_t prompt_len, uint32_t start, uint32_t rows,
                         fw_fault* f);

#ifdef __cplusplus
}
#endif
