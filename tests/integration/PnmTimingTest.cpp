// SPDX-License-Identifier: Apache-2.0
// Near-memory offload and 3D stacking (issue 6), through the CLI: bad input
// (engine count, power budget, shard limits, unsupported models) is a clear
// config error, and the timing runs show the directions docs/validation.md
// discusses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

CliResult run(const std::string& platform, const std::string& model, std::vector<std::string> extra) {
  std::vector<std::string> args{"run", "--platform", config("platforms/" + platform + ".yaml"), "--model",
                                config("models/" + model + ".yaml")};
  args.insert(args.end(), extra.begin(), extra.end());
  return runLlmvp(args);
}

void expectConfigError(const CliResult& r, const std::string& text) {
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
}

TEST(PnmBadInput, EngineCountMustMatchPartitions) {
  expectConfigError(run("pnm", "tiny-llama", {"--set", "chip.pnm.count=4"}), "chip.pnm.count");
}

TEST(PnmBadInput, BudgetBelowStaticPower) {
  expectConfigError(run("pnm", "tiny-llama", {"--set", "chip.stacked.static_w_per_stack=50"}),
                    "power_budget_w_per_stack");
}

TEST(PnmBadInput, PnmNeedsPartitions) {
  expectConfigError(run("pnm", "tiny-llama", {"--set", "chip.stacked.partition=none"}), "chip.stacked.partition");
}

TEST(PnmBadInput, HbmAndStackedTogether) {
  // stacked3d with an hbm section as well: one main memory only.
  ScratchDir dir("pnm-hbm");
  dir.write("both.yaml", slurp(config("platforms/stacked3d.yaml")) + "  hbm:\n    memspec: " +
                             config("memory/hbm3e-8000.yaml") + "\n    stacks: 8\n    capacity_gib_per_stack: 24\n");
  const CliResult r =
      runLlmvp({"run", "--platform", dir.file("both.yaml"), "--model", config("models/tiny-llama.yaml")});
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_NE(r.err.find("chip.hbm"), std::string::npos) << r.err;
}

TEST(PnmBadInput, PimRowsBeyondABank) {
  // 100-byte banks cannot hold one 256-byte row of wq (128 bf16 weights).
  expectConfigError(
      run("pim", "tiny-llama", {"--set", "chip.pnm.unit_shard_mib=0.0001", "--set", "chip.pnm.offload=pnm"}),
      "unit_shard_mib");
}

TEST(PnmBadInput, UnknownOffloadMode) {
  expectConfigError(run("pnm", "tiny-llama", {"--set", "chip.pnm.offload=sometimes"}), "chip.pnm.offload");
}

