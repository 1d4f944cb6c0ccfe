// SPDX-License-Identifier: Apache-2.0
// Collectives on the shipped system configs against published figures
// (../shared/reference/devices.md, published-results.md) and against their
// alpha-beta estimates on an idle network (docs/multichip.md).
#include <gtest/gtest.h>

#include <cstdio>

#include "config/Loaders.h"
#include "models/interconnect/Collectives.h"
#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

using namespace models::interconnect;
using models::Ps;

platform::SystemParams load(const std::string& file, const std::vector<std::string>& sets = {}) {
  testbench::Overrides o;
  for (const auto& s : sets) o.add(s);
  return testbench::loadPlatform(config(file), o).system;
}

/// Time of one collective on a fresh (idle) network, all inputs ready at 0.
Ps timeOf(const platform::SystemParams& sp, CollectiveOp op, Algorithm a, std::uint64_t bytes) {
  static int serial = 0;
  Network net(("net" + std::to_string(serial++)).c_str(), sp.topology);
  const CollectiveTiming t = schedule(net, sp.collectives, op, a, std::vector<Ps>(sp.chips, 0), bytes);
  Ps worst = 0;
  for (Ps d : t.done) worst = std::max(worst, d);
  return worst + models::nsToPs(sp.collectives.launchNs);
}

/// NCCL's bus bandwidth of an all-reduce: S / t x 2 (N - 1) / N.
double busGBps(std::uint64_t bytes, Ps t, std::uint32_t n) {
  return static_cast<double>(bytes) / (static_cast<double>(t) * 1e-3) * 2.0 * (n - 1) / n;
}

// Large messages: 64 MiB, and 2 GiB, the size the published figures were
// measured at (NCCL issue 1455: all_reduce_perf -b 2G -e 4G, fp32).
constexpr std::uint64_t kLargeSizes[] = {64ull << 20, 2048ull << 20};

TEST(CollectiveValidation, RingAllReduceBusBandwidthOnNvlink8) {
  // devices.md: 8 x H100, ring, 365-370 GB/s bus bandwidth for large messages.
  const auto sp = load("systems/nvlink8.yaml");
  for (const std::uint64_t bytes : kLargeSizes) {
    const double bus = busGBps(bytes, timeOf(sp, CollectiveOp::AllReduce, Algorithm::Ring, bytes), 8);
    std::printf("ring all-reduce %llu MiB on 8 chips: bus bandwidth %.1f GB/s (published 365-370)\n",
                static_cast<unsigned long long>(bytes >> 20), bus);
    EXPECT_NEAR(bus, 367.5, 0.15 * 367.5) << (bytes >> 20) << " MiB";
  }
}

TEST(CollectiveValidation, InSwitchAllReduceBusBandwidthOnNvlink8) {
  // devices.md: 8 x H100, about 480 GB/s with NVLS (in-switch reduction).
  // Nothing in the model is set from that figure: the switch loads each
  // chip's share reduced and multicasts it (reduction_mode pull, S (1 + 1/N)
  // per direction), read requests ride on the switch-to-chip links, and
  // packets carry 128 B at 80% efficiency (configs/systems/nvlink8.yaml has
  // the sources; docs/multichip.md the arithmetic).
  const auto sp = load("systems/nvlink8.yaml");
  for (const std::uint64_t bytes : kLargeSizes) {
    const double ring = busGBps(bytes, timeOf(sp, CollectiveOp::AllReduce, Algorithm::Ring, bytes), 8);
    const double nvls = busGBps(bytes, timeOf(sp, CollectiveOp::AllReduce, Algorithm::InSwitch, bytes), 8);
    std::printf("in-switch all-reduce %llu MiB on 8 chips: bus bandwidth %.1f GB/s (published ~480)\n",
                static_cast<unsigned long long>(bytes >> 20), nvls);
    EXPECT_NEAR(nvls, 480.0, 0.15 * 480.0) << (bytes >> 20) << " MiB";
    EXPECT_GT(nvls, ring);
  }
}

TEST(CollectiveValidation, InSwitchBusBandwidthGrowsWithTheChipsAsMeasured) {
  // NCCL issue 1455 (8 x H100, NVLS, 2-4 GiB): 420, 440, 460 and 480 GB/s on
  // 5 to 8 GPUs, while the ring stays at 365-370. The pull mode's S (1 + 1/N)
  // per direction gives that shape; a fixed switch throughput would not.
  const std::uint64_t bytes = 2048ull << 20;
  const std::pair<std::uint32_t, double> measured[] = {{5, 420.0}, {6, 440.0}, {7, 460.0}, {8, 480.0}};
  double previous = 0;
  for (const auto& [n, published] : measured) {
    const auto sp = load("systems/nvlink8.yaml",
                         {"system.chips=" + std::to_string(n), "system.parallel.tensor=" + std::to_string(n)});
    const double nvls = busGBps(bytes, timeOf(sp, CollectiveOp::AllReduce, Algorithm::InSwitch, bytes), n);
    std::printf("in-switch all-reduce 2 GiB on %u chips: bus bandwidth %.1f GB/s (measured %.0f)\n", n, nvls,
                published);
    EXPECT_NEAR(nvls, published, 0.15 * published) << n << " chips";
    EXPECT_GT(nvls, previous) << n << " chips";
    previous = nvls;
  }
}

