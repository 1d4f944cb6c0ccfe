/* SPDX-License-Identifier: Apache-2.0 */
/* Small pure helpers shared by the firmware sources. */
#pragma once
#include <stdint.h>
#include <string.h>

#include "firmware/include/descriptors.h"

#ifdef __cplusplus
extern "C" {
#endif

static inline uint64_t fw_align_up(uint64_t v, uint64_t align) { return (v + align - 1u) & ~(align - 1u); }

static inline uint32_t fw_sat32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

/** Bytes per element of an llmvp_dtype, 0 for an invalid type. */
static inline uint32_t fw_dtype_bytes(uint8_t dt) {
  switch (dt) {
  case LLMVP_DT_FP32: return 4u;
  case LLMVP_DT_BF16: return 2u;
  case LLMVP_DT_FP8_E4M3: return 1u;
  case LLMVP_DT_U32: return 4u;
  default: return 0u;
  }
}

/** Types that weights, KV cache and activations may use. */
static inline int fw_dtype_is_float(uint8_t dt) {
  return dt == LLMVP_DT_FP32 || dt == LLMVP_DT_BF16 || dt == LLMVP_DT_FP8_E4M3;
}

/** Descriptor wait_sem/signal_sem encoding of semaphore index `sem`. */
static inline uint8_t fw_sem_field(uint32_t sem) { return (uint8_t)(sem + 1u); }

/** A zeroed descriptor with opcode and datatypes set. */
static inline llmvp_desc fw_desc(uint8_t opcode, uint8_t dt_in, uint8_t dt_w, uint8_t dt_out) {
  llmvp_desc d;
  memset(&d, 0, sizeof d);
  d.opcode = opcode;
  d.dt_in = dt_in;
  d.dt_w = dt_w;
  d.dt_out = dt_out;
  return d;
}

#ifdef __cplusplus
}
#endif
