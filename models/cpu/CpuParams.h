// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of the control processor (models/cpu/ControlCpu.h), without
/// SystemC: the host and the loaders use them without a built chip.

#include <cstddef>
#include <cstdint>

namespace llmvp::models::cpu {

struct CpuParams {
  double clockMhz = 1000.0;
  double accessCycles = 4.0;        ///< core cycles to issue one HAL access
  std::size_t stackBytes = 1 << 20; ///< firmware thread stack
};

} // namespace llmvp::models::cpu
