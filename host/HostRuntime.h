// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The host driver: lays the run out on the chip (host/ChipLayout.h), writes the
/// weights in functional mode (host/WeightLoader.h), the manifest and the
/// prompts (host/ManifestWriter.h), releases the control CPU, and records
/// per-step timestamps from the mailbox.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/ChipLayout.h"
#include "host/RunOptions.h"
#include "platform/Chip.h"
#include "workload/ModelSpec.h"
#include "workload/TimingRouting.h"
#include "workload/Weights.h"

namespace llmvp::testbench {

class HostRuntime {
public:
  /// Data-parallel attention: chip r's tiles draw their timing-only ids from
  /// seed + r x this (the chips decode different requests).
  static constexpr std::uint64_t kDataParallelSeedStride = 0x10000;
  /// Attaches the timing-only routing oracles to the chip's tiles and checks
  /// that the run fits the chip; throws ConfigError with sizes if not.
  HostRuntime(platform::Chip& chip, const ModelSpec& spec, const RunOptions& options, const Shard& shard = {});

  [[nodiscard]] const Placement& placement() const { return lay_.placement; }
  /// Writes weights, manifest and prompts, then simulates until the
  /// firmware finishes, fails, stalls or the time limit passes.
  [[nodiscard]] RunResult run();
  /// Multi-chip: every host writes its chip's shard (weights drawn once for
  /// the whole model), then one simulation runs all chips. One result per host.
  [[nodiscard]] static std::vector<RunResult> runAll(const std::vector<HostRuntime*>& hosts);

private:
  /// Loads the chip and releases its CPU; the mailbox callback fills result_.
  void start(const Weights* weights);
  /// Checks how the firmware ended and reads the tokens (and logits).
  void finish(double wallSeconds);
  [[nodiscard]] std::string describeError() const;
  /// One TimingRouting per tile of `chip` (the model's moe.timing_routing),
  /// tile i seeded with the run's seed + i, attached to the tile.
  [[nodiscard]] static std::vector<std::unique_ptr<TimingRouting>>
  attachRoutingOracles(platform::Chip& chip, const ModelSpec& model, const RunOptions& options, const Shard& shard);
  // ---- serving (continuous batching; HostServe.cpp) ----
  /// Starts the host thread that submits each request at its arrival time.
  void startServe();

  platform::Chip& chip_;
  const ModelSpec model_; ///< the whole model (weights are drawn for it)
  const RunOptions opt_;
  /// Per tile: the timing-only token and expert ids (before the layout: a
  /// malformed routing trace is reported before a capacity error).
  const std::vector<std::unique_ptr<TimingRouting>> oracles_;
  const ChipLayout lay_;
  RunResult result_;
  bool done_ = false, failed_ = false;
  std::uint32_t served_ = 0;                   ///< serving: requests finished
  std::unique_ptr<sc_core::sc_event> running_; ///< serving: the firmware reported RUNNING
};

} // namespace llmvp::testbench
