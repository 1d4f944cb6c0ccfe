// SPDX-License-Identifier: Apache-2.0
// StackedDram: vault bandwidth, queueing, partitions, the external
// interface and the power-budget throttle, against figures derived by hand
// from StackedParams (1 GB/s = 1 byte/ns).
#include <gtest/gtest.h>

#include <stdexcept>

#include "models/memory/stacked/StackedDram.h"

namespace llmvp::test {
namespace {

using models::stacked::Partition;
using models::stacked::StackedDram;
using models::stacked::StackedParams;

constexpr models::Ps kNs = 1000;

/// 1 stack of 4 vaults at 10 GB/s (100 ps per byte), 30 ns vault latency,
/// 256-byte interleave, 20 GB/s interface with 5 ns latency.
StackedParams small() {
  StackedParams p;
  p.stacks = 1;
  p.vaultsPerStack = 4;
  p.capacityBytes = 1 << 20;
  p.interleaveBytes = 256;
  p.vaultGBps = 10;
  p.vaultLatencyNs = 30;
  p.internalPjPerBit = 2;
  p.interfaceGBpsPerStack = 20;
  p.interfaceLatencyNs = 5;
  p.interfacePjPerBit = 1;
  p.staticWPerStack = 1;
  p.powerBudgetWPerStack = 100;
  return p;
}

TEST(StackedDram, OneVaultServesAtVaultBandwidth) {
  StackedDram m("m", small());
  // 256 bytes in vault 0: 25.6 ns transfer + 30 ns latency.
  EXPECT_EQ(m.schedule(false, 0, 256, 0, false), 55600u);
  // A second block of vault 0 (offset 4 * 256) queues behind the first.
  EXPECT_EQ(m.schedule(false, 1024, 256, 0, false), 81200u);
  EXPECT_EQ(m.vaultOf(1024), 0u);
  EXPECT_EQ(m.vaultOf(256), 1u);
}

TEST(StackedDram, RequestSpreadsOverVaults) {
  StackedDram m("m", small());
  // 1024 bytes: 256 per vault in parallel, so the same 55.6 ns as one block.
  EXPECT_EQ(m.schedule(false, 0, 1024, 0, false), 55600u);
  // 100 bytes straddling vaults 0 and 1 (200..300): 56 + 44 bytes.
  EXPECT_EQ(m.schedule(false, 200, 100, 100 * kNs, false), 100 * kNs + 5600 + 30 * kNs);
  EXPECT_DOUBLE_EQ(m.stats().value("internal_bytes"), 1124.0);
  EXPECT_DOUBLE_EQ(m.stats().value("energy"), 1124.0 * 8 * 2);
}

TEST(StackedDram, ExternalRequestsCrossTheInterface) {
  StackedDram m("m", small());
  // Arrives at the vaults after 5 ns; vaults finish at 30.6 ns; the
  // interface streams 1024 bytes at 20 GB/s from 5 ns to 56.2 ns; data
  // leaves the vaults 30 ns later (86.2 ns) and crosses back (+5 ns).
  EXPECT_EQ(m.schedule(false, 0, 1024, 0, true), 91200u);
  EXPECT_DOUBLE_EQ(m.stats().value("external_bytes"), 1024.0);
  EXPECT_DOUBLE_EQ(m.stats().value("energy"), 1024.0 * 8 * (2 + 1));
  EXPECT_DOUBLE_EQ(m.peakGBps(), 40.0); // all traffic: 4 vaults x 10 GB/s
  EXPECT_DOUBLE_EQ(m.params().externalGBps(), 20.0);
}

TEST(StackedDram, VaultPartitionsAreContiguous) {
  StackedParams p = small();
  p.partition = Partition::Vault; // 4 partitions of 256 KiB
  StackedDram m("m", p);
  const std::uint64_t part1 = (1 << 20) / 4;
  EXPECT_EQ(m.vaultOf(part1), 1u);
  EXPECT_EQ(m.vaultOf(part1 + 1000), 1u);
  // 1024 bytes all in vault 1: 102.4 ns + 30 ns.
  EXPECT_EQ(m.schedule(false, part1, 1024, 0, false), 132400u);
}

TEST(StackedDram, PowerBudgetThrottlesBandwidth) {
  StackedParams p = small();
  // Peak dynamic power: 4 vaults x 10 GB/s x 8 bit x 2 pJ = 0.64 W; with
  // 0.2 W of logic and 1 W static a 1.42 W budget leaves 0.42 W of 0.84 W.
  p.logicPeakWPerStack = 0.2;
  p.powerBudgetWPerStack = 1.42;
  EXPECT_NEAR(p.throttle(), 0.5, 1e-12);
  StackedDram m("m", p);
  EXPECT_DOUBLE_EQ(m.stats().value("throttle_permille"), 500.0);
  // 256 bytes at 5 GB/s: 51.2 ns + 30 ns.
  EXPECT_EQ(m.schedule(false, 0, 256, 0, false), 81200u);
  // Within budget nothing changes.
  p.powerBudgetWPerStack = 1.84;
  EXPECT_DOUBLE_EQ(p.throttle(), 1.0);
}

TEST(StackedDram, BudgetBelowStaticIsRejected) {
  StackedParams p = small();
  p.powerBudgetWPerStack = 0.5;
  EXPECT_NE(p.check().find("power_budget_w_per_stack"), std::string::npos);
  EXPECT_THROW(StackedDram("m", p), std::invalid_argument);
}

} // namespace
} // namespace llmvp::test
