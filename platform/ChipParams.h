// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Everything needed to build one chip, validated and typed (built from
/// configs/platforms/*.yaml by config/Loaders.h).

#include <cstdint>
#include <string>

#include "models/common/EngineParams.h"
#include "models/compute/TileParams.h"
#include "models/cpu/CpuParams.h"
#include "models/interconnect/FabricParams.h"
#include "models/memory/dram/DramParams.h"
#include "models/memory/flash/HbfParams.h"
#include "models/memory/stacked/PnmParams.h"
#include "models/memory/stacked/StackedParams.h"
#include "models/soc/SramParams.h"

namespace llmvp::platform {

/// Latency and bandwidth of one fabric target port.
struct PortTiming {
  double latencyNs = 0;
  double bandwidthGBps = 1;
};

struct EnergyParams {
  double staticW = 0; ///< chip static/leakage power (whole package)
};

struct ChipParams {
  std::string name;
  /// Memories hold data and the engines compute real results (llmvp run
  /// --functional); else timing only. Given to every engine at construction.
  bool functional = false;
  models::cpu::CpuParams cpu;
  double registerLatencyNs = 1;
  models::soc::SramParams ctrlSram;
  models::interconnect::FabricParams fabric;
  PortTiming ctrlSramPort, mmioPort, scratchpadPort, hbmPort;
  std::uint32_t dmaCount = 1;
  models::EngineParams dma;
  std::uint32_t tileCount = 1;
  models::compute::TileParams tile;
  models::dram::DramParams hbm;
  EnergyParams energy;
  // ---- High Bandwidth Flash: optional, chip.hbf ----
  bool hasHbf = false;
  models::flash::HbfParams hbf; ///< stacks and geometry; at LLMVP_HBF_BASE
  PortTiming hbfPort;
  /// Tile weight-stream buffer for HBF reads (chip.hbf.prefetch.mode sram):
  /// sized to bufferFactor x HBF peak read bandwidth x unloaded latency of
  /// one chunk read (platform/HbfBuffer.h); 0: the tile's own
  /// max_outstanding. readAhead: the buffer streams across descriptors.
  double hbfBufferFactor = 0;
  bool hbfReadAhead = false;
  // ---- 3D-stacked DRAM and near-memory engines ----
  /// Main memory is a StackedDram (chip.stacked) at the HBM window instead
  /// of the HBM model (chip.hbm absent).
  bool stackedMemory = false;
  models::stacked::StackedParams stacked;
  PortTiming stackedPort;
  /// Near-memory engines, one per memory partition (chip.pnm; 0: none).
  std::uint32_t pnmCount = 0;
  models::stacked::PnmParams pnm;
};

} // namespace llmvp::platform
