// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Level-sensitive interrupt controller: 32 lines, a pending and an enable
/// register; the control CPU's interrupt input is (PENDING & ENABLE) != 0.

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/common/Interrupts.h"
#include "models/common/RegisterTarget.h"

namespace llmvp::models::soc {

class InterruptController : public sc_core::sc_module, public RegisterTarget, public IInterruptSink {
public:
  tlm_utils::simple_target_socket<InterruptController> regSocket;

  InterruptController(const sc_core::sc_module_name& name, double registerLatencyNs);

  void setLine(std::uint32_t line, bool level) override;
  /// True while an enabled line is pending.
  [[nodiscard]] bool cpuIrq() const { return (pending_ & enable_) != 0; }
  /// Notified whenever cpuIrq() may have become true.
  [[nodiscard]] const sc_core::sc_event& cpuIrqEvent() const { return changed_; }

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) { handle(gp, delay, latency_); }
  unsigned transport_dbg(tlm::tlm_generic_payload& gp) { return handleDebug(gp); }
  bool readReg(std::uint32_t offset, std::uint32_t& value) override;
  bool writeReg(std::uint32_t offset, std::uint32_t value, Ps when) override;

  const Ps latency_;
  std::uint32_t pending_ = 0;
  std::uint32_t enable_ = 0;
  sc_core::sc_event changed_;
};

} // namespace llmvp::models::soc
