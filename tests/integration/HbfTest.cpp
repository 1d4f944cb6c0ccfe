// SPDX-License-Identifier: Apache-2.0
// High Bandwidth Flash on the platform (issue 5): placement, the refusal to
// put the KV cache in flash unless asked, wear reporting, weight prefetch,
// the shared KV prefix and geometry errors. Directions, not digits.
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

const std::string kModel = "models/llama-3.1-8b.yaml";

boost::json::object run(const ScratchDir& dir, const std::string& name, std::vector<std::string> extra,
                        const std::string& platform = "platforms/hbf-hybrid.yaml") {
  std::vector<std::string> args{"--platform", config(platform), "--model", config(kModel), "--context",
                                "128",        "--gen-tokens",   "3"};
  args.insert(args.end(), extra.begin(), extra.end());
  CliResult raw;
  const auto root = runJson(args, dir, name, &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (root.empty()) return {};
  return root.at("results").as_object();
}

double tpot(const boost::json::object& res) { return res.empty() ? 0 : num(res.at("tpot_mean_ns")); }
const boost::json::object& hbf(const boost::json::object& res) { return res.at("hbf").as_object(); }

TEST(Hbf, WeightsGoToHbfAndPrefetchHidesFlashLatency) {
  ScratchDir dir("hbf_prefetch");
  const auto sram = run(dir, "sram", {});
  const auto none = run(dir, "none", {"--set", "chip.hbf.prefetch.mode=none"});
  const auto plain = run(dir, "plain", {"--set", "chip.hbf.prefetch.read_ahead=false"});
  const auto small = run(dir, "small", {"--set", "chip.hbf.prefetch.buffer_factor=0.25"});
  const auto hbm = run(dir, "hbm", {"--set", "chip.hbf.prefetch.mode=hbm"});
  const auto one = run(dir, "one", {"--set", "chip.hbf.prefetch.mode=hbm", "--set", "chip.hbf.prefetch.depth=1"});
  for (const auto* r : {&sram, &none, &plain, &small, &hbm, &one}) ASSERT_FALSE(r->empty());
  // All weights in HBF: each step reads all of them but the embedding table
  // (one row per request; 1 GB of Llama-3.1-8B's 16 GB).
  EXPECT_GT(num(hbf(sram).at("weight_bytes")), 15e9);
  EXPECT_GE(num(sram.at("memories").at("hbf").at("bytes_read")), 3 * num(hbf(sram).at("weight_bytes")) * 0.9);
  // The buffer is derived: at least factor x peak bandwidth x chunk latency,
  // less than one chunk more.
  const auto& b = hbf(sram);
  EXPECT_EQ(b.at("prefetch_mode").as_string(), "sram");
  const double need = num(b.at("buffer_factor")) * num(b.at("peak_read_gbps")) * num(b.at("buffer_latency_ns"));
  EXPECT_GE(num(b.at("buffer_bytes")), need);
  EXPECT_LT(num(b.at("buffer_bytes")), need + 4 * 1048576.0);
  EXPECT_GT(num(b.at("buffer_latency_ns")), 20000.0); // at least tR (hbf-gen1.yaml)
  // Without prefetch the tile's 4 outstanding reads see the full page
  // latency; a buffer of bandwidth x latency hides it.
  EXPECT_LT(tpot(sram), 0.5 * tpot(none));
  EXPECT_LT(num(hbf(sram).at("flash_stall_ns_per_step")), 0.5 * num(hbf(none).at("flash_stall_ns_per_step")));
  // Reading ahead across descriptors saves the latency at each descriptor.
  EXPECT_LT(tpot(sram), tpot(plain));
  EXPECT_GT(num(b.at("readahead_hit_bytes_per_step")), 0);
  EXPECT_EQ(num(hbf(plain).at("readahead_hit_bytes_per_step")), 0);
  // A buffer of a quarter of bandwidth x latency cannot keep HBF busy.
  EXPECT_GT(tpot(small), 1.5 * tpot(sram));
  // Staging in HBM writes every weight to HBM and reads it back: HBM traffic
  // doubles and the SRAM buffer is faster.
  EXPECT_GT(num(hbm.at("memories").at("hbm").at("bytes_written")), num(hbf(hbm).at("weight_bytes")) * 2);
  EXPECT_LT(num(sram.at("memories").at("hbm").at("bytes_written")), 1e9);
  EXPECT_LT(tpot(sram), tpot(hbm));
  EXPECT_LT(tpot(hbm), tpot(none));
  // Depth 1 cannot overlap a layer's copy with its compute: slower than depth 2.
  EXPECT_GT(tpot(one), tpot(hbm));
}

TEST(Hbf, LongerPageReadTimeRaisesTpot) {
  ScratchDir dir("hbf_tr");
  const auto fast = run(dir, "fast", {});
  const auto slow = run(dir, "slow", {"--set", "chip.hbf.flashspec=../memory/hbf-gen1-slow-tr.yaml"});
  EXPECT_GT(tpot(slow), 1.3 * tpot(fast));
  // The buffer grows with the latency it must cover.
  EXPECT_GT(num(hbf(slow).at("buffer_latency_ns")), num(hbf(fast).at("buffer_latency_ns")));
}

TEST(Hbf, PrefillStreamsWeightsFromHbf) {
  // Prefill reads the weights once per chunk of prompt tokens, through the
  // same tile buffer; HBM staging is refused with it.
  ScratchDir dir("hbf_prefill");
  const auto pre = run(dir, "pre", {"--prefill-chunk", "64"});
  ASSERT_FALSE(pre.empty());
  EXPECT_GT(num(pre.at("memories").at("hbf").at("bytes_read")), 2 * num(hbf(pre).at("weight_bytes")));
  const CliResult r = runLlmvp({"run", "--platform", config("platforms/hbf-hybrid.yaml"), "--model", config(kModel),
                                "--prefill-chunk", "64", "--set", "chip.hbf.prefetch.mode=hbm"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("chip.hbf.prefetch.mode"), std::string::npos) << r.err;
}

TEST(Hbf, KvCacheInHbfIsRefusedUnlessAskedThenWearIsReported) {
  // 405B at batch 4 x 128K positions: the KV cache does not fit in the HBM.
  const CliResult r =
      runLlmvp({"run", "--platform", config("platforms/hbf-hybrid.yaml"), "--model",
                config("models/llama-3.1-405b.yaml"), "--batch", "4", "--context", "131072", "--gen-tokens", "1"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("chip.hbf.placement.kv_cache=hbf"), std::string::npos) << r.err;
  ScratchDir dir("hbf_kv");
  const auto hybrid = run(dir, "hybrid", {});
  const auto only = run(dir, "only", {}, "platforms/hbf-only.yaml");
  ASSERT_FALSE(only.empty());
  const auto& h = hbf(only);
  EXPECT_TRUE(h.at("kv_in_hbf").as_bool());
  // Every step writes K and V rows of every layer: programs and P/E cycles.
  EXPECT_GT(num(h.at("pages_programmed_per_token")), 0);
  EXPECT_GT(num(h.at("pe_cycles_per_token")), 0);
  EXPECT_GT(num(h.at("lifetime_years")), 0);
  EXPECT_EQ(num(hbf(hybrid).at("pages_programmed_per_token")), 0);
  EXPECT_EQ(num(hbf(hybrid).at("lifetime_years")), 0);
}

TEST(Hbf, SharedKvPrefixIsReadFromHbfDuringAttention) {
  ScratchDir dir("hbf_prefix");
  const auto base = run(dir, "base", {});
  const auto prefix = run(dir, "prefix", {"--set", "chip.hbf.placement.kv_prefix_tokens=8192"});
  ASSERT_FALSE(prefix.empty());
  // 32 layers x K and V x 8192 positions x 8 KV heads x 128 x 2 bytes.
  const double expected = 32.0 * 2 * 8192 * 8 * 128 * 2;
  EXPECT_EQ(num(hbf(prefix).at("kv_prefix_bytes")), expected);
  EXPECT_EQ(num(hbf(prefix).at("kv_prefix_bytes_per_step")), expected);
  EXPECT_GE(num(prefix.at("memories").at("hbf").at("bytes_read")) - num(base.at("memories").at("hbf").at("bytes_read")),
            3 * expected);
  EXPECT_GT(tpot(prefix), tpot(base));
  // Functional runs cannot use a prefix whose values were never computed.
  const CliResult f =
      runLlmvp({"run", "--platform", config("platforms/hbf-hybrid.yaml"), "--model", config("models/tiny-llama.yaml"),
                "--functional", "--set", "chip.hbf.placement.kv_prefix_tokens=16"});
  EXPECT_EQ(f.exitCode, 2);
  EXPECT_NE(f.err.find("kv_prefix_tokens"), std::string::npos) << f.err;
}

TEST(Hbf, SharedContextGainGrowsWithPrefixLength) {
  // The experiment of configs/experiments/hbf-shared-prefix.yaml, scaled to
  // Llama-3.1-8B on an HBM cut to 8 x 3 GiB (25.77 GB) so that capacity binds
  // in a short run: 16.06 GB of weights, 131 own positions per request (17.2
  // MB of KV at 128 KiB per position), a shared prefix of 8192 positions
  // (1.07 GB) or 69632 (9.13 GB). HBM-only keeps weights and prefix in HBM:
  // batch 64 (1.1 GB) fits with the short prefix, not with the long one
  // (0.58 GB left), batch 8 does. HBF keeps both in flash: batch 64 fits.
  ScratchDir dir("hbf_shared_prefix");
  auto point = [](bool hbm, std::uint32_t prefix, std::uint32_t batch) {
    std::vector<std::string> args{"--batch", std::to_string(batch),
                                  "--set",   "chip.hbm.capacity_gib_per_stack=3",
                                  "--set",   "chip.hbf.placement.kv_prefix_tokens=" + std::to_string(prefix)};
    if (hbm)
      for (const char* s :
           {"chip.hbf.placement.weights=hbm", "chip.hbf.placement.kv_prefix=hbm", "chip.hbf.prefetch.mode=none"}) {
        args.push_back("--set");
        args.push_back(s);
      }
    return args;
  };
  auto tps = [&](const std::string& name, bool hbm, std::uint32_t prefix, std::uint32_t batch) {
    const auto r = run(dir, name, point(hbm, prefix, batch));
    return r.empty() ? 0.0 : num(r.at("tokens_per_s"));
  };
  std::vector<std::string> tooBig{"run",     "--platform",   config("platforms/hbf-hybrid.yaml"),
                                  "--model", config(kModel), "--context",
                                  "128",     "--gen-tokens", "3"};
  const auto extra = point(true, 69632, 64);
  tooBig.insert(tooBig.end(), extra.begin(), extra.end());
  const CliResult r = runLlmvp(tooBig);
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("shared KV prefix"), std::string::npos) << r.err;
  const double gainShort = tps("hbf_s", false, 8192, 64) / tps("hbm_s", true, 8192, 64);
  const double gainLong = tps("hbf_l", false, 69632, 64) / tps("hbm_l", true, 69632, 8);
  EXPECT_GT(gainLong, 1.0);
  EXPECT_GT(gainLong, 1.5 * gainShort);
}

TEST(Hbf, FunctionalDecodeIsUnchangedByHbfAndPrefetch) {
  // The same tokens whether weights come from HBM or are staged from HBF.
  auto tokens = [](std::vector<std::string> extra) {
    std::vector<std::string> args{"run",
                                  "--platform",
                                  config("platforms/hbf-hybrid.yaml"),
                                  "--model",
                                  config("models/tiny-llama.yaml"),
                                  "--functional",
                                  "--context",
                                  "6",
                                  "--gen-tokens",
                                  "4"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = runLlmvp(args);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    const auto at = r.out.find("Generated tokens");
    return at == std::string::npos ? std::string() : r.out.substr(at, r.out.find("\n\n", at) - at);
  };
  const std::string hbm = tokens({"--set", "chip.hbf.placement.weights=hbm", "--set", "chip.hbf.prefetch.mode=none"});
  EXPECT_FALSE(hbm.empty());
  EXPECT_EQ(tokens({}), hbm); // through the read-ahead buffer
  EXPECT_EQ(tokens({"--set", "chip.hbf.prefetch.mode=hbm"}), hbm);
  EXPECT_EQ(tokens({"--set", "chip.hbf.prefetch.mode=none"}), hbm);
  EXPECT_EQ(tokens({"--prefill-chunk", "4"}),
            tokens({"--prefill-chunk", "4", "--set", "chip.hbf.placement.weights=hbm"}));
}

TEST(Hbf, InconsistentGeometryIsAConfigErrorNamingTheKeys) {
  struct Case {
    std::string set, key;
  };
  const std::vector<Case> cases{
      {"chip.hbf.flashspec.organisation.page_kib=24", "organisation.block_kib"},
      {"chip.hbf.flashspec.organisation.planes_per_die=0", "organisation.planes_per_die"},
      {"chip.hbf.flashspec.organisation.capacity_gib=500", "organisation.capacity_gib"},
      {"chip.hbf.flashspec.organisation.dies=12", "organisation.dies"},
      {"chip.hbf.stacks=5", "chip.hbf.stacks"},
      {"chip.hbf.prefetch.depth=200", "chip.hbf.prefetch.depth"},
      {"chip.hbf.prefetch.mode=dram", "chip.hbf.prefetch.mode"},
      {"chip.hbf.prefetch.buffer_factor=0", "chip.hbf.prefetch.buffer_factor"},
  };
  for (const auto& c : cases) {
    const CliResult r = runLlmvp({"run", "--platform", config("platforms/hbf-hybrid.yaml"), "--model", config(kModel),
                                  "--gen-tokens", "1", "--set", c.set});
    EXPECT_EQ(r.exitCode, 2) << c.set;
    EXPECT_NE(r.err.find(c.key), std::string::npos) << c.set << ": " << r.err;
  }
}

} // namespace
} // namespace llmvp::test
