// SPDX-License-Identifier: Apache-2.0
// The simulated time is never below the roofline estimate's lower bound
// (issue 9, docs/estimate.md): on every configs/platforms/*.yaml (listed at
// run time) the tiny model decodes and prefills, and every operator's
// simulated time per step / over the prefill, and TPOT and the prefill time, are at or above
// their bounds. Also the MoE and MLA operators, a tensor-parallel system,
// and `llmvp estimate` printing the same bounds as the run.
#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

/// Relative slack for rounding (picoseconds to nanoseconds, sums).
constexpr double kRounding = 1e-9;

/// Checks one phase's operators and total; returns the operators seen.
std::size_t checkPhase(const boost::json::object& phase, const std::string& what) {
  std::size_t positive = 0;
  for (const auto& v : phase.at("operators").as_array()) {
    const auto& o = v.as_object();
    const std::string name(o.at("name").as_string());
    const double bound = num(o.at("bound_ns")), sim = num(o.at("simulated_ns"));
    // An operator the engines fused into another (PNM's o projection split by
    // columns right after attention) has no descriptors of its own; its time
    // is in the other operator's and the phase total.
    if (!o.at("matched").as_bool()) continue;
    EXPECT_GE(sim, bound * (1 - kRounding)) << what << ": operator " << name;
    if (bound > 0) ++positive;
  }
  EXPECT_GE(num(phase.at("simulated_ns")), num(phase.at("bound_ns")) * (1 - kRounding)) << what << ": total";
  EXPECT_GT(num(phase.at("bound_ns")), 0) << what;
  return positive;
}

/// A run's JSON report; empty if the platform does not support the run
/// (prefill with HBF prefetch: exit 2, "not supported").
boost::json::object run(const std::string& platform, const std::string& model, std::vector<std::string> extra,
                        bool mayBeUnsupported = false) {
  ScratchDir dir("estimate");
  CliResult raw;
  std::vector<std::string> args{"--platform",    platform,    "--model", config("models/" + model),
                                "--timing-only", "--context", "40",      "--progress",
                                "never"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto root = runJson(args, dir, "run", &raw);
  if (mayBeUnsupported && raw.exitCode == 2 && raw.err.find("is not supported") != std::string::npos) return {};
  EXPECT_EQ(raw.exitCode, 0) << platform << ": " << raw.err;
  EXPECT_NE(raw.out.find("Roofline estimate vs simulation"), std::string::npos);
  return root;
}

TEST(Estimate, SimulatedTimeIsNeverBelowTheBoundOnAnyPlatform) {
  const std::vector<std::string> configs = platformConfigs();
  ASSERT_GE(configs.size(), 1u);
  std::size_t prefilled = 0;
  for (const std::string& p : configs) {
    SCOPED_TRACE(p);
    // decode at batch 2, then prefill in chunks of 16 (3 chunks of a 40-token prompt) and decode
    for (const auto& extra : std::vector<std::vector<std::string>>{
             {"--batch", "2", "--gen-tokens", "3"}, {"--batch", "2", "--gen-tokens", "3", "--prefill-chunk", "16"}}) {
      const bool prefill = extra.size() > 4;
      // Near-memory platforms prefill too (row-wise passes, the tile over the shards).
      const bool nearMemory = p.find("/pnm.yaml") != std::string::npos || p.find("/pim.yaml") != std::string::npos;
      const auto root = run(p, "tiny-llama.yaml", extra, prefill && !nearMemory);
      if (prefill && root.empty()) continue;
      ASSERT_TRUE(root.contains("results"));
      const auto& est = root.at("results").as_object().at("estimate").as_object();
      const auto& sim = est.at("simulated").as_object();
      EXPECT_GE(checkPhase(sim.at("decode").as_object(), p + " decode"), 5u);
      if (prefill) {
        EXPECT_GE(checkPhase(sim.at("prefill").as_object(), p + " prefill"), 5u);
        ++prefilled;
      }
    }
  }
  EXPECT_GE(prefilled * 2, configs.size()); // prefill ran on most platforms
}

TEST(Estimate, MoeMlaAndTensorParallelOperatorsStayAboveTheirBounds) {
  const std::string base = config("platforms/baseline.yaml");
  for (const char* model : {"tiny-moe.yaml", "tiny-mla.yaml"}) {
    const auto root = run(base, model, {"--batch", "3", "--gen-tokens", "3"});
    const auto& sim = root.at("results").as_object().at("estimate").as_object().at("simulated").as_object();
    checkPhase(sim.at("decode").as_object(), model);
    // every simulated descriptor belongs to an estimated operator
    for (const auto& v : sim.at("decode").as_object().at("operators").as_array())
      EXPECT_NE(std::string(v.as_object().at("cause").as_string()), "not estimated")
          << model << " " << v.as_object().at("name").as_string();
  }
  const auto root = run(config("systems/h100-nvswitch2.yaml"), "tiny-llama.yaml", {"--gen-tokens", "3"});
  const auto& sim = root.at("results").as_object().at("estimate").as_object().at("simulated").as_object();
  checkPhase(sim.at("decode").as_object(), "h100-nvswitch2");
}

TEST(Estimate, EstimateCommandPrintsTheRunsBoundsWithoutSimulating) {
  ScratchDir dir("estimate_cmd");
  const std::vector<std::string> common{"--platform",      config("platforms/h100-like.yaml"),
                                        "--model",         config("models/llama-3.1-8b.yaml"),
                                        "--gen-tokens",    "2",
                                        "--context",       "256",
                                        "--prefill-chunk", "128"};
  std::vector<std::string> est{"estimate"};
  est.insert(est.end(), common.begin(), common.end());
  est.insert(est.end(), {"--json", dir.file("e.json")});
  const CliResult r = runLlmvp(est);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("TPOT >="), std::string::npos);
  EXPECT_NE(r.out.find("prefill (to the last request's first token) >="), std::string::npos);
  EXPECT_NE(r.out.find("lm_head"), std::string::npos);
  const auto e = boost::json::parse(slurp(dir.file("e.json"))).as_object();
  CliResult raw;
  std::vector<std::string> runArgs = common;
  runArgs.insert(runArgs.end(), {"--timing-only", "--progress", "never"});
  const auto root = runJson(runArgs, dir, "run", &raw);
  ASSERT_EQ(raw.exitCode, 0) << raw.err;
  const auto& inRun = root.at("results").as_object().at("estimate").as_object();
  EXPECT_EQ(num(e.at("decode").as_object().at("bound_ns")), num(inRun.at("decode").as_object().at("bound_ns")));
  EXPECT_EQ(num(e.at("prefill").as_object().at("bound_ns")), num(inRun.at("prefill").as_object().at("bound_ns")));
  // 8B bf16 at batch 1: weights over the HBM peak dominate
  EXPECT_GT(num(e.at("decode").as_object().at("bound_ns")), 15e9 / 3353.6 * 0.99);
  // bad input is a usage error
  EXPECT_EQ(runLlmvp({"estimate", "--platform", config("platforms/h100-like.yaml")}).exitCode, 2);
  EXPECT_EQ(runLlmvp({"estimate", "--platform", config("platforms/h100-like.yaml"), "--model",
                      config("models/tiny-llama.yaml"), "--set", "chip.nonsense=1"})
                .exitCode,
            2);
}

