// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A system of 1 to N chips. N > 1: each chip is a platform::Chip with a
/// collectives engine, joined by a chip-to-chip network
/// (models/interconnect/Network) whose collectives run in one
/// CollectiveGroup, all in the module "system". One chip (a platform file,
/// or a system file with chips: 1) is that chip alone: no network, no
/// collectives engine, and the chip is the top-level module "chip0".
/// Hardware only: how a model is split over the chips is the host's
/// mapping, and each chip's firmware names the group of every collective in
/// its descriptors.

#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "models/interconnect/Collectives.h"
#include "models/interconnect/Network.h"
#include "platform/Chip.h"
#include "platform/SystemParams.h"

namespace llmvp::platform {

class System {
public:
  /// Builds params.chips chips; with more than one, inside the module "system".
  System(const ChipParams& chip, const SystemParams& params, models::cpu::FirmwareEntry firmware);
  System(const System&) = delete;
  System& operator=(const System&) = delete;
  ~System();

  [[nodiscard]] std::size_t chipCount() const { return chips_.size(); }
  [[nodiscard]] Chip& chip(std::size_t i) { return *chips_.at(i); }
  /// True for more than one chip: network() and group() exist.
  [[nodiscard]] bool networked() const { return networked_ != nullptr; }
  /// The chip-to-chip network; only when networked().
  [[nodiscard]] models::interconnect::Network& network();
  /// The collectives of every chip; only when networked().
  [[nodiscard]] models::interconnect::CollectiveGroup& group();
  [[nodiscard]] const SystemParams& params() const { return params_; }
  /// Every chip's tracks plus, when networked, one track per link (process
  /// "network").
  void attachTrace(models::TraceRecorder& recorder);

private:
  /// The module "system" of a networked system: network, collectives, chips.
  class Networked;

  const SystemParams params_;
  std::unique_ptr<Networked> networked_; ///< more than one chip
  std::unique_ptr<Chip> single_;         ///< one chip
  std::vector<Chip*> chips_;
};

} // namespace llmvp::platform
