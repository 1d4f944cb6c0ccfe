// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Collective operations, algorithms and their parameters
/// (models/interconnect/Collectives.h), without SystemC: the loaders use them
/// without a built system.

#include <cstdint>

namespace llmvp::models::interconnect {

enum class CollectiveOp { AllReduce, AllGather, ReduceScatter, AllToAll };
enum class Algorithm { Auto, Ring, RecursiveDoubling, Direct, InSwitch };
enum class SubstitutePolicy { Off, Previous, Zeros };

[[nodiscard]] const char* algorithmName(Algorithm a);
[[nodiscard]] const char* collectiveName(CollectiveOp op);

struct CollectiveParams {
  Algorithm algorithm = Algorithm::Auto;
  double launchNs = 0.0;            ///< once per collective: starting it (a kernel launch on a GPU)
  double endpointNs = 0.0;          ///< per message: launch + completion at the endpoints, staged through memory
  std::uint64_t directMaxBytes = 0; ///< messages up to this size land straight in the destination scratchpad ...
  double directEndpointNs = 0.0;    ///< ... and cost this per message instead of endpointNs
  double reduceGBps = 0.0;          ///< local reduction throughput of a chip, streaming with the arriving data
                                    ///< (0: not modelled)
  // Reliability (off by default)
  SubstitutePolicy policy = SubstitutePolicy::Off;
  double timeoutNs = 0.0; ///< a contribution later than the first one + this is substituted; so is one whose
                          ///< messages were retried when the collective runs this long past its idle-network time
  double stragglerProbability = 0.0; ///< fault injection: chance a contribution is late ...
  double stragglerNs = 0.0;          ///< ... by this much
  std::uint64_t seed = 1;
};

} // namespace llmvp::models::interconnect
