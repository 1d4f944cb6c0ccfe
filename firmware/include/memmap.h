/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chip physical address map, shared by firmware and the platform builder.
 * Sizes of memories come from the platform config; the windows below are the
 * largest each may occupy. Device register blocks are 64 KiB apart.
 */
#pragma once
#include <stdint.h>

#define LLMVP_MMIO_BASE 0x10000000ull
#define LLMVP_MMIO_STRIDE 0x00010000ull
#define LLMVP_INTC_BASE (LLMVP_MMIO_BASE + 0x0 * LLMVP_MMIO_STRIDE)
#define LLMVP_MAILBOX_BASE (LLMVP_MMIO_BASE + 0x1 * LLMVP_MMIO_STRIDE)
#define LLMVP_SEM_BASE (LLMVP_MMIO_BASE + 0x2 * LLMVP_MMIO_STRIDE)
#define LLMVP_TRACE_BASE (LLMVP_MMIO_BASE + 0x3 * LLMVP_MMIO_STRIDE)
#define LLMVP_DMA_BASE(i) (LLMVP_MMIO_BASE + (0x10ull + (i)) * LLMVP_MMIO_STRIDE)
#define LLMVP_TILE_BASE(i) (LLMVP_MMIO_BASE + (0x20ull + (i)) * LLMVP_MMIO_STRIDE)
/* Near-memory (PNM/PIM) engines, one per memory partition (at most 8). */
#define LLMVP_PNM_BASE(i) (LLMVP_MMIO_BASE + (0x40ull + (i)) * LLMVP_MMIO_STRIDE)
#define LLMVP_MAX_PNM 8u
/* Collectives engines (multi-chip systems), blocks 0x30-0x37. */
#define LLMVP_COLL_BASE(i) (LLMVP_MMIO_BASE + (0x30ull + (i)) * LLMVP_MMIO_STRIDE)
#define LLMVP_MMIO_WINDOW 0x01000000ull

/* On-chip control SRAM: manifest, descriptor rings, firmware buffers. */
#define LLMVP_CTRL_SRAM_BASE 0x00000000ull
#define LLMVP_CTRL_SRAM_WINDOW 0x10000000ull

/* Compute-tile scratchpads, one window per tile. */
#define LLMVP_SPAD_BASE(i) (0x40000000ull + (uint64_t)(i)*0x40000000ull)
#define LLMVP_SPAD_WINDOW 0x40000000ull
#define LLMVP_MAX_TILES 4

/* Main memory (HBM) window. */
#define LLMVP_HBM_BASE 0x0000010000000000ull
#define LLMVP_HBM_WINDOW 0x0000010000000000ull

/* High Bandwidth Flash window (present when the platform has chip.hbf). */
#define LLMVP_HBF_BASE 0x0000020000000000ull
#define LLMVP_HBF_WINDOW 0x0000020000000000ull

/* Interrupt lines at the interrupt controller. */
#define LLMVP_IRQ_DMA(i) (0u + (i))
#define LLMVP_IRQ_TILE(i) (8u + (i))
#define LLMVP_IRQ_PNM(i) (20u + (i))
#define LLMVP_IRQ_COLL(i) (16u + (i)) /* collectives engines, 16-19 */
#define LLMVP_IRQ_MAILBOX 31u
