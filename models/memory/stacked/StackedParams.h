// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of a 3D-stacked DRAM (DRAM dies on a logic base die, joined by
/// TSVs or hybrid bonds) and its power/thermal budget model.
///
/// Organisation: `stacks` stacks of `vaultsPerStack` vaults. A vault is the
/// column of banks behind one set of vertical connections; it has its own
/// internal bandwidth, latency and energy per bit to the base die. Traffic
/// to a compute die outside the stack additionally crosses the stack's
/// external interface (bandwidth, latency, energy per bit).
///
/// Address layout: the space is split into equal, contiguous partitions
/// (none: one; stack: one per stack; vault: one per vault); a partition's
/// bytes interleave over its vaults in blocks of `interleaveBytes`. A host
/// runtime that shards data for near-memory engines puts shard p in
/// partition p; a compute die streaming a tensor wants partition none.
/// Interleaved view: offsets [capacity, 2 x capacity) address the same
/// bytes interleaved over every vault in blocks of `interleaveBytes` (the
/// layout of partition none), whatever `partition` is, so that a compute
/// die can stream an unsharded tensor at the bandwidth of all vaults. Block
/// b of the view is block b / vaults of vault b % vaults, the same byte a
/// partition-view address of that vault names (interleavedToPhysical).
///
/// Power budget (per stack; docs/architecture.md "3D-stacked DRAM"): at full
/// internal bandwidth a stack draws
///   P_full = static + vaults * vaultGBps * 8e9 * internalPjPerBit * 1e-12
///            + logicPeakW
/// where logicPeakW is the peak power of the near-memory logic on the stack.
/// If P_full exceeds the budget, both the internal bandwidth and the logic's
/// clock are scaled by throttle = (budget - static) / (P_full - static), the
/// sustained operating point that meets the budget (the paper's "cap FLOPS
/// with lower clock and voltage"). A budget at or below static is a config
/// error.

#include <cstdint>
#include <string>

namespace llmvp::models::stacked {

enum class Partition : std::uint8_t { None, Stack, Vault };

struct StackedParams {
  std::uint32_t stacks = 1;
  std::uint32_t vaultsPerStack = 16;
  std::uint64_t capacityBytes = 0;     ///< all stacks
  std::uint64_t interleaveBytes = 256; ///< block size interleaved over a partition's vaults
  Partition partition = Partition::None;
  double vaultGBps = 64;              ///< peak internal bandwidth of one vault
  double vaultLatencyNs = 30;         ///< array access plus the vertical path to the base die
  double internalPjPerBit = 1;        ///< array, column path and vertical connection, per bit
  double interfaceGBpsPerStack = 1e3; ///< external interface of one stack
  double interfaceLatencyNs = 10;     ///< one-way, external interface
  double interfacePjPerBit = 0;       ///< added per bit that crosses the external interface
  double staticWPerStack = 0;         ///< background power (refresh, leakage, PHY idle)
  double powerBudgetWPerStack = 1e9;  ///< thermal budget of one stack
  double logicPeakWPerStack = 0;      ///< near-memory logic at its peak (set by the platform)

  [[nodiscard]] std::uint32_t vaults() const { return stacks * vaultsPerStack; }
  [[nodiscard]] std::uint32_t partitions() const {
    return partition == Partition::None ? 1u : partition == Partition::Stack ? stacks : vaults();
  }
  [[nodiscard]] std::uint64_t partitionBytes() const { return capacityBytes / partitions(); }
  /// Partition-view offset of interleaved-view offset `a` (< capacity, from the view's start).
  [[nodiscard]] std::uint64_t interleavedToPhysical(std::uint64_t a) const {
    const std::uint64_t g = interleaveBytes, block = a / g, v = block % vaults(), o = block / vaults();
    const std::uint64_t vpp = vaults() / partitions(), p = v / vpp, j = v % vpp;
    return p * partitionBytes() + (o * vpp + j) * g + a % g;
  }
  /// Dynamic power of one stack at full internal bandwidth (W), logic excluded.
  [[nodiscard]] double memoryPeakW() const { return vaultsPerStack * vaultGBps * 8.0 * internalPjPerBit * 1e-3; }
  /// Sustained fraction of peak internal bandwidth and logic clock (<= 1).
  [[nodiscard]] double throttle() const {
    const double dynamic = memoryPeakW() + logicPeakWPerStack;
    const double room = powerBudgetWPerStack - staticWPerStack;
    return dynamic <= room ? 1.0 : room / dynamic;
  }
  /// Peak internal bandwidth of the whole memory after throttling (GB/s).
  [[nodiscard]] double internalGBps() const { return vaults() * vaultGBps * throttle(); }
  /// Peak external bandwidth of the whole memory (GB/s).
  [[nodiscard]] double externalGBps() const { return stacks * interfaceGBpsPerStack; }
  /// Empty if consistent, else what is wrong (key names as in the config).
  [[nodiscard]] std::string check() const;
};

inline std::string StackedParams::check() const {
  if (stacks == 0 || vaultsPerStack == 0) return "stacks and vaults_per_stack must be >= 1";
  if (capacityBytes == 0 || capacityBytes % (std::uint64_t{vaults()} * interleaveBytes) != 0)
    return "capacity must be a multiple of vaults x interleave_bytes";
  if ((vaults() / partitions()) == 0) return "more partitions than vaults";
  if (powerBudgetWPerStack <= staticWPerStack)
    return "power_budget_w_per_stack (" + std::to_string(powerBudgetWPerStack) + ") must exceed static_w_per_stack (" +
           std::to_string(staticWPerStack) + "): the stack could not even idle";
  return {};
}

} // namespace llmvp::models::stacked
