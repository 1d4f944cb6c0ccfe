/* SPDX-License-Identifier: Apache-2.0 */
/* Phase marks for traces: one MMIO write to the trace port (regs.h TRACE_*)
 * per phase change. The write is costed like any register write whether or
 * not the platform records a trace. */
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Ends the phase in progress and starts `phase` (TRACE_PH_*) of `step`. */
void fw_trace_mark(uint32_t step, uint32_t phase);

#ifdef __cplusplus
}
#endif
