// SPDX-License-Identifier: Apache-2.0
// The analytical roofline estimate (analysis/Estimate): its operators add
// up to the model's own parameter count, its bounds follow the peaks, and
// the check that the simulated time is never below the bound reports an
// impossible simulated figure.
#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "analysis/Estimate.h"
#include "config/Loaders.h"
#include "tests/support/Cli.h"

namespace llmvp::testbench {
namespace {

using test::config;

struct Inputs {
  PlatformConfig platform;
  ModelSpec model;
  RunOptions options;
};

Inputs load(const std::string& platform, const std::string& model, std::uint32_t batch,
            std::uint32_t prefillChunk = 0) {
  Overrides none;
  Inputs in;
  in.platform = loadPlatform(config("platforms/" + platform), none);
  in.model = loadModel(config("models/" + model), none);
  in.options.batch = batch;
  in.options.context = 100;
  in.options.genTokens = 5;
  in.options.prefillChunk = prefillChunk;
  in.options.hbf = in.platform.hbf;
  return in;
}

double sum(const PhaseEstimate& p, double OpEstimate::*field) {
  return std::accumulate(p.ops.begin(), p.ops.end(), 0.0, [&](double a, const OpEstimate& o) { return a + o.*field; });
}

TEST(Estimate, DecodeWeightsAreTheModelsActiveParametersPlusEmbeddingRows) {
  for (const char* model : {"llama-3.1-8b.yaml", "tiny-llama.yaml", "tiny-moe.yaml"}) {
    SCOPED_TRACE(model);
    const Inputs in = load("h100-like.yaml", model, 1);
    const Estimate e = estimate(in.platform, in.model, in.options);
    const double wb = 2; // bf16 weights in these configs
    ASSERT_EQ(in.model.weightDtype, models::DType::Bf16);
    // MoE: the bound streams top_k distinct experts, as activeParams counts them
    const double expected = (static_cast<double>(in.model.activeParams()) + in.model.hidden) * wb;
    EXPECT_DOUBLE_EQ(sum(e.decode, &OpEstimate::weightBytes), expected);
  }
}

TEST(Estimate, BoundIsTheLargestTermAndTotalsTheTileSequence) {
  const Inputs in = load("h100-like.yaml", "llama-3.1-8b.yaml", 4, 32);
  const Estimate e = estimate(in.platform, in.model, in.options);
  ASSERT_TRUE(e.hasPrefill);
  for (const PhaseEstimate* p : {&e.decode, &e.prefill}) {
    double tile = 0;
    for (const auto& o : p->ops) {
      EXPECT_DOUBLE_EQ(o.boundNs, std::max({o.memoryNs, o.spadNs, o.matrixNs, o.vectorNs})) << o.name;
      EXPECT_GE(o.calibratedNs, o.boundNs) << o.name;
      if (o.engine == "tile") tile += o.boundNs;
    }
    EXPECT_EQ(p->boundEngine, "tile");
    EXPECT_NEAR(p->boundNs, tile, 1e-9 * tile);
  }
  // Batch-4 decode of 8B streams the weights: memory bound at the HBM peak.
  for (const auto& o : e.decode.ops)
    if (o.name == "ffn") {
      EXPECT_EQ(o.bound, "memory");
      EXPECT_NEAR(o.memoryNs, o.weightBytes / in.platform.chip.hbm.peakGBps(), 1e-9 * o.memoryNs);
    }
  // Prefill FLOPs scale with the prompt tokens of all requests.
  double decodeFlops = 0, prefillFlops = 0;
  for (const auto& o : e.decode.ops)
    if (o.name == "ffn") decodeFlops = o.flops;
  for (const auto& o : e.prefill.ops)
    if (o.name == "ffn") prefillFlops = o.flops;
  EXPECT_DOUBLE_EQ(prefillFlops, decodeFlops / 4 * 400); // decode: 4 rows; prefill: 4 prompts of 100 tokens
}

TEST(Estimate, ASimulatedTimeBelowTheBoundIsReported) {
  const Inputs in = load("baseline.yaml", "tiny-llama.yaml", 2, 16);
  const Estimate e = estimate(in.platform, in.model, in.options);
  // Nothing collected: every operator "took" 0 ns, below its positive bound.
  OpCollector none;
  EstimateComparison c = compareEstimate(e, none, 0, 5, e.decode.boundNs * 0.5, e.prefill.boundNs * 2);
  // No simulated descriptor matched any operator: flagged, and only the
  // totals are checked. Pretend they matched and ran in 0 ns.
  for (PhaseComparison* p : {&c.decode, &c.prefill})
    for (auto& o : p->ops) {
      EXPECT_FALSE(o.matched) << o.name;
      o.matched = true;
    }
  std::vector<std::string> v = boundViolations(c);
  ASSERT_FALSE(v.empty());
  bool total = false, attention = false;
  for (const auto& s : v) {
    total = total || s.find("decode total") != std::string::npos;
    attention = attention || s.find("decode attention") != std::string::npos;
    EXPECT_EQ(s.find("prefill total"), std::string::npos) << s; // 2x the bound is fine
  }
  EXPECT_TRUE(total);
  EXPECT_TRUE(attention);
  // Every figure at or above its bound: no violation.
  for (PhaseComparison* p : {&c.decode, &c.prefill}) {
    for (auto& o : p->ops) o.simulatedNs = o.boundNs;
    p->simulatedNs = p->boundNs * 1.5;
  }
  EXPECT_TRUE(boundViolations(c).empty());
  // One operator a hair below its bound is caught.
  c.decode.ops.front().simulatedNs = c.decode.ops.front().boundNs * (1 - 1e-6);
  ASSERT_GT(c.decode.ops.front().boundNs, 0);
  EXPECT_EQ(boundViolations(c).size(), 1u);
}

} // namespace
} // namespace llmvp::testbench
