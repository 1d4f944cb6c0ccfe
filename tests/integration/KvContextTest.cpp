// SPDX-License-Identifier: Apache-2.0
// Per-request context lengths within a batch (--context N1,N2,...): each
// request's attention reads exactly its own cached positions, so the KV bytes
// read follow the lengths given, and TPOT grows with context through them.
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

// configs/models/tiny-llama.yaml: 4 layers, 2 KV heads x 32, bf16 cache.
constexpr double kLayers = 4, kKvDim = 64, kKvBytes = 2;

struct Figures {
  double hbmRead = 0, tpotNs = 0;
};

Figures run(const ScratchDir& dir, const std::string& name, const std::string& contexts,
            const std::string& kvBlock = "0") {
  CliResult raw;
  const auto root =
      runJson({"--platform", config("platforms/baseline.yaml"), "--model", config("models/tiny-llama.yaml"), "--batch",
               "2", "--context", contexts, "--gen-tokens", "4", "--kv-block-tokens", kvBlock},
              dir, name, &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (root.empty()) return {};
  const auto& res = root.at("results");
  return {num(res.at("memories").at("hbm").at("bytes_read")), num(res.at("tpot_mean_ns"))};
}

TEST(KvContext, PerRequestContextLengthsSetTheKvBytesRead) {
  ScratchDir dir("ctxlist");
  const Figures mixed = run(dir, "mixed", "100,3000");
  const Figures both = run(dir, "both", "3000");
  // 4 steps x layers x (K and V) x positions x kv_dim x bytes: request 0 reads
  // 2900 fewer positions in every step.
  EXPECT_EQ(both.hbmRead - mixed.hbmRead, 4 * kLayers * 2 * 2900 * kKvDim * kKvBytes);
  EXPECT_LT(mixed.tpotNs, both.tpotNs);
}

// Paging changes where KV rows live, not how many bytes attention reads.
TEST(KvContext, PagedCacheReadsTheSameKvBytes) {
  ScratchDir dir("paged");
  const Figures contiguous = run(dir, "contiguous", "100,3000");
  const Figures paged = run(dir, "paged", "100,3000", "16");
  EXPECT_EQ(paged.hbmRead, contiguous.hbmRead);
}

// Small blocks must not throttle attention: the tile bounds the bytes of its
// gather requests in flight (chunk_kib x max_outstanding, as for a contiguous
// stream), not their number, so 16-position blocks (2 KiB each here) keep
// the KV stream at HBM bandwidth and TPOT within a few percent of the
// contiguous cache (a limit on the number of requests left four 2 KiB blocks
// in flight; Llama-3.1-8B at 4096 positions, batch 4, ran at 3.2x the TPOT).
TEST(KvContext, SmallPagedBlocksKeepTheContiguousTpot) {
  ScratchDir dir("pagedtpot");
  const Figures contiguous = run(dir, "contiguous", "3000,3000");
  const Figures paged = run(dir, "paged", "3000,3000", "16");
  EXPECT_GE(paged.tpotNs, contiguous.tpotNs);
  EXPECT_LT(paged.tpotNs, 1.05 * contiguous.tpotNs);
}

// The fit check: a contiguous cache reserves the longest context for every
// request, a paged one only the blocks each request uses.
TEST(KvContext, PagedCacheFitsWhereContiguousDoesNot) {
  // Llama-3.1-8B: 32 layers x 1024 x 2 (K, V) x 2 bytes = 128 KiB per position;
  // 192 GiB of HBM less ~16 GB of weights holds ~1.4 M positions: 8 requests
  // of 300k do not fit, one of 300k and seven of 1000 do when paged.
  const std::vector<std::string> base{"run",
                                      "--platform",
                                      config("platforms/baseline.yaml"),
                                      "--model",
                                      config("models/llama-3.1-8b.yaml"),
                                      "--batch",
                                      "8",
                                      "--gen-tokens",
                                      "2",
                                      "--context",
                                      "300000,1000,1000,1000,1000,1000,1000,1000"};
  const CliResult contiguous = runLlmvp(base);
  EXPECT_EQ(contiguous.exitCode, 2);
  EXPECT_NE(contiguous.err.find("largest batch"), std::string::npos) << contiguous.err;
  std::vector<std::string> paged = base;
  paged.push_back("--kv-block-tokens");
  paged.push_back("64");
  const CliResult ok = runLlmvp(paged);
  EXPECT_EQ(ok.exitCode, 0) << ok.err;
}

TEST(KvContext, ListMustHaveOneLengthPerRequest) {
  const CliResult r = runLlmvp({"run", "--platform", config("platforms/baseline.yaml"), "--model",
                                config("models/tiny-llama.yaml"), "--batch", "3", "--context", "10,20"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--context"), std::string::npos) << r.err;
  const CliResult bad = runLlmvp({"run", "--platform", config("platforms/baseline.yaml"), "--model",
                                  config("models/tiny-llama.yaml"), "--context", "10,x"});
  EXPECT_EQ(bad.exitCode, 2);
}

} // namespace
} // namespace llmvp::test
