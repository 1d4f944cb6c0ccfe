// SPDX-License-Identifier: Apache-2.0
// Near-memory offload and 3D stacking (issue 6), functional: the tiny models
// decode the same tokens as the golden reference on the pnm, pim and
// stacked3d platforms (sharded weights and KV cache, engines without kv
// heads, batches, biases, quantised weights, projections split by rows or
// by input columns with partial sums combined on the tile or the engines,
// and the tile fallback for MoE, MLA and a paged KV cache), and the work
// really runs where the offload plan says.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "testbench/Simulation.h"
#include "tests/golden/Reference.h"
#include "tests/support/Cli.h"
#include "workload/Weights.h"

namespace llmvp::test {
namespace {

struct Case {
  std::string platform;
  std::uint64_t seed = 1;
  std::uint32_t batch = 1;
  std::uint32_t prompt = 5;
  std::uint32_t gen = 6;
  std::vector<std::string> overrides;
  std::string model = config("models/tiny-llama.yaml");
  std::uint32_t kvBlockTokens = 0;
  std::uint32_t prefillChunk = 0;
};

std::string lastPlan;                     ///< offload plan of the last checkAgainstGolden run
std::map<std::string, double> lastCounts; ///< its descriptor counts by "engine/op"

/// Runs `c` and checks its tokens against the reference; returns the count
/// of descriptors of opcode `op` that engine `engine` ran (0 if none).
double checkAgainstGolden(const Case& c, const std::string& engine = "", const std::string& op = "") {
  testbench::SimulationInputs in;
  in.platformFile = config("platforms/" + c.platform + ".yaml");
  in.modelFile = c.model;
  in.overrides = c.overrides;
  in.options.functional = true;
  in.options.batch = c.batch;
  in.options.context = c.prompt;
  in.options.genTokens = c.gen;
  in.options.seed = c.seed;
  in.options.kvBlockTokens = c.kvBlockTokens;
  in.options.prefillChunk = c.prefillChunk;
  const testbench::SimulationOutput out = testbench::simulate(in);
  lastPlan = out.report.pnmPlan;
  EXPECT_TRUE(out.result.ok) << out.result.error;
  if (!out.result.ok) return 0;
  const testbench::Weights weights = testbench::makeRandomWeights(out.model, c.seed);
  golden::ReferenceTransformer ref(out.model, weights, c.batch, c.prompt + c.gen);
  const auto expected = ref.generate(out.result.prompts, c.gen, nullptr);
  EXPECT_EQ(out.result.generated, expected);
  double count = 0;
  lastCounts.clear();
  for (const auto& o : out.report.operators) {
    lastCounts[o.engine + "/" + o.op] += o.count;
    if (o.engine == engine && o.op == op) count += o.count;
  }
  return count;
}

TEST(PnmFunctional, TinyLlamaOnPnm) {
  EXPECT_GT(checkAgainstGolden({"pnm", 1, 1, 5, 6, {}}, "chip0.pnm0", "pnm_gemv"), 0.0);
}
TEST(PnmFunctional, TinyLlamaBatchOfThreeAllOnPnm) {
  // offload: pnm: attention too, 2 kv heads over 8 engines (six run none).
  EXPECT_GT(checkAgainstGolden({"pnm", 2, 3, 4, 5, {"chip.pnm.offload=pnm"}}, "chip0.pnm1", "pnm_attn_append"), 0.0);
}
TEST(PnmFunctional, TinyQwenBiasesOnPnm) {
  checkAgainstGolden({"pnm", 3, 2, 5, 5, {"chip.pnm.offload=pnm"}, config("models/tiny-qwen.yaml")});
}
TEST(PnmFunctional, Int8WeightsOnPnm) {
  // Each shard of a quantised matrix carries its own scales.
  ScratchDir dir("pnm-int8");
  dir.write("int8.yaml",
            slurp(config("models/tiny-llama.yaml")) + "quantization:\n  weights: int8\n  group_size: 32\n");
  checkAgainstGolden({"pnm", 4, 1, 5, 5, {"chip.pnm.offload=pnm"}, dir.file("int8.yaml")});
}
TEST(PnmFunctional, PerVaultEnginesOnPnm) {
  // One engine per vault (partition: vault) with 4 vaults per stack on 2 stacks.
  checkAgainstGolden({"pnm",
                      5,
                      2,
                      4,
                      5,
                      {"chip.stacked.stacks=2", "chip.stacked.vaults_per_stack=4", "chip.stacked.partition=vault",
                       "chip.pnm.count=8"}});
}
TEST(PnmFunctional, OByColumnsFusedWithAttentionOnPnm) {
  // 2 engines for 2 kv heads: each engine's heads are its wo columns, so it
  // runs its o partial sums right after its attention; the tile adds them.
  const std::vector<std::string> two{"chip.stacked.stacks=2", "chip.pnm.count=2", "chip.pnm.offload=pnm"};
  EXPECT_GT(checkAgainstGolden({"pnm", 8, 2, 4, 5, two}, "chip0.tile0", "add"), 0.0);
  EXPECT_NE(lastPlan.find("o=cols(fused)"), std::string::npos) << lastPlan;
}
TEST(PnmFunctional, ColumnsReducedOnTheEngines) {
  std::vector<std::string> two{"chip.stacked.stacks=2", "chip.pnm.count=2", "chip.pnm.offload=pnm",
                               "chip.pnm.combine=pnm"};
  EXPECT_GT(checkAgainstGolden({"pnm", 9, 3, 4, 4, two}, "chip0.pnm1", "pnm_reduce"), 0.0);
  EXPECT_NE(lastPlan.find("o=cols"), std::string::npos) << lastPlan;
}
TEST(PnmFunctional, TinyLlamaOnPim) {
  // Per-bank units: few output rows per unit, so o and down split by columns.
  EXPECT_GT(checkAgainstGolden({"pim", 6, 1, 4, 5, {}}, "chip0.pim0", "pnm_gemv"), 0.0);
  EXPECT_NE(lastPlan.find("down=cols"), std::string::npos) << lastPlan;
}
TEST(PnmFunctional, TinyLlamaAllOnPim) {
  EXPECT_GT(checkAgainstGolden({"pim", 6, 2, 4, 5, {"chip.pnm.offload=pnm"}}, "chip0.pim0", "pnm_attn_append"), 0.0);
}
TEST(PnmFunctional, TinyLlamaOnStacked3d) {
  EXPECT_GT(checkAgainstGolden({"stacked3d", 7, 2, 4, 5, {}}, "chip0.tile0", "gemv"), 0.0);
}
TEST(PnmFunctional, MoeExpertsFallBackToTheTile) {
  // Attention projections on the engines, routed experts on the tile.
  const Case c{"pnm", 10, 2, 4, 4, {"chip.pnm.offload=pnm"}, config("models/tiny-moe.yaml")};
  EXPECT_GT(checkAgainstGolden(c, "chip0.tile0", "gemv_moe"), 0.0);
  EXPECT_GT(lastCounts["chip0.pnm0/pnm_gemv"], 0.0);
}
TEST(PnmFunctional, MlaAttentionFallsBackToTheTile) {
  const Case c{"pnm", 11, 2, 4, 4, {"chip.pnm.offload=pnm"}, config("models/tiny-mla.yaml")};
  EXPECT_GT(checkAgainstGolden(c, "chip0.tile0", "attn_mla"), 0.0);
  EXPECT_GT(lastCounts["chip0.pnm0/pnm_gemv"], 0.0);
}
TEST(PnmFunctional, PagedKvAttentionFallsBackToTheTile) {
  Case c{"pnm", 12, 3, 5, 6, {"chip.pnm.offload=pnm"}};
  c.kvBlockTokens = 4;
  EXPECT_GT(checkAgainstGolden(c, "chip0.tile0", "attn"), 0.0);
  EXPECT_NE(lastPlan.find("attn=tile"), std::string::npos) << lastPlan;
}
// Prefill (row-wise passes over the same placement): the sharded projections
// run on the tile, one GEMV per shard with row strides, where the policy
// finds the tile faster; or on the engines with offload pnm, attention
// appending each row's k and v to the engines' KV shards.
TEST(PnmFunctional, PrefillRunsTheShardsOnTheTile) {
  Case c{"pnm", 14, 2, 40, 3, {}};
  c.prefillChunk = 32; // passes of 32 and 8 rows per request
  EXPECT_GT(checkAgainstGolden(c, "chip0.tile0", "gemv"), 0.0);
  EXPECT_NE(lastPlan.find("qkv=rows"), std::string::npos) << lastPlan;
  EXPECT_NE(lastPlan.find("prefill(32 rows): tile=qkv,o,gate_up,down,lm_head"), std::string::npos) << lastPlan;
}
TEST(PnmFunctional, PrefillOnTheEnginesAppendsEveryRowToTheKvShards) {
  Case c{"pnm", 15, 2, 6, 4, {"chip.pnm.offload=pnm"}};
  c.prefillChunk = 4;
  EXPECT_GT(checkAgainstGolden(c, "chip0.pnm0", "pnm_attn_append"), 0.0);
  EXPECT_NE(lastPlan.find("prefill(4 rows): pnm=qkv"), std::string::npos) << lastPlan;
  EXPECT_EQ(lastCounts["chip0.tile0/gemv"], 0.0);
}
TEST(PnmFunctional, PrefillOnPimAddsTheColumnShardsPartialSums) {
  // Decode splits o and down by columns over the per-bank units; prefill
  // runs those shards on the tile, each writing fp32 partial sums the tile adds.
  Case c{"pim", 16, 1, 20, 3, {}};
  c.prefillChunk = 16;
  EXPECT_GT(checkAgainstGolden(c, "chip0.tile0", "gemv"), 0.0);
  EXPECT_NE(lastPlan.find("down=cols"), std::string::npos) << lastPlan;
  EXPECT_NE(lastPlan.find("prefill(16 rows): tile=o,down"), std::string::npos) << lastPlan;
  EXPECT_GT(lastCounts["chip0.tile0/add"], 0.0);
}
TEST(PnmFunctional, PrefillInt8ShardsOnTheTile) {
  ScratchDir dir("pnm-int8-prefill");
  dir.write("int8.yaml",
            slurp(config("models/tiny-llama.yaml")) + "quantization:\n  weights: int8\n  group_size: 32\n");
  Case c{"pnm", 17, 1, 40, 3, {}, dir.file("int8.yaml")};
  c.prefillChunk = 40;
  EXPECT_GT(checkAgainstGolden(c, "chip0.tile0", "gemv"), 0.0);
}
TEST(PnmFunctional, EverythingOnTheTileWithOffloadTile) {
  EXPECT_EQ(checkAgainstGolden({"pnm", 13, 2, 4, 4, {"chip.pnm.offload=tile"}}, "chip0.pnm0", "pnm_gemv"), 0.0);
}

} // namespace
} // namespace llmvp::test
