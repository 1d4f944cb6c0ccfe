// SPDX-License-Identifier: Apache-2.0
// PnmEngine on the engine bench: functional results equal the compute
// kernels (strided output shards, attention over a shard, partial-sum
// reduction), the compute time derived by hand, PIM shard limits and
// unit utilisation, and the opcodes it refuses.
#include <gtest/gtest.h>

#include <random>

#include "models/common/Numerics.h"
#include "models/compute/Kernels.h"
#include "models/memory/stacked/PnmEngine.h"
#include "tests/support/EngineBench.h"

namespace llmvp::test {
namespace {

using models::DType;
using models::stacked::PnmEngine;
using models::stacked::PnmParams;

constexpr std::uint64_t kA = kCtrl + 0x10000;
constexpr std::uint64_t kB = kCtrl + 0x20000;
constexpr std::uint64_t kC = kCtrl + 0x30000;
constexpr std::uint64_t kD = kCtrl + 0x40000;

/// 4 units of 1 MAC and 1 vector op per cycle at 1 GHz, no dispatch cost.
PnmParams pnmParams() {
  PnmParams p;
  p.engine = defaultEngineParams();
  p.engine.dispatchCycles = 0;
  p.units = 4;
  p.macsPerCyclePerUnit = 1;
  p.vectorOpsPerCyclePerUnit = 1;
  p.pjPerMac = 1;
  p.pjPerVectorOp = 1;
  return p;
}

EngineBench bench(const PnmParams& p) {
  return EngineBench([&](models::ISemaphoreWait& s) { return std::make_unique<PnmEngine>("pnm", p, s, true); },
                     BenchTiming{});
}

std::vector<std::uint8_t> randomFp32(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<std::uint8_t> v(n * 4);
  for (std::size_t i = 0; i < n; ++i) models::storeElement(v.data(), DType::Fp32, i, dist(rng));
  return v;
}

llmvp_desc desc(std::uint8_t op, std::uint64_t src0, std::uint64_t src1, std::uint64_t src2, std::uint64_t dst,
                std::uint32_t m, std::uint32_t n, std::uint32_t k) {
  llmvp_desc d = makeDesc(op);
  d.src0 = src0;
  d.src1 = src1;
  d.src2 = src2;
  d.dst = dst;
  d.m = m;
  d.n = n;
  d.k = k;
  d.dt_in = d.dt_w = d.dt_out = LLMVP_DT_FP32;
  return d;
}

TEST(PnmEngine, IdsTellPnmFromPim) {
  PnmParams p = pnmParams();
  EngineBench b = bench(p);
  EXPECT_EQ(b.reg(ENG_ID), ENG_ID_PNM);
}

TEST(PnmEngine, GemvShardLandsInPlaceAndAccumulates) {
  EngineBench b = bench(pnmParams());
  // m = 2 rows, n = 3 output features of a [2][5] output (arg1 = 5), k = 8.
  const auto x = randomFp32(2 * 8, 1), w = randomFp32(3 * 8, 2), y0 = randomFp32(2 * 5, 3);
  b.mem.poke(kA, x.data(), x.size());
  b.mem.poke(kB, w.data(), w.size());
  b.mem.poke(kD, y0.data(), y0.size());
  llmvp_desc d = desc(LLMVP_OP_PNM_GEMV, kA, kB, kD, kD, 2, 3, 8);
  d.arg1 = 5;
  d.flags = DESC_F_ACCUM;
  b.runDescs({d});
  EXPECT_EQ(b.reg(ENG_STATUS), 0u) << b.reg(ENG_ERR_CODE);
  // Reference: the dense kernel on the gathered shard.
  std::vector<std::uint8_t> acc(2 * 3 * 4), ref(2 * 3 * 4);
  for (int r = 0; r < 2; ++r) std::memcpy(acc.data() + r * 12, y0.data() + r * 20, 12);
  models::compute::gemv(x.data(), DType::Fp32, w.data(), DType::Fp32, acc.data(), ref.data(), DType::Fp32, 2, 3, 8);
  const auto out = b.mem.bytes(kD, 2 * 5 * 4);
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(0, std::memcmp(out.data() + r * 20, ref.data() + r * 12, 12)) << "row " << r;
    EXPECT_EQ(0, std::memcmp(out.data() + r * 20 + 12, y0.data() + r * 20 + 12, 8)) << "outside the shard, row " << r;
  }
}

TEST(PnmEngine, GemvTimeFollowsUnitsAndRate) {
  EngineBench b = bench(pnmParams());
  // 1 x 4 x 64 = 256 MACs on min(4 units, 4 rows) = 4 units at 1 MAC/cycle,
  // 1 GHz: 64 ns; then 1 x 2 x 64 = 128 MACs on 2 units (2 rows): 64 ns.
  // Operands in the zero-cost region.
  b.runDescs({desc(LLMVP_OP_PNM_GEMV, kA, kB, 0, kD, 1, 4, 64), desc(LLMVP_OP_PNM_GEMV, kA, kB, 0, kD, 1, 2, 64)});
  EXPECT_DOUBLE_EQ(b.stat("busy"), 128000.0);
  EXPECT_DOUBLE_EQ(b.stat("macs"), 384.0);
  EXPECT_DOUBLE_EQ(b.stat("energy"), 384.0);
  EXPECT_DOUBLE_EQ(b.stat("unit_active"), 64000.0 + 64000.0 * 2 / 4);
}

TEST(PnmEngine, AttentionOverAShardMatchesTheKernel) {
  EngineBench b = bench(pnmParams());
  // ctx 5, 4 query heads, 2 kv heads, head_dim 8.
  const auto q = randomFp32(4 * 8, 4), k = randomFp32(5 * 2 * 8, 5), v = randomFp32(5 * 2 * 8, 6);
  b.mem.poke(kA, q.data(), q.size());
  b.mem.poke(kB, k.data(), k.size());
  b.mem.poke(kC, v.data(), v.size());
  llmvp_desc d = desc(LLMVP_OP_PNM_ATTN, kA, kB, kC, kD, 5, 4, 8);
  d.arg0 = 2;
  b.runDescs({d});
  EXPECT_EQ(b.reg(ENG_STATUS), 0u) << b.reg(ENG_ERR_CODE);
  std::vector<std::uint8_t> ref(4 * 8 * 4);
  models::compute::attention(q.data(), DType::Fp32, k.data(), v.data(), DType::Fp32, ref.data(), DType::Fp32, 5, 4, 2,
                             8);
  EXPECT_EQ(b.mem.bytes(kD, ref.size()), ref);
}

TEST(PnmEngine, ReduceSumsPartialsInOrder) {
  EngineBench b = bench(pnmParams());
  const auto parts = randomFp32(3 * 6, 7); // k = 3 partials of m*n = 6
  b.mem.poke(kA, parts.data(), parts.size());
  b.runDescs({desc(LLMVP_OP_PNM_REDUCE, kA, 0, 0, kD, 2, 3, 3)});
  EXPECT_EQ(b.reg(ENG_STATUS), 0u) << b.reg(ENG_ERR_CODE);
  for (int i = 0; i < 6; ++i) {
    float s = 0;
    for (int j = 0; j < 3; ++j) s += models::loadElement(parts.data(), DType::Fp32, j * 6 + i);
    EXPECT_EQ(b.mem.get<float>(kD + 4 * i), s) << i;
  }
  EXPECT_DOUBLE_EQ(b.stat("vector_ops"), 18.0);
}

TEST(PnmEngine, TileOpcodesAreRefused) {
  EngineBench b = bench(pnmParams());
  b.runDescs({desc(LLMVP_OP_GEMV, kA, kB, 0, kD, 1, 4, 4)});
  EXPECT_EQ(b.reg(ENG_ERR_CODE), ENG_ERR_BAD_OPCODE);
  EXPECT_EQ(b.reg(ENG_ERR_INFO), ENG_FIELD_OPCODE);
}

TEST(PimEngine, RowsBeyondOneBankAreRefused) {
  PnmParams p = pnmParams();
  p.inDram = true;
  p.unitShardBytes = 256; // a unit's bank
  EngineBench b = bench(p);
  EXPECT_EQ(b.reg(ENG_ID), ENG_ID_PIM);
  // n = 8 rows of 64 fp32 (256 bytes) over 4 units: 2 rows (512 bytes) per unit.
  b.runDescs({desc(LLMVP_OP_PNM_GEMV, kA, kB, 0, kD, 1, 8, 64)});
  EXPECT_EQ(b.reg(ENG_ERR_CODE), ENG_ERR_BAD_SHAPE);
  EXPECT_EQ(b.reg(ENG_ERR_INFO), ENG_FIELD_SRC1);
}

TEST(PnmEngine, AttentionSpreadsPositionsOverUnits) {
  EngineBench b = bench(pnmParams());
  llmvp_desc d = desc(LLMVP_OP_PNM_ATTN, kA, kB, kC, kD, 16, 2, 8); // ctx 16, 2 query heads, 1 kv head
  d.arg0 = 1;
  b.runDescs({d});
  EXPECT_EQ(b.reg(ENG_STATUS), 0u) << b.reg(ENG_ERR_CODE);
  // Scores and values: 2 * 2 heads * 16 positions * 8 = 512 MACs; softmax
  // 5 * 32 ops; over min(4 units, 16 positions): 128 + 40 = 168 ns.
  EXPECT_DOUBLE_EQ(b.stat("busy"), 168000.0);
  EXPECT_DOUBLE_EQ(b.stat("unit_active"), b.stat("busy"));
}

TEST(PimEngine, KvSliceBeyondOneBankIsRefused) {
  PnmParams p = pnmParams();
  p.inDram = true;
  p.unitShardBytes = 128; // a unit's bank
  EngineBench b = bench(p);
  // K and V of 16 positions x 8 fp32 = 512 bytes each; 1024 / 4 units = 256 > 128.
  llmvp_desc d = desc(LLMVP_OP_PNM_ATTN, kA, kB, kC, kD, 16, 2, 8);
  d.arg0 = 1;
  b.runDescs({d});
  EXPECT_EQ(b.reg(ENG_ERR_CODE), ENG_ERR_BAD_SHAPE);
  EXPECT_EQ(b.reg(ENG_ERR_INFO), ENG_FIELD_SRC1);
}

} // namespace
} // namespace llmvp::test
