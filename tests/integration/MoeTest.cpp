// SPDX-License-Identifier: Apache-2.0
// Mixture-of-experts decode reads only the chosen experts' weights: at batch
// 1 exactly top_k expert matrices per GEMV_MOE, at larger batch the union of
// the experts the batch's rows chose (physics, not digits: expected bytes
// come from the routing trace and the model shape, not from a past run).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "testbench/Simulation.h"
#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

constexpr std::uint32_t kExperts = 8, kTopK = 2; // configs/models/tiny-moe.yaml

/// tiny-moe with timing-only routing taken from `records` (one per TOPK row).
std::string moeWithTrace(const ScratchDir& dir, const std::vector<std::vector<std::uint32_t>>& records) {
  std::ostringstream trace;
  trace << "# step-major, MoE layer, batch row\n";
  for (const auto& r : records) {
    for (auto e : r) trace << e << ' ';
    trace << '\n';
  }
  dir.write("routing.txt", trace.str());
  std::ifstream in(config("models/tiny-moe.yaml"));
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const std::string from = "distribution: uniform";
  yaml.replace(yaml.find(from), from.size(), "distribution: trace\n    trace: routing.txt");
  dir.write("tiny-moe-trace.yaml", yaml);
  return dir.file("tiny-moe-trace.yaml");
}

testbench::SimulationOutput run(const std::string& model, std::uint32_t batch, std::uint32_t context,
                                std::uint32_t gen) {
  testbench::SimulationInputs in;
  in.platformFile = config("platforms/baseline.yaml");
  in.modelFile = model;
  in.options.batch = batch;
  in.options.context = context;
  in.options.genTokens = gen;
  return testbench::simulate(in);
}

double opBytes(const testbench::Report& r, const std::string& engineSuffix, std::initializer_list<const char*> names) {
  double b = 0;
  for (const auto& o : r.operators)
    for (const char* n : names)
      if (o.op == n && o.engine.size() >= engineSuffix.size() &&
          o.engine.compare(o.engine.size() - engineSuffix.size(), engineSuffix.size(), engineSuffix) == 0)
        b += o.bytes;
  return b;
}

double hbmRead(const testbench::Report& r) {
  for (const auto& m : r.memories)
    if (m.name == "hbm") return m.bytesRead;
  ADD_FAILURE() << "no hbm in the report";
  return 0;
}

/// Random-looking but fixed routing records of top_k distinct experts.
std::vector<std::vector<std::uint32_t>> records(std::size_t n) {
  std::vector<std::vector<std::uint32_t>> r;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t a = static_cast<std::uint32_t>((i * 5 + 3) % kExperts);
    const std::uint32_t b = static_cast<std::uint32_t>((a + 1 + (i * 3) % (kExperts - 1)) % kExperts);
    r.push_back({a, b});
  }
  return r;
}

TEST(Moe, Batch1ReadsTopKExpertsPerMoeGemv) {
  ScratchDir dir("moe1");
  const std::uint32_t steps = 4;
  const auto recs = records(steps * 2); // 2 MoE layers
  const auto out = run(moeWithTrace(dir, recs), 1, 16, steps);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  const auto& s = out.model;
  ASSERT_EQ(s.moe.topK, kTopK);
  const double expertMatrix = static_cast<double>(s.moe.expertFfn) * s.hidden * 2; // bf16
  // 3 GEMV_MOE (gate, up, down) per MoE layer, each top_k expert matrices.
  const double expected = steps * s.moeLayers() * 3.0 * kTopK * expertMatrix;
  EXPECT_EQ(opBytes(out.report, "tile0", {"gemv_moe"}), expected);

  // The whole HBM read traffic per step is the active parameters (plus one
  // embedding row) and the KV cache read by attention; control traffic
  // (token ids) is below 0.1%.
  double kv = 0;
  for (std::uint32_t st = 0; st < steps; ++st) kv += 2.0 * s.layers * (16 + st + 1) * s.kvDim() * 2;
  const double weights = steps * (static_cast<double>(s.activeParams()) + s.hidden) * 2;
  EXPECT_NEAR(hbmRead(out.report), weights + kv, 1e-3 * (weights + kv));
}

TEST(Moe, LargerBatchReadsTheUnionOfChosenExperts) {
  ScratchDir dir("moe4");
  const std::uint32_t steps = 3, batch = 4, moeLayers = 2;
  const auto recs = records(steps * moeLayers * batch);
  const auto out = run(moeWithTrace(dir, recs), batch, 8, steps);
  ASSERT_TRUE(out.result.ok) << out.result.error;
  const auto& s = out.model;
  const double expertMatrix = static_cast<double>(s.moe.expertFfn) * s.hidden * 2;
  double expected = 0, naive = 0;
  for (std::uint32_t i = 0; i < steps * moeLayers; ++i) {
    std::set<std::uint32_t> used;
    for (std::uint32_t r = 0; r < batch; ++r)
      for (auto e : recs[i * batch + r]) used.insert(e);
    expected += 3.0 * static_cast<double>(used.size()) * expertMatrix;
    naive += 3.0 * batch * kTopK * expertMatrix;
  }
  EXPECT_EQ(opBytes(out.report, "tile0", {"gemv_moe"}), expected);
  EXPECT_LT(expected, naive); // rows sharing an expert share its weight stream
}

double cliHbmRead(const ScratchDir& dir, const std::string& name, const std::string& model,
                  const std::vector<std::string>& extra) {
  std::vector<std::string> args{"--platform", config("platforms/baseline.yaml"), "--model", model};
  args.insert(args.end(), extra.begin(), extra.end());
  CliResult raw;
  const auto root = runJson(args, dir, name, &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (root.empty()) return 0;
  return num(root.at("results").at("memories").at("hbm").at("bytes_read"));
}

// Same seed, same expert choices; another seed, other choices; a Zipf-skewed
// choice concentrates a batch on fewer experts than a uniform one.
TEST(Moe, TimingOnlyRoutingIsDeterministicPerSeedAndSkewReadsFewerExperts) {
  ScratchDir dir("moeseed");
  const std::string m = config("models/tiny-moe.yaml");
  const std::vector<std::string> run{"--batch", "3", "--context", "8", "--gen-tokens", "6"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = run;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const double a = cliHbmRead(dir, "a", m, with({"--seed", "5"}));
  const double b = cliHbmRead(dir, "b", m, with({"--seed", "5"}));
  const double c = cliHbmRead(dir, "c", m, with({"--seed", "6"}));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);

  std::ifstream in(m);
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const std::string from = "distribution: uniform";
  yaml.replace(yaml.find(from), from.size(), "distribution: zipf\n    zipf_exponent: 3.0");
  dir.write("zipf.yaml", yaml);
  const double zipf = cliHbmRead(dir, "z", dir.file("zipf.yaml"), with({"--seed", "5"}));
  EXPECT_LT(zipf, a);
}

TEST(Moe, BadRoutingTraceIsAConfigError) {
  ScratchDir dir("moebad");
  const std::string model = moeWithTrace(dir, {{1, 1}});
  EXPECT_THROW((void)run(model, 1, 4, 2), testbench::ConfigError);
}

} // namespace
} // namespace llmvp::test
