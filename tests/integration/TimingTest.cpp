// SPDX-License-Identifier: Apache-2.0
// Timing sanity of whole-model decode on the default platform: physical
// lower bounds, the memory-bound band at batch 1, growth with context, and
// the response to doubled memory bandwidth. Figures derive from the configs
// (configs/models/llama-3.1-8b.yaml, configs/memory/hbm3e-8000.yaml).
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

// Llama-3.1-8B (configs/models/llama-3.1-8b.yaml), bf16 weights and KV.
constexpr double kLayers = 32, kHidden = 4096, kQDim = 4096, kKvDim = 1024, kFfn = 14336, kVocab = 128256;
constexpr double kBytes = 2;
constexpr double kLayerWeightBytes =
    kBytes * (kHidden * kQDim + 2 * kHidden * kKvDim + kQDim * kHidden + 3 * kHidden * kFfn + 2 * kHidden);
/// Bytes every decode step must read: all layer weights, final norm, LM head,
/// one embedding row, and K and V of every cached position of every layer.
double mustReadBytes(double positions) {
  return kLayers * kLayerWeightBytes + kBytes * (kHidden + kVocab * kHidden + kHidden) +
         2 * kLayers * positions * kKvDim * kBytes;
}
// Refresh ceiling of hbm3e-8000.yaml (per-bank): 1 - tRFCpb / tREFI.
constexpr double kRefreshCeiling = 1.0 - 266.0 / 3900.0;

struct RunFigures {
  double tpotNs = 0, achievedGBps = 0, peakGBps = 0, flops = 0, peakFlops = 0, steps = 0;
};

RunFigures run(const ScratchDir& dir, const std::string& name, std::vector<std::string> extra) {
  std::vector<std::string> args{"--platform", config("platforms/baseline.yaml"), "--model",
                                config("models/llama-3.1-8b.yaml")};
  args.insert(args.end(), extra.begin(), extra.end());
  CliResult raw;
  const auto root = runJson(args, dir, name, &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (root.empty()) return {};
  const auto& res = root.at("results").as_object();
  const auto& hbm = res.at("memories").as_object().at("hbm").as_object();
  RunFigures r;
  r.tpotNs = num(res.at("tpot_mean_ns"));
  r.achievedGBps = num(hbm.at("achieved_gbps"));
  r.peakGBps = num(hbm.at("peak_gbps"));
  r.flops = num(res.at("flops"));
  r.peakFlops = num(res.at("peak_flops_per_s"));
  r.steps = num(res.at("steps"));
  return r;
}

TEST(Timing, Batch1IsMemoryBoundWithinDerivedBand) {
  ScratchDir dir("timing-band");
  const RunFigures r = run(dir, "b1", {"--context", "512", "--gen-tokens", "8"});
  ASSERT_GT(r.tpotNs, 0);
  EXPECT_DOUBLE_EQ(r.peakGBps, 8192.0); // 8 stacks x 32 pseudo-channels x 32 bit x 8 Gb/s
  // Lower bounds: the bytes that must be read at peak bandwidth, and the FLOPs at peak FLOP/s.
  const double lastPositions = 512 + 8;
  EXPECT_GE(r.tpotNs, mustReadBytes(512 + 1) / r.peakGBps);
  EXPECT_GE(r.tpotNs * r.steps, r.flops / r.peakFlops * 1e9);
  // Memory bound: achieved bandwidth between 70% of peak and the refresh ceiling.
  const double share = r.achievedGBps / r.peakGBps;
  EXPECT_GE(share, 0.70);
  EXPECT_LE(share, kRefreshCeiling);
  // And the per-step traffic is what the model requires (within 2%: descriptors, activations).
  const double bytesPerStep = r.achievedGBps * r.tpotNs;
  EXPECT_NEAR(bytesPerStep / mustReadBytes(lastPositions - 4), 1.0, 0.02);
}

TEST(Timing, TpotGrowsWithContextThroughKvReads) {
  ScratchDir dir("timing-context");
  const RunFigures shortCtx = run(dir, "c512", {"--context", "512", "--gen-tokens", "4"});
  const RunFigures longCtx = run(dir, "c8192", {"--context", "8192", "--gen-tokens", "4"});
  ASSERT_GT(shortCtx.tpotNs, 0);
  const double extraKvNs = (mustReadBytes(8192) - mustReadBytes(512)) / shortCtx.peakGBps;
  const double grew = longCtx.tpotNs - shortCtx.tpotNs;
  EXPECT_GE(grew, extraKvNs);       // cannot beat peak bandwidth
  EXPECT_LE(grew, 1.5 * extraKvNs); // and streams the KV cache efficiently
}

TEST(Timing, DoublingHbmBandwidthNearlyHalvesBatch1Tpot) {
  ScratchDir dir("timing-bw");
  const RunFigures base = run(dir, "base", {"--context", "512", "--gen-tokens", "4"});
  const RunFigures fast =
      run(dir, "fast",
          {"--context", "512", "--gen-tokens", "4", "--set", "chip.hbm.memspec.organisation.data_rate_gbps=16.0"});
  ASSERT_GT(fast.tpotNs, 0);
  EXPECT_DOUBLE_EQ(fast.peakGBps, 2 * base.peakGBps);
  // Fixed costs (dispatch, latencies) do not scale, so the gain is below 2x.
  const double speedup = base.tpotNs / fast.tpotNs;
  EXPECT_GT(speedup, 1.6);
  EXPECT_LT(speedup, 2.0);
}

TEST(Timing, BatchingAmortisesWeightReads) {
  ScratchDir dir("timing-batch");
  const RunFigures b1 = run(dir, "b1", {"--context", "512", "--gen-tokens", "4"});
  const RunFigures b8 = run(dir, "b8", {"--context", "512", "--gen-tokens", "4", "--batch", "8"});
  ASSERT_GT(b8.tpotNs, 0);
  // Eight requests share one pass over the weights; only their KV reads add.
  EXPECT_GT(b8.tpotNs, b1.tpotNs);
  EXPECT_LT(b8.tpotNs, 1.3 * b1.tpotNs);
  EXPECT_LE(b8.achievedGBps, b8.peakGBps);
}

TEST(Timing, ComputeBoundAtLargeBatchStaysUnderPeakFlops) {
  ScratchDir dir("timing-roof");
  const RunFigures r = run(dir, "b128", {"--context", "128", "--gen-tokens", "2", "--batch", "128"});
  ASSERT_GT(r.tpotNs, 0);
  EXPECT_LE(r.flops / (r.tpotNs * r.steps * 1e-9), r.peakFlops);
  EXPECT_LE(r.achievedGBps, r.peakGBps);
}

} // namespace
} // namespace llmvp::test
