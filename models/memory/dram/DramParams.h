// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Organisation, timing and energy of a DRAM memory system (HBM stacks,
/// LPDDR/DDR channels), as loaded from a memspec in configs/memory/.
/// Peak bandwidth is derived from the organisation, never given.

#include <cstdint>
#include <string>

namespace llmvp::models::dram {

struct DramTiming {
  double tCK = 0;    ///< ns, command clock period
  double tRCD = 0;   ///< ns, activate to column command
  double tRP = 0;    ///< ns, precharge period
  double tCL = 0;    ///< ns, read latency (column command to data)
  double tRAS = 0;   ///< ns, activate to precharge
  double tRC = 0;    ///< ns, activate to activate, same bank
  double tRRD = 0;   ///< ns, activate to activate, different banks (short)
  double tFAW = 0;   ///< ns, four-activate window
  double tREFI = 0;  ///< ns, average refresh interval
  double tRFC = 0;   ///< ns, all-bank refresh cycle time
  double tRFCpb = 0; ///< ns, per-bank refresh cycle time
};

/// How refresh is issued: all banks at once every tREFI (the channel is
/// blocked for tRFC), or one bank at a time (each bank is blocked for
/// tRFCpb once per tREFI while the others keep serving).
enum class RefreshMode { AllBank, PerBank };

struct DramParams {
  std::string name;
  // organisation
  std::uint32_t stacks = 1;            ///< stacks (HBM) or DIMMs/packages
  std::uint32_t channelsPerStack = 1;
  std::uint32_t pseudoChannels = 1;    ///< per channel (HBM pseudo-channel mode)
  std::uint32_t widthBits = 64;        ///< data bus width of one pseudo-channel
  double dataRateGbps = 1.0;           ///< per pin
  std::uint32_t bankGroups = 1;
  std::uint32_t banksPerGroup = 1;
  std::uint32_t rowBytes = 1024;       ///< page size of one pseudo-channel
  std::uint64_t capacityBytes = 0;     ///< whole memory system
  DramTiming t;
  // fast-model mapping
  std::uint32_t interleaveBytes = 256; ///< consecutive bytes on one pseudo-channel
  double controllerLatencyNs = 0;      ///< controller + PHY latency per access
  RefreshMode refresh = RefreshMode::AllBank;
  // energy
  double readPjPerBit = 0;
  double writePjPerBit = 0;
  double activatePj = 0;               ///< per row activation (ACT + PRE)
  double backgroundMwPerStack = 0;     ///< standby + refresh power

  [[nodiscard]] std::uint32_t channels() const { return stacks * channelsPerStack * pseudoChannels; }
  [[nodiscard]] std::uint32_t banks() const { return bankGroups * banksPerGroup; }
  /// GB/s of one pseudo-channel.
  [[nodiscard]] double channelGBps() const { return widthBits * dataRateGbps / 8.0; }
  /// Factor (>= 1) by which refresh stretches a channel's service time: the
  /// share of time a channel (all-bank) or the bank a stream needs
  /// (per-bank) is unavailable.
  [[nodiscard]] double refreshDerate() const {
    const double blocked = refresh == RefreshMode::AllBank ? t.tRFC : t.tRFCpb;
    return t.tREFI / (t.tREFI - blocked);
  }
  /// GB/s of the whole memory system.
  [[nodiscard]] double peakGBps() const { return channelGBps() * channels(); }
};

} // namespace llmvp::models::dram
