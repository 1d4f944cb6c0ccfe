// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Base of every descriptor-driven engine (DMA, compute tile, later PNM,
/// flash and collectives engines): the register block of regs.h, a ring of
/// 64-byte descriptors fetched over the fabric, semaphore waits and signals,
/// an interrupt line, error halting, and time accounting (busy / waiting on
/// memory / waiting on semaphores; idle is the rest).
///
/// Loosely timed: the engine thread keeps a local time ahead of the kernel
/// (tlm_quantumkeeper) and synchronises before anything another process can
/// observe (semaphore signal, interrupt).

#include <cstdint>
#include <map>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <vector>

#include "firmware/include/descriptors.h"
#include "firmware/include/regs.h"
#include "models/common/EngineParams.h"
#include "models/common/Interrupts.h"
#include "models/common/RegisterTarget.h"
#include "models/common/Semaphores.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/common/Trace.h"

namespace llmvp::models {

/// Lower-case name of an opcode (descriptors.h) for statistics and traces;
/// "op0xNN" for unknown values.
[[nodiscard]] std::string opcodeName(std::uint8_t opcode);

/// One completed descriptor, as an IOpObserver sees it (times in ps).
struct OpRecord {
  const llmvp_desc& desc;
  std::uint64_t ringBase = 0;  ///< ring the descriptor came from (tells prefill and decode chains apart)
  std::uint32_t ringEpoch = 0; ///< times the ring was programmed so far (chains rebuilt in the same ring)
  Ps start = 0, end = 0;       ///< dispatch start to completion (the op.<name>.time span)
  Ps busy = 0;                 ///< compute within the span (besides dispatch; the rest waited on memory)
  Ps semWait = 0;              ///< blocked on its wait semaphore before `start`
  double bytes = 0, flops = 0;
};
class Engine;
/// Receives every completed descriptor of the engines it is attached to
/// (analysis/Estimate: simulated time per operator). Optional.
class IOpObserver {
public:
  virtual ~IOpObserver() = default;
  virtual void onOp(const Engine& engine, const OpRecord& op) = 0;
};

/// Error raised by an operation; ENG_ERR_* and ENG_FIELD_* codes.
struct EngineError {
  std::uint32_t code = ENG_ERR_NONE;
  std::uint32_t field = 0;
  [[nodiscard]] bool ok() const { return code == ENG_ERR_NONE; }
};

class Engine : public sc_core::sc_module, public RegisterTarget, public IHasStats {
public:
  tlm_utils::simple_target_socket<Engine> regSocket;    ///< register block (MMIO)
  tlm_utils::simple_initiator_socket<Engine> memSocket; ///< descriptor fetch and data
  IrqLine irq;                                          ///< bound by the platform to the interrupt controller

  SC_HAS_PROCESS(Engine);
  /// `functional`: move and compute real data (the chip's mode,
  /// platform::ChipParams::functional); else timing only.
  Engine(const sc_core::sc_module_name& name, std::uint32_t engineId, const EngineParams& params,
         ISemaphoreWait& semaphores, bool functional);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Engine; }
  [[nodiscard]] bool halted() const { return (status_ & ENG_STATUS_ERROR) != 0; }
  /// Time blocked on semaphore waits that a signal of engine `signaller`
  /// (its full name, e.g. "chip0.dma1") released: how long this engine
  /// waited for that engine's work, whichever semaphores the firmware chose
  /// for it. 0 if it never waited on that engine.
  [[nodiscard]] Ps semWaitFor(const std::string& signaller) const {
    const auto it = semWaitFor_.find(signaller);
    return it != semWaitFor_.end() ? it->second : 0;
  }
  /// Records a span per descriptor and semaphore wait on `track` of
  /// `recorder` (null: no tracing). Call before the simulation starts.
  void setTrace(TraceRecorder* recorder, TraceRecorder::Track track) {
    trace_ = recorder;
    traceTrack_ = track;
  }
  /// Reports every completed descriptor to `observer` (null: none).
  void setOpObserver(IOpObserver* observer) { observer_ = observer; }

protected:
  /// Executes one descriptor whose common fields were validated, starting at
  /// absolute time `start`. Returns the completion time; sets `err` on failure.
  virtual Ps execute(const llmvp_desc& d, Ps start, EngineError& err) = 0;

  // ---- helpers for operations -------------------------------------------
  /// One memory access over the fabric issued at absolute time `at`; returns
  /// the completion time. `data` may be null only with `timingOnly`.
  Ps access(tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data, std::uint64_t bytes, Ps at, bool timingOnly,
            std::uint32_t field, EngineError& err);

  /// Streams [addr, addr + bytes) in chunks of params().chunkBytes, the
  /// first issued at `start`, at most maxOutstanding ahead of consumption.
  /// `computePs(chunkBytes)` is the time to consume one chunk; consumption
  /// starts no earlier than `ready` and overlaps the reads of later chunks.
  /// Copies data to `dst` when non-null (else timing only). Returns when the
  /// last chunk is consumed; adds compute time to `computeTotal`.
  template <typename ComputeFn>
  Ps streamRead(std::uint64_t addr, std::uint64_t bytes, Ps start, Ps ready, std::uint8_t* dst, ComputeFn&& computePs,
                std::uint32_t field, EngineError& err, Ps& computeTotal);

