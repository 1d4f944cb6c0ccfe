// SPDX-License-Identifier: Apache-2.0
// Multi-chip experiments (issue 7, docs/multichip.md "Experiments"): the
// directions the paper's interconnect argument predicts (paper.md,
// "Low-latency interconnect"; published-results.md, "Interconnect for
// decode"), checked on Llama-3.1-70B and 405B timing-only runs of the
// shipped system configs. Each figure comes from a run's --json report.
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

struct Figures {
  double tpotNs = 0, collNs = 0, latencyNs = 0, share = 0, retries = 0, linkBytes = 0;
};

/// A timing-only decode of `model` on `system`: two tokens after 512 positions.
std::vector<std::string> args(const std::string& system, const std::string& model,
                              const std::vector<std::string>& extra = {}) {
  std::vector<std::string> a{"--platform",   config("systems/" + system + ".yaml"),
                             "--model",      config("models/" + model + ".yaml"),
                             "--gen-tokens", "2",
                             "--context",    "512"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

Figures run(const std::string& system, const ScratchDir& dir, const std::string& name,
            const std::vector<std::string>& extra = {}, const std::string& model = "llama-3.1-70b") {
  CliResult raw;
  const auto report = runJson(args(system, model, extra), dir, name, &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (report.empty()) return {};
  const auto& r = report.at("results").as_object();
  const auto& s = r.at("system").as_object();
  return {num(r.at("tpot_mean_ns")),
          num(s.at("collective_ns_per_token")),
          num(s.at("collective_latency_ns_per_token")),
          num(s.at("collective_share_of_tpot")),
          num(s.at("link_retries")),
          num(s.at("link_bytes"))};
}

TEST(MultiChipExperiments, LowLatencyInterconnectCutsCollectiveTimeAndTpot) {
  ScratchDir dir("mcx-lowlat");
  const Figures gpu = run("nvlink8", dir, "nvlink8"), low = run("lowlat8", dir, "lowlat8");
  // Batch-1 decode collectives are latency-bound on today's GPU-class links ...
  EXPECT_GT(gpu.latencyNs, 0.5 * gpu.collNs);
  // ... so fewer hops, lower per-hop latency and in-network reduction help
  // more than bandwidth would.
  EXPECT_LT(low.collNs, 0.5 * gpu.collNs);
  EXPECT_LT(low.tpotNs, gpu.tpotNs);
  EXPECT_LT(low.share, gpu.share);
  EXPECT_LE(low.share, 1.0);
  EXPECT_LE(gpu.share, 1.0);
}

TEST(MultiChipExperiments, LowLatencyInterconnectHelps405BToo) {
  ScratchDir dir("mcx-405b");
  const Figures gpu = run("nvlink8", dir, "nvlink8", {}, "llama-3.1-405b"),
                low = run("lowlat8", dir, "lowlat8", {}, "llama-3.1-405b");
  EXPECT_LT(low.tpotNs, gpu.tpotNs);
  EXPECT_LT(low.share, gpu.share);
}

TEST(MultiChipExperiments, BandwidthTermGrowsWithBatchLatencyTermDoesNot) {
  ScratchDir dir("mcx-batch");
  const Figures one = run("nvlink8", dir, "b1"), many = run("nvlink8", dir, "b64", {"--batch", "64"});
  EXPECT_GT(many.collNs - many.latencyNs, 2.0 * (one.collNs - one.latencyNs));
  EXPECT_NEAR(many.latencyNs, one.latencyNs, 0.05 * one.latencyNs);
}

// Data-parallel attention with all-to-all expert dispatch (docs/multichip.md):
// at batch 64 on lowlat8, Mixtral's dispatch carries each row to at most its
// two experts' chips and back, where the tensor-parallel layout all-reduces
// every row's hidden state twice per layer.
TEST(MultiChipExperiments, AllToAllDispatchMovesLessThanTensorParallelAllReducesAtBatch) {
  ScratchDir dir("mcx-dispatch");
  const std::vector<std::string> b64{"--batch", "64"};
  std::vector<std::string> data = b64;
  data.insert(data.end(), {"--set", "system.parallel.attention=data"});
  const Figures tp = run("lowlat8", dir, "tp", b64, "mixtral-8x7b"),
                dp = run("lowlat8", dir, "dp", data, "mixtral-8x7b");
  EXPECT_LT(dp.linkBytes, tp.linkBytes / 3);
  EXPECT_LT(dp.collNs, tp.collNs);
  EXPECT_GT(dp.collNs, 0.0);
}

// DeepSeek-V3's latent attention does not split by heads; with data-parallel
// attention it decodes on 8 chips, and the dispatch traffic grows with batch.
TEST(MultiChipExperiments, DeepSeekV3DecodesDataParallelOnEightChips) {
  ScratchDir dir("mcx-dsv3");
  const Figures small = run("lowlat8", dir, "b8", {"--batch", "8", "--set", "system.parallel.attention=data"},
                            "deepseek-v3"),
                large = run("lowlat8", dir, "b64", {"--batch", "64", "--set", "system.parallel.attention=data"},
                            "deepseek-v3");
  EXPECT_GT(small.collNs, 0.0);
  EXPECT_GT(large.linkBytes, 4.0 * small.linkBytes);
  EXPECT_LT(large.tpotNs / 64, small.tpotNs / 8); // time per token of the batch falls
}

TEST(MultiChipExperiments, InSwitchReductionBeatsTheRingForDecodeMessages) {
  ScratchDir dir("mcx-inswitch");
  const Figures ring = run("nvlink8", dir, "ring"),
                sw = run("nvlink8", dir, "sw", {"--set", "system.collectives.algorithm=in_switch"});
  EXPECT_LT(sw.collNs, ring.collNs);
  EXPECT_LT(sw.tpotNs, ring.tpotNs);
}

TEST(MultiChipExperiments, TpotGrowsWithLinkErrorRate) {
  ScratchDir dir("mcx-ber");
  Figures last = run("nvlink8", dir, "clean");
  EXPECT_EQ(last.retries, 0.0);
  for (const char* ber : {"1e-7", "1e-6", "1e-5"}) {
    const Figures f = run("nvlink8", dir, ber, {"--set", std::string("system.topology.link.bit_error_rate=") + ber});
    EXPECT_GT(f.retries, last.retries) << ber;
    EXPECT_GT(f.collNs, last.collNs) << ber;
    EXPECT_GE(f.tpotNs, last.tpotNs) << ber;
    last = f;
  }
}

TEST(MultiChipExperiments, HighRadixTopologiesBeatTheTorusAt64Chips) {
  // Fewer hops on the dragonfly and the switch tree than on a 4x4x4 torus.
  ScratchDir dir("mcx-64");
  const Figures torus = run("tpu-torus64", dir, "torus"), df = run("dragonfly64", dir, "df"),
                tree = run("lowlat64", dir, "tree");
  EXPECT_LT(df.latencyNs, torus.latencyNs);
  EXPECT_LT(tree.latencyNs, df.latencyNs);
  EXPECT_LT(tree.tpotNs, torus.tpotNs);
}

// Expert parallel (docs/multichip.md): Mixtral-8x7B on 8 chips, one expert
// per chip. Each chip streams about 1/8 of the single chip's bytes (its
// expert when chosen, its attention shard, the replicated router), the
// system as a whole about the same bytes; at batch 1 the all-reduce after
// the experts mostly waits for the chips whose experts the router chose.
TEST(MultiChipExperiments, ExpertParallelMixtralSplitsTheBytesAndWaitsForTheBusiestChip) {
  ScratchDir dir("mcx-ep");
  auto hbm = [](const boost::json::object& report, bool chip0) {
    const auto& r = report.at("results").as_object();
    if (chip0) return num(r.at("memories").at("hbm").at("bytes_read"));
    double joules = 0;
    for (const auto& [key, j] : r.at("energy_j").as_object()) {
      const std::string name(key);
      if (name.size() > 4 && name.substr(name.size() - 4) == ".hbm") joules += num(j);
    }
    return joules;
  };
  CliResult raw;
  const auto one =
      runJson(args("lowlat8", "mixtral-8x7b", {"--set", "system.chips=1", "--set", "system.parallel.tensor=1"}), dir,
              "one", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  const auto eight = runJson(args("lowlat8", "mixtral-8x7b"), dir, "eight", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  EXPECT_LT(hbm(eight, true), 0.25 * hbm(one, true));
  EXPECT_NEAR(hbm(eight, false), hbm(one, false), 0.15 * hbm(one, false)) << "HBM energy of all chips vs one chip";
  const auto& s = eight.at("results").at("system").as_object();
  EXPECT_GT(num(s.at("collective_skew_ns_per_token")), 0.5 * num(s.at("collective_ns_per_token")));
  EXPECT_LT(num(eight.at("results").at("tpot_mean_ns")), num(one.at("results").at("tpot_mean_ns")));
}

// Pipeline parallel (docs/multichip.md): stages hold a model no single chip
// can (405B needs 812 GB of weights, a chip has 206 GB of HBM), but with one
// micro-batch in flight each token still streams every layer's weights one
// stage after the other, so TPOT is the single chip's plus the transfers,
// while tensor parallel streams the eight shards at once.
TEST(MultiChipExperiments, PipelineParallelHoldsModelsOneChipCannotButDoesNotCutTpot) {
  ScratchDir dir("mcx-pp");
  const std::vector<std::string> pp{"--set", "system.parallel.tensor=1", "--set", "system.parallel.pipeline=8"};
  CliResult raw;
  (void)runJson(args("lowlat8", "llama-3.1-405b", {"--set", "system.chips=1", "--set", "system.parallel.tensor=1"}),
                dir, "405b-one", &raw);
  EXPECT_EQ(raw.exitCode, 2) << "405B should not fit one chip";
  EXPECT_NE(raw.err.find("does not fit in HBM"), std::string::npos) << raw.err;
  const auto big = runJson(args("lowlat8", "llama-3.1-405b", pp), dir, "405b-pp8", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  EXPECT_TRUE(big.at("results").at("system").at("chips_agree").as_bool());

  const auto one =
      runJson(args("nvlink8", "llama-3.1-70b", {"--set", "system.chips=1", "--set", "system.parallel.tensor=1"}), dir,
              "70b-one", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  const auto stages = runJson(args("nvlink8", "llama-3.1-70b", pp), dir, "70b-pp8", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  const auto tensor = runJson(args("nvlink8", "llama-3.1-70b", {}), dir, "70b-tp8", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  const double tOne = num(one.at("results").at("tpot_mean_ns")), tPp = num(stages.at("results").at("tpot_mean_ns")),
               tTp = num(tensor.at("results").at("tpot_mean_ns"));
  EXPECT_GT(tPp, 0.95 * tOne) << "one micro-batch in flight: no TPOT gain from stages";
  EXPECT_LT(tTp, 0.5 * tPp);
  const auto& s = stages.at("results").at("system").as_object();
  EXPECT_EQ(num(s.at("pipeline_parallel")), 8.0);
  EXPECT_GT(num(s.at("transfer_ns_per_token")), 0.0);
  EXPECT_LT(num(s.at("collective_share_of_tpot")), 0.01) << "eight small messages per token";
  // Each stage idles while the seven others run: 7/8 of TPOT in steady
  // state; in the first step stage k waits only for the k before it (k/8),
  // so over these two steps about (3.5/8 + 7/8) / 2 = 0.66.
  const double wait = num(s.at("transfer_wait_ns_per_stage_token"));
  EXPECT_GT(wait, 0.6 * tPp);
  EXPECT_LT(wait, 0.875 * tPp);
  // ... and works for its 10 of the 80 layers: each stage's tile is active
  // about 1/8 of the time, their sum no more than the whole window.
  double active = 0;
  for (const auto& chip : s.at("per_chip").as_array()) {
    const double a = num(chip.at("tile_active_share"));
    EXPECT_GT(a, 0.08);
    EXPECT_LT(a, 0.2);
    active += a;
  }
  EXPECT_LT(active, 1.05);
}

TEST(MultiChipExperiments, StagesOfTensorParallelGroupsTakeOneGroupsTpotOn64Chips) {
  // Llama-3.1-405B on lowlat64 (8 leaves of 8 chips): 8 stages of 8-chip
  // groups (each group under its own leaf) run one after another, so TPOT is
  // that of one 8-chip group running every layer (lowlat8), while tensor
  // parallel over all 64 chips streams 1/64 of the weights per chip.
  ScratchDir dir("mcx-tpxpp");
  CliResult raw;
  const auto grid = runJson(
      args("lowlat64", "llama-3.1-405b", {"--set", "system.parallel.tensor=8", "--set", "system.parallel.pipeline=8"}),
      dir, "tp8xpp8", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  const auto group = runJson(args("lowlat8", "llama-3.1-405b"), dir, "tp8", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  const auto wide = runJson(args("lowlat64", "llama-3.1-405b"), dir, "tp64", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  const double tGrid = num(grid.at("results").at("tpot_mean_ns")), tGroup = num(group.at("results").at("tpot_mean_ns")),
               tWide = num(wide.at("results").at("tpot_mean_ns"));
  EXPECT_NEAR(tGrid / tGroup, 1.0, 0.05);
  EXPECT_LT(tWide, 0.5 * tGrid);
  const auto& s = grid.at("results").at("system").as_object();
  EXPECT_TRUE(s.at("chips_agree").as_bool());
  EXPECT_EQ(num(s.at("tensor_parallel")), 8.0);
  EXPECT_EQ(num(s.at("pipeline_parallel")), 8.0);
  // Every stage's group all-reduces twice per layer of its own: 2 x 126 per step.
  EXPECT_EQ(num(s.at("collectives")), 2.0 * 126 * 2);
}

} // namespace
} // namespace llmvp::test
