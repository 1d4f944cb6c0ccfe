// SPDX-License-Identifier: Apache-2.0
// Near-memory offload and 3D stacking (issue 6), functional: the tiny models
// decode the same tokens as the golden reference on the pnm, pim and
// stacked3d platforms (sharded weights and KV cache, engines without kv
// heads, batches, biases, quantised weights), and the offload really runs
// on the near-memory engines.
#include <gtest/gtest.h>

#include <cmath>

#include "testbench/Simulation.h"
#include "testbench/model/Weights.h"
#include "tests/golden/Reference.h"
#include "tests/support/Cli.h"

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
};

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
  const testbench::SimulationOutput out = testbench::simulate(in);
  EXPECT_TRUE(out.result.ok) << out.result.error;
  if (!out.result.ok) return 0;
  const testbench::Weights weights = testbench::makeRandomWeights(out.model, c.seed);
  golden::ReferenceTransformer ref(out.model, weights, c.batch, c.prompt + c.gen);
  const auto expected = ref.generate(out.result.prompts, c.gen, nullptr);
  EXPECT_EQ(out.result.generated, expected);
  double count = 0;
  for (const auto& o : out.report.operators)
    if (o.engine == engine && o.op == op) count += o.count;
  return count;
}

TEST(PnmFunctional, TinyLlamaOnPnm) {
  // 2 kv heads over 8 engines: six engines run no attention.
  EXPECT_GT(checkAgainstGolden({"pnm", 1, 1, 5, 6, {}}, "chip0.pnm0", "pnm_gemv"), 0.0);
}
TEST(PnmFunctional, TinyLlamaBatchOfThreeOnPnm) {
  EXPECT_GT(checkAgainstGolden({"pnm", 2, 3, 4, 5, {}}, "chip0.pnm1", "pnm_attn"), 0.0);
}
TEST(PnmFunctional, TinyQwenBiasesOnPnm) {
  checkAgainstGolden({"pnm", 3, 2, 5, 5, {}, config("models/tiny-qwen.yaml")});
}
TEST(PnmFunctional, Int8WeightsOnPnm) {
  // Each shard of a quantised matrix carries its own scales.
  ScratchDir dir("pnm-int8");
  dir.write("int8.yaml",
            slurp(config("models/tiny-llama.yaml")) + "quantization:\n  weights: int8\n  group_size: 32\n");
  checkAgainstGolden({"pnm", 4, 1, 5, 5, {}, dir.file("int8.yaml")});
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
TEST(PnmFunctional, TinyLlamaOnPim) {
  EXPECT_GT(checkAgainstGolden({"pim", 6, 2, 4, 5, {}}, "chip0.pim0", "pnm_attn"), 0.0);
}
TEST(PnmFunctional, TinyLlamaOnStacked3d) {
  EXPECT_GT(checkAgainstGolden({"stacked3d", 7, 2, 4, 5, {}}, "chip0.tile0", "gemv"), 0.0);
}

} // namespace
} // namespace llmvp::test
