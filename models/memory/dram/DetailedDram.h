// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Command-level DRAM model behind one TLM-2.0 target socket: the front end
/// splits each transfer into pieces (one row of one bank, a few bursts),
/// hands them to one ChannelController per channel, and answers when the
/// last piece's data has moved, plus the controller/PHY latency.
///
/// Approximately timed (4-phase base protocol, one peq_with_cb_and_phase):
///   BEGIN_REQ  -> END_REQ when every piece is in a request buffer (back
///                 pressure: at most one request waits for END_REQ)
///   BEGIN_RESP <- END_RESP (or TLM_COMPLETED) at the data time
/// Loosely-timed initiators may call b_transport: it never waits. The
/// request arrives at now + delay; each channel it touches issues commands
/// until the request's pieces are all in its request buffer (final: later
/// requests would queue behind them), and the request's completion is found
/// on a copy of the channel run until idle; the delay returned is that
/// completion plus the controller latency. The channel keeps the buffered
/// pieces, so the next request's pieces are scheduled together with them,
/// as in the 4-phase path. A request that arrives earlier than commands
/// already issued starts after them, as on the fast model's channel
/// timelines. This is how whole-model runs use the detailed model
/// (`memory.model: detailed`): the engines' request streams are the same as
/// with the fast model.
///
/// Channels are advanced lazily: commands are issued when a request arrives
/// or at a wake-up that is early enough for the next response or END_REQ,
/// never per cycle.

#include <cstdint>
#include <deque>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/peq_with_cb_and_phase.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/common/BackingStore.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/memory/dram/AddressMapping.h"
#include "models/memory/dram/ChannelController.h"
#include "models/memory/dram/Dram.h"
#include "models/memory/dram/DramParams.h"

namespace llmvp::models::dram {

class DetailedDram : public sc_core::sc_module, public IDram {
public:
  tlm_utils::simple_target_socket<DetailedDram> socket;

  /// Throws std::invalid_argument if the address mapping does not fit the
  /// organisation. `recorder` (may be null) receives every command.
  DetailedDram(const sc_core::sc_module_name& name, const DramParams& params, ICommandRecorder* recorder = nullptr);
  DetailedDram(const DetailedDram&) = delete;
  DetailedDram& operator=(const DetailedDram&) = delete;

  /// Issues the commands due up to now (refreshes of idle channels, open rows'
  /// busy time) so that statistics cover [0, now]. Call once at the end.
  void finish();
  void finishAt(Ps end) override;

