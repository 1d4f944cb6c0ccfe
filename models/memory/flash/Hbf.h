// SPDX-License-Identifier: Apache-2.0
#pragma once
/// High Bandwidth Flash: `stacks` stacks of NAND core dies on a logic base
/// die, as one TLM target. Timing with timelines (DESIGN.md "Transactions
/// and time"), one per plane and one per channel, so a model's weight stream
/// costs a few operations per page, not an event:
///
/// - Pages are interleaved over every plane of every stack: global page g is
///   on plane unit u = g % U (U = stacks x dies x planes; u % (stacks x
///   channels) is its channel, so consecutive pages use different channels
///   first), at in-plane page g / U (block = that / pagesPerBlock).
/// - Read: a request occupies each plane it touches for tR per page (tR +
///   data-out without cache read; a partial page costs a whole page), then
///   each channel transfers its pages (page / channel rate, plus one command
///   per multiPlane pages) once the first is in the page register; the answer
///   follows the last channel by the ECC decode latency. The controller
///   latency is added on arrival.
/// - Bit errors: a page read fails ECC with the probability that a codeword
///   holds more than `correctableBits` errors at the raw bit error rate
///   (Poisson); a failing page is read again (read-retry) with the rate
///   scaled by retryRberScale, up to maxReadRetries; still failing is an
///   uncorrectable read (TLM_GENERIC_ERROR_RESPONSE). How many pages of a
///   request fail is drawn from a seeded generator: the same seed and the
///   same request sequence give the same retries.
/// - Write: each page touched is programmed (tPROG; a partial page costs a
///   whole page program, as NAND cannot program part of a page twice). A
///   block takes pagesPerBlock programs between erases, as in the
///   log-structured fill of a flash translation layer: a program into a
///   full block erases it first (tBERS) and counts one program/erase cycle.
///   Blocks start erased (the host's initial load is untimed). An erase of a
///   block that has reached enduranceCycles fails the whole write with
///   TLM_GENERIC_ERROR_RESPONSE and changes nothing.
/// Debug (transport_dbg) accesses cost no time and no wear: the host's
/// initial load is the factory programming of the weights.

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/common/BackingStore.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/common/Trace.h"
#include "models/memory/flash/HbfParams.h"

namespace llmvp::models::flash {

class Hbf : public sc_core::sc_module, public IHasStats {
public:
  tlm_utils::simple_target_socket<Hbf> socket;

  Hbf(const sc_core::sc_module_name& name, const HbfParams& params);
  Hbf(const Hbf&) = delete;
  Hbf& operator=(const Hbf&) = delete;

  /// Outcome of one timed request.
  struct Result {
    Ps done = 0;               ///< data available (read) or programmed (write)
    bool ok = true;            ///< false: uncorrectable read or worn-out block
    std::uint64_t retries = 0; ///< read-retry page reads of this request
  };
  /// Timing of one request arriving at absolute time `arrival` (offsets
  /// from the start of the memory); updates timelines, wear and statistics.
  Result schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival);

  [[nodiscard]] const HbfParams& params() const { return params_; }
  [[nodiscard]] BackingStore& store() { return store_; }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Memory; }
  [[nodiscard]] double peakGBps() const { return params_.peakReadGBps(); }
  /// Program/erase cycles of block `b` (global index, see blockOf()).
  [[nodiscard]] std::uint32_t erases(std::uint64_t block) const { return erases_.at(block); }
  /// Global block index holding byte `addr`.
  [[nodiscard]] std::uint64_t blockOf(std::uint64_t addr) const;
  /// Probability that one page read at retry level `level` fails ECC.
  [[nodiscard]] double pageFailProbability(std::uint32_t level) const { return pageFail_.at(level); }
  void setTrace(TraceRecorder* recorder, TraceRecorder::Track track) {
    trace_ = recorder;
    traceTrack_ = track;
  }

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  Result scheduleRead(std::uint64_t addr, std::uint64_t bytes, Ps arrival);
  Result scheduleWrite(std::uint64_t addr, std::uint64_t bytes, Ps arrival);
  [[nodiscard]] double uniform();
  [[nodiscard]] std::uint64_t binomial(std::uint64_t n, double p);

  const HbfParams params_;
  const std::uint64_t units_;    ///< planes over all stacks
  const std::uint64_t channels_; ///< channels over all stacks
  const Ps tR_, tPROG_, tBERS_, xfer_, cmd_, ctrl_, ecc_;
  std::vector<double> pageFail_;      ///< by retry level 0..maxReadRetries
  std::vector<Ps> plane_;             ///< busy-until per plane unit
  std::vector<Ps> channel_;           ///< busy-until per channel
  std::vector<std::uint32_t> erases_; ///< program/erase cycles per block
  std::vector<std::uint32_t> fill_;   ///< pages programmed per block since its last erase
  struct ChannelAcc {
    Ps firstReady = 0, lastReady = 0;
    std::uint64_t pages = 0;
  };
  std::vector<ChannelAcc> acc_;        ///< per-request scratch, by channel
  std::vector<std::uint32_t> touched_; ///< channels with acc_ in use
  std::uint64_t rng_;
  BackingStore store_;
  TraceRecorder* trace_ = nullptr;
  TraceRecorder::Track traceTrack_ = 0;

  StatsGroup stats_;
  Stat& reads_;
  Stat& writes_;
  Stat& bytesRead_;
  Stat& bytesWritten_;
  Stat& pageReads_;
  Stat& retries_;
  Stat& uncorrectable_;
  Stat& pagesProgrammed_;
  Stat& blockErases_;
  Stat& maxBlockErases_;
  Stat& enduranceErrors_;
  Stat& planeWait_;
  Stat& channelBusy_;
  Stat& energy_;
};

} // namespace llmvp::models::flash
