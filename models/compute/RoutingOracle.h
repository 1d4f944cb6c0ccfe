// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What a timing-only compute tile cannot compute because its operands hold
/// no data: the token ids of ARGMAX and the experts of TOPK. Workload
/// knowledge (which experts a model's router favours), so the tile asks an
/// oracle that the host attaches after the chip is built
/// (ComputeTile::setRoutingOracle). Functional runs never ask.

#include <cstdint>

namespace llmvp::models::compute {

class RoutingOracle {
public:
  virtual ~RoutingOracle() = default;
  /// One row's token id, below `vocab` (timing-only ARGMAX). Called per row
  /// in descriptor order, interleaved with choose() in execution order.
  [[nodiscard]] virtual std::uint32_t token(std::uint32_t vocab) = 0;
  /// One row's `topK` distinct expert ids below `experts` into `ids`
  /// (timing-only TOPK), called per TOPK row in execution order (decode
  /// step, MoE layer, batch row); topK <= experts.
  virtual void choose(std::uint32_t experts, std::uint32_t topK, std::uint32_t* ids) = 0;
};

} // namespace llmvp::models::compute
