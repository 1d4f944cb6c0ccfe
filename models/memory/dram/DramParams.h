// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Organisation, timing and energy of a DRAM memory system (HBM stacks,
/// LPDDR/DDR channels), as loaded from a memspec in configs/memory/.
/// Peak bandwidth is derived from the organisation, never given.

#include <cstdint>
#include <string>
#include <vector>

namespace llmvp::models::dram {

/// Smallest s with 2^s >= v (log2 of a power of two; the loaders validate
/// that sizes used as bit fields are powers of two).
[[nodiscard]] inline unsigned ceilLog2(std::uint64_t v) {
  unsigned s = 0;
  while ((std::uint64_t{1} << s) < v) ++s;
  return s;
}

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

/// Command-level timing of one pseudo-channel, in integer cycles of tCK
/// (the detailed model). Constraints are measured between the *effective*
/// cycles of two commands: the last cycle of a multi-cycle command (an HBM
/// ACT takes two row-bus cycles). The fast model's DramTiming (ns) is derived
/// from these by the loader.
struct DramCycles {
  double tCKns = 1.0;            ///< command clock period
  std::uint32_t RCDRD = 0;       ///< ACT to RD, same bank
  std::uint32_t RCDWR = 0;       ///< ACT to WR, same bank
  std::uint32_t RP = 0;          ///< PRE to ACT, same bank
  std::uint32_t RAS = 0;         ///< ACT to PRE, same bank
  std::uint32_t RC = 0;          ///< ACT to ACT, same bank
  std::uint32_t RL = 0;          ///< RD to first data beat
  std::uint32_t WL = 0;          ///< WR to first data beat
  std::uint32_t CCD_S = 0;       ///< column to column, different bank group
  std::uint32_t CCD_L = 0;       ///< column to column, same bank group
  std::uint32_t RRD_S = 0;       ///< ACT to ACT, different bank group
  std::uint32_t RRD_L = 0;       ///< ACT to ACT, same bank group
  std::uint32_t FAW = 0;         ///< window holding at most four ACTs (per pseudo-channel)
  std::uint32_t WR = 0;          ///< end of write data to PRE, same bank (write recovery)
  std::uint32_t WTR_S = 0;       ///< end of write data to RD, different bank group
  std::uint32_t WTR_L = 0;       ///< end of write data to RD, same bank group
  std::uint32_t RTP = 0;         ///< RD to PRE, same bank
  std::uint32_t RTW = 0;         ///< RD to WR, same pseudo-channel (bus turnaround)
  std::uint32_t REFI = 0;        ///< average all-bank refresh interval
  std::uint32_t RFC = 0;         ///< all-bank refresh cycle time
  std::uint32_t RFCpb = 0;       ///< per-bank refresh cycle time
  std::uint32_t RREFD = 0;       ///< per-bank REF to REF of another bank (and to ACT unless RREFD_ACT says otherwise)
  std::uint32_t RREFD_ACT = 0;   ///< per-bank REF to ACT of another bank: HBM's tRREFD and DDR5's tREFSBRD cover
                                 ///< both (= RREFD); LPDDR5 has tpbR2pbR (RREFD) and a shorter tpbR2act
  std::uint32_t actCycles = 1;   ///< command-bus cycles of one ACT (2 on HBM and LPDDR5)
  std::uint32_t burstCycles = 1; ///< data-bus cycles of one burst (derived: BL / beats per tCK)
};

/// Which commands may share a command-bus cycle within one channel.
enum class CommandBus {
  RowColumn, ///< HBM: separate row (ACT/PRE/REF) and column (RD/WR) buses, shared by the pseudo-channels
  Single     ///< DDR/LPDDR: one command per cycle
};

enum class PagePolicy { Open, Closed };

/// Request scheduling policy of the detailed controller (one per channel).
enum class SchedulerKind {
  FrFcfs,        ///< row hits first, then oldest (reads and writes mixed)
  FrFcfsGrouped, ///< FR-FCFS with read/write batching: writes drain between watermarks
  Fifo           ///< oldest first, no hit preference
};

/// One field of the address mapping: `bits` address bits (LSB first) feed
/// the next `bits` bits of the field.
enum class AddressField { Byte, Column, Bank, BankGroup, StackId, PseudoChannel, Channel, Row, Ignored };
struct MappingSlice {
  AddressField field;
  std::uint32_t bits;
};

/// Detailed-controller configuration.
struct DramController {
  PagePolicy pagePolicy = PagePolicy::Open;
  SchedulerKind scheduler = SchedulerKind::FrFcfsGrouped;
  std::uint32_t requestBuffer = 32;  ///< entries per channel, or per bank (reads, or all requests if not grouped)
  bool perBankBuffer = false;        ///< request_buffer counts per bank (bank-wise scheduler buffer)
  bool inOrderResponses = false;     ///< responses leave in request order (a FIFO response queue)
  std::uint32_t writeBuffer = 32;    ///< write-queue entries per channel (grouped scheduler)
  std::uint32_t writeHigh = 24;      ///< start draining writes at this many queued writes
  std::uint32_t writeLow = 8;        ///< stop draining at this many
  std::vector<MappingSlice> mapping; ///< LSB first; `mappingText` is the source form
  std::string mappingText;
};

/// How refresh is issued: all banks at once every tREFI (the channel is
/// blocked for tRFC), or one bank at a time (each bank is blocked for
/// tRFCpb once per tREFI while the others keep serving).
enum class RefreshMode { AllBank, PerBank };

/// Fidelity of the timing model that serves a platform's memory
/// (platform key `memory.model`): channel timelines or command level.
enum class DramModel { Fast, Detailed };

struct DramParams {
  std::string name;
  // organisation
  std::uint32_t stacks = 1; ///< stacks (HBM) or DIMMs/packages
  std::uint32_t channelsPerStack = 1;
  std::uint32_t pseudoChannels = 1; ///< per channel (HBM pseudo-channel mode)
  std::uint32_t widthBits = 64;     ///< data bus width of one pseudo-channel
  double dataRateGbps = 1.0;        ///< per pin
  std::uint32_t bankGroups = 1;
  std::uint32_t banksPerGroup = 1;
  std::uint32_t rowBytes = 1024;   ///< page size of one pseudo-channel
  std::uint32_t rows = 1;          ///< rows per bank (capacity of the memspec alone)
  std::uint32_t stackIds = 1;      ///< HBM SIDs: dies of a stack addressed as extra bank groups
  std::uint32_t burstLength = 8;   ///< data beats per column command
  std::uint64_t capacityBytes = 0; ///< whole memory system
  DramTiming t;
  DramCycles c;
  CommandBus commandBus = CommandBus::Single;
  DramController ctrl;
  // fast-model mapping
  std::uint32_t interleaveBytes = 256; ///< consecutive bytes on one pseudo-channel
  double controllerLatencyNs = 0;      ///< controller + PHY latency per access
  RefreshMode refresh = RefreshMode::AllBank;
  DramModel model = DramModel::Fast; ///< which model times this memory in a platform
  // energy
  double readPjPerBit = 0;
  double writePjPerBit = 0;
  double activatePj = 0;           ///< per row activation (ACT + PRE)
  double refreshPj = 0;            ///< per all-bank REF of one pseudo-channel (per-bank REF: / banks)
  double backgroundMwPerStack = 0; ///< standby power

  [[nodiscard]] std::uint32_t channels() const { return stacks * channelsPerStack * pseudoChannels; }
  [[nodiscard]] std::uint32_t banks() const { return bankGroups * banksPerGroup; }
  /// Banks of one pseudo-channel as the detailed model sees them (SIDs included).
  [[nodiscard]] std::uint32_t banksPerPc() const { return stackIds * bankGroups * banksPerGroup; }
  /// Bytes moved by one column command on one pseudo-channel.
  [[nodiscard]] std::uint32_t burstBytes() const { return widthBits / 8 * burstLength; }
  /// Bytes of the memory described by the memspec and `stacks`.
  [[nodiscard]] std::uint64_t organisationBytes() const {
    return std::uint64_t{rows} * rowBytes * banksPerPc() * channels();
  }
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