TEST(PnmPlacement, SeventyBFitsOnPimOnceUnshardedTensorsLiveOnce) {
  // The embedding (2 GiB) and the other unsharded tensors sit once in the
  // interleaved view, not reserved in every partition: 70B at bf16 (131
  // GiB of weights) fits in 8 x 18 GiB.
  const CliResult r = run("pim", "llama-3.1-70b", {"--context", "256", "--gen-tokens", "1", "--progress", "never"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  // A quarter of the capacity cannot hold it: the error names the need per partition.
  expectConfigError(run("pim", "llama-3.1-70b", {"--set", "chip.stacked.capacity_gib_per_stack=4"}), "partitions");
}

// ---- directions (docs/near-memory.md) ------------------------------------------

struct Point {
  double tpotNs = 0, memoryJ = 0, peakGBps = 0;
  double ttftNs = 0; ///< with --prefill-chunk
  std::string plan;  ///< results.pnm_plan
};

/// Llama-3.1-8B timing-only, context 512, 2 tokens.
Point point(const std::string& platform, const std::string& batch, std::vector<std::string> extra = {}) {
  ScratchDir dir("pnm-dir");
  std::vector<std::string> args{"--platform",   config("platforms/" + platform + ".yaml"),
                                "--model",      config("models/llama-3.1-8b.yaml"),
                                "--gen-tokens", "2",
                                "--batch",      batch,
                                "--progress",   "never"};
  args.insert(args.end(), extra.begin(), extra.end());
  if (std::find(args.begin(), args.end(), "--context") == args.end()) args.insert(args.end(), {"--context", "512"});
  CliResult raw;
  const auto root = runJson(args, dir, "run", &raw);
  EXPECT_EQ(raw.exitCode, 0) << platform << ": " << raw.err;
  if (root.empty()) return {};
  const auto& res = root.at("results").as_object();
  const auto& mems = res.at("memories").as_object();
  const auto& mem = mems.contains("hbm") ? mems.at("hbm").as_object() : mems.at("stacked").as_object();
  const auto& e = res.at("energy_j").as_object();
  Point p;
  p.tpotNs = num(res.at("tpot_mean_ns"));
  p.memoryJ = num(e.contains("chip0.hbm") ? e.at("chip0.hbm") : e.at("chip0.stacked"));
  p.peakGBps = num(mem.at("peak_gbps"));
  if (res.contains("ttft_mean_ns")) p.ttftNs = num(res.at("ttft_mean_ns"));
  if (res.contains("pnm_plan")) p.plan = std::string(res.at("pnm_plan").as_string());
  return p;
}

TEST(PnmDirections, GainShrinksWithBatchAndThePolicyKeepsItNoWorseThanTheTile) {
  // Always offloading (offload: pnm): the base dies read at their internal
  // bandwidth (above the HBM interface) but have a few TFLOP/s against the
  // tile's 2250, so the gain over the baseline shrinks with batch and turns
  // into a loss. The policy (auto) sends the GEMVs back to the tile at
  // batch 16, so it is never slower than either fixed choice.
  const std::vector<std::string> always{"--set", "chip.pnm.offload=pnm"}, never{"--set", "chip.pnm.offload=tile"};
  const Point base1 = point("baseline", "1"), base16 = point("baseline", "16");
  const Point all1 = point("pnm", "1", always), all16 = point("pnm", "16", always);
  const Point auto1 = point("pnm", "1"), auto16 = point("pnm", "16");
  const Point tile1 = point("pnm", "1", never), tile16 = point("pnm", "16", never);
  EXPECT_LT(all1.tpotNs, base1.tpotNs);
  EXPECT_GT(all16.tpotNs, base16.tpotNs);
  EXPECT_LT(base16.tpotNs / all16.tpotNs, base1.tpotNs / all1.tpotNs);
  EXPECT_LT(base16.tpotNs / auto16.tpotNs, base1.tpotNs / auto1.tpotNs);
  EXPECT_LE(auto1.tpotNs, std::min(all1.tpotNs, tile1.tpotNs));
  EXPECT_LE(auto16.tpotNs, std::min(all16.tpotNs, tile16.tpotNs));
  EXPECT_LT(auto16.tpotNs, base16.tpotNs);
}

TEST(PnmDirections, PrefillGemmsGoToTheTileWhereTheEnginesRunOutOfCompute) {
  // A 256-token prompt in passes of 128 rows: 128 MACs per weight byte pair
  // is far beyond the engines' balance, so the policy runs the shards'
  // GEMMs on the tile and prefills much faster than the engines do; decode
  // keeps the engines. The tile streams every shard at once, so reading
  // the weights from the shards costs no more than from the interleaved
  // view (offload tile: the same bytes and MACs).
  const std::vector<std::string> prefill{"--context", "256", "--prefill-chunk", "128"};
  std::vector<std::string> always = prefill, never = prefill;
  always.insert(always.end(), {"--set", "chip.pnm.offload=pnm"});
  never.insert(never.end(), {"--set", "chip.pnm.offload=tile"});
  const Point autoP = point("pnm", "1", prefill), allP = point("pnm", "1", always), tileP = point("pnm", "1", never);
  EXPECT_NE(autoP.plan.find("prefill(128 rows): tile=qkv,o,gate_up,down,lm_head"), std::string::npos) << autoP.plan;
  EXPECT_NE(autoP.plan.find("qkv=rows"), std::string::npos) << autoP.plan;
  EXPECT_GT(autoP.ttftNs, 0.0);
  EXPECT_LT(autoP.ttftNs * 2, allP.ttftNs);
  EXPECT_LT(autoP.ttftNs, 1.1 * tileP.ttftNs);
}

TEST(PnmDirections, AttentionOffloadGainGrowsWithContext) {
  // With 4x the base-die MACs (GQA attention is 2 MACs per KV byte, above
  // the default logic's balance) attention on the engines beats attention
  // on the tile by more at long context.
  const std::vector<std::string> x4{"--set", "chip.pnm.macs_per_cycle_per_unit=256",
                                    "--set", "chip.pnm.vector_ops_per_cycle_per_unit=64",
                                    "--set", "chip.pnm.offload=pnm"};
  auto at = [&](const std::string& ctx, bool tileAttention) {
    std::vector<std::string> a = x4;
    a.insert(a.end(), {"--context", ctx, "--kv-block-tokens", tileAttention ? "64" : "0"});
    return point("pnm", "1", a).tpotNs;
  };
  const double gainShort = at("1024", true) / at("1024", false), gainLong = at("16384", true) / at("16384", false);
  EXPECT_GT(gainLong, gainShort);
  EXPECT_GT(gainLong, 1.0);
}

TEST(PnmDirections, PimMovesDataCheaplyButRunsOutOfCompute) {
  // In-die units skip the TSV and global column path (less memory energy per
  // token) but compute at DRAM-process speed: slower than PNM at batch 16.
  const Point pnm1 = point("pnm", "1"), pim1 = point("pim", "1");
  EXPECT_LT(pim1.memoryJ, pnm1.memoryJ);
  EXPECT_GT(point("pim", "16").tpotNs, point("pnm", "16").tpotNs);
}

TEST(PnmDirections, PowerBudgetCapsStackBandwidth) {
  // stacked3d.yaml: 8 stacks x 32 vaults x 64 GB/s at 3.3 pJ/bit draw
  // 32 * 64 * 8 * 3.3e-3 W per stack, above the 40 W budget (static 0):
  // sustained bandwidth is scaled by 40 / that.
  const double full = 8 * 32 * 64.0, perStackW = 32 * 64 * 8 * 3.3e-3;
  EXPECT_NEAR(point("stacked3d", "1").peakGBps, full * 40.0 / perStackW, 1e-6 * full);
  EXPECT_NEAR(point("stacked3d", "1", {"--set", "chip.stacked.power_budget_w_per_stack=100"}).peakGBps, full,
              1e-6 * full);
}

} // namespace
} // namespace llmvp::test
