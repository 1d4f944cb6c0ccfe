// SPDX-License-Identifier: Apache-2.0
// Group-quantised weights move fewer bytes: int4 a quarter of bf16's bytes
// plus one bf16 scale per group, int8 half plus scales. The expectation is
// computed from the model shape (every projection of every layer, each
// decode step), and compared with the difference in HBM bytes read between a
// bf16 and a quantised run of the same workload (all other traffic, the
// embedding row, norms, LM head, KV cache and token ids, is identical).
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

// configs/models/tiny-llama.yaml
constexpr double kLayers = 4, kHidden = 128, kQDim = 128, kKvDim = 64, kFfn = 384;
constexpr double kProjectionElements = kHidden * kQDim + 2 * kHidden * kKvDim + kQDim * kHidden + 3 * kHidden * kFfn;

double hbmRead(const ScratchDir& dir, const std::string& name, const std::string& model) {
  CliResult raw;
  const auto root = runJson({"--platform", config("platforms/baseline.yaml"), "--model", model, "--batch", "2",
                             "--context", "16", "--gen-tokens", "5"},
                            dir, name, &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (root.empty()) return 0;
  return num(root.at("results").at("memories").at("hbm").at("bytes_read"));
}

std::string quantized(const ScratchDir& dir, const std::string& type, int group) {
  dir.write(type + ".yaml", slurp(config("models/tiny-llama.yaml")) + "quantization:\n  weights: " + type +
                                "\n  group_size: " + std::to_string(group) + "\n");
  return dir.file(type + ".yaml");
}

TEST(Quant, Int4MovesAQuarterOfBf16BytesPlusScales) {
  ScratchDir dir("quant4");
  const double steps = 5, group = 32;
  const double bf16 = hbmRead(dir, "bf16", config("models/tiny-llama.yaml"));
  const double int4 = hbmRead(dir, "int4", quantized(dir, "int4", 32));
  const double perStepBf16 = kLayers * kProjectionElements * 2;
  const double perStepInt4 = kLayers * (kProjectionElements / 2 + kProjectionElements / group * 2);
  EXPECT_EQ(bf16 - int4, steps * (perStepBf16 - perStepInt4));
  EXPECT_DOUBLE_EQ(perStepInt4 - kLayers * kProjectionElements / group * 2, perStepBf16 / 4);
}

TEST(Quant, Int8MovesHalfOfBf16BytesPlusScales) {
  ScratchDir dir("quant8");
  const double steps = 5, group = 64;
  const double bf16 = hbmRead(dir, "bf16", config("models/tiny-llama.yaml"));
  const double int8 = hbmRead(dir, "int8", quantized(dir, "int8", 64));
  const double perStepBf16 = kLayers * kProjectionElements * 2;
  const double perStepInt8 = kLayers * (kProjectionElements + kProjectionElements / group * 2);
  EXPECT_EQ(bf16 - int8, steps * (perStepBf16 - perStepInt8));
}

TEST(Quant, GroupMustDivideTheDimensions) {
  ScratchDir dir("quantbad");
  const CliResult r =
      runLlmvp({"run", "--platform", config("platforms/baseline.yaml"), "--model", quantized(dir, "int4", 48)});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("quantization.group_size"), std::string::npos) << r.err;
}

} // namespace
} // namespace llmvp::test
