// SPDX-License-Identifier: Apache-2.0
// Simulator speed floor: the default Llama-3.1-8B timing-only run must
// simulate at least 200 decode tokens per wall second (issue target; the
// figure measured on the project's 2-core machine is in docs/validation.md,
// scripts/bench prints it). A generous floor, not a tight timed test.
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

constexpr double kFloorTokensPerWallSecond = 200.0;

/// Best of up to three runs' "simulated tokens per wall second" (stops as
/// soon as one reaches `floor`, so a quiet machine runs once).
double bestRate(const std::vector<std::string>& args, double floor) {
  double best = 0;
  for (int attempt = 0; attempt < 3 && best < floor; ++attempt) {
    const CliResult r = runLlmvp(args);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    std::smatch m;
    const std::regex rate(R"(([0-9.]+) simulated tokens per wall second)");
    if (!std::regex_search(r.out, m, rate)) {
      ADD_FAILURE() << "no speed line in: " << r.out;
      return 0;
    }
    best = std::max(best, std::stod(m[1].str()));
  }
  return best;
}

TEST(PerfFloor, DefaultRunSimulatesAtLeast200TokensPerWallSecond) {
  const double best = bestRate({"run", "--platform", config("platforms/baseline.yaml"), "--model",
                                config("models/llama-3.1-8b.yaml"), "--context", "512", "--gen-tokens", "64"},
                               kFloorTokensPerWallSecond);
  RecordProperty("tokens_per_wall_second", std::to_string(best));
  std::printf("default run: %.1f simulated tokens per wall second\n", best);
  EXPECT_GE(best, kFloorTokensPerWallSecond);
}

// Issue 4: DeepSeek-V3 (MLA + 256-expert MoE, fp8 weights as released) at
// batch 1 on the 1 TiB platform: at least 20 decode tokens per wall second.
TEST(PerfFloor, DeepSeekV3SimulatesAtLeast20TokensPerWallSecond) {
  constexpr double kFloor = 20.0;
  const double best = bestRate({"run", "--platform", config("platforms/baseline-1tb.yaml"), "--model",
                                config("models/deepseek-v3.yaml"), "--set", "model.dtypes.weights=fp8", "--context",
                                "512", "--gen-tokens", "64"},
                               kFloor);
  RecordProperty("tokens_per_wall_second", std::to_string(best));
  std::printf("DeepSeek-V3: %.1f simulated tokens per wall second\n", best);
  EXPECT_GE(best, kFloor);
}

// Issue 7: Llama-3.1-70B tensor-parallel on 8 chips (nvlink8), batch 1. The
// issue's target is 50 tokens per wall second (scripts/bench 70b-8chips
// prints the figure; about 52 per CPU second on the project's machine, see
// docs/multichip.md); this floor only catches a large regression on a
// loaded machine.
TEST(PerfFloor, SeventyBOnEightChipsSimulatesAtLeast10TokensPerWallSecond) {
  constexpr double kFloor = 10.0;
  const double best = bestRate({"run", "--platform", config("systems/nvlink8.yaml"), "--model",
                                config("models/llama-3.1-70b.yaml"), "--context", "512", "--gen-tokens", "64"},
                               kFloor);
  RecordProperty("tokens_per_wall_second", std::to_string(best));
  std::printf("Llama-3.1-70B on 8 chips: %.1f simulated tokens per wall second\n", best);
  EXPECT_GE(best, kFloor);
}

} // namespace
} // namespace llmvp::test
