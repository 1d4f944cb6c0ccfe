/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/trace.h"

#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"

void fw_trace_mark(uint32_t step, uint32_t phase) {
  hal_write32(LLMVP_TRACE_BASE + TRACE_MARK, TRACE_MARK_VALUE(step, phase));
}
