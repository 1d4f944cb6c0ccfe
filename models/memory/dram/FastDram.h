// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Fast DRAM timing model for whole-model runs: one timeline per
/// (pseudo-)channel, address interleaving across channels, row-buffer hits
/// tracked per channel, activation-rate limits and refresh as a bandwidth
/// derating (DramParams::refreshDerate). A request occupies each channel it touches for
///   max(bytes / channel bandwidth, activations * tACT) * refreshDerate
/// with tACT = max(tRRD, tFAW / 4, tRC / banks), plus the data-bus turnaround
/// when the channel's previous request went the other way (read to write:
/// tRTW + WL - RL - burst; write to read: tWTR_S + RL), and completes one
/// access latency (tCL on a row hit, tRP + tRCD + tCL on a miss) plus the
/// controller latency after its last channel finishes. Calibrated against
/// DetailedDram: docs/validation.md, "DRAM". The data of one interleave
/// block (one bank) arrives no faster than one burst per tCCD_L, which
/// delays the answer but not the channel.

#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/common/BackingStore.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/common/Trace.h"
#include "models/memory/dram/AccessRecorder.h"
#include "models/memory/dram/AddressMapping.h"
#include "models/memory/dram/Dram.h"
#include "models/memory/dram/DramParams.h"

namespace llmvp::models::dram {

class FastDram : public sc_core::sc_module, public IDram {
public:
  tlm_utils::simple_target_socket<FastDram> socket;

  FastDram(const sc_core::sc_module_name& name, const DramParams& params);

  /// Timing of one request arriving at absolute time `arrival`; returns its
  /// completion time and updates channel state and statistics.
  Ps schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival) override;

  [[nodiscard]] const DramParams& params() const override { return params_; }
  [[nodiscard]] BackingStore& store() override { return store_; }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] tlm::tlm_target_socket<>& targetSocket() override { return socket; }
  [[nodiscard]] const char* dramName() const override { return basename(); }
  /// Tracks: the whole memory, and one per group of pseudo-channels (each
  /// fed the part of a request that its channels serve).
  void setTrace(TraceRecorder* recorder, const std::string& process) override;
  void setAccessRecorder(IAccessRecorder* recorder) override { accessRecorder_ = recorder; }

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);

  /// Channel state in a lazy form so that a request spreading evenly over
  /// every channel costs O(1) instead of O(channels):
  ///   busyUntil(c) = max(floor_, c.v) + add_
  ///   openRow(c)   = c.rowEpoch == epoch_ ? c.row : uniformRow_
  /// Requests touching a subset of channels update channels one by one.
  struct Channel {
    std::int64_t v = 0;
    std::uint64_t row = ~0ull; ///< last row-sized block accessed, when explicit
    std::uint64_t rowEpoch = ~0ull;
    bool write = false; ///< direction of the last access, explicit with the row
  };
  [[nodiscard]] Ps busyUntil(const Channel& c) const { return static_cast<Ps>(std::max(floor_, c.v) + add_); }
  [[nodiscard]] std::uint64_t openRow(const Channel& c) const { return c.rowEpoch == epoch_ ? c.row : uniformRow_; }
  [[nodiscard]] bool lastWrite(const Channel& c) const { return c.rowEpoch == epoch_ ? c.write : uniformWrite_; }
  void setBusy(Channel& c, Ps t);
  [[nodiscard]] double oneBankPs(std::uint64_t bytes) const;
  void setRow(Channel& c, std::uint64_t row, bool write);
  Ps scheduleEven(bool write, std::uint64_t localBegin, std::uint64_t chBytes, Ps start, bool& even,
                  std::uint64_t& acts, std::uint64_t& rows, double& busy);

  const DramParams params_;
  const std::uint32_t nch_;
  const unsigned rowShift_;       ///< log2(rowBytes)
  const double psPerByteDerated_; ///< one channel, refresh included
  const double actDerated_;       ///< ps per activation (tACT), refresh included
  const Ps hitLatency_, missLatency_, ctrlLatency_;
  const Ps readToWrite_, writeToRead_; ///< data-bus gap when a channel changes direction
  const double psPerBurstOneBank_;     ///< bursts to one bank group: one per tCCD_L
  const Ps oneBlock_;                  ///< oneBankPs of a whole interleave block
  std::vector<Channel> channels_;
  /// Per bank of each channel (the bank the memspec's address mapping gives a
  /// block, or row % banks without a mapping): the earliest time its row
  /// may be precharged (last ACT + tRAS). Kept by requests that touch a subset
  /// of channels; the O(1) even path neither reads nor updates it, so its
  /// requests are charged no bank conflict or refresh stall (docs/validation.md).
  std::vector<Ps> bankPrechargeReady_;
  const std::uint32_t banks_;
  std::unique_ptr<AddressMapper> mapper_; ///< null: no address mapping in the memspec
  const Ps tRP_, tRAS_;
  /// Refresh as the detailed controller issues it, in every channel at once:
  /// all-bank, every bank blocked for tRFC from each multiple of tREFI; or
  /// per-bank, bank b blocked for tRFCpb from (b + 1 + k banks) tREFI/banks.
  const Ps refStep_, refPeriod_, refBlocked_;
  const bool perBankRefresh_;
  /// When bank `bank` is being refreshed at `t`: the end of that refresh, else 0.
  [[nodiscard]] Ps refreshEnd(std::uint32_t bank, Ps t) const;
  std::int64_t floor_ = 0, add_ = 0, maxV_ = 0;
  std::uint64_t uniformRow_ = ~0ull, epoch_ = 0;
  bool uniformWrite_ = false;
  std::vector<std::uint32_t> explicitRows_; ///< channels whose row is explicit in this epoch
  BackingStore store_;
  IAccessRecorder* accessRecorder_ = nullptr;
  TraceRecorder* trace_ = nullptr;
  TraceRecorder::Track traceTrack_ = 0;
  TraceGroups groups_;
  std::vector<TraceRecorder::Track> groupTracks_;
  struct GroupSpan {
    Ps begin = 0, end = 0;
    std::uint64_t bytes = 0;
  };
  std::vector<GroupSpan> groupSpans_; ///< per group, for the request being scheduled
  void traceGroup(std::uint32_t channel, Ps begin, Ps end, std::uint64_t bytes);
  void flushGroups();

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
