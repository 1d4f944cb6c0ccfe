// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Host <-> firmware mailbox (regs.h MBOX_*). Firmware writes to STATUS and
/// STEP are reported to the host runtime with their simulated time.

#include <cstdint>
#include <functional>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/common/Interrupts.h"
#include "models/common/RegisterTarget.h"

namespace llmvp::models::soc {

class Mailbox : public sc_core::sc_module, public RegisterTarget {
public:
  tlm_utils::simple_target_socket<Mailbox> regSocket;
  IrqLine irq;
  /// Called for every write to MBOX_STATUS, MBOX_STEP, MBOX_PREFILLED or MBOX_SERVE_EVENT: (offset, value, time).
  std::function<void(std::uint32_t, std::uint32_t, Ps)> onFirmwareWrite;

  Mailbox(const sc_core::sc_module_name& name, double registerLatencyNs);

  [[nodiscard]] std::uint32_t reg(std::uint32_t offset) const;
  /// Host-side write (debug access, no time).
  void hostWrite(std::uint32_t offset, std::uint32_t value);

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) { handle(gp, delay, latency_); }
  unsigned transport_dbg(tlm::tlm_generic_payload& gp) { return handleDebug(gp); }
  bool readReg(std::uint32_t offset, std::uint32_t& value) override;
  bool writeReg(std::uint32_t offset, std::uint32_t value, Ps when) override;

  static constexpr std::uint32_t kRegs = 12; // up to MBOX_SERVE_EVENT (0x2C)
  const Ps latency_;
  std::uint32_t regs_[kRegs] = {};
};

} // namespace llmvp::models::soc