  [[nodiscard]] const DramParams& params() const override { return params_; }
  [[nodiscard]] BackingStore& store() override { return store_; }
  [[nodiscard]] const AddressMapper& mapper() const { return mapper_; }
  [[nodiscard]] const StatsGroup& stats() const override;
  [[nodiscard]] tlm::tlm_target_socket<>& targetSocket() override { return socket; }
  [[nodiscard]] const char* dramName() const override { return basename(); }
  /// Tracks: the whole memory, and one per group of channels (each fed the
  /// pieces its channels served). Loosely-timed requests only.
  void setTrace(TraceRecorder* recorder, const std::string& process) override;
  void setAccessRecorder(IAccessRecorder* recorder) override { accessRecorder_ = recorder; }
  /// Timing of one request arriving at `arrival` (>= now), loosely timed:
  /// runs the channels it touches until it is done; returns the time of its
  /// response. What b_transport does, callable without a caller thread.
  Ps schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival) override;
  [[nodiscard]] std::size_t channelCount() const { return channels_.size(); }
  [[nodiscard]] const ChannelCounters& counters(std::size_t channel) const { return channels_[channel]->counters(); }
  /// Energy in pJ so far: commands plus background power over [0, now].
  [[nodiscard]] double energyPj() const;
  [[nodiscard]] Ps cycleStart(Cycle c) const { return static_cast<Ps>(std::llround(static_cast<double>(c) * tckPs_)); }
  /// First cycle starting at or after `ps`.
  [[nodiscard]] Cycle cycleAt(Ps ps) const;

private:
  struct Txn {
    tlm::tlm_generic_payload* gp = nullptr; ///< AT request, or null (b_transport)
    sc_core::sc_event* doneEvent = nullptr; ///< b_transport
    std::uint32_t pieces = 0, accepted = 0, done = 0;
    Cycle dataEnd = 0;
    Ps begin = 0;
    bool endReqSent = false;
    bool inUse = false;
    bool responding = false; ///< BEGIN_RESP sent
    bool ready = false;      ///< data done, response may leave (in-order responses)
  };

  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time& delay);
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  void peqCallback(tlm::tlm_generic_payload& gp, const tlm::tlm_phase& phase);
  void wakeUp();

  /// Validates and copies data; false (with the payload's error status set) if bad.
  bool access(tlm::tlm_generic_payload& gp);
  /// Splits a request into pieces (one run of the address mapping each) and
  /// submits them to their channels, calling beforeSubmit(channel, bytes)
  /// before each; returns the number of pieces.
  template <typename BeforeSubmit>
  std::uint32_t submitPieces(std::uint64_t tag, bool write, std::uint64_t addr, std::uint64_t len, Cycle arrival,
                             BeforeSubmit&& beforeSubmit);
  /// Splits a request arriving now into pieces; returns the transaction index.
  std::uint32_t start(tlm::tlm_generic_payload* gp, sc_core::sc_event* ev, bool write, std::uint64_t addr,
                      std::uint64_t len);
  void advanceAll(Cycle limit);
  void collect();
  void scheduleWake();
  void sendResponse(tlm::tlm_generic_payload& gp);
  void releaseTxn(std::uint32_t id);
  [[nodiscard]] std::int64_t txnOf(const tlm::tlm_generic_payload& gp, bool responding) const;

  const DramParams params_;
  const double tckPs_;
  const Ps ctrlLatency_;
  const Cycle minDataLatency_;
  const unsigned burstShift_;
  AddressMapper mapper_;
  std::vector<std::unique_ptr<ChannelController>> channels_;
  BackingStore store_;
  tlm_utils::peq_with_cb_and_phase<DetailedDram> peq_;
  sc_core::sc_event wake_;

  std::vector<Txn> txns_;
  std::vector<std::uint32_t> freeTxns_;
  std::vector<PieceAccepted> accepted_;
  std::vector<PieceDone> done_;
  std::int64_t blocked_ = -1; ///< AT transaction waiting for END_REQ
  std::deque<tlm::tlm_generic_payload*> responses_;
  std::deque<std::uint32_t> order_; ///< AT transactions in request order (in-order responses)
  bool responseBusy_ = false;

  mutable StatsGroup stats_;
  Stat& reads_;
  Stat& writes_;
  Stat& bytesRead_;
  Stat& bytesWritten_;
  Stat& activations_;
  Stat& precharges_;
  Stat& refreshes_;
  Stat& rowHits_;
  Stat& pieces_;
  Stat& readLatency_;
  Stat& energy_;
  double readLatencySum_ = 0;

  // Loosely-timed (run-ahead) requests.
  std::vector<std::uint32_t> ltPieces_;                    ///< per channel: pieces of the current request
  std::vector<std::uint32_t> ltTouched_;                   ///< channels the current request touches
  std::vector<std::uint64_t> ltBytes_;                     ///< per channel: bytes of the current request
  std::vector<Cycle> ltFirst_;                             ///< per channel: arrival of the current request there
  std::vector<std::unique_ptr<ChannelController>> ltSpec_; ///< per channel: copy run ahead to find completions
  std::vector<PieceDone> specDone_;
  std::uint64_t ltSeq_ = 0;
  Cycle ltHorizon_ = 0; ///< last data cycle of a loosely-timed request
  IAccessRecorder* accessRecorder_ = nullptr;
  TraceRecorder* trace_ = nullptr;
  TraceRecorder::Track traceTrack_ = 0;
  TraceGroups groups_;
  std::vector<TraceRecorder::Track> groupTracks_;
};

} // namespace llmvp::models::dram
