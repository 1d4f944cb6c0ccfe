// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Timing-only routing of a model: the compute tiles' RoutingOracle. Draws
/// ARGMAX token ids uniformly and TOPK experts from the model's
/// moe.timing_routing (uniform, Zipf, or the records of a routing trace),
/// all from one seeded sequence per tile.

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "models/compute/RoutingOracle.h"
#include "workload/ModelSpec.h"

namespace llmvp::testbench {

/// A model's timing-only expert choice (config/RoutingLoader.cpp builds it
/// from moe.timing_routing and reads the trace file).
struct TimingRoutingParams {
  RoutingDistribution distribution = RoutingDistribution::Uniform;
  double zipfExponent = 1.0; ///< Zipf: expert i drawn with weight 1 / (i + 1)^s
  /// Trace: one record (top_k ids) per TOPK row in execution order (step,
  /// MoE layer, batch row), reused from the start when exhausted.
  std::vector<std::vector<std::uint32_t>> trace;
};

class TimingRouting final : public models::compute::RoutingOracle {
public:
  /// `params` may be shared by the oracles of several tiles; `seed` starts
  /// this oracle's sequence.
  TimingRouting(std::shared_ptr<const TimingRoutingParams> params, std::uint64_t seed);

  [[nodiscard]] std::uint32_t token(std::uint32_t vocab) override;
  /// `k` distinct experts below `n`, as RoutingOracle::choose.
  void choose(std::uint32_t n, std::uint32_t k, std::uint32_t* ids) override;

private:
  const std::shared_ptr<const TimingRoutingParams> params_;
  std::mt19937_64 rng_;
  std::size_t traceNext_ = 0;   ///< next routing-trace record
  std::vector<double> zipfCdf_; ///< cumulative Zipf weights (built on first use)
};

} // namespace llmvp::testbench
