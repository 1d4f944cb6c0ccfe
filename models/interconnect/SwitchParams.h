// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of a packet switch between chips (models/interconnect/Switch.h),
/// without SystemC: the loaders use them without a built system.

#include <cstdint>

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

} // namespace llmvp::models::interconnect