  /// Account an operation's span: `compute` of it was the engine working,
  /// the rest was waiting on memory.
  void accountOp(Ps span, Ps compute);
  /// Brings the kernel to the engine's absolute time `t` (>= local time), for
  /// an operation about to block on another process (a collective).
  void syncAt(Ps t) {
    advanceTo(t);
    syncNow();
  }
  [[nodiscard]] Ps cyclesPs(double cycles) const { return cyclesToPs(cycles, params_.clockMhz); }
  [[nodiscard]] const EngineParams& params() const { return params_; }
  /// Payloads carry data and operations compute results (else timing only).
  [[nodiscard]] bool functional() const { return functional_; }
  [[nodiscard]] StatsGroup& statsGroup() { return stats_; }

private:
  void run();
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  bool readReg(std::uint32_t offset, std::uint32_t& value) override;
  bool writeReg(std::uint32_t offset, std::uint32_t value, Ps when) override;

  [[nodiscard]] Ps localNow() const { return nowPs() + toPs(qk_.get_local_time()); }
  void advanceTo(Ps t);
  void syncNow();
  void halt(const EngineError& err, std::uint32_t index);
  void updateIrq();
  [[nodiscard]] EngineError validateCommon(const llmvp_desc& d) const;
  /// Per-opcode statistics (op.<name>.count/time/bytes/flops, for rooflines)
  /// and the trace span of one completed descriptor.
  void recordOp(const llmvp_desc& d, std::uint32_t index, Ps start, Ps end, double read0, double written0,
                double flops0);
  [[nodiscard]] double flopsSoFar() const { return flopsStat_ ? flopsStat_->value : 0.0; }

  const std::uint32_t id_;
  const EngineParams params_;
  const bool functional_;
  ISemaphoreWait& sems_;
  tlm_utils::tlm_quantumkeeper qk_;
  sc_core::sc_event doorbell_;

  std::uint32_t ctrl_ = 0, status_ = 0;
  std::uint64_t ringBase_ = 0;
  std::uint32_t ringEpoch_ = 0; ///< ENG_RING_BASE_LO writes
  std::uint32_t ringSize_ = 0, head_ = 0, tail_ = 0, completed_ = 0;
  std::uint32_t irqStatus_ = 0, irqEnable_ = 0;
  std::uint32_t errCode_ = 0, errIndex_ = 0, errInfo_ = 0;

  StatsGroup stats_;
  Stat& descriptors_;
  Stat& busyPs_;
  Stat& memWaitPs_;
  Stat& semWaitPs_;
  Stat& bytesRead_;
  Stat& bytesWritten_;
  Stat& errors_;
  struct OpStats {
    Stat *count = nullptr, *time = nullptr, *bytes = nullptr, *flops = nullptr;
  };
  std::vector<OpStats> opStats_;         ///< by opcode, created on first use
  std::vector<Stat*> semWaitBy_;         ///< by semaphore index, created on first wait
  std::map<std::string, Ps> semWaitFor_; ///< by the signalling engine's name ("": the control CPU)
  const Stat* flopsStat_ = nullptr;      ///< the derived engine's "flops" counter, if it has one
  TraceRecorder* trace_ = nullptr;
  TraceRecorder::Track traceTrack_ = 0;
  IOpObserver* observer_ = nullptr;
};

template <typename ComputeFn>
Ps Engine::streamRead(std::uint64_t addr, std::uint64_t bytes, Ps start, Ps ready, std::uint8_t* dst,
                      ComputeFn&& computePs, std::uint32_t field, EngineError& err, Ps& computeTotal) {
  const std::uint64_t chunk = params_.chunkBytes;
  const std::uint32_t depth = params_.maxOutstanding;
  // Ring of consumption-end times of the last `depth` chunks: a chunk's
  // buffer is free for the next request once it has been consumed.
  std::vector<Ps> consumedAt(depth, start);
  Ps issue = start;
  Ps computeEnd = std::max(start, ready);
  std::uint64_t i = 0;
  for (std::uint64_t off = 0; off < bytes; off += chunk, ++i) {
    const std::uint64_t n = std::min(chunk, bytes - off);
    issue = std::max(issue, consumedAt[i % depth]);
    const Ps arrived =
        access(tlm::TLM_READ_COMMAND, addr + off, dst ? dst + off : nullptr, n, issue, dst == nullptr, field, err);
    if (!err.ok()) return arrived;
    const Ps c = computePs(n);
    computeEnd = std::max(arrived, computeEnd) + c;
    computeTotal += c;
    consumedAt[i % depth] = computeEnd;
  }
  return computeEnd;
}

} // namespace llmvp::models
