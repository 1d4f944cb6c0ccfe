// SPDX-License-Identifier: Apache-2.0
#include "models/soc/Mailbox.h"

#include "firmware/include/regs.h"

namespace llmvp::models::soc {

Mailbox::Mailbox(const sc_core::sc_module_name& name, double registerLatencyNs)
    : sc_module(name), regSocket("regSocket"), latency_(nsToPs(registerLatencyNs)) {
  regSocket.register_b_transport(this, &Mailbox::b_transport);
  regSocket.register_transport_dbg(this, &Mailbox::transport_dbg);
}

std::uint32_t Mailbox::reg(std::uint32_t offset) const { return offset / 4 < kRegs ? regs_[offset / 4] : 0; }

void Mailbox::hostWrite(std::uint32_t offset, std::uint32_t value) { (void)writeReg(offset, value, nowPs()); }

bool Mailbox::readReg(std::uint32_t offset, std::uint32_t& v) {
  if (offset / 4 >= kRegs) return false;
  v = regs_[offset / 4];
  return true;
}

bool Mailbox::writeReg(std::uint32_t offset, std::uint32_t v, Ps when) {
  if (offset / 4 >= kRegs) return false;
  regs_[offset / 4] = v;
  if ((offset == MBOX_STATUS || offset == MBOX_STEP || offset == MBOX_PREFILLED || offset == MBOX_SERVE_EVENT) &&
      onFirmwareWrite)
    onFirmwareWrite(offset, v, when);
  if (offset == MBOX_HOST_IRQ) irq.set(v != 0);
  return true;
}

} // namespace llmvp::models::soc
