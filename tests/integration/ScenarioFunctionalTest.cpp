// SPDX-License-Identifier: Apache-2.0
// Serving with continuous batching (issue 4 scenarios) on real data: every
// request of a mixed scenario (different prompt and generation lengths,
// arriving over time, more requests than slots) generates exactly the
// tokens the C++ reference produces for that request run alone.
#include <gtest/gtest.h>

#include "testbench/Simulation.h"
#include "tests/golden/Reference.h"
#include "tests/support/Cli.h"
#include "workload/Scenario.h"
#include "workload/Weights.h"

namespace llmvp::test {
namespace {

struct Case {
  std::string model = config("models/tiny-llama.yaml");
  std::uint32_t prefillChunk = 4; ///< the scenario file's value
  std::uint32_t kvBlockTokens = 0;
  std::uint64_t seed = 3;
};

void checkEachRequestAlone(const Case& c) {
  const testbench::Scenario sc = testbench::loadScenario(config("scenarios/tiny-mixed.yaml"), c.seed);
  testbench::SimulationInputs in;
  in.platformFile = config("platforms/baseline.yaml");
  in.modelFile = c.model;
  in.options.functional = true;
  in.options.seed = c.seed;
  in.options.serve = sc.requests;
  in.options.scenarioName = sc.name;
  in.options.batch = sc.maxBatch;
  in.options.prefillChunk = c.prefillChunk;
  in.options.kvBlockTokens = c.kvBlockTokens;
  const testbench::SimulationOutput out = testbench::simulate(in);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  ASSERT_EQ(out.result.generated.size(), sc.requests.size());
  ASSERT_EQ(out.result.prompts.size(), sc.requests.size());

  const testbench::Weights weights = testbench::makeRandomWeights(out.model, c.seed);
  std::vector<std::uint32_t> all;
  for (std::size_t i = 0; i < sc.requests.size(); ++i) {
    const auto& q = sc.requests[i];
    ASSERT_EQ(out.result.prompts[i].size(), q.prompt);
    golden::ReferenceTransformer ref(out.model, weights, 1, q.prompt + q.gen);
    const auto expected = ref.generate({out.result.prompts[i]}, q.gen);
    EXPECT_EQ(out.result.generated[i], expected[0]) << "request " << i;
    all.insert(all.end(), expected[0].begin(), expected[0].end());
  }
  // Not degenerate: a model that always emits one id would hide mix-ups.
  std::sort(all.begin(), all.end());
  EXPECT_GT(std::unique(all.begin(), all.end()) - all.begin(), 2);
  // More requests than slots: some waited, and every one finished after it arrived.
  const testbench::ServeReport& s = out.report.serve;
  EXPECT_EQ(s.completed, sc.requests.size());
  for (const auto& q : s.requests) {
    EXPECT_GT(q.ttftNs, 0);
    EXPECT_GE(q.e2eNs, q.ttftNs);
  }
}

TEST(ScenarioFunctional, TinyLlamaChunkedPrefillMatchesEachRequestAlone) { checkEachRequestAlone({}); }
TEST(ScenarioFunctional, TinyLlamaPromptsThroughDecodeStepsPagedKv) {
  checkEachRequestAlone({config("models/tiny-llama.yaml"), 0, 4, 4});
}
TEST(ScenarioFunctional, TinyQwenChunkedPrefill) { checkEachRequestAlone({config("models/tiny-qwen.yaml"), 4, 0, 5}); }
TEST(ScenarioFunctional, TinyMoeChunkedPrefill) { checkEachRequestAlone({config("models/tiny-moe.yaml"), 4, 0, 6}); }
TEST(ScenarioFunctional, TinyMlaPromptsThroughDecodeSteps) {
  checkEachRequestAlone({config("models/tiny-mla.yaml"), 0, 0, 7});
}
TEST(ScenarioFunctional, TinyMlaChunkedPrefillPagedKv) {
  checkEachRequestAlone({config("models/tiny-mla.yaml"), 4, 2, 8});
}
TEST(ScenarioFunctional, TinyLlamaChunkedPrefillPagedKv) {
  checkEachRequestAlone({config("models/tiny-llama.yaml"), 4, 4, 9});
}

} // namespace
} // namespace llmvp::test
