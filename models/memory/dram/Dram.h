// SPDX-License-Identifier: Apache-2.0
#pragma once
/// One interface for the two fidelities of a DRAM memory system, so that a
/// platform can hold either behind one TLM-2.0 target socket:
///   - FastDram: channel timelines, the default of whole-model runs;
///   - DetailedDram: command-level controllers (`memory.model: detailed`),
///     slow but the reference the fast model is calibrated against.
/// Both answer loosely-timed b_transport calls with an annotated delay and
/// never wait, so the initiators' request streams are the same for both.

#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/common/BackingStore.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/common/Trace.h"
#include "models/memory/dram/AccessRecorder.h"
#include "models/memory/dram/DramParams.h"

namespace llmvp::models::dram {

class IDram : public IHasStats {
public:
  [[nodiscard]] virtual tlm::tlm_target_socket<>& targetSocket() = 0;
  /// The module's base name (e.g. "hbm").
  [[nodiscard]] virtual const char* dramName() const = 0;
  [[nodiscard]] virtual const DramParams& params() const = 0;
  [[nodiscard]] virtual BackingStore& store() = 0;
  [[nodiscard]] double peakGBps() const { return params().peakGBps(); }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Memory; }
  /// Feeds `recorder` (null: off): one track "memory NAME" for the whole
  /// memory and one per channel group (traceGroups()), in `process`.
  virtual void setTrace(TraceRecorder* recorder, const std::string& process) = 0;
  /// Feeds every timed request to `recorder` (null: off, the default).
  virtual void setAccessRecorder(IAccessRecorder* recorder) = 0;
  /// Brings statistics up to `end`, the end of the run (call once).
  virtual void finishAt(Ps end) { (void)end; }
  /// Loosely-timed timing of one request arriving at absolute time
  /// `arrival`: what b_transport does, callable without a caller thread.
  /// Returns the time of its response.
  virtual Ps schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival) = 0;
};

/// Channel groups of the trace: at most kMaxTraceGroups tracks of
/// consecutive channels, so the trace stays small for any memory size.
inline constexpr std::uint32_t kMaxTraceGroups = 16;

/// Names and channel ranges of the trace's channel groups for `channels`
/// channels (pseudo-channels for the fast model, channels for the detailed).
struct TraceGroups {
  std::uint32_t groups = 0, channels = 0;
  [[nodiscard]] std::uint32_t groupOf(std::uint32_t channel) const {
    return static_cast<std::uint32_t>(std::uint64_t{channel} * groups / channels);
  }
  /// Registers the tracks "memory NAME ch<first>-<last>" (a unit name, e.g. "ch"
  /// or "pc") and returns their ids, in group order.
  [[nodiscard]] std::vector<TraceRecorder::Track> addTracks(TraceRecorder& recorder, const std::string& process,
                                                            const std::string& name, const char* unit) const;
};
[[nodiscard]] TraceGroups traceGroups(std::uint32_t channels);

/// Builds the chosen model named `name` (during elaboration).
[[nodiscard]] std::unique_ptr<IDram> makeDram(const char* name, const DramParams& params, DramModel model);

} // namespace llmvp::models::dram
