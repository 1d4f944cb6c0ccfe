/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compute-tile descriptor builders (descriptors.h). Arguments are in the
 * order destination, sources, dimensions, scalars, datatypes; `act` is the
 * activation type (dt_in/dt_out), `w` the weight or KV-cache type (dt_w).
 * Waits, signals and flags are left 0 for the caller to set.
 */
#pragma once
#include <stdint.h>

#include "firmware/include/descriptors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** EMBED: dst[r][hidden] = table[ids[r]][hidden], r < rows; table has vocab rows. */
llmvp_desc tile_embed(uint64_t dst, uint64_t ids, uint64_t table, uint32_t rows, uint32_t hidden, uint32_t vocab,
                      uint8_t act, uint8_t w);
/** RMSNORM over rows x n with weight[n] and eps (fp32 bits). */
llmvp_desc tile_rmsnorm(uint64_t dst, uint64_t src, uint64_t weight, uint32_t rows, uint32_t n, uint32_t eps_bits,
                        uint8_t act, uint8_t w);
/** GEMV: dst[rows][out] = x[rows][in] * weight[out][in]^T. */
llmvp_desc tile_gemv(uint64_t dst, uint64_t x, uint64_t weight, uint32_t rows, uint32_t out, uint32_t in, uint8_t act,
                     uint8_t w);
/** GEMV with accumulation: dst = x * weight^T + acc (acc may equal dst). */
llmvp_desc tile_gemv_accum(uint64_t dst, uint64_t x, uint64_t weight, uint64_t acc, uint32_t rows, uint32_t out,
                           uint32_t in, uint8_t act, uint8_t w);
/** ROPE in place on x[rows][heads][head_dim]; row r at position positions[r] (u32). */
llmvp_desc tile_rope(uint64_t x, uint64_t positions, uint32_t rows, uint32_t heads, uint32_t head_dim,
                     uint32_t theta_bits, uint8_t act);
/** ATTN of one sequence: dst[heads][head_dim] from q and the first ctx_len
 *  positions of the K/V caches [pos][kv_heads][head_dim] (type kv). */
llmvp_desc tile_attn(uint64_t dst, uint64_t q, uint64_t k_cache, uint64_t v_cache, uint32_t ctx_len, uint32_t heads,
                     uint32_t kv_heads, uint32_t head_dim, uint8_t act, uint8_t kv);
/** SWIGLU: dst[i] = silu(gate[i]) * up[i], i < rows * n (dst may equal gate). */
llmvp_desc tile_swiglu(uint64_t dst, uint64_t gate, uint64_t up, uint32_t rows, uint32_t n, uint8_t act);
/** ARGMAX: dst[r] (u32) = lowest index of the maximum of x[r][n]. */
llmvp_desc tile_argmax(uint64_t dst, uint64_t x, uint32_t rows, uint32_t n, uint8_t act);

#ifdef __cplusplus
}
#endif
