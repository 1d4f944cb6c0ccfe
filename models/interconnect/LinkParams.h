// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Parameters of a chip-to-chip link (models/interconnect/Link.h), without
/// SystemC: the loaders use them without a built system.

#include <cstdint>

namespace llmvp::models::interconnect {

struct LinkParams {
  std::uint32_t lanes = 1;
  double laneGbps = 100.0;             ///< data rate per lane and direction, Gb/s (after line coding)
  double serdesNs = 0.0;               ///< SerDes latency, transmit + receive
  double fecNs = 0.0;                  ///< forward error correction latency
  double flightNs = 0.0;               ///< time of flight (cable / trace)
  std::uint32_t flitBytes = 64;        ///< wire unit: packets are padded to whole flits
  std::uint32_t maxPayloadBytes = 256; ///< payload per packet
  std::uint32_t headerBytes = 16;      ///< header + CRC per packet
  std::uint32_t readRequestBytes = 16; ///< one read-request packet (header only, padded to flits)
  std::uint32_t credits = 64;          ///< packets the receiver buffers (credit-based flow control)
  double bitErrorRate = 0.0;           ///< raw bit errors left after FEC (a packet with one fails CRC)
  double retryNs = 0.0;                ///< link-level retry: NAK round trip before the replay starts
  double pjPerBit = 0.0;               ///< energy per wire bit
  std::uint64_t seed = 1;              ///< error draws
};

} // namespace llmvp::models::interconnect
