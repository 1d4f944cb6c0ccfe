// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Fast DRAM timing model for whole-model runs: one timeline per
/// (pseudo-)channel, address interleaving across channels, row-buffer hits
/// tracked per channel, activation-rate limits and refresh as a bandwidth
/// derating (DramParams::refreshDerate). A request occupies each channel it touches for
///   max(bytes / channel bandwidth, activations * tACT) * refreshDerate
/// with tACT = max(tRRD, tFAW / 4, tRC / banks), and completes one access
/// latency (tCL on a row hit, tRP + tRCD + tCL on a miss) plus the controller
/// latency after its last channel finishes. See docs/architecture.md.

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/common/BackingStore.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/memory/dram/DramParams.h"

namespace llmvp::models::dram {

class FastDram : public sc_core::sc_module, public IHasStats {
public:
  tlm_utils::simple_target_socket<FastDram> socket;

  FastDram(const sc_core::sc_module_name& name, const DramParams& params);

  /// Timing of one request arriving at absolute time `arrival`; returns its
  /// completion time and updates channel state and statistics.
  Ps schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival);

  [[nodiscard]] const DramParams& params() const { return params_; }
  [[nodiscard]] BackingStore& store() { return store_; }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Memory; }
  [[nodiscard]] double peakGBps() const { return params_.peakGBps(); }

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);

  struct Channel {
    Ps busyUntil = 0;
    std::uint64_t openRowBlock = ~0ull; ///< last row-sized block accessed
  };

  const DramParams params_;
  const std::uint32_t nch_;
  const double psPerByte_;     ///< one channel
  const Ps actInterval_;
  const double refreshDerate_; ///< >= 1
  const Ps hitLatency_, missLatency_, ctrlLatency_;
  std::vector<Channel> channels_;
  BackingStore store_;

  StatsGroup stats_;
  Stat& reads_;
  Stat& writes_;
  Stat& bytesRead_;
  Stat& bytesWritten_;
  Stat& rowBlocks_;
  Stat& activations_;
  Stat& channelBusy_;
  Stat& energy_;
};

} // namespace llmvp::models::dram
