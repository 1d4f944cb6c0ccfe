// SPDX-License-Identifier: Apache-2.0
// `--set memory.model=detailed`: a whole-model decode run on the command-level
// DRAM model. Same traffic as the fast model (both answer the engines'
// loosely-timed requests without waiting), so TPOT agrees within the fast
// model's calibration tolerance (10%, docs/validation.md "Fast model
// calibration"); the default run is the fast model, unchanged by the key.
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

std::vector<std::string> tinyArgs(const std::string& model) {
  return {"--platform",   config("platforms/baseline.yaml"),
          "--model",      config("models/tiny-llama.yaml"),
          "--gen-tokens", "4",
          "--context",    "256",
          "--set",        "memory.model=" + model};
}

struct Figures {
  double tpotNs = 0, hbmRead = 0, hbmActivations = 0;
};

Figures run(const ScratchDir& dir, const std::vector<std::string>& args, const std::string& name) {
  CliResult raw;
  const auto root = runJson(args, dir, name, &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (root.empty()) return {};
  const auto& res = root.at("results");
  return {num(res.at("tpot_mean_ns")), num(res.at("memories").at("hbm").at("bytes_read")), 0};
}

TEST(DetailedMemory, TinyModelTpotAgreesWithTheFastModelWithinCalibrationTolerance) {
  ScratchDir dir("detailed-mem");
  const Figures fast = run(dir, tinyArgs("fast"), "fast");
  const Figures detailed = run(dir, tinyArgs("detailed"), "detailed");
  ASSERT_GT(fast.tpotNs, 0);
  ASSERT_GT(detailed.tpotNs, 0);
  EXPECT_EQ(fast.hbmRead, detailed.hbmRead); // same requests on both models
  EXPECT_NEAR(detailed.tpotNs / fast.tpotNs, 1.0, 0.10)
      << "fast " << fast.tpotNs << " ns, detailed " << detailed.tpotNs << " ns";
}

TEST(DetailedMemory, DefaultIsTheFastModelAndResultsAreDeterministic) {
  ScratchDir dir("detailed-mem-default");
  auto plain = tinyArgs("fast");
  plain.resize(plain.size() - 2); // no --set
  const Figures byDefault = run(dir, plain, "default");
  const Figures fast = run(dir, tinyArgs("fast"), "fast");
  EXPECT_EQ(byDefault.tpotNs, fast.tpotNs);
  const Figures d1 = run(dir, tinyArgs("detailed"), "d1");
  const Figures d2 = run(dir, tinyArgs("detailed"), "d2");
  EXPECT_EQ(d1.tpotNs, d2.tpotNs);
  EXPECT_NE(d1.tpotNs, fast.tpotNs); // the key does switch the model
}

TEST(DetailedMemory, EveryPlatformWithHbmTakesTheKeyWithoutDeclaringIt) {
  // h100-like has no memory section and 5 stacks (not a power of two).
  ScratchDir dir("detailed-mem-h100");
  const auto args = [&](const std::string& model) {
    return std::vector<std::string>{"--platform",   config("platforms/h100-like.yaml"),
                                    "--model",      config("models/tiny-llama.yaml"),
                                    "--gen-tokens", "2",
                                    "--context",    "128",
                                    "--set",        "memory.model=" + model};
  };
  const Figures fast = run(dir, args("fast"), "fast");
  const Figures detailed = run(dir, args("detailed"), "detailed");
  ASSERT_GT(fast.tpotNs, 0);
  ASSERT_GT(detailed.tpotNs, 0);
  EXPECT_NEAR(detailed.tpotNs / fast.tpotNs, 1.0, 0.10);
}

TEST(DetailedMemory, PlatformsWithoutDramRejectTheDetailedModel) {
  const CliResult r = runLlmvp({"run", "--platform", config("platforms/stacked3d.yaml"), "--model",
                                config("models/tiny-llama.yaml"), "--set", "memory.model=detailed"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("memory.model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("chip.stacked"), std::string::npos) << r.err;
}

TEST(DetailedMemory, UnknownModelIsAConfigError) {
  auto args = tinyArgs("exact");
  args.insert(args.begin(), "run");
  const CliResult r = runLlmvp(args);
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("memory.model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("detailed"), std::string::npos) << r.err;
}

} // namespace
} // namespace llmvp::test
