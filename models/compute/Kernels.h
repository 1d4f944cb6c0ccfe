// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Functional kernels of the compute tile: the arithmetic of each opcode in
/// descriptors.h on packed byte buffers. Pure functions (no SystemC), so the
/// numerics contract is testable on its own.

#include <cstdint>

#include "models/common/Numerics.h"

namespace llmvp::models::compute {

/// y[m][n] = sum_k w[n][k] x[m][k] (+ acc[m][n] if acc != nullptr)
/// (+ bias[n] of type db if bias != nullptr), rounded once.
void gemv(const std::uint8_t* x, DType dx, const std::uint8_t* w, DType dw, const std::uint8_t* acc, std::uint8_t* y,
          DType dy, std::uint32_t m, std::uint32_t n, std::uint32_t k, const std::uint8_t* bias = nullptr,
          DType db = DType::Bf16);

/// Bytes of a [n][k] weight matrix of descriptor type `dt` (LLMVP_DT_*),
/// including the bf16 group scales of the integer types; 0 if `group` does
/// not divide k (or is 0 for an integer type, or k is odd for INT4).
[[nodiscard]] std::uint64_t weightMatrixBytes(std::uint8_t dt, std::uint64_t n, std::uint64_t k, std::uint32_t group);

/// True for LLMVP_DT_INT8 and LLMVP_DT_INT4.
[[nodiscard]] constexpr bool isQuantized(std::uint8_t dt) { return dt == LLMVP_DT_INT8 || dt == LLMVP_DT_INT4; }

/// Dequantises a group-quantised [n][k] matrix (layout in descriptors.h) to
/// fp32: out[o][j] = q * scale[o][j / group].
void dequantize(const std::uint8_t* w, std::uint8_t dt, std::uint64_t n, std::uint64_t k, std::uint32_t group,
                float* out);

/// Router top-k of one row of `n` logits (fp32 values): writes the k chosen
/// ids (descending logit, ties to the lower index) and their combine
/// weights (descriptors.h LLMVP_OP_TOPK).
void topk(const float* logits, std::uint32_t n, std::uint32_t k, std::uint32_t scoring, float scale, std::uint32_t* ids,
          float* weights);

/// y[r][n] = acc[r][n] + sum_j weights[r][j] * e[r][j][n] (LLMVP_OP_MOE_COMBINE).
void moeCombine(const std::uint8_t* e, DType de, const float* weights, const std::uint8_t* acc, std::uint8_t* y,
                DType dy, std::uint32_t m, std::uint32_t n, std::uint32_t k);

/// Decode attention of one sequence over `ctx` cached positions.
void attention(const std::uint8_t* q, DType dq, const std::uint8_t* kc, const std::uint8_t* vc, DType dkv,
               std::uint8_t* out, DType dout, std::uint32_t ctx, std::uint32_t heads, std::uint32_t kvHeads,
               std::uint32_t headDim);

/// Per-head GEMV (LLMVP_OP_GEMV_HEADS): y[r][h][n] = w[h][n][k] . x[r][h][k].
void gemvHeads(const std::uint8_t* x, DType dx, const std::uint8_t* w, DType dw, std::uint8_t* y, DType dy,
               std::uint32_t m, std::uint32_t heads, std::uint32_t n, std::uint32_t k);

/// Multi-head latent attention of one sequence (LLMVP_OP_ATTN_MLA): qLat
/// [heads][latent], qRope [heads][rope], cache [ctx][latent + rope], out
/// [heads][latent]; scale 1/sqrt(scaleDim).
void attentionMla(const std::uint8_t* qLat, const std::uint8_t* qRope, DType dq, const std::uint8_t* cache, DType dkv,
                  std::uint8_t* out, DType dout, std::uint32_t ctx, std::uint32_t heads, std::uint32_t latent,
                  std::uint32_t rope, std::uint32_t scaleDim);

void rmsnorm(const std::uint8_t* x, DType dx, const std::uint8_t* w, DType dw, std::uint8_t* y, DType dy,
             std::uint32_t m, std::uint32_t n, float eps);

/// In place on x[m][heads][headDim]; row r at position pos[r].
void rope(std::uint8_t* x, DType dx, const std::uint32_t* pos, std::uint32_t m, std::uint32_t heads,
          std::uint32_t headDim, float theta);

void swiglu(const std::uint8_t* g, DType dg, const std::uint8_t* u, DType du, std::uint8_t* y, DType dy,
            std::uint64_t count);

void add(const std::uint8_t* a, DType da, const std::uint8_t* b, DType db, std::uint8_t* y, DType dy,
         std::uint64_t count);

/// Converts `count` elements between types (bit copy when equal).
void convert(const std::uint8_t* src, DType ds, std::uint8_t* dst, DType dd, std::uint64_t count);

/// Lowest index of the maximum of each row of x[m][n].
void argmax(const std::uint8_t* x, DType dx, std::uint32_t* out, std::uint32_t m, std::uint32_t n);

} // namespace llmvp::models::compute
