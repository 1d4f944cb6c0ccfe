// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A packet switch between chips: a port count, a port-to-port latency
/// (cut-through: forwarding starts when a packet's header flit arrived;
/// store-and-forward: when the whole packet arrived), per-port bandwidth
/// (the links attached to it), and optional in-network reduction in one of
/// two modes (ReductionMode).

#include <cstdint>
#include <systemc>

#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/interconnect/SwitchParams.h"

namespace llmvp::models::interconnect {

class Switch : public sc_core::sc_object, public IHasStats {
public:
  Switch(const char* name, const SwitchParams& params)
      : sc_object(name), params_(params), latency_(nsToPs(params.latencyNs)), stats_(this->name()),
        forwarded_(stats_.add("forwarded", "messages forwarded", Unit::Count)),
        bytes_(stats_.add("bytes", "payload bytes forwarded", Unit::Bytes)),
        reductions_(stats_.add("reductions", "in-network reductions", Unit::Count)),
        reducedBytes_(stats_.add("reduced_bytes", "bytes reduced in the switch (per contribution)", Unit::Bytes)) {}
  Switch(const Switch&) = delete;
  Switch& operator=(const Switch&) = delete;

  [[nodiscard]] const SwitchParams& params() const { return params_; }
  [[nodiscard]] Ps latency() const { return latency_; }
  void countForward(std::uint64_t bytes) {
    forwarded_ += 1;
    bytes_ += static_cast<double>(bytes);
  }
  void countReduction(std::uint64_t bytes, std::uint32_t inputs) {
    reductions_ += 1;
    reducedBytes_ += static_cast<double>(bytes) * inputs;
  }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Fabric; }

private:
  const SwitchParams params_;
  const Ps latency_;
  StatsGroup stats_;
  Stat &forwarded_, &bytes_, &reductions_, &reducedBytes_;
};

} // namespace llmvp::models::interconnect
