// SPDX-License-Identifier: Apache-2.0
#pragma once
/// One direction of a chip-to-chip (or chip-to-switch) link: lanes x rate,
/// SerDes + FEC + flight latency, packets of at most `maxPayloadBytes` with a
/// header, padded to whole flits, credit-based flow control and CRC errors
/// with link-level retry from a seeded error rate. A message may also carry
/// read-request packets (header only) for data pulled the other way, as an
/// in-switch reduction that loads its inputs does (SwitchParams::mode);
/// they take wire time, while credits and CRC replays count data packets.
///
/// Timeline model (../shared/DESIGN.md "Transactions and time"): a message
/// reserves the link's serializer for its wire time (plus replays); nothing
/// is simulated per flit.

#include <cstdint>
#include <random>
#include <string>
#include <systemc>

#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/common/Trace.h"
#include "models/interconnect/LinkParams.h"

namespace llmvp::models::interconnect {

/// What one message did on one link.
struct LinkHop {
  Ps start = 0;       ///< first bit on the wire
  Ps headArrival = 0; ///< first flit at the far end (cut-through forwarding point)
  Ps firstPacket = 0; ///< first whole packet at the far end (store-and-forward point)
  Ps tail = 0;        ///< last bit at the far end
  std::uint32_t retries = 0;
};

class Link : public sc_core::sc_object, public IHasStats {
public:
  Link(const char* name, const LinkParams& params);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  /// Sends `payload` bytes, and `requests` read-request packets, no earlier
  /// than `ready`; reserves the serializer for both.
  LinkHop send(Ps ready, std::uint64_t payload, std::uint64_t requests = 0);

  [[nodiscard]] const LinkParams& params() const { return params_; }
  /// Latency of one traversal: SerDes + FEC + flight.
  [[nodiscard]] Ps latency() const { return latency_; }
  /// Payload bandwidth in GB/s (lanes x rate / 8).
  [[nodiscard]] double gbps() const { return params_.lanes * params_.laneGbps / 8.0; }
  [[nodiscard]] std::uint64_t packets(std::uint64_t payload) const;
  /// Bytes on the wire for `payload` (headers, flit padding).
  [[nodiscard]] std::uint64_t wireBytes(std::uint64_t payload) const;
  /// Bytes on the wire of `requests` read-request packets.
  [[nodiscard]] std::uint64_t requestWireBytes(std::uint64_t requests) const;
  /// Serialization time of `payload` (and `requests` read-request packets)
  /// with credit stalls, without errors.
  [[nodiscard]] Ps serializationPs(std::uint64_t payload, std::uint64_t requests = 0) const;
  [[nodiscard]] Ps busyUntil() const { return timeline_.busyUntil(); }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Fabric; }
  void setTrace(TraceRecorder* recorder, TraceRecorder::Track track) {
    trace_ = recorder;
    track_ = track;
  }

private:
  const LinkParams params_;
  const Ps latency_;
  Timeline timeline_;
  std::mt19937_64 rng_;
  StatsGroup stats_;
  Stat &messages_, &payload_, &wire_, &packets_, &requests_, &busy_, &retries_, &latencySum_, &energy_;
  TraceRecorder* trace_ = nullptr;
  TraceRecorder::Track track_ = 0;
};

} // namespace llmvp::models::interconnect
