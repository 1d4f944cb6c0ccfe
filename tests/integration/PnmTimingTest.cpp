// SPDX-License-Identifier: Apache-2.0
// Near-memory offload and 3D stacking (issue 6), through the CLI: bad input
// (engine count, power budget, shard limits, unsupported models) is a clear
// config error, and the timing runs show the directions docs/validation.md
// discusses.
#include <gtest/gtest.h>

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
  expectConfigError(run("pim", "tiny-llama", {"--set", "chip.pnm.unit_shard_mib=0.0001"}), "unit_shard_mib");
}

TEST(PnmBadInput, MoeIsNotOffloaded) { expectConfigError(run("pnm", "tiny-moe", {}), "mixture-of-experts"); }

TEST(PnmBadInput, PagedKvIsNotOffloaded) {
  expectConfigError(run("pnm", "tiny-llama", {"--kv-block-tokens", "16"}), "--kv-block-tokens");
}

} // namespace
} // namespace llmvp::test
