// SPDX-License-Identifier: Apache-2.0
#include "platform/System.h"

namespace llmvp::platform {

System::System(const sc_core::sc_module_name& name, const ChipParams& chip, const SystemParams& params,
               models::cpu::FirmwareEntry firmware)
    : sc_module(name), params_(params), network_("network", params.topology),
      group_("collectives", network_, params.collectives, params.parallel.tensor) {
  for (std::uint32_t i = 0; i < params.chips; ++i) {
    ChipParams cp = chip;
    // Same seed on every chip: the replicated parts (timing-only argmax ids)
    // agree, as they would on real hardware. With data-parallel attention
    // the chips decode different requests: each draws its own.
    if (params.parallel.dataAttention) cp.tile.seed = chip.tile.seed + kDataParallelSeedStride * i;
    CollectivePort port{&group_, i, params.collEngine};
    chips_.push_back(std::make_unique<Chip>(("chip" + std::to_string(i)).c_str(), cp, firmware, port));
  }
}

void System::attachTrace(models::TraceRecorder& recorder) {
  for (auto& c : chips_) c->attachTrace(recorder);
  network_.attachTrace(recorder, "network");
}

} // namespace llmvp::platform
