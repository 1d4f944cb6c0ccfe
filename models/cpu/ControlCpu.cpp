// SPDX-License-Identifier: Apache-2.0
#include "models/cpu/ControlCpu.h"

#include <cstdio>
#include <cstring>

namespace llmvp::models::cpu {

ControlCpu::ControlCpu(const sc_core::sc_module_name& name, const CpuParams& params, FirmwareEntry entry,
                       const IInterruptInput& irq)
    : sc_module(name), busSocket("busSocket"), params_(params), entry_(entry), irq_(irq), stats_(this->name()),
      accesses_(stats_.add("accesses", "HAL memory/MMIO accesses", Unit::Count)),
      accessPs_(stats_.add("busy", "time spent in HAL accesses", Unit::Ps)),
      irqWaitPs_(stats_.add("irq_wait", "time asleep waiting for interrupts", Unit::Ps)),
      irqWaits_(stats_.add("irq_waits", "interrupt waits", Unit::Count)) {
  SC_THREAD(run);
  set_stack_size(params.stackBytes);
}

ControlCpu::~ControlCpu() {
  if (process_ != nullptr) byProcess().erase(process_);
}

std::map<const sc_core::sc_object*, ControlCpu*>& ControlCpu::byProcess() {
  static std::map<const sc_core::sc_object*, ControlCpu*> map;
  return map;
}

ControlCpu* ControlCpu::current() {
  const auto it = byProcess().find(sc_core::sc_get_current_process_handle().get_process_object());
  return it == byProcess().end() ? nullptr : it->second;
}

void ControlCpu::run() {
  process_ = sc_core::sc_get_current_process_handle().get_process_object();
  byProcess()[process_] = this;
  sc_core::wait(reset_);
  exitCode_ = entry_();
  qk_.sync();
  finished_ = true;
}

void ControlCpu::access(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::size_t bytes) {
  if (!fault_.empty()) return; // a faulted CPU's accesses have no effect
  tlm::tlm_generic_payload gp;
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(static_cast<unsigned char*>(data));
  gp.set_data_length(static_cast<unsigned>(bytes));
  gp.set_streaming_width(static_cast<unsigned>(bytes));
  gp.set_byte_enable_ptr(nullptr);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const sc_core::sc_time issue = fromPs(cyclesToPs(params_.accessCycles, params_.clockMhz));
  sc_core::sc_time delay = qk_.get_local_time() + issue;
  const sc_core::sc_time before = qk_.get_local_time();
  busSocket->b_transport(gp, delay);
  accesses_ += 1;
  accessPs_ += static_cast<double>(toPs(delay - before));
  qk_.set(delay);
  if (qk_.need_sync()) qk_.sync();
  if (gp.get_response_status() != tlm::TLM_OK_RESPONSE) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "firmware %s of %zu bytes at 0x%llx failed: %s",
                  cmd == tlm::TLM_READ_COMMAND ? "read" : "write", bytes, static_cast<unsigned long long>(addr),
                  gp.get_response_string().c_str());
    fault_ = msg;
    if (cmd == tlm::TLM_READ_COMMAND) std::memset(data, 0, bytes);
  }
}

void ControlCpu::waitIrq() {
  qk_.sync();
  const Ps before = nowPs();
  irqWaits_ += 1;
  while (!irq_.cpuIrq()) sc_core::wait(irq_.cpuIrqEvent());
  irqWaitPs_ += static_cast<double>(nowPs() - before);
}

std::uint64_t ControlCpu::cycles() const {
  const Ps t = nowPs() + toPs(qk_.get_local_time());
  return static_cast<std::uint64_t>(static_cast<double>(t) * params_.clockMhz / 1.0e6);
}

} // namespace llmvp::models::cpu
