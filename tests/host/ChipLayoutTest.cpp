// SPDX-License-Identifier: Apache-2.0
// placeModel on shipped platforms and models: no chip is built and no
// simulation runs; the layout is checked against the chip's parameters.
#include <gtest/gtest.h>
#include <numeric>
#include <set>
#include <string>

#include "config/ConfigNode.h"
#include "config/Loaders.h"
#include "firmware/include/memmap.h"
#include "host/ChipLayout.h"
#include "tests/support/Cli.h"

namespace llmvp::testbench {
namespace {

using test::config;

struct Inputs {
  PlatformConfig platform;
  ModelSpec model;
  RunOptions options;
};

Inputs inputs(const std::string& platform, const std::string& model) {
  Overrides o;
  Inputs s{loadPlatform(config("platforms/" + platform), o), loadModel(config("models/" + model), o), {}};
  s.options.hbf = s.platform.hbf;
  return s;
}

/// One interleave round of every HBM channel (every tensor starts on one).
std::uint64_t hbmRound(const platform::ChipParams& c) {
  return std::lcm(std::uint64_t{4096}, std::uint64_t{c.hbm.channels()} * c.hbm.interleaveBytes);
}

TEST(ChipLayout, DenseModelIsPackedFromTheBottomOfHbmOnRoundBoundaries) {
  Inputs s = inputs("baseline.yaml", "llama-3.1-8b.yaml");
  s.options.batch = 4;
  s.options.context = 100;
  s.options.genTokens = 8;
  const ChipLayout l = placeModel(s.model, s.platform.chip, s.options);
  const std::uint64_t round = hbmRound(s.platform.chip);
  EXPECT_EQ(l.embed, LLMVP_HBM_BASE);
  ASSERT_EQ(l.layers.size(), s.model.layers);
  for (const LayerAddr& a : l.layers) {
    for (std::uint64_t addr :
         {a.attnNorm, a.wq, a.wk, a.wv, a.wo, a.ffnNorm, a.wGate, a.wUp, a.wDown, a.kCache, a.vCache}) {
      EXPECT_EQ((addr - LLMVP_HBM_BASE) % round, 0u);
      EXPECT_GT(addr, l.embed);
    }
    EXPECT_LT(a.wq, a.wk);
    EXPECT_EQ(a.router, 0u);
  }
  // Timing-only: `context` cached positions plus the generated ones.
  EXPECT_EQ(l.placement.maxContext, 100u + 8u);
  EXPECT_EQ(l.kvRequestStride,
            (std::uint64_t{108} * s.model.kvDim() * models::dtypeBytes(s.model.kvDtype) + 63) / 64 * 64);
  EXPECT_EQ(l.placement.hbmCapacity, s.platform.chip.hbm.capacityBytes);
  EXPECT_EQ(l.placement.tokenStride, l.placement.maxContext + 1);
  EXPECT_GT(l.placement.tokens, l.layers.back().vCache);
  EXPECT_EQ(l.steps, 8u);
  EXPECT_EQ(l.promptLen, std::vector<std::uint32_t>(4, 101));
  EXPECT_EQ(l.cachedLen, std::vector<std::uint32_t>(4, 100));
  EXPECT_GT(l.placement.weightBytes, 15'000'000'000u); // 8 B parameters in bf16
  // K and V of every layer, each rounded up to an interleave round.
  EXPECT_EQ(l.placement.kvBytes, 2 * s.model.layers * alignUp(4 * l.kvRequestStride, round));
}

TEST(ChipLayout, TooLargeABatchIsAConfigErrorWithSizes) {
  Inputs s = inputs("baseline.yaml", "llama-3.1-70b.yaml");
  s.options.batch = 64;
  s.options.context = 8000;
  try {
    (void)placeModel(s.model, s.platform.chip, s.options);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("model does not fit in HBM"), std::string::npos) << m;
    EXPECT_NE(m.find("the largest batch at this context is"), std::string::npos) << m;
  }
}

TEST(ChipLayout, BadOptionsAreConfigErrors) {
  Inputs s = inputs("baseline.yaml", "tiny-llama.yaml");
  s.options.batch = 0;
  EXPECT_THROW((void)placeModel(s.model, s.platform.chip, s.options), ConfigError);
  s.options.batch = 1;
  s.options.genTokens = 0;
  EXPECT_THROW((void)placeModel(s.model, s.platform.chip, s.options), ConfigError);
}

TEST(ChipLayout, PagedKvBlocksAreAPermutationOfThePool) {
  Inputs s = inputs("baseline.yaml", "tiny-llama.yaml");
  s.options.batch = 3;
  s.options.contexts = {5, 17, 9};
  s.options.context = 17;
  s.options.genTokens = 4;
  s.options.kvBlockTokens = 4;
  const ChipLayout l = placeModel(s.model, s.platform.chip, s.options);
  EXPECT_EQ(l.blockTableStride, (l.placement.maxContext + 3) / 4);
  ASSERT_EQ(l.blockTable.size(), 3u * l.blockTableStride);
  // Request r holds ceil((cached + steps) / 4) blocks: 3, 6 and 4 of the 13 in the pool.
  std::set<std::uint32_t> ids;
  const std::uint32_t need[3] = {3, 6, 4};
  for (std::uint32_t r = 0; r < 3; ++r)
    for (std::uint32_t j = 0; j < need[r]; ++j) ids.insert(l.blockTable[r * l.blockTableStride + j]);
  EXPECT_EQ(ids.size(), 13u);
  EXPECT_EQ(*ids.rbegin(), 12u);
}

TEST(ChipLayout, TensorParallelShardsTheHeadsAndTheFfn) {
  Inputs s = inputs("baseline.yaml", "llama-3.1-8b.yaml");
  const ChipLayout l = placeModel(s.model, s.platform.chip, s.options, Shard{4, 3});
  EXPECT_EQ(l.qDim, s.model.qDim() / 4);
  EXPECT_EQ(l.kvDim, s.model.kvDim() / 4);
  EXPECT_EQ(l.ffn, s.model.ffn / 4);
  EXPECT_EQ(l.qFirst, 3 * l.qDim);
  EXPECT_FALSE(l.attnReplica);
}

TEST(ChipLayout, PipelineStageHoldsItsLayersAndTheLastTheHead) {
  Inputs s = inputs("baseline.yaml", "tiny-llama.yaml");
  const std::uint32_t layers = s.model.layers;
  const ChipLayout first = placeModel(s.model, s.platform.chip, s.options, Shard{1, 0, 2, 0});
  const ChipLayout last = placeModel(s.model, s.platform.chip, s.options, Shard{1, 0, 2, 1});
  EXPECT_EQ(first.layers.size() + last.layers.size(), layers);
  EXPECT_EQ(last.layer0, first.layers.size());
  EXPECT_EQ(first.lmHead, 0u);
  EXPECT_NE(last.lmHead, 0u);
  EXPECT_EQ(first.finalNorm, 0u);
}

TEST(ChipLayout, HbfHoldsTheWeightsAndHbmTheStaging) {
  Inputs s = inputs("hbf-hybrid.yaml", "llama-3.1-8b.yaml");
  ASSERT_TRUE(s.platform.chip.hasHbf);
  const ChipLayout l = placeModel(s.model, s.platform.chip, s.options);
  EXPECT_TRUE(l.placement.weightsInHbf);
  EXPECT_EQ(l.embed, LLMVP_HBF_BASE);
  EXPECT_EQ(l.placement.hbfWeightBytes, l.placement.weightBytes);
  for (const LayerAddr& a : l.layers) EXPECT_GE(a.wq, LLMVP_HBF_BASE);
  EXPECT_LT(l.layers.front().kCache, LLMVP_HBF_BASE);
  if (s.options.hbf.prefetchDepth != 0) {
    EXPECT_EQ(l.placement.stagingBytes, l.stagingSlot * s.options.hbf.prefetchDepth);
    EXPECT_GE(l.stagingBase, LLMVP_HBM_BASE);
    EXPECT_LT(l.stagingBase, LLMVP_HBF_BASE);
  }
}

TEST(ChipLayout, NearMemoryEnginesShardOverThePartitions) {
  Inputs s = inputs("pnm.yaml", "llama-3.1-8b.yaml");
  ASSERT_NE(s.platform.chip.pnmCount, 0u);
  const ChipLayout l = placeModel(s.model, s.platform.chip, s.options);
  EXPECT_EQ(l.pnmUnits, s.platform.chip.pnmCount);
  EXPECT_EQ(l.pnmStride, s.platform.chip.stacked.partitionBytes());
  EXPECT_FALSE(l.placement.pnmPlan.empty());
  EXPECT_FALSE(l.pnmSharded.empty());
  for (const auto& [addr, byCols] : l.pnmSharded) EXPECT_LT(addr, LLMVP_HBM_BASE + l.pnmStride);
  EXPECT_EQ(l.placement.hbmCapacity, s.platform.chip.stacked.capacityBytes);
}

TEST(ChipLayout, NearMemoryCapacityIsAConfigError) {
  Inputs s = inputs("pnm.yaml", "llama-3.1-405b.yaml");
  try {
    (void)placeModel(s.model, s.platform.chip, s.options);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("PNM"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace llmvp::testbench
