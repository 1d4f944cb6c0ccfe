// SPDX-License-Identifier: Apache-2.0
#include "platform/System.h"

namespace llmvp::platform {

System::System(const sc_core::sc_module_name& name, const ChipParams& chip, const SystemParams& params,
               models::cpu::FirmwareEntry firmware)
    : sc_module(name), params_(params), network_("network", params.topology),
      group_("collectives", network_, params.collectives) {
  for (std::uint32_t i = 0; i < params.chips; ++i) {
    CollectivePort port{&group_, i, params.collEngine};
    chips_.push_back(std::make_unique<Chip>(("chip" + std::to_string(i)).c_str(), chip, firmware, port));
  }
}

void System::attachTrace(models::TraceRecorder& recorder) {
  for (auto& c : chips_) c->attachTrace(recorder);
  network_.attachTrace(recorder, "network");
}

} // namespace llmvp::platform
