// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Counting semaphores for engine-to-engine dependencies (regs.h SEM_*).
/// Signals arrive as timed register writes and take effect at their
/// annotated time; waits are a sideband wire from each engine.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "firmware/include/regs.h"
#include "models/common/RegisterTarget.h"
#include "models/common/Semaphores.h"

namespace llmvp::models::soc {

class SemaphoreBlock : public sc_core::sc_module, public RegisterTarget, public ISemaphoreWait {
public:
  tlm_utils::simple_target_socket<SemaphoreBlock> regSocket;

  SC_HAS_PROCESS(SemaphoreBlock);
  SemaphoreBlock(const sc_core::sc_module_name& name, double registerLatencyNs);

  void waitAndDecrement(std::uint32_t index) override;
  [[nodiscard]] std::uint32_t count() const override { return LLMVP_SEM_COUNT; }
  void noteSignaller(std::uint32_t index, const std::string& engine) override { signallers_.at(index) = engine; }
  [[nodiscard]] const std::string& signaller(std::uint32_t index) const override { return signallers_.at(index); }
  [[nodiscard]] std::uint32_t value(std::uint32_t index) const { return values_.at(index); }

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) { handle(gp, delay, latency_); }
  unsigned transport_dbg(tlm::tlm_generic_payload& gp) { return handleDebug(gp); }
  bool readReg(std::uint32_t offset, std::uint32_t& value) override;
  bool writeReg(std::uint32_t offset, std::uint32_t value, Ps when) override;
  void applyDue();

  struct Pending {
    std::uint32_t index;
    std::uint32_t add;
  };
  const Ps latency_;
  std::array<std::uint32_t, LLMVP_SEM_COUNT> values_{};
  std::array<sc_core::sc_event, LLMVP_SEM_COUNT> changed_;
  std::array<std::string, LLMVP_SEM_COUNT> signallers_;
  std::multimap<Ps, Pending> pending_; ///< signals not yet due, by time
  sc_core::sc_event due_;
};

} // namespace llmvp::models::soc
