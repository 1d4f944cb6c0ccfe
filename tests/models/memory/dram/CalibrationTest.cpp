// SPDX-License-Identifier: Apache-2.0
// Calibration of the fast model against the detailed one (docs/validation.md,
// "DRAM"): per preset, sequential, random, strided (one row apart) and mixed
// read/write streams of 4 KiB requests, and a decode run's HBM request stream
// (recorded with `llmvp memtrace --record`): bandwidth and mean latency of
// the fast model within 10% of the detailed model's.
#include <gtest/gtest.h>

#include <cstdio>

#include "analysis/MemTrace.h"
#include "tests/models/memory/dram/DramTestSupport.h"

namespace llmvp::test {
namespace {
using testbench::TraceRequest;

constexpr double kTolerance = 0.10;

constexpr std::uint32_t kRequestBytes = 4096;
constexpr std::size_t kRequests = 3000;

/// The largest window (requests in flight) that causes no back-pressure in
/// the detailed model's request buffers for 4 KiB requests, so that both
/// models see the same closed loop (latency = window / throughput when busy).
std::uint32_t windowOf(const std::string& preset) {
  if (preset == "hbm2" || preset == "lpddr5x-8533" || preset == "ddr5-6400") return 4;
  if (preset == "hbm4-8000") return 32;
  return 16;
}

std::vector<TraceRequest> pattern(const DramParams& p, const std::string& name) {
  std::vector<TraceRequest> v;
  std::mt19937_64 rng(3);
  const std::uint64_t cap = p.organisationBytes();
  for (std::size_t i = 0; i < kRequests; ++i) {
    TraceRequest r;
    r.bytes = kRequestBytes;
    if (name == "sequential") {
      r.addr = i * kRequestBytes;
    } else if (name == "random") {
      r.addr = (rng() % (cap / kRequestBytes)) * kRequestBytes;
    } else if (name == "strided") { // each request one row further than the previous one's end
      r.addr = (i * (kRequestBytes + p.rowBytes)) % cap;
    } else { // mixed: read, write alternately
      r.addr = i * kRequestBytes;
      r.write = i % 2 == 1;
    }
    v.push_back(r);
  }
  return v;
}

struct Row {
  std::string pattern;
  testbench::MemTraceResult fast, detailed;
};

void report(const std::string& preset, const std::vector<Row>& rows) {
  std::printf("%-14s %-11s %10s %10s %7s %10s %10s %7s\n", "preset", "pattern", "det GB/s", "fast GB/s", "err",
              "det ns", "fast ns", "err");
  for (const Row& r : rows) {
    const double bw = r.fast.gbps() / r.detailed.gbps() - 1,
                 lat = r.fast.meanLatencyNs() / r.detailed.meanLatencyNs() - 1;
    std::printf("%-14s %-11s %10.2f %10.2f %+6.1f%% %10.1f %10.1f %+6.1f%%\n", preset.c_str(), r.pattern.c_str(),
                r.detailed.gbps(), r.fast.gbps(), 100 * bw, r.detailed.meanLatencyNs(), r.fast.meanLatencyNs(),
                100 * lat);
    EXPECT_NEAR(r.fast.gbps() / r.detailed.gbps(), 1.0, kTolerance) << preset << " " << r.pattern << " bandwidth";
    EXPECT_NEAR(r.fast.meanLatencyNs() / r.detailed.meanLatencyNs(), 1.0, kTolerance)
        << preset << " " << r.pattern << " mean latency";
  }
}

void calibrate(const std::string& preset, std::uint32_t stacks,
               const std::vector<std::pair<std::string, std::vector<TraceRequest>>>& traces,
               const testbench::PlayOptions& options) {
  const DramParams p = loadPreset(preset, stacks);
  std::vector<std::unique_ptr<testbench::FastReplay>> fast;
  std::vector<std::unique_ptr<testbench::DetailedReplay>> detailed;
  for (std::size_t i = 0; i < traces.size(); ++i) {
    fast.push_back(std::make_unique<testbench::FastReplay>(("fast" + std::to_string(i)).c_str(), p));
    detailed.push_back(std::make_unique<testbench::DetailedReplay>(("detailed" + std::to_string(i)).c_str(), p,
                                                                   traces[i].second, options));
  }
  sc_core::sc_start();
  std::vector<Row> rows;
  for (std::size_t i = 0; i < traces.size(); ++i)
    rows.push_back({traces[i].first, fast[i]->run(traces[i].second, options), detailed[i]->result()});
  report(preset, rows);
}

class Calibration : public testing::TestWithParam<std::string> {};

TEST_P(Calibration, FastModelWithinTenPercentOfDetailed) {
  const std::string preset = GetParam();
  const DramParams p = loadPreset(preset, 1);
  std::vector<std::pair<std::string, std::vector<TraceRequest>>> traces;
  for (const char* name : {"sequential", "random", "strided", "mixed"}) traces.emplace_back(name, pattern(p, name));
  testbench::PlayOptions o;
  o.window = windowOf(preset);
  o.fullRate = true;
  calibrate(preset, 1, traces, o);
}

INSTANTIATE_TEST_SUITE_P(Presets, Calibration, testing::ValuesIn(presetNames()), [](const auto& i) {
  std::string s = i.param;
  for (char& ch : s)
    if (ch == '-') ch = '_';
  return s;
});

TEST(Calibration, DecodeStreamOfTheBaselinePlatform) {
  // The HBM requests of a tiny model's decode on the baseline platform, at their recorded times.
  ScratchDir dir("calibration-decode");
  const std::string trace = dir.file("decode.trace");
  const CliResult r = runLlmvp({"memtrace", "--record", trace, "--platform", config("platforms/baseline.yaml"),
                                "--model", config("models/tiny-llama.yaml"), "--context", "64", "--gen-tokens", "2"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const DramParams p = loadPreset("hbm3e-8000", 8);
  testbench::PlayOptions o;
  o.window = 64;
  calibrate("hbm3e-8000", 8, {{"decode", testbench::readTrace(trace, 0)}}, o);
}

} // namespace
} // namespace llmvp::test