TEST(CollectiveValidation, SmallMessageLatencyOnTwoChips) {
  // devices.md: 2 x H100, 128 B - 64 KiB all-reduce about 6 us; within 2x.
  // NCCL does not use NVLS on 2 GPUs, and the measurement (NCCL issue 1259)
  // gave the same with the ring: the ring is the like-for-like comparison;
  // the automatic choice must also be within 2x.
  const auto sp = load("systems/nvlink8.yaml", {"system.chips=2", "system.parallel.tensor=2"});
  for (std::uint64_t bytes : {128ull, 4096ull, 65536ull}) {
    const Algorithm a = chooseAlgorithm(Network("probe", sp.topology), sp.collectives, CollectiveOp::AllReduce, bytes);
    for (const Algorithm alg : {Algorithm::Ring, a}) {
      const double us = static_cast<double>(timeOf(sp, CollectiveOp::AllReduce, alg, bytes)) * 1e-6;
      std::printf("2-chip all-reduce %llu B: %.2f us (%s; published ~6 us)\n", static_cast<unsigned long long>(bytes),
                  us, algorithmName(alg));
      EXPECT_GE(us, 3.0) << algorithmName(alg);
      EXPECT_LE(us, 12.0) << algorithmName(alg);
    }
  }
}

TEST(CollectiveValidation, InNetworkReductionIsAboutThreeTimesFasterThanTheRingForSmallMessages) {
  // published-results.md: NVSwitch multicast all-reduce up to 3x faster than
  // the ring (2 steps instead of 2N - 2) for decode-sized messages.
  const auto sp = load("systems/nvlink8.yaml");
  const std::uint64_t bytes = 16384; // one token's hidden state of an 8K model in bf16
  const double ring = static_cast<double>(timeOf(sp, CollectiveOp::AllReduce, Algorithm::Ring, bytes));
  const double direct = static_cast<double>(timeOf(sp, CollectiveOp::AllReduce, Algorithm::Direct, bytes));
  const double inSwitch = static_cast<double>(timeOf(sp, CollectiveOp::AllReduce, Algorithm::InSwitch, bytes));
  std::printf("16 KiB on 8 chips: ring %.2f us, one-shot %.2f us, in-switch %.2f us (ring / in-switch %.2fx)\n",
              ring * 1e-6, direct * 1e-6, inSwitch * 1e-6, ring / inSwitch);
  EXPECT_GT(ring / inSwitch, 2.0);
  EXPECT_LT(ring / inSwitch, 6.0);
  EXPECT_LT(direct, ring);
}

TEST(CollectiveValidation, EveryAlgorithmMatchesItsAlphaBetaEstimate) {
  // On switched and fully connected networks no two messages of a step
  // share a link, so schedule and estimate agree (the ring within 10 %: the
  // estimate takes the worst pair of every step). On a torus routes share
  // links, and in a switch tree ring neighbours are 2 or 4 hops apart: there
  // the schedule, not the estimate, is the reference.
  const std::vector<std::pair<const char*, std::vector<std::string>>> systems{
      {"systems/nvlink8.yaml", {}},
      {"systems/lowlat8.yaml", {}},
      {"systems/nvlink8.yaml", {"system.topology.kind=full_mesh"}}};
  for (const auto& [file, sets] : systems) {
    const auto sp = load(file, sets);
    for (Algorithm a : {Algorithm::Ring, Algorithm::RecursiveDoubling, Algorithm::Direct, Algorithm::InSwitch})
      for (std::uint64_t bytes : {256ull, 65536ull, 4ull << 20}) {
        Network probe("probe", sp.topology);
        if (!algorithmApplies(probe, CollectiveOp::AllReduce, a)) continue;
        const Ps est = estimateWithLaunch(probe, sp.collectives, CollectiveOp::AllReduce, a, bytes);
        const Ps sim = timeOf(sp, CollectiveOp::AllReduce, a, bytes);
        EXPECT_NEAR(static_cast<double>(sim), static_cast<double>(est), 0.10 * static_cast<double>(est))
            << file << " " << algorithmName(a) << " " << bytes << " B";
      }
  }
}

} // namespace
} // namespace llmvp::test
