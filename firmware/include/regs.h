/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Register layouts of every device, shared by firmware and models.
 * All registers are 32 bits wide, little endian, at the offsets below from
 * the device's base address (memmap.h). Documented in docs/register-map.md.
 */
#pragma once
#include <stdint.h>

/* ---- Engine register block (DMA engines and compute tiles) ----------------
 * An engine fetches 64-byte descriptors (descriptors.h) from a ring in memory.
 * HEAD and TAIL are free-running descriptor counters; slot = counter % SIZE.
 * Firmware appends work by writing TAIL (the doorbell); the engine processes
 * descriptors while HEAD != TAIL. TAIL - HEAD must never exceed RING_SIZE.
 * The slot mapping is discontinuous where the 32-bit counters wrap unless
 * RING_SIZE is a power of two: firmware resets the engine before that.      */
#define ENG_ID 0x00u           /* RO: device id, see ENG_ID_* */
#define ENG_CTRL 0x04u         /* RW: ENG_CTRL_* bits */
#define ENG_STATUS 0x08u       /* RO: ENG_STATUS_* bits */
#define ENG_RING_BASE_LO 0x0Cu /* RW: ring base address, 64-byte aligned */
#define ENG_RING_BASE_HI 0x10u
#define ENG_RING_SIZE 0x14u  /* RW: ring size in descriptors (>= 1) */
#define ENG_HEAD 0x18u       /* RO: descriptors consumed (free-running) */
#define ENG_TAIL 0x1Cu       /* RW: doorbell, descriptors posted (free-running) */
#define ENG_IRQ_STATUS 0x20u /* RW1C: ENG_IRQ_* bits */
#define ENG_IRQ_ENABLE 0x24u /* RW: ENG_IRQ_* bits */
#define ENG_ERR_CODE 0x28u   /* RO: ENG_ERR_* of the first error since reset */
#define ENG_ERR_INDEX 0x2Cu  /* RO: HEAD counter value of the failing descriptor */
#define ENG_ERR_INFO 0x30u   /* RO: error detail (field code, see ENG_FIELD_*) */
#define ENG_COMPLETED 0x34u  /* RO: descriptors completed (free-running) */

#define ENG_ID_DMA 0x444D4100u  /* "DMA\0" */
#define ENG_ID_TILE 0x54494C45u /* "TILE" */
#define ENG_ID_PNM 0x504E4D00u  /* "PNM\0" near-memory engine on a logic base die */
#define ENG_ID_PIM 0x50494D00u  /* "PIM\0" near-memory engine in the DRAM dies */
#define ENG_ID_COLL 0x434F4C4Cu /* "COLL": collectives engine */

#define ENG_CTRL_ENABLE (1u << 0) /* fetch and execute descriptors */
#define ENG_CTRL_RESET                                                                                                 \
  (1u << 1) /* write 1: clear error and IRQ status, HEAD = TAIL =                                                      \
               COMPLETED = 0; ring registers and IRQ_ENABLE keep                                                       \
               their values; ENABLE takes bit 0 of the same write */

#define ENG_STATUS_BUSY (1u << 0)
#define ENG_STATUS_ERROR (1u << 1) /* halted on an error until reset */

#define ENG_IRQ_DONE (1u << 0)  /* a descriptor with DESC_F_IRQ completed */
#define ENG_IRQ_ERROR (1u << 1) /* engine halted on an error */

#define ENG_ERR_NONE 0u
#define ENG_ERR_BAD_OPCODE 1u /* opcode not supported by this engine */
#define ENG_ERR_BAD_DTYPE 2u  /* datatype field not supported for the op */
#define ENG_ERR_BAD_SHAPE 3u  /* zero or inconsistent dimension */
#define ENG_ERR_BUS 4u        /* an access returned a TLM error (unmapped address) */
#define ENG_ERR_BAD_SEM 5u    /* semaphore index out of range */
#define ENG_ERR_RING 6u       /* ring misconfigured (size 0, TAIL - HEAD > SIZE) */
#define ENG_ERR_FETCH 7u      /* descriptor fetch failed */
#define ENG_ERR_GROUP 8u      /* collective group (descriptor m, k) empty, past the chips or without this one */

/* ENG_ERR_INFO values: which descriptor field was bad. */
#define ENG_FIELD_OPCODE 1u
#define ENG_FIELD_DTYPE 2u
#define ENG_FIELD_DIMS 3u
#define ENG_FIELD_SRC0 4u
#define ENG_FIELD_SRC1 5u
#define ENG_FIELD_SRC2 6u
#define ENG_FIELD_DST 7u
#define ENG_FIELD_SEM 8u

/* ---- Interrupt controller -------------------------------------------------
 * Level-sensitive lines (memmap.h LLMVP_IRQ_*). The CPU's interrupt input is
 * (PENDING & ENABLE) != 0. Lines clear when the source clears its status.   */
