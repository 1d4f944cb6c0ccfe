// SPDX-License-Identifier: Apache-2.0
#include "models/soc/TracePort.h"

#include "firmware/include/regs.h"

namespace llmvp::models::soc {

TracePort::TracePort(const sc_core::sc_module_name& name, double registerLatencyNs)
    : sc_module(name), regSocket("regSocket"), latency_(nsToPs(registerLatencyNs)) {
  regSocket.register_b_transport(this, &TracePort::b_transport);
  regSocket.register_transport_dbg(this, &TracePort::transport_dbg);
}

void TracePort::setTrace(TraceRecorder* recorder, const std::string& process) {
  trace_ = recorder;
  if (recorder == nullptr) return;
  stepTrack_ = recorder->addTrack(process, "firmware step");
  phaseTrack_ = recorder->addTrack(process, "firmware phase");
}

std::string TracePort::phaseName(std::uint32_t phase) {
  switch (phase) {
  case TRACE_PH_IDLE: return "idle";
  case TRACE_PH_SETUP: return "setup";
  case TRACE_PH_PATCH: return "patch";
  case TRACE_PH_WAIT: return "wait";
  case TRACE_PH_COLLECT: return "collect";
  default: return "phase " + std::to_string(phase);
  }
}

bool TracePort::readReg(std::uint32_t offset, std::uint32_t& value) {
  if (offset != TRACE_LAST) return false;
  value = last_;
  return true;
}

bool TracePort::writeReg(std::uint32_t offset, std::uint32_t value, Ps when) {
  if (offset != TRACE_MARK) return false;
  last_ = value;
  const std::uint32_t step = TRACE_MARK_STEP(value), phase = TRACE_MARK_PHASE(value);
  const bool stepEnds = inStep_ && (phase == TRACE_PH_IDLE || phase == TRACE_PH_SETUP || step != step_);
  if (trace_ != nullptr) {
    if (inPhase_)
      trace_->span(phaseTrack_, phaseName(phase_), "firmware", phaseBegin_, when, {{"step", std::to_string(step_)}});
    if (stepEnds)
      trace_->span(stepTrack_, "step " + std::to_string(step_), "firmware", stepBegin_, when,
                   {{"step", std::to_string(step_)}});
  }
  if (stepEnds) inStep_ = false;
  inPhase_ = phase != TRACE_PH_IDLE;
  phase_ = phase;
  phaseBegin_ = when;
  if (phase != TRACE_PH_IDLE && phase != TRACE_PH_SETUP && !inStep_) {
    inStep_ = true;
    step_ = step;
    stepBegin_ = when;
  }
  if (onMark) onMark(step, phase, when);
  return true;
}

} // namespace llmvp::models::soc
