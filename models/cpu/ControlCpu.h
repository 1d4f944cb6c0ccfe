// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Control processor running host-compiled firmware. The firmware entry
/// point runs in this module's thread after the host releases reset; every
/// hal.h call becomes a TLM transaction (or an interrupt wait) of this CPU,
/// costed with `accessCycles` of issue overhead plus the fabric's delay.

#include <cstddef>
#include <cstdint>
#include <map>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/cpu/CpuParams.h"

namespace llmvp::models::cpu {

/// Firmware entry point: returns 0 on success.
using FirmwareEntry = int (*)();

/// What the CPU's interrupt input is wired to.
class IInterruptInput {
public:
  virtual ~IInterruptInput() = default;
  [[nodiscard]] virtual bool cpuIrq() const = 0;
  [[nodiscard]] virtual const sc_core::sc_event& cpuIrqEvent() const = 0;
};

class ControlCpu : public sc_core::sc_module, public IHasStats {
public:
  tlm_utils::simple_initiator_socket<ControlCpu> busSocket;

  SC_HAS_PROCESS(ControlCpu);
  ControlCpu(const sc_core::sc_module_name& name, const CpuParams& params, FirmwareEntry entry,
             const IInterruptInput& irq);
  ~ControlCpu() override;
  ControlCpu(const ControlCpu&) = delete;
  ControlCpu& operator=(const ControlCpu&) = delete;

  /// Releases the CPU from reset at the current time: firmware starts.
  void releaseReset() { reset_.notify(sc_core::SC_ZERO_TIME); }
  [[nodiscard]] bool finished() const { return finished_; }
  [[nodiscard]] int exitCode() const { return exitCode_; }

  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Cpu; }

  // ---- HAL implementation (called from the firmware through hal.h) -------
  /// The CPU whose firmware thread is running, or nullptr.
  [[nodiscard]] static ControlCpu* current();
  void access(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::size_t bytes);
  void waitIrq();
  [[nodiscard]] std::uint64_t cycles() const;
  /// Raised when a HAL access fails (firmware bug): reported, CPU stops.
  [[nodiscard]] const std::string& fault() const { return fault_; }

private:
  void run();

  const CpuParams params_;
  const FirmwareEntry entry_;
  const IInterruptInput& irq_;
  tlm_utils::tlm_quantumkeeper qk_;
  sc_core::sc_event reset_;
  bool finished_ = false;
  int exitCode_ = 0;
  std::string fault_;
  sc_core::sc_object* process_ = nullptr;

  StatsGroup stats_;
  Stat& accesses_;
  Stat& accessPs_;
  Stat& irqWaitPs_;
  Stat& irqWaits_;

  /// Firmware threads by process: the C HAL has no context argument, so the
  /// running CPU is found from the current SystemC process.
  static std::map<const sc_core::sc_object*, ControlCpu*>& byProcess();
};

} // namespace llmvp::models::cpu
