// SPDX-License-Identifier: Apache-2.0
// Prefill and TTFT (issue 4): a prompt is processed as GEMMs over its tokens,
// so its time is set by the weight stream while the chunk is short and by
// the matrix engine once it is long. On the default platform (baseline.yaml:
// 2250 TFLOP/s dense bf16, 8 TB/s HBM) a chunk of P tokens does P FLOPs per
// weight byte (2 per bf16 weight), so prefill is compute-bound above
// P ~ 2250 / 8 ~ 280 tokens per chunk (docs/architecture.md "Prefill").
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

struct Prefill {
  double ttftNs = 0, tpotNs = 0, prefillNs = 0;
};

Prefill run(const ScratchDir& dir, std::uint32_t prompt, std::uint32_t chunk = 512) {
  CliResult raw;
  const auto root =
      runJson({"--platform", config("platforms/baseline.yaml"), "--model", config("models/llama-3.1-8b.yaml"),
               "--context", std::to_string(prompt), "--gen-tokens", "3", "--prefill-chunk", std::to_string(chunk)},
              dir, "p" + std::to_string(prompt) + "c" + std::to_string(chunk), &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (root.empty()) return {};
  const auto& res = root.at("results");
  return {num(res.at("ttft_mean_ns")), num(res.at("tpot_mean_ns")), num(res.at("prefill_ns"))};
}

TEST(Prefill, ShortPromptsAreBoundByTheWeightStream) {
  ScratchDir dir("prefillshort");
  // 32 and 64 tokens both read the 16 GB of weights once: TTFT barely moves
  // (and is close to one decode step, which reads the same weights).
  const Prefill a = run(dir, 32), b = run(dir, 64);
  EXPECT_GT(b.ttftNs, a.ttftNs);
  EXPECT_LT(b.ttftNs, 1.1 * a.ttftNs);
  EXPECT_LT(a.ttftNs, 1.5 * a.tpotNs);
}

TEST(Prefill, LongPromptsAreComputeBoundAndGrowLinearly) {
  ScratchDir dir("prefilllong");
  // Chunks of 512 (above the ~280-token ridge): doubling the prompt doubles
  // the GEMM work and the time, within the attention's quadratic extra.
  const Prefill a = run(dir, 1024), b = run(dir, 2048);
  EXPECT_GT(b.ttftNs / a.ttftNs, 1.9);
  EXPECT_LT(b.ttftNs / a.ttftNs, 2.3);
  // Compute-bound: 2 x 8.0e9 parameters x 1024 tokens at 2250 TFLOP/s is a
  // lower bound the prefill cannot beat, and it stays within 40% of it.
  const double flopBoundNs = 2.0 * 8.03e9 * 1024 / 2250e12 * 1e9;
  EXPECT_GT(a.ttftNs, flopBoundNs);
  EXPECT_LT(a.ttftNs, 1.4 * flopBoundNs);
  // Short chunks re-read the weights per chunk: chunks of 64 are slower.
  const Prefill small = run(dir, 1024, 64);
  EXPECT_GT(small.ttftNs, 1.5 * a.ttftNs);
}

TEST(Prefill, ShortPromptsOfSeveralRequestsShareOnePass) {
  ScratchDir dir("prefillpacked");
  // Four 64-token prompts fit one chunk of 256: one pass (one weight stream)
  // prefills all four, so the last request's first token comes about when a
  // single request's would, not four passes later (memory-bound passes).
  auto ttft = [&](const std::string& batch) {
    CliResult raw;
    const auto root =
        runJson({"--platform", config("platforms/baseline.yaml"), "--model", config("models/llama-3.1-8b.yaml"),
                 "--batch", batch, "--context", "64", "--gen-tokens", "2", "--prefill-chunk", "256"},
                dir, "b" + batch, &raw);
    EXPECT_EQ(raw.exitCode, 0) << raw.err;
    return root.empty() ? 0.0 : num(root.at("results").at("ttft_ns").as_array().back());
  };
  const double one = ttft("1"), four = ttft("4");
  EXPECT_GT(four, one);
  EXPECT_LT(four, 1.5 * one);
}

TEST(Prefill, PagedKvAndMlaRunAndBadChunkIsRefused) {
  const std::vector<std::string> base{"run", "--platform", config("platforms/baseline.yaml"), "--model",
                                      config("models/tiny-llama.yaml")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return runLlmvp(a);
  };
  // Paged KV and MLA prefill (golden tokens: integration_functional_test).
  const CliResult paged = with({"--prefill-chunk", "8", "--kv-block-tokens", "16"});
  EXPECT_EQ(paged.exitCode, 0) << paged.err;
  EXPECT_NE(paged.out.find("TTFT"), std::string::npos) << paged.out;
  const CliResult mla = runLlmvp({"run", "--platform", config("platforms/baseline.yaml"), "--model",
                                  config("models/tiny-mla.yaml"), "--prefill-chunk", "8"});
  EXPECT_EQ(mla.exitCode, 0) << mla.err;
  const CliResult big = with({"--prefill-chunk", "100000"});
  EXPECT_EQ(big.exitCode, 2);
  EXPECT_NE(big.err.find("out of range"), std::string::npos) << big.err;
}

} // namespace
} // namespace llmvp::test