#define INTC_PENDING 0x00u /* RO: one bit per line */
#define INTC_ENABLE 0x04u  /* RW */

/* ---- Mailbox (host <-> firmware) ------------------------------------------ */
#define MBOX_MANIFEST_LO 0x00u /* RW host: manifest address */
#define MBOX_MANIFEST_HI 0x04u
#define MBOX_STATUS 0x08u     /* RW firmware: MBOX_ST_*; writes notify host */
#define MBOX_STEP 0x0Cu       /* RW firmware: decode steps completed; writes notify host */
#define MBOX_ERR_CODE 0x10u   /* RW firmware: FW_ERR_* or engine error code */
#define MBOX_ERR_SOURCE 0x14u /* RW firmware: engine id (ENG_ID_*), 0 for firmware */
#define MBOX_ERR_INDEX                                                                                                 \
  0x18u                      /* RW firmware: FW_ERR_ENGINE: failing descriptor counter;                                \
                                otherwise a detail documented in firmware/src/fw_errors.h */
#define MBOX_ERR_INFO 0x1Cu  /* RW firmware: detail (ENG_FIELD_* or a manifest field) */
#define MBOX_PREFILLED 0x24u /* RW firmware: requests whose prefill finished; writes notify host */
#define MBOX_HOST_IRQ 0x20u  /* RW host: write 1 to raise LLMVP_IRQ_MAILBOX, 0 to clear */
/* Serving (manifest serve_requests != 0): */
#define MBOX_SUBMITTED 0x28u         /* RW host: requests submitted so far (serve_table entries filled) */
#define MBOX_SERVE_EVENT 0x2Cu       /* RW firmware: request id | MBOX_EV_*; writes notify host */
#define MBOX_EV_FIRST 0x00000000u    /* the request's first token is in its token buffer */
#define MBOX_EV_FINISHED 0x80000000u /* its last token is written; its slot is free */

#define MBOX_ST_IDLE 0u
#define MBOX_ST_RUNNING 1u
#define MBOX_ST_DONE 2u
#define MBOX_ST_ERROR 3u

#define FW_ERR_NONE 0u
#define FW_ERR_BAD_MANIFEST 0x100u /* magic/version mismatch or field out of range (INFO: field) */
#define FW_ERR_ENGINE 0x101u       /* an engine reported an error (SOURCE/INDEX/INFO as read) */
#define FW_ERR_NO_SPACE 0x102u     /* scratchpad or control SRAM too small for the plan (INFO: FW_SPACE_*) */
#define FW_SPACE_RINGS 1u          /* work region cannot hold the descriptor rings */
#define FW_SPACE_SPAD 2u           /* scratchpad region cannot hold the activation buffers */

/* ---- Semaphore block ------------------------------------------------------
 * LLMVP_SEM_COUNT counting semaphores. An engine descriptor may wait on one
 * (block until value >= 1, then decrement) and signal one (increment) after
 * completing. Firmware may read and reset them.                             */
#define LLMVP_SEM_COUNT 32u
#define SEM_VALUE(i) (0x000u + 4u * (i))  /* RO: current value */
#define SEM_SIGNAL(i) (0x100u + 4u * (i)) /* WO: add the written value */
#define SEM_SET(i) (0x200u + 4u * (i))    /* WO: set the value */

/* ---- Trace port (stimulus port for firmware phase marks) ------------------
 * Firmware writes one word per phase change; the platform turns the marks
 * into spans of a trace (llmvp run --trace) and per-step samples. A write
 * ends the phase in progress and starts the one written; a new step number
 * also ends the step in progress. TRACE_PH_IDLE ends both. Writes cost an
 * ordinary MMIO access whether or not a trace is recorded, so tracing never
 * changes simulated time.                                                   */
#define TRACE_MARK 0x00u /* WO: TRACE_MARK_VALUE(step, phase) */
#define TRACE_LAST 0x04u /* RO: last value written to TRACE_MARK */
#define TRACE_MARK_VALUE(step, phase) ((((uint32_t)(step)&0xffffffu) << 8) | ((uint32_t)(phase)&0xffu))
#define TRACE_MARK_STEP(v) ((uint32_t)(v) >> 8)
#define TRACE_MARK_PHASE(v) ((uint32_t)(v)&0xffu)

#define TRACE_PH_IDLE 0u    /* no phase: ends the step and phase in progress */
#define TRACE_PH_SETUP 1u   /* one-time set-up: engines reset, chains built */
#define TRACE_PH_PATCH 2u   /* step inputs written, chains patched, doorbells rung */
#define TRACE_PH_WAIT 3u    /* sleeping until the engines finish the step */
#define TRACE_PH_COLLECT 4u /* argmax results read, tokens stored */
