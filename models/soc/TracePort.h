// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Stimulus port through which firmware marks its phases (regs.h TRACE_*).
/// Each mark is reported to `onMark` (per-step sampling, progress) and, when
/// a recorder is attached, closed phases and steps become spans on two
/// tracks ("firmware step", "firmware phase"). Writes are timed like any
/// register write, traced or not.

#include <cstdint>
#include <functional>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/common/RegisterTarget.h"
#include "models/common/Trace.h"

namespace llmvp::models::soc {

class TracePort : public sc_core::sc_module, public RegisterTarget {
public:
  tlm_utils::simple_target_socket<TracePort> regSocket;
  /// Called for every mark: (step, phase, time).
  std::function<void(std::uint32_t, std::uint32_t, Ps)> onMark;

  TracePort(const sc_core::sc_module_name& name, double registerLatencyNs);
  TracePort(const TracePort&) = delete;
  TracePort& operator=(const TracePort&) = delete;

  /// Records firmware spans in `recorder` under process `process` (null: off).
  void setTrace(TraceRecorder* recorder, const std::string& process);
  /// Name of a TRACE_PH_* value.
  [[nodiscard]] static std::string phaseName(std::uint32_t phase);

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) { handle(gp, delay, latency_); }
  unsigned transport_dbg(tlm::tlm_generic_payload& gp) { return handleDebug(gp); }
  bool readReg(std::uint32_t offset, std::uint32_t& value) override;
  bool writeReg(std::uint32_t offset, std::uint32_t value, Ps when) override;

  const Ps latency_;
  std::uint32_t last_ = 0;
  bool inStep_ = false, inPhase_ = false;
  std::uint32_t step_ = 0, phase_ = 0;
  Ps stepBegin_ = 0, phaseBegin_ = 0;
  TraceRecorder* trace_ = nullptr;
  TraceRecorder::Track stepTrack_ = 0, phaseTrack_ = 0;
};

} // namespace llmvp::models::soc
