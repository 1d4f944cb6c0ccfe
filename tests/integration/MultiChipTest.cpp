// SPDX-License-Identifier: Apache-2.0
// Multi-chip systems (issue 7): the functional tiny model decodes the golden
// reference's tokens on 2, 4 and 8 tensor-parallel chips over switch, ring
// and torus networks; the reliability policy substitutes late contributions
// and changes tokens; bad system configs are clear errors.
#include <gtest/gtest.h>

#include <algorithm>

#include "testbench/Simulation.h"
#include "testbench/model/Weights.h"
#include "tests/golden/Reference.h"
#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

struct Case {
  std::string system = config("systems/nvlink8.yaml");
  std::string model = config("models/tiny-llama.yaml");
  std::uint32_t chips = 2;
  std::vector<std::string> overrides;
  std::uint64_t seed = 11;
  std::uint32_t batch = 1, prompt = 5, gen = 6;
};

testbench::SimulationOutput runFunctional(const Case& c) {
  testbench::SimulationInputs in;
  in.platformFile = c.system;
  in.modelFile = c.model;
  in.overrides = {"system.chips=" + std::to_string(c.chips), "system.parallel.tensor=" + std::to_string(c.chips)};
  in.overrides.insert(in.overrides.end(), c.overrides.begin(), c.overrides.end());
  in.options.functional = true;
  in.options.batch = c.batch;
  in.options.context = c.prompt;
  in.options.genTokens = c.gen;
  in.options.seed = c.seed;
  return testbench::simulate(in);
}

std::vector<std::vector<std::uint32_t>> golden(const testbench::SimulationOutput& out, const Case& c) {
  const testbench::Weights weights = testbench::makeRandomWeights(out.model, c.seed);
  golden::ReferenceTransformer ref(out.model, weights, c.batch, c.prompt + c.gen);
  return ref.generate(out.result.prompts, c.gen, nullptr);
}

void expectGoldenTokens(const Case& c) {
  const auto out = runFunctional(c);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  EXPECT_EQ(out.report.system.chips, c.chips);
  EXPECT_TRUE(out.report.system.chipsAgree);
  // Two all-reduces per layer per step, each counted once for the system.
  EXPECT_EQ(out.report.system.collectives, 2.0 * out.model.layers * (c.prompt + c.gen - 1));
  EXPECT_GT(out.report.system.collectiveNsPerToken, 0.0);
  EXPECT_GT(out.report.system.linkBytes, 0.0);
  EXPECT_EQ(out.result.generated, golden(out, c));
}

TEST(MultiChip, TinyLlamaTwoChipsOnASwitchMatchesGolden) { expectGoldenTokens({}); }
TEST(MultiChip, TinyLlamaFourChipsBatch2MatchesGolden) {
  Case c;
  c.chips = 4;
  c.batch = 2;
  c.seed = 12;
  expectGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaEightChipsReplicatedAttentionMatchesGolden) {
  // 4 query heads on 8 chips: chips 4-7 compute heads again and contribute
  // zeros to the output projection's all-reduce; the FFN is split 8 ways.
  Case c;
  c.chips = 8;
  c.seed = 13;
  expectGoldenTokens(c);
}
// Expert parallel (tiny-moe: 8 routed experts, top-2, one shared expert,
// a dense first layer): each chip holds experts / chips of them and a
// column shard of the shared expert; the FFN block's all-reduce combines.
TEST(MultiChip, TinyMoeExpertParallelTwoChipsMatchesGolden) {
  Case c;
  c.model = config("models/tiny-moe.yaml");
  c.seed = 21;
  expectGoldenTokens(c);
}
TEST(MultiChip, TinyMoeExpertParallelFourChipsBatch3MatchesGolden) {
  Case c;
  c.model = config("models/tiny-moe.yaml");
  c.chips = 4;
  c.batch = 3;
  c.seed = 22;
  expectGoldenTokens(c);
}
TEST(MultiChip, TinyMoeExpertParallelEightChipsOneExpertEachMatchesGolden) {
  Case c;
  c.model = config("models/tiny-moe.yaml");
  c.chips = 8;
  c.seed = 23;
  expectGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaFourChipsOnARingWithRecursiveDoubling) {
  Case c;
  c.chips = 4;
  c.seed = 14;
  c.overrides = {"system.topology.kind=ring", "system.collectives.algorithm=recursive_doubling"};
  expectGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaEightChipsOnATorusInSwitchFreeAuto) {
  Case c;
  c.system = config("systems/tpu-torus8.yaml");
  c.chips = 8;
  c.seed = 15;
  expectGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaInSwitchReduction) {
  Case c;
  c.chips = 4;
  c.seed = 16;
  c.overrides = {"system.collectives.algorithm=in_switch"};
  expectGoldenTokens(c);
}

