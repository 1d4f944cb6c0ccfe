// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A multi-chip system: N chips (each a platform::Chip with a collectives
/// engine) joined by a chip-to-chip network (models/interconnect/Network)
/// whose collectives run in one CollectiveGroup.

#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "models/interconnect/Collectives.h"
#include "models/interconnect/Network.h"
#include "platform/Chip.h"

namespace llmvp::platform {

/// How a model is split over the chips.
struct ParallelParams {
  std::uint32_t tensor = 1;   ///< chips sharing every layer (heads, kv heads, FFN columns / rows)
  std::uint32_t pipeline = 1; ///< stages, each a contiguous range of layers on its own chip
  /// Data-parallel attention (system.parallel.attention: data): the tensor
  /// group's chips each own batch / tensor requests and hold the whole
  /// model but the routed experts, which they split and reach by all-to-all.
  bool dataAttention = false;
};

struct SystemParams {
  std::string name;
  std::uint32_t chips = 1; ///< 1: a single chip, no network (the default run)
  ParallelParams parallel;
  models::interconnect::TopologyParams topology;
  models::interconnect::CollectiveParams collectives;
  models::EngineParams collEngine; ///< the chips' collectives engines
};

class System : public sc_core::sc_module {
public:
  /// Data-parallel attention: chip i's tiles draw from tile seed + i x this.
  static constexpr std::uint64_t kDataParallelSeedStride = 0x10000;
  System(const sc_core::sc_module_name& name, const ChipParams& chip, const SystemParams& params,
         models::cpu::FirmwareEntry firmware);
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  [[nodiscard]] std::size_t chipCount() const { return chips_.size(); }
  [[nodiscard]] Chip& chip(std::size_t i) { return *chips_.at(i); }
  [[nodiscard]] models::interconnect::Network& network() { return network_; }
  [[nodiscard]] models::interconnect::CollectiveGroup& group() { return group_; }
  [[nodiscard]] const SystemParams& params() const { return params_; }
  /// Every chip's tracks plus one track per link (process "network").
  void attachTrace(models::TraceRecorder& recorder);

private:
  const SystemParams params_;
  models::interconnect::Network network_;
  models::interconnect::CollectiveGroup group_;
  std::vector<std::unique_ptr<Chip>> chips_;
};

} // namespace llmvp::platform
