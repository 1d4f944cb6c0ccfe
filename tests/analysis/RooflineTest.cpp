// SPDX-License-Identifier: Apache-2.0
// Roofline sanity of every platform config (issue 9): on each
// configs/platforms/*.yaml (the directory is listed at run time, so configs
// added later are covered) the tiny model, and Llama-3.1-8B with fp8 weights
// (8 GB: memory-bound at batch 1 and close to the memory peak, with a
// compute share at batch 16), never report more bandwidth than a memory's
// peak, in the whole decode window or in any interval between firmware step
// marks, nor more FLOP/s than the compute peak.
#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

/// Relative slack for floating-point rounding of rates computed from integer picoseconds.
constexpr double kRounding = 1e-9;

void checkRun(const std::string& platform, const std::string& model, const std::string& batch,
              const std::vector<std::string>& extra = {}) {
  ScratchDir dir("roofline");
  CliResult raw;
  std::vector<std::string> args{"--platform",
                                platform,
                                "--model",
                                config("models/" + model),
                                "--timing-only",
                                "--batch",
                                batch,
                                "--context",
                                "64",
                                "--gen-tokens",
                                "2",
                                "--progress",
                                "never"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto root = runJson(args, dir, "run", &raw);
  ASSERT_EQ(raw.exitCode, 0) << platform << ": " << raw.err;
  const auto& res = root.at("results").as_object();
  const auto& mems = res.at("memories").as_object();
  ASSERT_FALSE(mems.empty());
  for (const auto& m : mems) {
    const auto& o = m.value().as_object();
    const double peak = num(o.at("peak_gbps")), achieved = num(o.at("achieved_gbps"));
    ASSERT_GT(peak, 0) << platform << " " << m.key();
    EXPECT_LE(achieved, peak * (1 + kRounding))
        << platform << " " << model << " batch " << batch << ": memory " << m.key();
  }
  // Per interval between step marks.
  const auto& bw = res.at("bandwidth").as_object();
  for (const auto& series : bw.at("gbps").as_object()) {
    if (mems.find(series.key()) == mems.end()) continue;
    const double peak = num(mems.at(series.key()).as_object().at("peak_gbps"));
    for (const auto& v : series.value().as_array())
      EXPECT_LE(num(v), peak * (1 + kRounding))
          << platform << " " << model << " batch " << batch << ": interval of " << series.key();
  }
  const double flops = num(res.at("achieved_flops_per_s")), peakFlops = num(res.at("peak_flops_per_s"));
  EXPECT_GT(num(res.at("flops")), 0) << platform;
  EXPECT_LE(flops, peakFlops * (1 + kRounding)) << platform << " " << model << " batch " << batch;
}

TEST(Roofline, EveryPlatformConfigStaysUnderItsPeaks) {
  const std::vector<std::string> configs = platformConfigs();
  ASSERT_GE(configs.size(), 1u);
  for (const std::string& p : configs) {
    SCOPED_TRACE(p);
    checkRun(p, "tiny-llama.yaml", "1");
    checkRun(p, "llama-3.1-8b.yaml", "1", {"--set", "model.dtypes.weights=fp8"});
    checkRun(p, "llama-3.1-8b.yaml", "16", {"--set", "model.dtypes.weights=fp8"});
  }
}

} // namespace
} // namespace llmvp::test
