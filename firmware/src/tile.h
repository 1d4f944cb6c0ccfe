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
/** GEMV with a bias: dst = x * weight^T + bias[out] (bias of type w). */
llmvp_desc tile_gemv_bias(uint64_t dst, uint64_t x, uint64_t weight, uint64_t bias, uint32_t rows, uint32_t out,
                          uint32_t in, uint8_t act, uint8_t w);
/** TOPK: routing record at dst (ids [rows][top_k], then fp32 weights) from
 *  fp32 logits[rows][experts]; scoring LLMVP_ROUTER_*, scale fp32 bits. */
llmvp_desc tile_topk(uint64_t dst, uint64_t logits, uint32_t rows, uint32_t experts, uint32_t top_k, uint32_t scoring,
                     uint32_t scale_bits);
/** GEMV_MOE: dst[rows][top_k][out] from the experts named by ids[rows][top_k];
 *  expert e's weights at weights + e * stride (stride a multiple of 64);
 *  slot_input: x is [rows][top_k][in] instead of [rows][in]. */
llmvp_desc tile_gemv_moe(uint64_t dst, uint64_t x, uint64_t weights, uint64_t stride, uint64_t ids, uint32_t rows,
                         uint32_t out, uint32_t in, uint32_t top_k, uint32_t experts, int slot_input, uint8_t act,
                         uint8_t w);
/** MOE_COMBINE: dst[rows][n] = acc + sum_j weight[r][j] * y[r][j][n] (route = TOPK's record);
 *  clear DESC_F_ACCUM in the result for dst = the sum alone. */
llmvp_desc tile_moe_combine(uint64_t dst, uint64_t y, uint64_t route, uint64_t acc, uint32_t rows, uint32_t n,
                            uint32_t top_k, uint8_t act);
/** GEMV_HEADS: dst[rows][heads][out] = weight[h][out][in] . x[rows][heads][in]. */
llmvp_desc tile_gemv_heads(uint64_t dst, uint64_t x, uint64_t weight, uint32_t rows, uint32_t heads, uint32_t out,
                           uint32_t in, uint8_t act, uint8_t w);
/** ATTN_MLA of one sequence: dst[heads][latent] from q_lat [heads][latent],
 *  q_rope [heads][rope] and the first ctx_len rows [latent + rope] of the
 *  latent cache (type kv); softmax scale 1/sqrt(scale_dim). */
llmvp_desc tile_attn_mla(uint64_t dst, uint64_t q_lat, uint64_t q_rope, uint64_t cache, uint32_t ctx_len,
                         uint32_t heads, uint32_t latent, uint32_t rope, uint32_t scale_dim, uint8_t act, uint8_t kv);
/** ARGMAX: dst[r] (u32) = lowest index of the maximum of x[r][n]. */
llmvp_desc tile_argmax(uint64_t dst, uint64_t x, uint32_t rows, uint32_t n, uint8_t act);

#ifdef __cplusplus
}
#endif
