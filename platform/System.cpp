// SPDX-License-Identifier: Apache-2.0
#include "platform/System.h"

#include <stdexcept>

namespace llmvp::platform {

class System::Networked : public sc_core::sc_module {
public:
  Networked(const sc_core::sc_module_name& name, const ChipParams& chip, const SystemParams& params,
            models::cpu::FirmwareEntry firmware)
      : sc_module(name), network("network", params.topology), group("collectives", network, params.collectives) {
    for (std::uint32_t i = 0; i < params.chips; ++i) {
      CollectivePort port{&group, i, params.collEngine};
      chips.push_back(std::make_unique<Chip>(("chip" + std::to_string(i)).c_str(), chip, firmware, port));
    }
  }

  models::interconnect::Network network;
  models::interconnect::CollectiveGroup group;
  std::vector<std::unique_ptr<Chip>> chips;
};

System::System(const ChipParams& chip, const SystemParams& params, models::cpu::FirmwareEntry firmware)
    : params_(params) {
  if (params.chips > 1) {
    networked_ = std::make_unique<Networked>("system", chip, params, firmware);
    for (auto& c : networked_->chips) chips_.push_back(c.get());
  } else {
    single_ = std::make_unique<Chip>("chip0", chip, firmware);
    chips_.push_back(single_.get());
  }
}

System::~System() = default;

models::interconnect::Network& System::network() {
  if (!networked_) throw std::logic_error("System::network(): a single chip has no network");
  return networked_->network;
}

models::interconnect::CollectiveGroup& System::group() {
  if (!networked_) throw std::logic_error("System::group(): a single chip has no collectives");
  return networked_->group;
}

void System::attachTrace(models::TraceRecorder& recorder) {
  for (Chip* c : chips_) c->attachTrace(recorder);
  if (networked_) networked_->network.attachTrace(recorder, "network");
}

} // namespace llmvp::platform
