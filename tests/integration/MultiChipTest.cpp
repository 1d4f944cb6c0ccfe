// SPDX-License-Identifier: Apache-2.0
// Multi-chip systems (issue 7): the functional tiny model decodes the golden
// reference's tokens on 2, 4 and 8 tensor-parallel chips over switch, ring
// and torus networks, on 2 to 8 pipeline stages, and on pipeline stages of
// tensor-parallel groups; the reliability policy substitutes late contributions
// and changes tokens; bad system configs are clear errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "testbench/Simulation.h"
#include "tests/golden/Reference.h"
#include "tests/support/Cli.h"
#include "tests/support/Logits.h"
#include "workload/Weights.h"

namespace llmvp::test {
namespace {

struct Case {
  std::string system = config("systems/nvlink8.yaml");
  std::string model = config("models/tiny-llama.yaml");
  std::uint32_t chips = 2;
  std::vector<std::string> overrides;
  std::uint64_t seed = 11;
  std::uint32_t batch = 1, prompt = 5, gen = 6;
  bool pipeline = false;      ///< the chips are pipeline stages (else tensor-parallel shards) ...
  std::uint32_t tensor = 1;   ///< ... of this many tensor-parallel chips each
  bool dataAttention = false; ///< data-parallel attention, all-to-all expert dispatch
};

testbench::SimulationOutput runFunctional(const Case& c) {
  testbench::SimulationInputs in;
  in.platformFile = c.system;
  in.modelFile = c.model;
  const std::string n = std::to_string(c.chips);
  in.overrides = {"system.chips=" + n, "system.parallel.tensor=" + (c.pipeline ? std::to_string(c.tensor) : n)};
  if (c.pipeline) in.overrides.push_back("system.parallel.pipeline=" + std::to_string(c.chips / c.tensor));
  if (c.dataAttention) in.overrides.push_back("system.parallel.attention=data");
  in.overrides.insert(in.overrides.end(), c.overrides.begin(), c.overrides.end());
  in.options.functional = true;
  in.options.batch = c.batch;
  in.options.context = c.prompt;
  in.options.genTokens = c.gen;
  in.options.seed = c.seed;
  in.options.captureLogits = true;
  return testbench::simulate(in);
}

std::vector<std::vector<std::uint32_t>> golden(const testbench::SimulationOutput& out, const Case& c,
                                               std::vector<std::vector<float>>* lastLogits = nullptr) {
  const testbench::Weights weights = testbench::makeRandomWeights(out.model, c.seed);
  golden::ReferenceTransformer ref(out.model, weights, c.batch, c.prompt + c.gen);
  // The reference sums the o and down projections per chip as the
  // tensor-parallel group does (pipeline stages do not change the numerics);
  // with data-parallel attention only the experts' combine order changes.
  if (c.dataAttention)
    ref.setExpertDispatch(c.chips);
  else
    ref.setTensorParallel(c.pipeline ? c.tensor : c.chips);
  return ref.generate(out.result.prompts, c.gen, lastLogits);
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
  std::vector<std::vector<float>> refLogits;
  EXPECT_EQ(out.result.generated, golden(out, c, &refLogits));
  // The last step's logits (chip 0's): the reference follows the group's
  // summation order, so they agree as on one chip.
  expectLogitsClose(out.result.lastLogits, refLogits);
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
// ---- data-parallel attention: chip i owns requests [iB/T, (i+1)B/T) and
// reaches the experts of the others by all-to-all dispatch and combine ----

void expectDispatchGoldenTokens(Case c) {
  c.dataAttention = true;
  const auto out = runFunctional(c);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  const auto& s = out.report.system;
  EXPECT_TRUE(s.dataAttention);
  // Two all-to-alls (dispatch, combine) per MoE layer and step, nothing else.
  const double moeLayers = out.model.layers - out.model.moe.denseLayers;
  EXPECT_EQ(s.collectives, 2.0 * moeLayers * (c.prompt + c.gen - 1));
  ASSERT_EQ(s.algorithms.size(), 1u);
  EXPECT_EQ(s.algorithms.front().first, "direct");
  EXPECT_GT(s.linkBytes, 0.0);
  ASSERT_EQ(out.result.generated.size(), c.batch);
  std::vector<std::vector<float>> refLogits;
  EXPECT_EQ(out.result.generated, golden(out, c, &refLogits));
  expectLogitsClose(out.result.lastLogits, refLogits);
}

TEST(MultiChip, TinyMoeDataParallelAttentionTwoChipsBatch2MatchesGolden) {
  Case c;
  c.model = config("models/tiny-moe.yaml");
  c.batch = 2;
  c.seed = 51;
  expectDispatchGoldenTokens(c);
}
TEST(MultiChip, TinyMoeDataParallelAttentionFourChipsBatch8MatchesGolden) {
  Case c;
  c.model = config("models/tiny-moe.yaml");
  c.chips = 4;
  c.batch = 8;
  c.seed = 52;
  expectDispatchGoldenTokens(c);
}
TEST(MultiChip, TinyMoeDataParallelAttentionEightChipsOneExpertEachMatchesGolden) {
  Case c;
  c.model = config("models/tiny-moe.yaml");
  c.chips = 8;
  c.batch = 8;
  c.seed = 53;
  expectDispatchGoldenTokens(c);
}
TEST(MultiChip, TinyMlaDataParallelAttentionTwoChipsMatchesGolden) {
  // MLA cannot be split by heads here; with data-parallel attention every
  // chip runs it whole for its own requests (DeepSeek's deployment).
  Case c;
  c.model = config("models/tiny-mla.yaml");
  c.batch = 4;
  c.seed = 54;
  expectDispatchGoldenTokens(c);
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

// ---- pipeline parallel: stage s holds a contiguous range of layers ----

/// Pipeline stages of c.tensor chips each (1: a chip per stage).
void expectPipelineGoldenTokens(Case c) {
  c.pipeline = true;
  const auto out = runFunctional(c);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  const auto& s = out.report.system;
  const double steps = c.prompt + c.gen - 1;
  EXPECT_EQ(s.pipelineParallel, c.chips / c.tensor);
  EXPECT_EQ(s.tensorParallel, c.tensor);
  EXPECT_TRUE(s.chipsAgree);
  // Each stage's group all-reduces twice per layer of its own (twice per
  // model layer in all); every chip sends once per step (x on to the next
  // stage, or the last stage's tokens back to the first).
  EXPECT_EQ(s.collectives, c.tensor > 1 ? 2.0 * out.model.layers * steps : 0.0);
  EXPECT_EQ(s.transfers, 1.0 * c.chips * steps);
  EXPECT_GT(s.transferNsPerToken, s.transferLatencyNsPerToken);
  EXPECT_GT(s.transferWaitNsPerStage, 0.0);
  EXPECT_EQ(out.result.generated, golden(out, c));
}

TEST(MultiChip, TinyLlamaPipelineTwoStagesTiedEmbeddingsMatchesGolden) {
  // Tied embeddings: the first and the last stage both hold the matrix.
  Case c;
  c.seed = 31;
  c.overrides = {"model.tie_embeddings=true"};
  expectPipelineGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaPipelineFourStagesBatch3MatchesGolden) {
  Case c;
  c.chips = 4;
  c.batch = 3;
  c.seed = 32;
  expectPipelineGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaPipelineEightStagesOfUnevenLayersMatchesGolden) {
  // 11 layers on 8 stages: stages 0-2 run two layers, 3-7 one.
  Case c;
  c.chips = 8;
  c.seed = 33;
  c.overrides = {"model.layers=11"};
  expectPipelineGoldenTokens(c);
}
TEST(MultiChip, TinyMoePipelineSplitsDenseAndMoeLayersMatchesGolden) {
  // 3 layers (the first dense) on 2 stages: a dense and an MoE layer, then an MoE layer.
  Case c;
  c.model = config("models/tiny-moe.yaml");
  c.seed = 34;
  c.batch = 2;
  expectPipelineGoldenTokens(c);
}
// ---- tensor x pipeline: stage s is chips [sT, (s+1)T), a tensor-parallel group ----

TEST(MultiChip, TinyLlamaTwoStagesOfTwoChipsBatch2MatchesGolden) {
  Case c;
  c.chips = 4;
  c.tensor = 2;
  c.batch = 2;
  c.seed = 41;
  expectPipelineGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaTwoStagesOfFourChipsMatchesGolden) {
  Case c;
  c.chips = 8;
  c.tensor = 4;
  c.seed = 42;
  expectPipelineGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaFourStagesOfTwoChipsOnATorusMatchesGolden) {
  Case c;
  c.system = config("systems/tpu-torus8.yaml");
  c.chips = 8;
  c.tensor = 2;
  c.seed = 43;
  expectPipelineGoldenTokens(c);
}
TEST(MultiChip, TinyLlamaStagesReduceInTheSwitchWithinTheirGroup) {
  Case c;
  c.chips = 4;
  c.tensor = 2;
  c.seed = 44;
  c.overrides = {"system.collectives.algorithm=in_switch"};
  expectPipelineGoldenTokens(c);
}
TEST(MultiChip, TinyMoeStagesOfExpertParallelGroupsMatchGolden) {
  // 3 layers on 2 stages of 2 chips: each stage's chips split its MoE layers' experts.
  Case c;
  c.model = config("models/tiny-moe.yaml");
  c.chips = 4;
  c.tensor = 2;
  c.batch = 2;
  c.seed = 45;
  expectPipelineGoldenTokens(c);
}

TEST(MultiChip, TinyMlaPipelineThreeStagesMatchesGolden) {
  // Latent attention is not split by heads, so it runs on pipeline stages.
  Case c;
  c.model = config("models/tiny-mla.yaml");
  c.chips = 3;
  c.seed = 35;
  c.overrides = {"system.topology.kind=ring"};
  expectPipelineGoldenTokens(c);
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
  expectConfigError({"--set", "system.parallel.tensor=4"},
                    "system.parallel.tensor: tensor 4 x pipeline 1 must equal system.chips (8)");
}
TEST(MultiChipConfig, PipelineStagesMustMatchChipsAndLayers) {
  expectConfigError({"--set", "system.parallel.tensor=1", "--set", "system.parallel.pipeline=4"},
                    "system.parallel.pipeline: tensor 1 x pipeline 4 must equal system.chips (8)");
  expectConfigError({"--set", "system.parallel.tensor=2", "--set", "system.parallel.pipeline=2"},
                    "system.parallel.pipeline: tensor 2 x pipeline 2 must equal system.chips (8)");
  expectConfigError({"--set", "system.parallel.tensor=1", "--set", "system.parallel.pipeline=8"},
                    "system.parallel.pipeline: 8 stages exceed the model's 4 layers");
  expectConfigError({"--set", "system.parallel.tensor=1", "--set", "system.parallel.pipeline=8", "--set",
                     "model.layers=8", "--prefill-chunk", "4"},
                    "--prefill-chunk: prefill with pipeline parallel stages is not supported yet");
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
TEST(MultiChipConfig, DataParallelAttentionNeedsExpertsWholeRequestsAndNoStages) {
  const std::string moe = config("models/tiny-moe.yaml");
  expectConfigError({"--set", "system.parallel.attention=data"},
                    "system.parallel.attention: data: tiny-llama is a dense model; data-parallel attention needs "
                    "routed experts to dispatch to (use tensor)");
  expectConfigError({"--set", "system.parallel.attention=data", "--batch", "12"},
                    "--batch: 12 requests do not split evenly over the 8 chips of data-parallel attention "
                    "(system.parallel.attention: data)",
                    moe);
  expectConfigError({"--set", "system.parallel.attention=data", "--set", "system.chips=16", "--set",
                     "system.parallel.tensor=16", "--batch", "16"},
                    "system.parallel.attention: data: 16 chips do not divide the model's 8 routed experts", moe);
  expectConfigError({"--set", "system.parallel.attention=data", "--set", "system.parallel.tensor=4", "--set",
                     "system.parallel.pipeline=2", "--batch", "8"},
                    "system.parallel.attention: data-parallel attention with pipeline stages is not supported yet "
                    "(pipeline 2)",
                    moe);
  expectConfigError({"--set", "system.parallel.attention=sequence"}, "system.parallel.attention", moe);
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
