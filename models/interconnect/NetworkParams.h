// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Topology of the chip-to-chip network (models/interconnect/Network.h),
/// without SystemC: the loaders use it without a built system.

#include <cstdint>
#include <utility>
#include <vector>

#include "models/interconnect/LinkParams.h"
#include "models/interconnect/SwitchParams.h"

namespace llmvp::models::interconnect {

enum class TopologyKind { Ring, Torus, FullMesh, Switch, SwitchTree, Dragonfly, Custom };
/// The config name of a topology kind (`system.topology.kind`).
[[nodiscard]] const char* topologyName(TopologyKind k);

struct TopologyParams {
  TopologyKind kind = TopologyKind::Switch;
  std::uint32_t chips = 1;
  std::vector<std::uint32_t> dims;    ///< Torus: 2 or 3 sizes, product == chips
  std::uint32_t chipsPerLeaf = 0;     ///< SwitchTree: chips per leaf switch
  std::uint32_t uplinks = 1;          ///< SwitchTree: links from a leaf to the spine
  std::uint32_t groups = 0;           ///< Dragonfly: groups (chips = groups x switchesPerGroup x chipsPerLeaf)
  std::uint32_t switchesPerGroup = 0; ///< Dragonfly: switches in a group, all-to-all connected by local links
  std::uint32_t globalLinks = 0;      ///< Dragonfly: global links per switch (to other groups)
  std::vector<std::pair<std::uint32_t, std::uint32_t>> links; ///< Custom: bidirectional chip pairs
  LinkParams link;                                            ///< every link (chip-chip, chip-switch, switch-switch)
  SwitchParams switchParams;
};

} // namespace llmvp::models::interconnect
