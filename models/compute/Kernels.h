// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Functional kernels of the compute tile: the arithmetic of each opcode in
/// descriptors.h on packed byte buffers. Pure functions (no SystemC), so the
/// numerics contract is testable on its own.

#include <cstdint>

#include "models/common/Numerics.h"

namespace llmvp::models::compute {

/// y[m][n] = sum_k w[n][k] x[m][k] (+ acc[m][n] if acc != nullptr).
void gemv(const std::uint8_t* x, DType dx, const std::uint8_t* w, DType dw, const std::uint8_t* acc, std::uint8_t* y,
          DType dy, std::uint32_t m, std::uint32_t n, std::uint32_t k);

/// Decode attention of one sequence over `ctx` cached positions.
void attention(const std::uint8_t* q, DType dq, const std::uint8_t* kc, const std::uint8_t* vc, DType dkv,
               std::uint8_t* out, DType dout, std::uint32_t ctx, std::uint32_t heads, std::uint32_t kvHeads,
               std::uint32_t headDim);

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
