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

namespace llmvp::models::interconnect {

/// How an in-switch all-reduce of S bytes on N chips moves its data.
enum class ReductionMode {
  /// Every chip sends its S bytes up; the switch sums them as they stream
  /// through and multicasts the S-byte result: S per link and direction
  /// (InfiniBand SHARP-like; the paper's in-network reduction).
  Push,
  /// Every chip loads its 1/N share reduced through the switch (the switch
  /// reads that share from every chip), then stores the result to a
  /// multicast address, which the switch writes to every chip (NVLink SHARP
  /// as NCCL's NVLS all-reduce uses it): S (1 + 1/N) per link and
  /// direction, and read-request packets for the S bytes the switch reads
  /// from each chip on its switch-to-chip link.
  Pull
};

struct SwitchParams {
  std::uint32_t ports = 64;
  double latencyNs = 0.0; ///< port-to-port latency
  bool cutThrough = true; ///< else store-and-forward
  bool reduction = false; ///< in-network reduction (SHARP / NVLS-like)
  ReductionMode mode = ReductionMode::Push;
  double reductionGBps = 0.0;    ///< reduction throughput per message (0: at port rate)
  double reductionLatencyNs = 0; ///< extra latency of a reduction pass
};

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
