// SPDX-License-Identifier: Apache-2.0
#include "platform/Chip.h"

#include <string>

#include "firmware/include/memmap.h"
#include "platform/HbfBuffer.h"

namespace llmvp::platform {

namespace {
models::interconnect::FabricPortParams port(std::string name, std::uint64_t base, std::uint64_t size,
                                            const PortTiming& t) {
  return {std::move(name), base, size, t.latencyNs, t.bandwidthGBps};
}
} // namespace

Chip::Chip(const sc_core::sc_module_name& name, const ChipParams& params, models::cpu::FirmwareEntry firmware,
           const CollectivePort& collectives)
    : sc_module(name), params_(params), fabric_("fabric", params.fabric), intc_("intc", params.registerLatencyNs),
      cpuIrq_(intc_), mailbox_("mailbox", params.registerLatencyNs), sems_("semaphores", params.registerLatencyNs),
      tracePort_("trace_port", params.registerLatencyNs), ctrlSram_("ctrl_sram", params.ctrlSram),
      debugSocket_("debugSocket") {
  cpu_ = std::make_unique<models::cpu::ControlCpu>("cpu", params.cpu, firmware, cpuIrq_);
  cpu_->busSocket.bind(fabric_.initiatorSocket);
  debugSocket_.bind(fabric_.initiatorSocket);

  // Target ports, bound in the order they are added.
  fabric_.addPort(port("ctrl_sram", LLMVP_CTRL_SRAM_BASE, params.ctrlSram.bytes, params.ctrlSramPort));
  fabric_.targetSocket.bind(ctrlSram_.socket);
  fabric_.addPort(port("intc", LLMVP_INTC_BASE, LLMVP_MMIO_STRIDE, params.mmioPort));
  fabric_.targetSocket.bind(intc_.regSocket);
  fabric_.addPort(port("mailbox", LLMVP_MAILBOX_BASE, LLMVP_MMIO_STRIDE, params.mmioPort));
  fabric_.targetSocket.bind(mailbox_.regSocket);
  fabric_.addPort(port("semaphores", LLMVP_SEM_BASE, LLMVP_MMIO_STRIDE, params.mmioPort));
  fabric_.targetSocket.bind(sems_.regSocket);
  fabric_.addPort(port("trace_port", LLMVP_TRACE_BASE, LLMVP_MMIO_STRIDE, params.mmioPort));
  fabric_.targetSocket.bind(tracePort_.regSocket);
  mailbox_.irq.bind(intc_, LLMVP_IRQ_MAILBOX);

  models::EngineParams dmaParams = params.dma;
  dmaParams.semSignalAddress = LLMVP_SEM_BASE + SEM_SIGNAL(0);
  for (std::uint32_t i = 0; i < params.dmaCount; ++i) {
    auto& d = *dmas_.emplace_back(std::make_unique<models::dma::DmaEngine>(("dma" + std::to_string(i)).c_str(),
                                                                           dmaParams, sems_, params.functional));
    d.memSocket.bind(fabric_.initiatorSocket);
    fabric_.addPort(port(d.basename(), LLMVP_DMA_BASE(i), LLMVP_MMIO_STRIDE, params.mmioPort));
    fabric_.targetSocket.bind(d.regSocket);
    d.irq.bind(intc_, LLMVP_IRQ_DMA(i));
  }
  for (std::uint32_t i = 0; i < params.tileCount; ++i) {
    models::compute::TileParams tp = params.tile;
    tp.engine.semSignalAddress = LLMVP_SEM_BASE + SEM_SIGNAL(0);
    tp.scratchpadBase = LLMVP_SPAD_BASE(i);
    tp.hbfBuffer = hbfBufferParams(params);
    auto& t = *tiles_.emplace_back(std::make_unique<models::compute::ComputeTile>(("tile" + std::to_string(i)).c_str(),
                                                                                  tp, sems_, params.functional));
    t.memSocket.bind(fabric_.initiatorSocket);
    fabric_.addPort(port(t.basename(), LLMVP_TILE_BASE(i), LLMVP_MMIO_STRIDE, params.mmioPort));
    fabric_.targetSocket.bind(t.regSocket);
    fabric_.addPort(port(std::string(t.basename()) + ".scratchpad", LLMVP_SPAD_BASE(i), tp.scratchpad.bytes,
                         params.scratchpadPort));
    fabric_.targetSocket.bind(t.scratchpadSocket());
    t.irq.bind(intc_, LLMVP_IRQ_TILE(i));
  }
  if (collectives.group != nullptr) {
    models::EngineParams cp = collectives.engine;
    cp.semSignalAddress = LLMVP_SEM_BASE + SEM_SIGNAL(0);
    coll_ = std::make_unique<models::interconnect::CollectiveEngine>("coll0", cp, sems_, *collectives.group,
                                                                     collectives.chip, params.functional);
    coll_->memSocket.bind(fabric_.initiatorSocket);
    fabric_.addPort(port(coll_->basename(), LLMVP_COLL_BASE(0), LLMVP_MMIO_STRIDE, params.mmioPort));
    fabric_.targetSocket.bind(coll_->regSocket);
    coll_->irq.bind(intc_, LLMVP_IRQ_COLL(0));
  }
  if (params.hasHbf) {
    hbf_ = std::make_unique<models::flash::Hbf>("hbf", params.hbf);
    fabric_.addPort(port("hbf", LLMVP_HBF_BASE, params.hbf.capacityBytes(), params.hbfPort));
    fabric_.targetSocket.bind(hbf_->socket);
  }
  if (!params.stackedMemory) {
    hbm_ = models::dram::makeDram("hbm", params.hbm, params.hbm.model);
    fabric_.addPort(port("hbm", LLMVP_HBM_BASE, params.hbm.capacityBytes, params.hbmPort));
    fabric_.targetSocket.bind(hbm_->targetSocket());
    return;
  }
  buildStacked(params);
}

void Chip::buildStacked(const ChipParams& params) {
  // Main memory is the 3D stack; near-memory engine i owns partition i and
  // reaches it through the stack's internal port (NearMemoryRouter).
  stacked_ = std::make_unique<models::stacked::StackedDram>("stacked", params.stacked);
  fabric_.addPort(port("stacked", LLMVP_HBM_BASE, stacked_->windowBytes(), params.stackedPort)); // both views
  fabric_.targetSocket.bind(stacked_->socket);
  models::stacked::PnmParams pp = params.pnm;
  pp.engine.semSignalAddress = LLMVP_SEM_BASE + SEM_SIGNAL(0);
  pp.engine.clockMhz *= params.stacked.throttle(); // the power budget caps the logic clock too
  if (params.pnmCount == 0) {
    noLogicSocket_ = std::make_unique<tlm_utils::simple_initiator_socket<Chip>>("noLogicSocket");
    noLogicSocket_->bind(stacked_->internalSocket);
  }
  const std::uint64_t part = params.stacked.partitionBytes();
  for (std::uint32_t i = 0; i < params.pnmCount; ++i) {
    const std::string n = (params.pnm.inDram ? "pim" : "pnm") + std::to_string(i);
    auto& r = *pnmRouters_.emplace_back(std::make_unique<models::stacked::NearMemoryRouter>(
        (n + "_router").c_str(), LLMVP_HBM_BASE, LLMVP_HBM_BASE + i * part, part));
    auto& e =
        *pnms_.emplace_back(std::make_unique<models::stacked::PnmEngine>(n.c_str(), pp, sems_, params.functional));
    e.memSocket.bind(r.engineSocket);
    r.internalSocket.bind(stacked_->internalSocket);
    r.externalSocket.bind(fabric_.initiatorSocket);
    fabric_.addPort(port(e.basename(), LLMVP_PNM_BASE(i), LLMVP_MMIO_STRIDE, params.mmioPort));
    fabric_.targetSocket.bind(e.regSocket);
    e.irq.bind(intc_, LLMVP_IRQ_PNM(i));
  }
}

void Chip::attachTrace(models::TraceRecorder& recorder) {
  const std::string process = name();
  tracePort_.setTrace(&recorder, process);
  for (auto& d : dmas_) d->setTrace(&recorder, recorder.addTrack(process, d->basename()));
  for (auto& t : tiles_) t->setTrace(&recorder, recorder.addTrack(process, t->basename()));
  if (coll_) coll_->setTrace(&recorder, recorder.addTrack(process, coll_->basename()));
  if (hbm_) hbm_->setTrace(&recorder, process);
  if (hbf_) hbf_->setTrace(&recorder, recorder.addTrack(process, std::string("memory ") + hbf_->basename()));
  if (stacked_)
    stacked_->setTrace(&recorder, recorder.addTrack(process, std::string("memory ") + stacked_->basename()));
  for (auto& e : pnms_) e->setTrace(&recorder, recorder.addTrack(process, e->basename()));
  fabric_.setTrace(&recorder, process);
}

bool Chip::debugWrite(std::uint64_t addr, const void* data, std::size_t bytes) {
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_WRITE_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(static_cast<unsigned char*>(const_cast<void*>(data)));
  gp.set_data_length(static_cast<unsigned>(bytes));
  return debugSocket_->transport_dbg(gp) == bytes;
}

bool Chip::debugRead(std::uint64_t addr, void* data, std::size_t bytes) {
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(static_cast<unsigned char*>(data));
  gp.set_data_length(static_cast<unsigned>(bytes));
  return debugSocket_->transport_dbg(gp) == bytes;
}

} // namespace llmvp::platform
