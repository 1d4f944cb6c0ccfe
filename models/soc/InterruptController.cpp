// SPDX-License-Identifier: Apache-2.0
#include "models/soc/InterruptController.h"

#include "firmware/include/regs.h"

namespace llmvp::models::soc {

InterruptController::InterruptController(const sc_core::sc_module_name& name, double registerLatencyNs)
    : sc_module(name), regSocket("regSocket"), latency_(nsToPs(registerLatencyNs)) {
  regSocket.register_b_transport(this, &InterruptController::b_transport);
  regSocket.register_transport_dbg(this, &InterruptController::transport_dbg);
}

void InterruptController::setLine(std::uint32_t line, bool level) {
  const std::uint32_t bit = 1u << (line & 31u);
  pending_ = level ? (pending_ | bit) : (pending_ & ~bit);
  if (cpuIrq()) changed_.notify(sc_core::SC_ZERO_TIME);
}

bool InterruptController::readReg(std::uint32_t offset, std::uint32_t& v) {
  switch (offset) {
  case INTC_PENDING: v = pending_; return true;
  case INTC_ENABLE: v = enable_; return true;
  default: return false;
  }
}

bool InterruptController::writeReg(std::uint32_t offset, std::uint32_t v, Ps) {
  if (offset != INTC_ENABLE) return false;
  enable_ = v;
  if (cpuIrq()) changed_.notify(sc_core::SC_ZERO_TIME);
  return true;
}

} // namespace llmvp::models::soc
