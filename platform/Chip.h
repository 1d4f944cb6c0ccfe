// SPDX-License-Identifier: Apache-2.0
#pragma once
/// One accelerator chip: control CPU, interrupt controller, mailbox,
/// semaphores, control SRAM, DMA engines, compute tiles and HBM on an
/// on-chip fabric, at the addresses of firmware/include/memmap.h.

#include <memory>
#include <systemc>
#include <vector>

#include "models/common/Engine.h"
#include "models/compute/ComputeTile.h"
#include "models/cpu/ControlCpu.h"
#include "models/dma/DmaEngine.h"
#include "models/interconnect/CollectiveEngine.h"
#include "models/interconnect/Fabric.h"
#include "models/memory/dram/Dram.h"
#include "models/memory/flash/Hbf.h"
#include "models/memory/stacked/NearMemoryRouter.h"
#include "models/memory/stacked/PnmEngine.h"
#include "models/memory/stacked/StackedDram.h"
#include "models/soc/InterruptController.h"
#include "models/soc/Mailbox.h"
#include "models/soc/SemaphoreBlock.h"
#include "models/soc/Sram.h"
#include "models/soc/TracePort.h"
#include "platform/ChipParams.h"

namespace llmvp::platform {

/// A chip's place in a multi-chip system: with a group, the chip gets a
/// collectives engine (LLMVP_COLL_BASE(0), LLMVP_IRQ_COLL(0)) that meets the
/// other chips' engines there as chip `chip`.
struct CollectivePort {
  models::interconnect::CollectiveGroup* group = nullptr;
  std::uint32_t chip = 0; ///< this chip's id in the system (network chip id)
  models::EngineParams engine;
};

class Chip : public sc_core::sc_module {
public:
  Chip(const sc_core::sc_module_name& name, const ChipParams& params, models::cpu::FirmwareEntry firmware,
       const CollectivePort& collectives = {});
  Chip(const Chip&) = delete;
  Chip& operator=(const Chip&) = delete;

  [[nodiscard]] const ChipParams& params() const { return params_; }
  [[nodiscard]] models::cpu::ControlCpu& cpu() { return *cpu_; }
  [[nodiscard]] models::soc::Mailbox& mailbox() { return mailbox_; }
  [[nodiscard]] models::soc::Sram& ctrlSram() { return ctrlSram_; }
  /// The HBM: fast or command-level model (chip.hbm.model); only when !params().stackedMemory.
  [[nodiscard]] models::dram::IDram& hbm() { return *hbm_; }
  [[nodiscard]] bool hasHbm() const { return hbm_ != nullptr; }
  /// The High Bandwidth Flash, or null when the platform has none.
  [[nodiscard]] models::flash::Hbf* hbf() { return hbf_.get(); }
  /// The 3D-stacked main memory; only when params().stackedMemory.
  [[nodiscard]] models::stacked::StackedDram& stacked() { return *stacked_; }
  [[nodiscard]] std::size_t pnmCount() const { return pnms_.size(); }
  [[nodiscard]] models::stacked::PnmEngine& pnm(std::size_t i) { return *pnms_.at(i); }
  [[nodiscard]] models::compute::ComputeTile& tile(std::size_t i) { return *tiles_.at(i); }
  [[nodiscard]] models::dma::DmaEngine& dma(std::size_t i) { return *dmas_.at(i); }
  [[nodiscard]] std::size_t tileCount() const { return tiles_.size(); }
  [[nodiscard]] std::size_t dmaCount() const { return dmas_.size(); }
  /// The collectives engine, or null for a chip outside a system.
  [[nodiscard]] models::interconnect::CollectiveEngine* collectives() { return coll_.get(); }
  [[nodiscard]] models::soc::TracePort& tracePort() { return tracePort_; }
  /// Feeds `recorder` (a process named after the chip: one track per engine,
  /// the HBM, each fabric port and the firmware phases). Call before the
  /// simulation starts; without a call nothing is traced.
  void attachTrace(models::TraceRecorder& recorder);
  /// Untimed access through the fabric's address map (host loading, tests).
  /// Returns false if the range is not mapped.
  bool debugWrite(std::uint64_t addr, const void* data, std::size_t bytes);
  bool debugRead(std::uint64_t addr, void* data, std::size_t bytes);

private:
  void buildStacked(const ChipParams& params);
  /// Adapter: the CPU's interrupt input is the controller's output.
  struct CpuIrq : models::cpu::IInterruptInput {
    explicit CpuIrq(const models::soc::InterruptController& c) : intc(c) {}
    [[nodiscard]] bool cpuIrq() const override { return intc.cpuIrq(); }
    [[nodiscard]] const sc_core::sc_event& cpuIrqEvent() const override { return intc.cpuIrqEvent(); }
    const models::soc::InterruptController& intc;
  };

  const ChipParams params_;
  models::interconnect::Fabric fabric_;
  models::soc::InterruptController intc_;
  CpuIrq cpuIrq_;
  models::soc::Mailbox mailbox_;
  models::soc::SemaphoreBlock sems_;
  models::soc::TracePort tracePort_;
  models::soc::Sram ctrlSram_;
  std::unique_ptr<models::dram::IDram> hbm_;
  std::unique_ptr<models::flash::Hbf> hbf_;
  std::unique_ptr<models::stacked::StackedDram> stacked_;
  std::vector<std::unique_ptr<models::stacked::NearMemoryRouter>> pnmRouters_;
  std::vector<std::unique_ptr<models::stacked::PnmEngine>> pnms_;
  /// Binds the stack's internal port when no near-memory engine uses it.
  std::unique_ptr<tlm_utils::simple_initiator_socket<Chip>> noLogicSocket_;
  std::unique_ptr<models::cpu::ControlCpu> cpu_;
  std::vector<std::unique_ptr<models::dma::DmaEngine>> dmas_;
  std::vector<std::unique_ptr<models::compute::ComputeTile>> tiles_;
  std::unique_ptr<models::interconnect::CollectiveEngine> coll_;
  tlm_utils::simple_initiator_socket<Chip> debugSocket_;
};

} // namespace llmvp::platform