TEST(Estimate, LayoutsTheRooflineDoesNotModelAreUsageErrors) {
  // Pipeline stages and data-parallel attention: the roofline would price a
  // tensor-parallel shard instead.
  const std::vector<std::string> base{"estimate", "--platform", config("systems/lowlat8.yaml"), "--model",
                                      config("models/tiny-moe.yaml")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return runLlmvp(a);
  };
  EXPECT_EQ(with({}).exitCode, 0);
  const CliResult pp = with({"--set", "system.parallel.tensor=4", "--set", "system.parallel.pipeline=2"});
  EXPECT_EQ(pp.exitCode, 2);
  EXPECT_NE(pp.err.find("pipeline stages (system.parallel.pipeline 2) are not modelled by the roofline"),
            std::string::npos)
      << pp.err;
  const CliResult dp = with({"--set", "system.parallel.attention=data", "--batch", "8"});
  EXPECT_EQ(dp.exitCode, 2);
  EXPECT_NE(dp.err.find("data-parallel attention (system.parallel.attention: data) is not modelled"), std::string::npos)
      << dp.err;
}

} // namespace
} // namespace llmvp::test

namespace llmvp::test {
namespace {

/// Simulated ATTN descriptors of a run, from the tile's statistics.
double attnDescriptors(const boost::json::object& root) {
  double n = 0;
  for (const auto& g : root.at("stats").as_object())
    if (g.value().as_object().contains("op.attn.count"))
      n += num(g.value().as_object().at("op.attn.count").as_object().at("value"));
  return n;
}

TEST(Estimate, BatchedDecodeAttentionIsOneDescriptorPerLayer) {
  // tiny-llama has 4 layers; 3 steps. Batch 1: one ATTN per layer and step;
  // batch 8: still one (DESC_F_ROWS over the 8 rows), contiguous and paged.
  const std::string base = config("platforms/baseline.yaml");
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--batch", "1"}, {"--batch", "8"}, {"--batch", "8", "--kv-block-tokens", "16"}}) {
    std::vector<std::string> args = extra;
    args.insert(args.end(), {"--gen-tokens", "3"});
    const auto root = run(base, "tiny-llama.yaml", args);
    ASSERT_TRUE(root.contains("stats"));
    EXPECT_EQ(attnDescriptors(root), 4.0 * 3) << extra[1];
    const auto& ops = root.at("results")
                          .as_object()
                          .at("estimate")
                          .as_object()
                          .at("simulated")
                          .as_object()
                          .at("decode")
                          .as_object()
                          .at("operators")
                          .as_array();
    for (const auto& o : ops) {
      if (o.as_object().at("name").as_string() == "attention") {
        EXPECT_EQ(num(o.as_object().at("descriptors")), 4.0) << "estimate counts the firmware's ATTNs per step";
      }
    }
  }
}

} // namespace
} // namespace llmvp::test
