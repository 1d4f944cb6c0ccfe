// SPDX-License-Identifier: Apache-2.0
// Reproduces ../shared/reference/dram-reference-sim.md: the HBM2 memory with
// both address mappings, the four traces of 64-byte requests (as written by
// scripts/dram-reference-traces.py), the same controller policy (open page,
// FR-FCFS, bank-wise buffer of 8; the initiator keeps at most 32 requests in
// flight, as the reference's own rand figures imply by Little's law: 16.85 GB/s
// x 130 ns / 64 B = 34). Bandwidth within 5% of the
// reference; where the difference is larger the test names it and
// docs/validation.md explains it.
#include <gtest/gtest.h>

#include "analysis/MemTrace.h"
#include "tests/models/memory/dram/DramTestSupport.h"

namespace llmvp::test {
namespace {
using testbench::TraceRequest;

struct RefRun {
  const char* mapping;
  const char* pattern;
  double refGBps;
  double refLatencyNs;
  std::uint64_t refActivates;
  /// 5%; il seq 10%: the reference applies tCCDR (read to read of another
  /// stack ID) across both pseudo-channels, which its release 5.4.0 fixed
  /// and we do not model (docs/validation.md, "Reproducing the reference simulator").
  double tolerance;
};

// dram-reference-sim.md, "Results".
const RefRun kRuns[] = {
    {"brc", "seq", 7.73, 60.4, 67512, 0.05},  {"brc", "rand", 16.85, 130.0, 1055139, 0.05},
    {"brc", "mix", 2.63, 141.4, 72089, 0.05}, {"brc", "stride", 1.43, 242.5, 263300, 0.05},
    {"il", "seq", 27.86, 196.7, 52257, 0.10}, {"il", "rand", 16.82, 129.7, 1055060, 0.05},
    {"il", "mix", 29.83, 144.0, 50804, 0.05}, {"il", "stride", 9.45, 73.2, 8758, 0.05},
};

/// Speed floor (issue 3 asks 1 million 64-byte requests per wall second on
/// seq and rand; scripts/bench dram prints the figures, docs/validation.md
/// records them): generous, so that a loaded CI machine passes, but above the
/// reference simulator's best on this kind of machine (200k,
/// dram-reference-sim.md).
constexpr double kFloorRequestsPerWallSecond = 300e3;

std::vector<TraceRequest> trace(const std::string& pattern) {
  std::vector<TraceRequest> v;
  std::mt19937_64 rng(1);
  const std::size_t n = pattern == "stride" ? 262144 : 1048576;
  for (std::size_t i = 0; i < n; ++i) {
    TraceRequest r;
    r.bytes = 64;
    if (pattern == "seq") r.addr = i * 64;
    if (pattern == "rand") r.addr = (rng() % (1ull << 25)) * 64; // uniform over 2 GiB
    if (pattern == "mix") {
      r.addr = i * 64;
      r.write = i % 2 == 1;
    }
    if (pattern == "stride") r.addr = i * 1024;
    v.push_back(r);
  }
  return v;
}

class Reference : public testing::TestWithParam<RefRun> {};

TEST_P(Reference, BandwidthMatchesTheReferenceSimulator) {
  const RefRun& run = GetParam();
  const std::string mapping =
      std::string(run.mapping) == "brc" ? "By3 Co7 Ro15 Ba Bg Pc Xx1" : "By3 Co3 Pc Bg Ba Co Xx1 Ro";
  const DramParams p = loadPreset("hbm2", 1, {"controller.address_mapping=" + mapping});
  testbench::PlayOptions o;
  o.window = 32;
  o.fullRate = true;
  testbench::DetailedReplay replay("hbm2", p, trace(run.pattern), o);
  sc_core::sc_start();
  const auto r = replay.result();
  const double acts = static_cast<double>(r.commands[static_cast<std::size_t>(models::dram::Command::ACT)]);
  std::printf("%-4s %-6s  GB/s %6.2f (reference %6.2f, %+5.1f%%)  read latency avg %6.1f ns (reference %6.1f)  "
              "ACT %8.0f (reference %7llu)  %.0f requests per wall second\n",
              run.mapping, run.pattern, r.gbps(), run.refGBps, 100 * (r.gbps() / run.refGBps - 1),
              r.meanReadLatencyNs(), run.refLatencyNs, acts, static_cast<unsigned long long>(run.refActivates),
              static_cast<double>(r.reads + r.writes) / r.wallSeconds);
  EXPECT_NEAR(r.gbps() / run.refGBps, 1.0, run.tolerance);
  EXPECT_NEAR(acts / static_cast<double>(run.refActivates), 1.0, 0.05);
  EXPECT_GE(static_cast<double>(r.reads + r.writes) / r.wallSeconds, kFloorRequestsPerWallSecond);
}

void PrintTo(const RefRun& r, std::ostream* os) { *os << r.mapping << "_" << r.pattern; }

INSTANTIATE_TEST_SUITE_P(Hbm2, Reference, testing::ValuesIn(kRuns),
                         [](const auto& i) { return std::string(i.param.mapping) + "_" + i.param.pattern; });

} // namespace
} // namespace llmvp::test