TEST(MultiChip, TinyLlamaEightChipsOnADragonfly) {
  // dragonfly64.yaml reshaped to 2 groups x 2 switches x 2 chips.
  Case c;
  c.system = config("systems/dragonfly64.yaml");
  c.chips = 8;
  c.seed = 19;
  c.overrides = {"system.topology.groups=2", "system.topology.switches_per_group=2",
                 "system.topology.chips_per_switch=2"};
  expectGoldenTokens(c);
}

TEST(MultiChip, ReliabilityPolicySubstitutesLateContributionsAndChangesTokens) {
  Case c;
  c.chips = 4;
  c.seed = 17;
  c.gen = 10;
  c.overrides = {"system.collectives.reliability.policy=zeros", "system.collectives.reliability.timeout_ns=1000",
                 "system.collectives.reliability.straggler_probability=0.3",
                 "system.collectives.reliability.straggler_ns=50000"};
  const auto out = runFunctional(c);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  EXPECT_GT(out.report.system.stragglers, 0.0);
  EXPECT_GT(out.report.system.substitutions, 0.0);
  // A chip the others stopped waiting for stays behind (there is no per-step
  // barrier), so it can be substituted more often than stragglers were injected.
  EXPECT_TRUE(out.report.system.chipsAgree);
  EXPECT_NE(out.result.generated, golden(out, c)) << "substituting zeros for partial sums should change tokens";
}

TEST(MultiChip, StragglersWithoutPolicyOnlyCostTime) {
  Case c;
  c.chips = 4;
  c.seed = 17;
  c.overrides = {"system.collectives.reliability.straggler_probability=0.3",
                 "system.collectives.reliability.straggler_ns=50000"};
  const auto out = runFunctional(c);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  EXPECT_GT(out.report.system.stragglers, 0.0);
  EXPECT_EQ(out.report.system.substitutions, 0.0);
  EXPECT_EQ(out.result.generated, golden(out, c));
}

// A retrying link (CRC errors, a 50 us replay) instead of a straggler: with
// the policy the chips stop waiting at the idle-network time + timeout and
// substitute the retried contributions; without it they wait and decode the
// golden tokens.
const std::vector<std::string> kRetryingLinks = {"system.topology.link.bit_error_rate=1e-4",
                                                 "system.topology.link.retry_ns=50000"};

TEST(MultiChip, ReliabilityPolicyTimesOutOnARetryingLink) {
  Case c;
  c.chips = 4;
  c.seed = 18;
  c.gen = 10;
  c.overrides = kRetryingLinks;
  c.overrides.insert(c.overrides.end(),
                     {"system.collectives.reliability.policy=zeros", "system.collectives.reliability.timeout_ns=1000"});
  const auto out = runFunctional(c);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  EXPECT_GT(out.report.system.retries, 0.0);
  EXPECT_EQ(out.report.system.stragglers, 0.0);
  EXPECT_GT(out.report.system.retryTimeouts, 0.0);
  EXPECT_GE(out.report.system.substitutions, out.report.system.retryTimeouts);
  EXPECT_TRUE(out.report.system.chipsAgree);
  EXPECT_NE(out.result.generated, golden(out, c)) << "zeros for retried partial sums should change tokens";
}

