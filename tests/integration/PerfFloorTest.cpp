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

TEST(PerfFloor, DefaultRunSimulatesAtLeast200TokensPerWallSecond) {
  double best = 0;
  for (int attempt = 0; attempt < 3 && best < kFloorTokensPerWallSecond; ++attempt) {
    const CliResult r = runLlmvp({"run", "--platform", config("platforms/baseline.yaml"), "--model",
                                  config("models/llama-3.1-8b.yaml"), "--context", "512", "--gen-tokens", "64"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::smatch m;
    const std::regex rate(R"(([0-9.]+) simulated tokens per wall second)");
    ASSERT_TRUE(std::regex_search(r.out, m, rate)) << r.out;
    best = std::max(best, std::stod(m[1].str()));
  }
  RecordProperty("tokens_per_wall_second", std::to_string(best));
  std::printf("default run: %.1f simulated tokens per wall second\n", best);
  EXPECT_GE(best, kFloorTokensPerWallSecond);
}

// Issue 4: DeepSeek-V3 (MLA + 256-expert MoE, fp8 weights as released) at
// batch 1 on the 1 TiB platform: at least 20 decode tokens per wall second.
TEST(PerfFloor, DeepSeekV3SimulatesAtLeast20TokensPerWallSecond) {
  constexpr double kFloor = 20.0;
  double best = 0;
  for (int attempt = 0; attempt < 3 && best < kFloor; ++attempt) {
    const CliResult r = runLlmvp({"run", "--platform", config("platforms/baseline-1tb.yaml"), "--model",
                                  config("models/deepseek-v3.yaml"), "--set", "model.dtypes.weights=fp8", "--context",
                                  "512", "--gen-tokens", "64"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::smatch m;
    const std::regex rate(R"(([0-9.]+) simulated tokens per wall second)");
    ASSERT_TRUE(std::regex_search(r.out, m, rate)) << r.out;
    best = std::max(best, std::stod(m[1].str()));
  }
  RecordProperty("tokens_per_wall_second", std::to_string(best));
  std::printf("DeepSeek-V3: %.1f simulated tokens per wall second\n", best);
  EXPECT_GE(best, kFloor);
}

} // namespace
} // namespace llmvp::test
