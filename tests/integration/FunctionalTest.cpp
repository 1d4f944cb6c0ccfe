// SPDX-License-Identifier: Apache-2.0
// The functional platform (firmware + engines + memories on real data)
// against the plain C++ reference transformer (tests/golden): identical
// generated tokens, and final-step logits within a stated tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "testbench/Simulation.h"
#include "testbench/model/Weights.h"
#include "tests/golden/Reference.h"
#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

// Tolerance on logits: both sides follow the numerics contract of
// descriptors.h with the same accumulation order, so they should agree
// exactly; we allow one bf16 ulp of the largest logit (2^-8 relative) for a
// library function (exp, sin, cos) that differs between call sites.
constexpr double kLogitTolerance = 1.0 / 256.0;

struct Case {
  std::uint64_t seed = 1;
  std::uint32_t batch = 1;
  std::uint32_t prompt = 6;
  std::uint32_t gen = 8;
  std::vector<std::string> overrides;
  std::string model = config("models/tiny-llama.yaml");
};

void checkAgainstGolden(const Case& c, const testbench::Weights* explicitWeights = nullptr) {
  testbench::SimulationInputs in;
  in.platformFile = config("platforms/baseline.yaml");
  in.modelFile = c.model;
  in.overrides = c.overrides;
  in.options.functional = true;
  in.options.batch = c.batch;
  in.options.context = c.prompt;
  in.options.genTokens = c.gen;
  in.options.seed = c.seed;
  in.options.captureLogits = true;
  const testbench::SimulationOutput out = testbench::simulate(in);
  ASSERT_TRUE(out.result.ok) << out.result.error;

  const testbench::Weights weights =
      explicitWeights ? *explicitWeights : testbench::makeRandomWeights(out.model, c.seed);
  golden::ReferenceTransformer ref(out.model, weights, c.batch, c.prompt + c.gen);
  std::vector<std::vector<float>> refLogits;
  const auto expected = ref.generate(out.result.prompts, c.gen, &refLogits);

  ASSERT_EQ(out.result.generated.size(), expected.size());
  for (std::size_t r = 0; r < expected.size(); ++r) EXPECT_EQ(out.result.generated[r], expected[r]) << "request " << r;

  ASSERT_EQ(out.result.lastLogits.size(), refLogits.size());
  for (std::size_t r = 0; r < refLogits.size(); ++r) {
    double scale = 0, worst = 0;
    for (std::size_t j = 0; j < refLogits[r].size(); ++j) {
      scale = std::max(scale, std::fabs(static_cast<double>(refLogits[r][j])));
      worst = std::max(worst, std::fabs(static_cast<double>(refLogits[r][j]) - out.result.lastLogits[r][j]));
    }
    EXPECT_LE(worst, kLogitTolerance * scale) << "request " << r << ": worst logit difference " << worst;
  }
  // The tokens are not degenerate: a model that always emits one id would hide bugs.
  std::vector<std::uint32_t> all;
  for (const auto& g : expected) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  EXPECT_GT(std::unique(all.begin(), all.end()) - all.begin(), 1);
}

TEST(Functional, TinyLlamaSeed1) { checkAgainstGolden({}); }
TEST(Functional, TinyLlamaSeed2LongerPrompt) { checkAgainstGolden({2, 1, 12, 6, {}}); }
TEST(Functional, TinyLlamaSeed3SingleTokenPrompt) { checkAgainstGolden({3, 1, 1, 10, {}}); }
TEST(Functional, BatchOfThree) { checkAgainstGolden({4, 3, 5, 6, {}}); }
TEST(Functional, Fp8KvCache) { checkAgainstGolden({5, 2, 6, 6, {"model.dtypes.kv=fp8"}}); }
TEST(Functional, Fp8Weights) { checkAgainstGolden({6, 1, 6, 6, {"model.dtypes.weights=fp8"}}); }
TEST(Functional, Fp32Activations) { checkAgainstGolden({7, 2, 4, 6, {"model.dtypes.activations=fp32"}}); }
TEST(Functional, TiedEmbeddingsMoreLayers) {
  checkAgainstGolden({8, 1, 5, 6, {"model.tie_embeddings=true", "model.layers=6"}});
}

// A Hugging Face checkpoint (config.json + model.safetensors) written by the
// test, loaded by the host runtime, decoded by the firmware.
TEST(Functional, SafetensorsCheckpoint) {
  ScratchDir dir("safetensors");
  testbench::ModelSpec spec;
  spec.name = "ckpt";
  spec.layers = 3;
  spec.hidden = 96;
  spec.heads = 6;
  spec.kvHeads = 2;
  spec.headDim = 16;
  spec.ffn = 160;
  spec.vocab = 300;
  spec.ropeTheta = 10000.0f;
  spec.initStd = 0.05f;
  const testbench::Weights w = testbench::makeRandomWeights(spec, 99);
  testbench::writeHfConfig(dir.file("config.json"), spec);
  testbench::writeSafetensors(dir.file("model.safetensors"), spec, w);
  Case c;
  c.seed = 11;
  c.model = dir.file("");
  checkAgainstGolden(c, &w);
}

} // namespace
} // namespace llmvp::test