TEST(MultiChip, RetryingLinksWithoutPolicyOnlyCostTime) {
  Case c;
  c.chips = 4;
  c.seed = 18;
  c.gen = 10;
  c.overrides = kRetryingLinks;
  const auto out = runFunctional(c);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  EXPECT_GT(out.report.system.retries, 0.0);
  EXPECT_EQ(out.report.system.substitutions, 0.0);
  EXPECT_EQ(out.report.system.retryTimeouts, 0.0);
  EXPECT_EQ(out.result.generated, golden(out, c));
}

// ---- bad system configs (subprocess: exit code and message) ----

void expectConfigError(const std::vector<std::string>& extra, const std::string& needle,
                       const std::string& model = config("models/tiny-llama.yaml")) {
  std::vector<std::string> args{
      "run", "--platform", config("systems/nvlink8.yaml"), "--model", model, "--gen-tokens", "1", "--context", "4"};
  args.insert(args.end(), extra.begin(), extra.end());
  const CliResult r = runLlmvp(args);
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(MultiChipConfig, TensorParallelMustMatchChips) {
  expectConfigError({"--set", "system.parallel.tensor=4"}, "system.parallel.tensor: 4 must equal system.chips");
}
TEST(MultiChipConfig, TorusDimsMustMatchChips) {
  const CliResult r = runLlmvp({"validate", config("systems/tpu-torus64.yaml")});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  expectConfigError({"--set", "system.topology.kind=torus"}, "system.topology.dims: missing");
}
TEST(MultiChipConfig, ShardingMustDivideTheFfn) {
  expectConfigError({"--set", "system.chips=5", "--set", "system.parallel.tensor=5"},
                    "does not divide the model's ffn");
}
TEST(MultiChipConfig, ExpertParallelMustDivideTheExperts) {
  expectConfigError({"--set", "system.chips=16", "--set", "system.parallel.tensor=16"},
                    "system.parallel.tensor: 16 chips do not divide the model's 8 routed experts (model.moe.experts)",
                    config("models/tiny-moe.yaml"));
}
TEST(MultiChipConfig, DragonflyShapeMustMatchChips) {
  const CliResult r = runLlmvp({"validate", config("systems/dragonfly64.yaml")});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  const CliResult bad =
      runLlmvp({"run", "--platform", config("systems/dragonfly64.yaml"), "--model", config("models/tiny-llama.yaml"),
                "--gen-tokens", "1", "--context", "4", "--set", "system.topology.groups=3"});
  EXPECT_EQ(bad.exitCode, 2) << bad.err;
  EXPECT_NE(bad.err.find("system.topology.groups: groups x switches_per_group x chips_per_switch = 48 does not "
                         "match system.chips (64)"),
            std::string::npos)
      << bad.err;
}
TEST(MultiChipConfig, DisconnectedTopologyIsAnError) {
  ScratchDir dir("mc-disconnected");
  std::string text = slurp(config("systems/nvlink8.yaml"));
  text.replace(text.find("platform: ../platforms/baseline.yaml"), 36, "platform: " + config("platforms/baseline.yaml"));
  text.replace(text.find("kind: switch"), 12, "kind: custom\n    links: [0, 1, 1, 2, 2, 3, 4, 5, 5, 6, 6, 7]");
  dir.write("sys.yaml", text);
  const CliResult r = runLlmvp({"validate", dir.file("sys.yaml")});
  EXPECT_EQ(r.exitCode, 2) << r.err;
  EXPECT_NE(r.err.find("disconnected: no route from chip 0 to chip 4"), std::string::npos) << r.err;
}

} // namespace
} // namespace llmvp::test
