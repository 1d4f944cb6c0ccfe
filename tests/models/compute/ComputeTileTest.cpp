// SPDX-License-Identifier: Apache-2.0
// ComputeTile: per-opcode validation (dtype, shape, bus errors with the
// failing field), functional results equal to direct calls of the kernels in
// Kernels.cpp (streamed, scratchpad-resident and aliased operands), and the
// GEMV streaming timeline computed by hand.
#include <gtest/gtest.h>

#include <random>
#include <tlm>

#include "models/common/Numerics.h"
#include "models/compute/Kernels.h"
#include "tests/support/EngineBench.h"

namespace llmvp::test {
namespace {

using models::DType;
namespace kern = models::compute;

constexpr std::uint64_t kA = kCtrl + 0x10000;
constexpr std::uint64_t kB = kCtrl + 0x20000;
constexpr std::uint64_t kC = kCtrl + 0x30000;
constexpr std::uint64_t kD = kCtrl + 0x40000;
constexpr std::uint64_t kIdFour = kCtrl + 0x50000; ///< holds the u32 4

std::uint8_t dt(DType t) { return static_cast<std::uint8_t>(t); }

/// Random tensor of `n` elements of type `t`, values in [lo, hi) rounded to `t`.
std::vector<std::uint8_t> randomTensor(DType t, std::size_t n, std::uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<std::uint8_t> v(n * models::dtypeBytes(t));
  for (std::size_t i = 0; i < n; ++i) models::storeElement(v.data(), t, i, dist(rng));
  return v;
}

void put(FakeTarget& mem, std::uint64_t addr, const std::vector<std::uint8_t>& v) {
  mem.poke(addr, v.data(), v.size());
}

llmvp_desc tileDesc(std::uint8_t op, std::uint64_t src0, std::uint64_t src1, std::uint64_t src2, std::uint64_t dst,
                    std::uint32_t m, std::uint32_t n, std::uint32_t k, DType in = DType::Fp32, DType w = DType::Fp32,
                    DType out = DType::Fp32) {
  llmvp_desc d = makeDesc(op);
  d.src0 = src0;
  d.src1 = src1;
  d.src2 = src2;
  d.dst = dst;
  d.m = m;
  d.n = n;
  d.k = k;
  d.dt_in = dt(in);
  d.dt_w = dt(w);
  d.dt_out = dt(out);
  return d;
}

void expectIdleWithoutError(EngineBench& b, std::uint32_t count) {
  EXPECT_EQ(b.reg(ENG_STATUS), 0u) << "ERR_CODE " << b.reg(ENG_ERR_CODE) << " INFO " << b.reg(ENG_ERR_INFO);
  EXPECT_EQ(b.reg(ENG_COMPLETED), count);
}

TEST(TileRegisters, IdIsTile) {
  EngineBench b(defaultTileParams());
  runScript([&] { runSteps(b.tester, {rd(ENG_ID, ENG_ID_TILE), rd(ENG_STATUS, 0), rd(ENG_HEAD, 0)}); });
}

// ---- validation ------------------------------------------------------------------

/// Smallest valid descriptor of each opcode, operands in the zero-cost region
/// (all-zero data is valid input for every op).
llmvp_desc valid(std::uint8_t op) {
  switch (op) {
  case LLMVP_OP_GEMV: return tileDesc(op, kA, kB, kC, kD, 1, 4, 4);
  case LLMVP_OP_ATTN: {
    llmvp_desc d = tileDesc(op, kA, kB, kC, kD, 2, 2, 4); // ctx 2, 2 heads, head_dim 4
    d.arg0 = 1;                                           // 1 KV head
    return d;
  }
  case LLMVP_OP_RMSNORM: {
    llmvp_desc d = tileDesc(op, kA, kB, 0, kD, 1, 4, 0);
    d.arg0 = models::floatBits(1e-5f);
    return d;
  }
  case LLMVP_OP_ROPE: {
    llmvp_desc d = tileDesc(op, kA, 0, 0, kD, 1, 2, 4);
    d.arg0 = models::floatBits(10000.0f);
    return d;
  }
  case LLMVP_OP_EMBED: return tileDesc(op, kA, kB, 0, kD, 1, 4, 4); // vocab 4, token id 0
  case LLMVP_OP_MOE_DISPATCH:
  case LLMVP_OP_MOE_GATHER:
  case LLMVP_OP_MOE_RETURN: { // 1 row of 4, top-1 of 2 experts on 2 chips; zeros: expert 0, nothing received
    llmvp_desc d = tileDesc(op, kA, kB, kC, kD, 1, 4, 1);
    d.arg0 = 2;
    d.arg1 = 2;
    return d;
  }
  default: return tileDesc(op, kA, kB, 0, kD, 1, 4, 0);
  }
}

struct TileErrorCase {
  const char* name;
  std::uint8_t op;
  void (*mutate)(llmvp_desc&);
  std::uint32_t code;
  std::uint32_t field;
};

void PrintTo(const TileErrorCase& c, std::ostream* os) { *os << c.name; }

class TileError : public testing::TestWithParam<TileErrorCase> {};

TEST_P(TileError, ReportsCodeAndField) {
  const TileErrorCase& c = GetParam();
  EngineBench b(defaultTileParams());
  b.mem.put<std::uint32_t>(kIdFour, 4);
  llmvp_desc bad = valid(c.op);
  c.mutate(bad);
  // The unmutated descriptor runs first: the mutation alone causes the error.
  b.runDescs({valid(c.op), bad});
  EXPECT_EQ(b.reg(ENG_STATUS), ENG_STATUS_ERROR);
  EXPECT_EQ(b.reg(ENG_ERR_CODE), c.code);
  EXPECT_EQ(b.reg(ENG_ERR_INFO), c.field);
  EXPECT_EQ(b.reg(ENG_ERR_INDEX), 1u);
  EXPECT_EQ(b.reg(ENG_COMPLETED), 1u);
  EXPECT_EQ(b.reg(ENG_IRQ_STATUS), ENG_IRQ_ERROR);
  EXPECT_TRUE(b.irq.level(kIrqLine));
}

#define MUT(body) [](llmvp_desc& d) { body; }
INSTANTIATE_TEST_SUITE_P(
    Cases, TileError,
    testing::Values(
        TileErrorCase{"CopyIsNotATileOp", LLMVP_OP_NOP, MUT(d.opcode = LLMVP_OP_COPY), ENG_ERR_BAD_OPCODE,
                      ENG_FIELD_OPCODE},
        TileErrorCase{"UnknownOpcode", LLMVP_OP_NOP, MUT(d.opcode = 0xff), ENG_ERR_BAD_OPCODE, ENG_FIELD_OPCODE},
        TileErrorCase{"InvalidDtypeCode", LLMVP_OP_GEMV, MUT(d.dt_w = LLMVP_DT_COUNT), ENG_ERR_BAD_DTYPE,
                      ENG_FIELD_DTYPE},
        TileErrorCase{"GemvU32Input", LLMVP_OP_GEMV, MUT(d.dt_in = LLMVP_DT_U32), ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE},
        TileErrorCase{"GemvU32Output", LLMVP_OP_GEMV, MUT(d.dt_out = LLMVP_DT_U32), ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE},
        TileErrorCase{"GemvZeroM", LLMVP_OP_GEMV, MUT(d.m = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"GemvZeroN", LLMVP_OP_GEMV, MUT(d.n = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"GemvZeroK", LLMVP_OP_GEMV, MUT(d.k = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase {
          "GemvOperandTooLarge", LLMVP_OP_GEMV, MUT(d.n = 0xffffffffu; d.k = 0xffffffffu), ENG_ERR_BAD_SHAPE,
              ENG_FIELD_DIMS
        },
        TileErrorCase{"GemvUnmappedX", LLMVP_OP_GEMV, MUT(d.src0 = kUnmapped), ENG_ERR_BUS, ENG_FIELD_SRC0},
        TileErrorCase{"GemvUnmappedW", LLMVP_OP_GEMV, MUT(d.src1 = kUnmapped), ENG_ERR_BUS, ENG_FIELD_SRC1},
        TileErrorCase {
          "GemvUnmappedAccumulator", LLMVP_OP_GEMV, MUT(d.flags = DESC_F_ACCUM; d.src2 = kUnmapped), ENG_ERR_BUS,
              ENG_FIELD_SRC2
        },
        TileErrorCase{"GemvUnmappedY", LLMVP_OP_GEMV, MUT(d.dst = kUnmapped), ENG_ERR_BUS, ENG_FIELD_DST},
        TileErrorCase {
          "GemvNoShards", LLMVP_OP_GEMV, MUT(d.flags = DESC_F_SHARDS; d.arg0 = 0; d.arg1 = 1), ENG_ERR_BAD_SHAPE,
              ENG_FIELD_SRC1
        },
        TileErrorCase {
          "GemvMoreShardsThanRows", LLMVP_OP_GEMV, MUT(d.flags = DESC_F_SHARDS; d.arg0 = 5; d.arg1 = 1),
              ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC1
        },
        TileErrorCase {
          "GemvUnknownShardSplit", LLMVP_OP_GEMV, MUT(d.flags = DESC_F_SHARDS; d.arg0 = 2 | 2u << 8; d.arg1 = 1),
              ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC1
        },
        TileErrorCase {
          "GemvZeroShardStride", LLMVP_OP_GEMV, MUT(d.flags = DESC_F_SHARDS; d.arg0 = 2; d.arg1 = 0), ENG_ERR_BAD_SHAPE,
              ENG_FIELD_SRC1
        },
        TileErrorCase {
          "GemvShardUnmapped", LLMVP_OP_GEMV, MUT(d.flags = DESC_F_SHARDS; d.arg0 = 2; d.arg1 = 1u << 20), ENG_ERR_BUS,
              ENG_FIELD_SRC1
        },
        TileErrorCase{"GemvXOverrunsScratchpad", LLMVP_OP_GEMV, MUT(d.src0 = kSpad + kSpadBytes - 8), ENG_ERR_BUS,
                      ENG_FIELD_SRC0},
        TileErrorCase{"GemvYOverrunsScratchpad", LLMVP_OP_GEMV, MUT(d.dst = kSpad + kSpadBytes - 8), ENG_ERR_BUS,
                      ENG_FIELD_DST},
        TileErrorCase{"AttnZeroKvHeads", LLMVP_OP_ATTN, MUT(d.arg0 = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase {
          "AttnKvHeadsDoNotDivideHeads", LLMVP_OP_ATTN, MUT(d.n = 3; d.arg0 = 2), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS
        },
        TileErrorCase{"AttnZeroContext", LLMVP_OP_ATTN, MUT(d.m = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"AttnU32Cache", LLMVP_OP_ATTN, MUT(d.dt_w = LLMVP_DT_U32), ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE},
        TileErrorCase{"AttnUnmappedK", LLMVP_OP_ATTN, MUT(d.src1 = kUnmapped), ENG_ERR_BUS, ENG_FIELD_SRC1},
        TileErrorCase{"AttnUnmappedV", LLMVP_OP_ATTN, MUT(d.src2 = kUnmapped), ENG_ERR_BUS, ENG_FIELD_SRC2},
        TileErrorCase{"RmsnormZeroN", LLMVP_OP_RMSNORM, MUT(d.n = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"RmsnormUnmappedWeight", LLMVP_OP_RMSNORM, MUT(d.src1 = kUnmapped), ENG_ERR_BUS, ENG_FIELD_SRC1},
        TileErrorCase{"SwigluU32Output", LLMVP_OP_SWIGLU, MUT(d.dt_out = LLMVP_DT_U32), ENG_ERR_BAD_DTYPE,
                      ENG_FIELD_DTYPE},
        TileErrorCase{"AddZeroM", LLMVP_OP_ADD, MUT(d.m = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"RopeOddHeadDim", LLMVP_OP_ROPE, MUT(d.k = 3), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"RopeU32", LLMVP_OP_ROPE, MUT(d.dt_out = LLMVP_DT_U32), ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE},
        TileErrorCase{"RopeUnmappedPositions", LLMVP_OP_ROPE, MUT(d.src0 = kUnmapped), ENG_ERR_BUS, ENG_FIELD_SRC0},
        TileErrorCase{"RopeUnmappedX", LLMVP_OP_ROPE, MUT(d.dst = kUnmapped), ENG_ERR_BUS, ENG_FIELD_DST},
        TileErrorCase{"EmbedZeroVocab", LLMVP_OP_EMBED, MUT(d.k = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"EmbedTokenIdNotBelowVocab", LLMVP_OP_EMBED, MUT(d.src0 = kIdFour), ENG_ERR_BAD_SHAPE,
                      ENG_FIELD_SRC0},
        TileErrorCase{"EmbedUnmappedTable", LLMVP_OP_EMBED, MUT(d.src1 = kUnmapped), ENG_ERR_BUS, ENG_FIELD_SRC1},
        TileErrorCase{"ArgmaxZeroN", LLMVP_OP_ARGMAX, MUT(d.n = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"ArgmaxU32Input", LLMVP_OP_ARGMAX, MUT(d.dt_in = LLMVP_DT_U32), ENG_ERR_BAD_DTYPE,
                      ENG_FIELD_DTYPE},
        TileErrorCase{"ArgmaxUnmappedDst", LLMVP_OP_ARGMAX, MUT(d.dst = kUnmapped), ENG_ERR_BUS, ENG_FIELD_DST},
        TileErrorCase{"DispatchRanksDoNotDivideExperts", LLMVP_OP_MOE_DISPATCH, MUT(d.arg0 = 3), ENG_ERR_BAD_SHAPE,
                      ENG_FIELD_DIMS},
        TileErrorCase{"DispatchU32Rows", LLMVP_OP_MOE_DISPATCH, MUT(d.dt_in = LLMVP_DT_U32), ENG_ERR_BAD_DTYPE,
                      ENG_FIELD_DTYPE},
        TileErrorCase{"DispatchExpertIdNotBelowExperts", LLMVP_OP_MOE_DISPATCH, MUT(d.src1 = kIdFour),
                      ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC1},
        TileErrorCase{"DispatchUnmappedSend", LLMVP_OP_MOE_DISPATCH, MUT(d.dst = kUnmapped), ENG_ERR_BUS,
                      ENG_FIELD_DST},
        TileErrorCase{"GatherCountNotWholeRecords", LLMVP_OP_MOE_GATHER, MUT(d.src1 = kIdFour), ENG_ERR_BAD_SHAPE,
                      ENG_FIELD_SRC1},
        TileErrorCase{"GatherZeroRanks", LLMVP_OP_MOE_GATHER, MUT(d.arg1 = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        TileErrorCase{"ReturnMapIndexNotBelowRows", LLMVP_OP_MOE_RETURN, MUT(d.src1 = kIdFour - 8), ENG_ERR_BAD_SHAPE,
                      ENG_FIELD_SRC1},
        TileErrorCase{"ReturnZeroRanks", LLMVP_OP_MOE_RETURN, MUT(d.arg1 = 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS}),
    [](const testing::TestParamInfo<TileErrorCase>& i) { return std::string(i.param.name); });
#undef MUT

// ---- functional results ------------------------------------------------------------

/// Tile in functional mode with 64-byte chunks, so streamed operands arrive
/// in several chunks with a partial last one.
models::compute::TileParams functionalParams() {
  auto tp = defaultTileParams();
  tp.engine.chunkBytes = 64;
  return tp;
}

TEST(TileFunctional, GemvMatchesKernelWithStreamedWeights) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 3, n = 5, k = 40;
  const auto x = randomTensor(DType::Bf16, m * k, 1);
  const auto w = randomTensor(DType::Fp8E4M3, n * k, 2);
  put(b.mem, kA, x);
  put(b.mem, kBulk, w);
  b.runDescs({tileDesc(LLMVP_OP_GEMV, kA, kBulk, 0, kD, m, n, k, DType::Bf16, DType::Fp8E4M3, DType::Fp32)});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> y(m * n * 4);
  kern::gemv(x.data(), DType::Bf16, w.data(), DType::Fp8E4M3, nullptr, y.data(), DType::Fp32, m, n, k);
  EXPECT_EQ(b.mem.bytes(kD, y.size()), y);
  EXPECT_EQ(b.stat("macs"), static_cast<double>(m) * n * k);
  EXPECT_EQ(b.mem.accessesTo(kBulk, w.size(), tlm::TLM_READ_COMMAND).size(), (w.size() + 63) / 64);
}

TEST(TileFunctional, GemvAccumulateInPlaceReadsBeforeWriting) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 2, n = 7, k = 33;
  const auto x = randomTensor(DType::Fp32, m * k, 3);
  const auto w = randomTensor(DType::Bf16, n * k, 4);
  const auto acc = randomTensor(DType::Bf16, m * n, 5);
  put(b.mem, kA, x);
  put(b.mem, kBulk, w);
  put(b.mem, kC, acc);
  llmvp_desc d = tileDesc(LLMVP_OP_GEMV, kA, kBulk, kC, kC, m, n, k, DType::Fp32, DType::Bf16, DType::Bf16);
  d.flags = DESC_F_ACCUM; // dst == src2: a residual add
  b.runDescs({d});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> y(acc.size());
  kern::gemv(x.data(), DType::Fp32, w.data(), DType::Bf16, acc.data(), y.data(), DType::Bf16, m, n, k);
  EXPECT_EQ(b.mem.bytes(kC, y.size()), y);
}

/// Shard p of a [n][k] matrix (rows or columns, descriptors.h DESC_F_SHARDS) as its own matrix.
std::vector<std::uint8_t> shardOf(const std::vector<std::uint8_t>& whole, std::uint32_t n, std::uint32_t k,
                                  std::uint32_t u, std::uint32_t p, bool cols, std::size_t elt) {
  const std::uint32_t split = cols ? k : n, count = split / u + (p < split % u ? 1 : 0);
  const std::uint32_t first = p * (split / u) + std::min(p, split % u);
  const std::uint32_t rows = cols ? n : count, width = cols ? count : k;
  std::vector<std::uint8_t> s(std::size_t{rows} * width * elt);
  for (std::uint32_t r = 0; r < rows; ++r)
    std::memcpy(s.data() + std::size_t{r} * width * elt,
                whole.data() + ((std::size_t{cols ? r : first + r}) * k + (cols ? first : 0)) * elt, width * elt);
  return s;
}

/// GEMV over U shards 64 KiB apart (arg1 = 16 x 4 KiB) against the whole matrix.
void expectShardedGemvIsTheWholeGemv(bool cols) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 3, n = 7, k = 24, u = 3;
  const auto x = randomTensor(DType::Bf16, m * k, 11);
  const auto w = randomTensor(DType::Bf16, n * k, 12);
  const auto acc = randomTensor(DType::Bf16, m * n, 13);
  put(b.mem, kA, x);
  put(b.mem, kC, acc);
  for (std::uint32_t p = 0; p < u; ++p) put(b.mem, kBulk + p * 0x10000, shardOf(w, n, k, u, p, cols, 2));
  llmvp_desc d = tileDesc(LLMVP_OP_GEMV, kA, kBulk, kC, kC, m, n, k, DType::Bf16, DType::Bf16, DType::Bf16);
  d.flags = DESC_F_ACCUM | DESC_F_SHARDS;
  d.arg0 = u | (cols ? 1u : 0u) << 8;
  d.arg1 = 16;
  b.runDescs({d});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> y(acc.size());
  kern::gemv(x.data(), DType::Bf16, w.data(), DType::Bf16, acc.data(), y.data(), DType::Bf16, m, n, k);
  EXPECT_EQ(b.mem.bytes(kC, y.size()), y);
  EXPECT_EQ(b.stat("macs"), static_cast<double>(m) * n * k);
}
TEST(TileFunctional, GemvOverRowShardsIsTheWholeGemv) { expectShardedGemvIsTheWholeGemv(false); }
TEST(TileFunctional, GemvOverColumnShardsIsTheWholeGemv) { expectShardedGemvIsTheWholeGemv(true); }

TEST(TileFunctional, GemvWithScratchpadOperandsWrittenThroughTheScratchpadSocket) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 4, n = 6, k = 24;
  const auto x = randomTensor(DType::Fp8E4M3, m * k, 6);
  const auto w = randomTensor(DType::Bf16, n * k, 7);
  put(b.mem, kBulk, w);
  std::vector<std::uint8_t> got(m * n * 2);
  b.putDesc(0, tileDesc(LLMVP_OP_GEMV, kSpad + 0x100, kBulk, 0, kSpad + 0x800, m, n, k, DType::Fp8E4M3, DType::Bf16,
                        DType::Bf16));
  runScript([&] {
    EXPECT_EQ(b.spadTester->doWrite(0x100, x.data(), static_cast<unsigned>(x.size())), tlm::TLM_OK_RESPONSE);
    b.configure(4);
    b.post(1);
    b.waitIdle();
  });
  expectIdleWithoutError(b, 1);
  EXPECT_EQ(b.spadTester->debug(tlm::TLM_READ_COMMAND, 0x800, got.data(), static_cast<unsigned>(got.size())),
            got.size());
  std::vector<std::uint8_t> y(got.size());
  kern::gemv(x.data(), DType::Fp8E4M3, w.data(), DType::Bf16, nullptr, y.data(), DType::Bf16, m, n, k);
  EXPECT_EQ(got, y);
  // Scratchpad operands never touch the fabric.
  EXPECT_TRUE(b.mem.accessesTo(kSpad, kSpadBytes, tlm::TLM_READ_COMMAND).empty());
  EXPECT_TRUE(b.mem.accessesTo(kSpad, kSpadBytes, tlm::TLM_WRITE_COMMAND).empty());
  EXPECT_EQ(b.tile->scratchpad().stats().value("bytes_read"), static_cast<double>(x.size()));
}

TEST(TileFunctional, AttentionWithGqaMatchesKernel) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t ctx = 7, heads = 4, kvh = 2, hd = 8;
  const auto q = randomTensor(DType::Fp32, heads * hd, 8);
  const auto kc = randomTensor(DType::Bf16, ctx * kvh * hd, 9);
  const auto vc = randomTensor(DType::Bf16, ctx * kvh * hd, 10);
  put(b.mem, kA, q);
  put(b.mem, kBulk, kc);
  put(b.mem, kBulk2, vc);
  llmvp_desc d = tileDesc(LLMVP_OP_ATTN, kA, kBulk, kBulk2, kD, ctx, heads, hd, DType::Fp32, DType::Bf16, DType::Bf16);
  d.arg0 = kvh;
  b.runDescs({d});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> out(heads * hd * 2);
  kern::attention(q.data(), DType::Fp32, kc.data(), vc.data(), DType::Bf16, out.data(), DType::Bf16, ctx, heads, kvh,
                  hd);
  EXPECT_EQ(b.mem.bytes(kD, out.size()), out);
  EXPECT_EQ(b.stat("macs"), 2.0 * heads * ctx * hd);
}

TEST(TileFunctional, RmsnormMatchesKernel) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 2, n = 16;
  const float eps = 1e-5f;
  const auto x = randomTensor(DType::Bf16, m * n, 11);
  const auto w = randomTensor(DType::Fp32, n, 12);
  put(b.mem, kA, x);
  put(b.mem, kB, w);
  llmvp_desc d = tileDesc(LLMVP_OP_RMSNORM, kA, kB, 0, kD, m, n, 0, DType::Bf16, DType::Fp32, DType::Bf16);
  d.arg0 = models::floatBits(eps);
  b.runDescs({d});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> y(m * n * 2);
  kern::rmsnorm(x.data(), DType::Bf16, w.data(), DType::Fp32, y.data(), DType::Bf16, m, n, eps);
  EXPECT_EQ(b.mem.bytes(kD, y.size()), y);
}

TEST(TileFunctional, RopeInPlaceUsesEachRowsPosition) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 2, heads = 3, hd = 8;
  const float theta = 10000.0f;
  const std::uint32_t pos[m] = {5, 1000};
  auto x = randomTensor(DType::Bf16, m * heads * hd, 13);
  b.mem.poke(kA, pos, sizeof pos);
  put(b.mem, kD, x);
  llmvp_desc d = tileDesc(LLMVP_OP_ROPE, kA, 0, 0, kD, m, heads, hd, DType::U32, DType::Fp32, DType::Bf16);
  d.arg0 = models::floatBits(theta);
  b.runDescs({d});
  expectIdleWithoutError(b, 1);
  kern::rope(x.data(), DType::Bf16, pos, m, heads, hd, theta);
  EXPECT_EQ(b.mem.bytes(kD, x.size()), x);
}

TEST(TileFunctional, SwigluInPlaceOverGate) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 2, n = 20;
  const auto g = randomTensor(DType::Fp32, m * n, 14, -6.0f, 6.0f);
  const auto u = randomTensor(DType::Bf16, m * n, 15);
  put(b.mem, kA, g);
  put(b.mem, kB, u);
  b.runDescs({tileDesc(LLMVP_OP_SWIGLU, kA, kB, 0, kA, m, n, 0, DType::Fp32, DType::Bf16, DType::Fp32)});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> y(g.size());
  kern::swiglu(g.data(), DType::Fp32, u.data(), DType::Bf16, y.data(), DType::Fp32, m * n);
  EXPECT_EQ(b.mem.bytes(kA, y.size()), y);
}

TEST(TileFunctional, AddMixedTypesMatchesKernel) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 1, n = 33;
  const auto a = randomTensor(DType::Fp8E4M3, m * n, 16);
  const auto c = randomTensor(DType::Bf16, m * n, 17);
  put(b.mem, kA, a);
  put(b.mem, kB, c);
  b.runDescs({tileDesc(LLMVP_OP_ADD, kA, kB, 0, kD, m, n, 0, DType::Fp8E4M3, DType::Bf16, DType::Fp32)});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> y(m * n * 4);
  kern::add(a.data(), DType::Fp8E4M3, c.data(), DType::Bf16, y.data(), DType::Fp32, m * n);
  EXPECT_EQ(b.mem.bytes(kD, y.size()), y);
}

TEST(TileFunctional, EmbedGathersRowsAndConverts) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 3, n = 10, vocab = 4;
  const std::uint32_t ids[m] = {2, 0, 2};
  const auto table = randomTensor(DType::Bf16, vocab * n, 18);
  b.mem.poke(kA, ids, sizeof ids);
  put(b.mem, kBulk, table);
  b.runDescs({tileDesc(LLMVP_OP_EMBED, kA, kBulk, 0, kD, m, n, vocab, DType::U32, DType::Bf16, DType::Fp32)});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> y(m * n * 4);
  for (std::uint32_t r = 0; r < m; ++r)
    kern::convert(table.data() + ids[r] * n * 2, DType::Bf16, y.data() + r * n * 4, DType::Fp32, n);
  EXPECT_EQ(b.mem.bytes(kD, y.size()), y);
  // Only the selected rows are read.
  EXPECT_TRUE(b.mem.accessesTo(kBulk + 1 * n * 2, n * 2, tlm::TLM_READ_COMMAND).empty());
  EXPECT_TRUE(b.mem.accessesTo(kBulk + 3 * n * 2, n * 2, tlm::TLM_READ_COMMAND).empty());
}

// Expert parallel: window 1 of 4-expert windows holds global experts 4..7
// at local 0..3; slots routed elsewhere are zeros and read no weights.
TEST(TileFunctional, GemvMoeExpertWindowSkipsOtherChipsExperts) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 2, n = 6, k = 16, topK = 2, local = 4, stride = 256; // n x k bf16 = 192 bytes
  const std::uint32_t ids[m * topK] = {5, 1, 2, 7}; // row 0: global 5 (local 1), 1 (skip); row 1: 2 (skip), 7 (local 3)
  const auto x = randomTensor(DType::Bf16, m * k, 30);
  const auto w = randomTensor(DType::Bf16, local * stride / 2, 31);
  put(b.mem, kA, x);
  put(b.mem, kBulk, w);
  b.mem.poke(kB, ids, sizeof ids);
  llmvp_desc d = tileDesc(LLMVP_OP_GEMV_MOE, kA, kBulk, kB, kD, m, n, k, DType::Bf16, DType::Bf16, DType::Fp32);
  d.arg0 = topK | 1u << 8 | local << 16;
  d.arg1 = stride / 64;
  d.flags = DESC_F_EXPERT_WINDOW;
  b.runDescs({d});
  expectIdleWithoutError(b, 1);
  std::vector<std::uint8_t> y(m * topK * n * 4, 0);
  kern::gemv(x.data(), DType::Bf16, w.data() + 1 * stride, DType::Bf16, nullptr, y.data(), DType::Fp32, 1, n, k);
  kern::gemv(x.data() + k * 2, DType::Bf16, w.data() + 3 * stride, DType::Bf16, nullptr, y.data() + 3 * n * 4,
             DType::Fp32, 1, n, k);
  EXPECT_EQ(b.mem.bytes(kD, y.size()), y);
  EXPECT_EQ(b.stat("macs"), 2.0 * n * k) << "only the two local slots compute";
  EXPECT_TRUE(b.mem.accessesTo(kBulk, stride, tlm::TLM_READ_COMMAND).empty());
  EXPECT_TRUE(b.mem.accessesTo(kBulk + 2 * stride, stride, tlm::TLM_READ_COMMAND).empty());
  EXPECT_FALSE(b.mem.accessesTo(kBulk + 3 * stride, stride, tlm::TLM_READ_COMMAND).empty());
}

TEST(TileFunctional, GemvMoeWindowBitsWithoutTheFlagAreABadShape) {
  EngineBench b(functionalParams());
  const std::uint32_t ids[2] = {0, 1};
  b.mem.poke(kB, ids, sizeof ids);
  llmvp_desc d = tileDesc(LLMVP_OP_GEMV_MOE, kA, kBulk, kB, kD, 1, 6, 16, DType::Bf16, DType::Bf16, DType::Fp32);
  d.arg0 = 2u | 1u << 8 | 4u << 16;
  d.arg1 = 4;
  b.runDescs({d});
  EXPECT_EQ(b.reg(ENG_ERR_CODE), static_cast<std::uint32_t>(ENG_ERR_BAD_SHAPE));
}

// Without DESC_F_ACCUM the combine is the weighted sum alone (an expert-
// parallel partial) and src2 is not read.
TEST(TileFunctional, MoeCombineWithoutAccumStartsFromZero) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 2, n = 5, topK = 2;
  const auto e = randomTensor(DType::Bf16, m * topK * n, 32);
  const std::uint32_t ids[m * topK] = {0, 1, 2, 3};
  const float weights[m * topK] = {0.75f, 0.25f, 0.5f, 0.5f};
  put(b.mem, kA, e);
  b.mem.poke(kB, ids, sizeof ids);
  b.mem.poke(kB + sizeof ids, weights, sizeof weights);
  llmvp_desc d = tileDesc(LLMVP_OP_MOE_COMBINE, kA, kB, kC, kD, m, n, topK, DType::Bf16, DType::Fp32, DType::Fp32);
  b.runDescs({d});
  expectIdleWithoutError(b, 1);
  const std::vector<std::uint8_t> zeros(m * n * 4, 0);
  std::vector<std::uint8_t> y(m * n * 4);
  kern::moeCombine(e.data(), DType::Bf16, weights, zeros.data(), y.data(), DType::Fp32, m, n, topK);
  EXPECT_EQ(b.mem.bytes(kD, y.size()), y);
  EXPECT_TRUE(b.mem.accessesTo(kC, m * n * 4, tlm::TLM_READ_COMMAND).empty());
}

// ---- data-parallel attention: dispatch records, gather, return ----

/// 3 bf16 rows of 5 (3 words each, the last padded), top-2 of 4 experts on
/// 2 chips (chip 0: experts 0, 1; chip 1: 2, 3): row 0 stays on chip 0, row
/// 1 goes to both, row 2 to chip 1.
struct DispatchCase {
  static constexpr std::uint32_t m = 3, n = 5, k = 2, experts = 4, ranks = 2;
  static constexpr std::uint32_t words = 3 + 2 * k; ///< llmvp_moe_record_words(5, 2, 2)
  static constexpr std::uint32_t none = LLMVP_MOE_NO_EXPERT;
  std::vector<std::uint8_t> x = randomTensor(DType::Bf16, m* n, 41);
  std::uint32_t ids[m * k] = {0, 1, 3, 0, 2, 3};
  float weights[m * k] = {0.5f, 0.25f, 0.75f, 0.125f, 1.5f, 2.0f};
  llmvp_desc desc(std::uint8_t op) const {
    llmvp_desc d = tileDesc(op, kA, kB, kC, kD, m, n, k, DType::Bf16, DType::Fp32,
                            op == LLMVP_OP_MOE_DISPATCH ? DType::U32 : DType::Bf16);
    d.arg0 = experts;
    d.arg1 = ranks;
    return d;
  }
  /// The send buffer [2 blocks][3 records][words] the dispatch must write
  /// (unused records zero): block 0 rows 0, 1; block 1 rows 1, 2.
  std::vector<std::uint32_t> blocks() const {
    std::vector<std::uint32_t> b(ranks * m * words, 0);
    auto record = [&](std::uint32_t block, std::uint32_t i, std::uint32_t row, std::array<std::uint32_t, 2> id,
                      std::array<float, 2> w) {
      std::uint32_t* r = b.data() + (block * m + i) * words;
      std::memcpy(r, x.data() + row * n * 2, n * 2); // bf16 row, zero-padded to 3 words
      r[3] = id[0];
      r[4] = id[1];
      r[5] = models::floatBits(w[0]);
      r[6] = models::floatBits(w[1]);
    };
    record(0, 0, 0, {0, 1}, {0.5f, 0.25f});
    record(0, 1, 1, {none, 0}, {0.0f, 0.125f}); // slot 0's expert 3 is chip 1's
    record(1, 0, 1, {3, none}, {0.75f, 0.0f});
    record(1, 1, 2, {2, 3}, {1.5f, 2.0f});
    return b;
  }
};

TEST(TileFunctional, MoeDispatchPacksRowsForTheChipsOfTheirExperts) {
  static_assert(DispatchCase::words == 7);
  EXPECT_EQ(llmvp_moe_record_words(5, 2, 2), DispatchCase::words);
  EngineBench b(functionalParams());
  DispatchCase c;
  put(b.mem, kA, c.x);
  b.mem.poke(kB, c.ids, sizeof c.ids);
  b.mem.poke(kB + sizeof c.ids, c.weights, sizeof c.weights);
  b.runDescs({c.desc(LLMVP_OP_MOE_DISPATCH)});
  expectIdleWithoutError(b, 1);
  const std::uint32_t W = DispatchCase::words, none = DispatchCase::none;
  // Counts (words per block), then the map [row][chip].
  std::vector<std::uint32_t> map(2 + 3 * 2);
  b.mem.peek(kC, map.data(), map.size() * 4);
  EXPECT_EQ(map, (std::vector<std::uint32_t>{2 * W, 2 * W, 0, none, 1, 0, none, 1}));
  std::vector<std::uint32_t> sent(2 * 3 * W);
  b.mem.peek(kD, sent.data(), sent.size() * 4);
  EXPECT_EQ(sent, c.blocks());
}

TEST(TileFunctional, MoeGatherLaysTheArrivedRowsOutInChipOrder) {
  // The blocks as if both chips sent this chip the dispatch's blocks 0 and 1,
  // chip 1 only its first record.
  EngineBench g(functionalParams());
  DispatchCase c;
  const std::uint32_t W = DispatchCase::words, none = DispatchCase::none;
  const std::vector<std::uint32_t> sent = c.blocks();
  g.mem.poke(kA, sent.data(), sent.size() * 4);
  const std::uint32_t counts[2] = {2 * W, W};
  g.mem.poke(kB, counts, sizeof counts);
  g.runDescs({c.desc(LLMVP_OP_MOE_GATHER)});
  expectIdleWithoutError(g, 1);
  const std::vector<std::uint8_t> zero(10, 0);
  auto xrow = [&](std::uint32_t r) {
    return std::vector<std::uint8_t>(c.x.begin() + r * 10, c.x.begin() + r * 10 + 10);
  };
  const std::vector<std::vector<std::uint8_t>> rows{xrow(0), xrow(1), zero, xrow(1), zero, zero};
  for (std::uint32_t r = 0; r < 6; ++r) EXPECT_EQ(g.mem.bytes(kD + r * 10, 10), rows[r]) << "row " << r;
  std::vector<std::uint32_t> route(6 * 2 * 2 + 2);
  g.mem.peek(kC, route.data(), route.size() * 4);
  EXPECT_EQ(std::vector<std::uint32_t>(route.begin(), route.begin() + 12),
            (std::vector<std::uint32_t>{0, 1, none, 0, none, none, 3, none, none, none, none, none}));
  auto bits = [](float f) { return models::floatBits(f); };
  EXPECT_EQ(std::vector<std::uint32_t>(route.begin() + 12, route.begin() + 24),
            (std::vector<std::uint32_t>{bits(0.5f), bits(0.25f), 0, bits(0.125f), 0, 0, bits(0.75f), 0, 0, 0, 0, 0}));
  EXPECT_EQ(route[24], 2u * 5u); // the combine's counts: n elements per record
  EXPECT_EQ(route[25], 1u * 5u);
}

TEST(TileFunctional, MoeReturnAddsTheChipsPartialsInChipOrderThenTheResidual) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 2, n = 3, ranks = 2, none = LLMVP_MOE_NO_EXPERT;
  // Block 0 (from chip 0): rows a0, a1; block 1: b0, unused.
  const std::vector<float> back{1.0f, 2.0f, 3.0f, 0.5f, 0.25f, 0.125f, 1e8f, -1e8f, 4.0f, 9.0f, 9.0f, 9.0f};
  const std::uint32_t map[ranks + m * ranks] = {0,    0, 0,
                                                none, 1, 0}; // row 0: chip 0's 0; row 1: chip 0's 1, chip 1's 0
  const std::vector<float> x{10.0f, 20.0f, 30.0f, 1.0f, 1.0f, 1.0f};
  b.mem.poke(kA, back.data(), back.size() * 4);
  b.mem.poke(kB, map, sizeof map);
  b.mem.poke(kC, x.data(), x.size() * 4);
  llmvp_desc d = tileDesc(LLMVP_OP_MOE_RETURN, kA, kB, kC, kD, m, n, 0);
  d.arg1 = ranks;
  d.flags = DESC_F_ACCUM;
  b.runDescs({d});
  expectIdleWithoutError(b, 1);
  std::vector<float> y(m * n);
  b.mem.peek(kD, y.data(), y.size() * 4);
  // Row 1, element 0: (0.5 + 1e8) + 1 in fp32, not 0.5 + (1e8 + 1).
  const float s0 = (0.0f + 0.5f) + 1e8f;
  EXPECT_EQ(y, (std::vector<float>{11.0f, 22.0f, 33.0f, s0 + 1.0f, ((0.0f + 0.25f) - 1e8f) + 1.0f,
                                   ((0.0f + 0.125f) + 4.0f) + 1.0f}));
}

TEST(TileFunctional, ArgmaxTiesGoToTheLowestIndex) {
  EngineBench b(functionalParams());
  constexpr std::uint32_t m = 3, n = 50;
  auto x = randomTensor(DType::Bf16, m * n, 19, -1.0f, 1.0f);
  models::storeElement(x.data(), DType::Bf16, n + 20, 3.0f); // row 1: max at 20 and 7
  models::storeElement(x.data(), DType::Bf16, n + 7, 3.0f);
  for (std::uint32_t j = 0; j < n; ++j) models::storeElement(x.data(), DType::Bf16, 2 * n + j, -0.5f); // all equal
  put(b.mem, kA, x);
  b.runDescs({tileDesc(LLMVP_OP_ARGMAX, kA, 0, 0, kD, m, n, 0, DType::Bf16, DType::Fp32, DType::U32)});
  expectIdleWithoutError(b, 1);
  std::uint32_t expected[m] = {};
  kern::argmax(x.data(), DType::Bf16, expected, m, n);
  EXPECT_EQ(expected[1], 7u);
  EXPECT_EQ(expected[2], 0u);
  for (std::uint32_t r = 0; r < m; ++r) EXPECT_EQ(b.mem.get<std::uint32_t>(kD + 4 * r), expected[r]) << "row " << r;
}

/// Hands out ids in a fixed pattern and records what the tile asked.
class CountingOracle : public models::compute::RoutingOracle {
public:
  std::uint32_t tokens = 0, rows = 0;
  std::uint32_t token(std::uint32_t vocab) override { return tokens++ % vocab; }
  void choose(std::uint32_t experts, std::uint32_t topK, std::uint32_t* ids) override {
    for (std::uint32_t j = 0; j < topK; ++j) ids[j] = (rows + j) % experts;
    ++rows;
  }
};

TEST(TileTimingOnly, ArgmaxReadsNoDataAndWritesTheOraclesTokenIds) {
  EngineBench b(defaultTileParams(), BenchTiming{}, false);
  CountingOracle oracle;
  b.tile->setRoutingOracle(&oracle);
  constexpr std::uint32_t m = 8, n = 50;
  b.runDescs({tileDesc(LLMVP_OP_ARGMAX, kA, 0, 0, kD, m, n, 0, DType::Bf16, DType::Fp32, DType::U32)});
  expectIdleWithoutError(b, 1);
  for (const auto& a : b.mem.accessesTo(kA, m * n * 2, tlm::TLM_READ_COMMAND)) EXPECT_FALSE(a.carriesData);
  const auto writes = b.mem.accessesTo(kD, m * 4, tlm::TLM_WRITE_COMMAND);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_TRUE(writes[0].carriesData) << "token ids are control data";
  EXPECT_EQ(oracle.tokens, m);
  for (std::uint32_t r = 0; r < m; ++r) EXPECT_EQ(b.mem.get<std::uint32_t>(kD + 4 * r), r);
}

llmvp_desc topkDesc(std::uint32_t m, std::uint32_t experts, std::uint32_t topK) {
  llmvp_desc d = tileDesc(LLMVP_OP_TOPK, kA, 0, 0, kD, m, experts, topK, DType::Fp32, DType::Fp32, DType::U32);
  d.arg1 = models::floatBits(1.0f); // combine weights sum to 1
  return d;
}

TEST(TileTimingOnly, TopkTakesEachRowsExpertsFromTheOracle) {
  EngineBench b(defaultTileParams(), BenchTiming{}, false);
  CountingOracle oracle;
  b.tile->setRoutingOracle(&oracle);
  constexpr std::uint32_t m = 3, experts = 8, topK = 2;
  b.runDescs({topkDesc(m, experts, topK)});
  expectIdleWithoutError(b, 1);
  EXPECT_EQ(oracle.rows, m);
  for (std::uint32_t r = 0; r < m; ++r)
    for (std::uint32_t j = 0; j < topK; ++j)
      EXPECT_EQ(b.mem.get<std::uint32_t>(kD + 4 * (r * topK + j)), r + j) << "row " << r << " slot " << j;
}

TEST(TileTimingOnly, TopkWithoutARoutingOracleIsAClearError) {
  EngineBench b(defaultTileParams(), BenchTiming{}, false);
  try {
    b.runDescs({topkDesc(2, 8, 2)});
    ADD_FAILURE() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("tile: timing-only TOPK needs a routing oracle"), std::string::npos)
        << e.what();
  }
}

// ---- timing -------------------------------------------------------------------------

struct GemvTimingCase {
  const char* name;
  std::uint32_t m;
  double quantumNs;
  std::uint64_t endNs;     ///< op end relative to S (start after dispatch)
  std::uint64_t computeNs; ///< matrix-engine time
};

void PrintTo(const GemvTimingCase& c, std::ostream* os) { *os << c.name; }

class TileGemvTiming : public testing::TestWithParam<GemvTimingCase> {};

// W (8 x 288 bf16 = 4608 bytes) streams from a region with 100 ns latency and
// 0.5 ns/byte in 1024-byte chunks, at most 2 outstanding: chunks of 1024 x 4
// and 512 bytes, each 512 (256) ns on the wire + 100 ns. The matrix engine
// does 2 bf16 MACs/cycle at 1 GHz on 4 padded rows: a full chunk (512
// elements) takes 512 x 4 / 2 = 1024 ns for m = 1..4, 2048 ns for m = 5..8
// (8 padded rows); the last chunk half that. x and y are in the zero-cost
// region, so compute may start at S. With c the full-chunk compute time:
//   m <= 4 (c = 1024), times from S:
//     chunk 0  issue 0     arrives 612   consumed 612 + c              = 1636
//     chunk 1  issue 0     arrives 1124  consumed max(1124, 1636) + c  = 2660
//     chunk 2  issue 1636  arrives 2248  consumed 2660 + c             = 3684
//     chunk 3  issue 2660  arrives 3272  consumed 3684 + c             = 4708
//     chunk 4  issue 3684  arrives 4040  consumed 4708 + 512           = 5220
//   m = 5 (c = 2048): consumed 2660, 4708, 6756, 8804; chunk 4 issue 6756,
//     arrives 7112, consumed 8804 + 1024 = 9828.
// Only chunk 0's arrival is exposed: mem_wait = 612 ns.
TEST_P(TileGemvTiming, StreamingMatchesHandComputedTimeline) {
  const GemvTimingCase& c = GetParam();
  tlm::tlm_global_quantum::instance().set(ns(c.quantumNs));
  auto tp = defaultTileParams();
  tp.engine.chunkBytes = 1024;
  tp.engine.maxOutstanding = 2;
  tp.engine.dispatchCycles = 10;
  tp.macsPerCycle = {1.0, 2.0, 4.0};
  tp.matrixRows = 4;
  EngineBench b(tp, BenchTiming{100'000, 500});
  constexpr std::uint32_t n = 8, k = 288;
  llmvp_desc d = tileDesc(LLMVP_OP_GEMV, kA, kBulk, 0, kD, c.m, n, k, DType::Bf16, DType::Bf16, DType::Fp32);
  d.flags = DESC_F_IRQ;
  b.putDesc(0, d);
  std::uint64_t t0 = 0;
  runScript([&] {
    b.configure(4);
    t0 = nowPsTest() + 1000;
    b.post(1);
  });
  const std::uint64_t S = t0 + 10'000;
  const auto wReads = b.mem.accessesTo(kBulk, n * k * 2, tlm::TLM_READ_COMMAND);
  ASSERT_EQ(wReads.size(), 5u);
  EXPECT_EQ(wReads[0].arrival, S);
  EXPECT_EQ(wReads[1].arrival, S);
  EXPECT_EQ(wReads[4].length, 512u);
  EXPECT_EQ(b.irq.rise(kIrqLine), S + c.endNs * 1000);
  EXPECT_EQ(b.stat("matrix_busy"), c.computeNs * 1000.0);
  EXPECT_EQ(b.stat("busy"), 10'000.0 + c.computeNs * 1000.0);
  EXPECT_EQ(b.stat("mem_wait"), 612'000.0);
  // busy (dispatch + compute) and mem_wait add up to the descriptor's span.
  EXPECT_EQ(b.stat("busy") + b.stat("mem_wait"), static_cast<double>(b.irq.rise(kIrqLine) - t0));
  EXPECT_EQ(b.stat("macs"), static_cast<double>(c.m) * n * k);
  EXPECT_EQ(b.stat("flops"), 2.0 * c.m * n * k);
  EXPECT_EQ(b.stat("bytes_read"), 64.0 + c.m * k * 2 + n * k * 2);
  EXPECT_EQ(b.stat("bytes_written"), c.m * n * 4.0);
}

INSTANTIATE_TEST_SUITE_P(Cases, TileGemvTiming,
                         testing::Values(GemvTimingCase{"OneRow", 1, 0.0, 5220, 4608},
                                         GemvTimingCase{"FourRowsSameTime", 4, 0.0, 5220, 4608},
                                         GemvTimingCase{"FiveRowsPadToEight", 5, 0.0, 9828, 9216},
                                         GemvTimingCase{"OneRowLargeQuantum", 1, 100000.0, 5220, 4608}),
                         [](const testing::TestParamInfo<GemvTimingCase>& i) { return std::string(i.param.name); });

// The expert gather is bounded by bytes in flight (chunkBytes x
// maxOutstanding), like the paged-KV gather, not by request count: four
// 256-byte experts fit the 1024-byte budget of one outstanding chunk, so all
// four weight reads are issued at once instead of one after another.
TEST(TileTiming, MoeExpertGatherIsBoundedByBytesInFlight) {
  auto tp = defaultTileParams();
  tp.engine.chunkBytes = 1024;
  tp.engine.maxOutstanding = 1;
  tp.engine.dispatchCycles = 10;
  EngineBench b(tp, BenchTiming{100'000, 500});
  constexpr std::uint32_t n = 8, k = 16, experts = 8, topK = 4, stride = 256; // n x k bf16 = 256 bytes
  const std::uint32_t ids[topK] = {5, 1, 6, 2};
  b.mem.poke(kB, ids, sizeof ids);
  llmvp_desc d = tileDesc(LLMVP_OP_GEMV_MOE, kA, kBulk, kB, kD, 1, n, k, DType::Bf16, DType::Bf16, DType::Bf16);
  d.arg0 = topK | (experts << 16);
  d.arg1 = stride / 64;
  d.flags = DESC_F_IRQ;
  b.putDesc(0, d);
  runScript([&] {
    b.configure(4);
    b.post(1);
  });
  expectIdleWithoutError(b, 1);
  const auto reads = b.mem.accessesTo(kBulk, std::uint64_t{experts} * stride, tlm::TLM_READ_COMMAND);
  ASSERT_EQ(reads.size(), topK);
  for (const auto& r : reads) {
    EXPECT_EQ(r.length, 256u);
    EXPECT_EQ(r.arrival, reads[0].arrival) << "a read waited for an earlier expert to be consumed";
  }
}

TEST(TileTiming, VectorOpTakesElementOpsOverLanes) {
  // RMSNORM of 1024 fp32 elements: 4 element-operations each (ComputeTile.cpp
  // kRmsnormOps) on 8 lanes at 1 GHz = 512 ns; operands cost nothing.
  EngineBench b(defaultTileParams());
  llmvp_desc d = valid(LLMVP_OP_RMSNORM);
  d.n = 1024;
  d.flags = DESC_F_IRQ;
  b.putDesc(0, d);
  std::uint64_t t0 = 0;
  runScript([&] {
    b.configure(4);
    t0 = nowPsTest() + 1000;
    b.post(1);
  });
  EXPECT_EQ(b.irq.rise(kIrqLine), t0 + 10'000 + 512'000);
  EXPECT_EQ(b.stat("vector_busy"), 512'000.0);
  EXPECT_EQ(b.stat("vector_ops"), 4096.0);
  EXPECT_EQ(b.stat("mem_wait"), 0.0);
}

} // namespace
} // namespace llmvp::test
