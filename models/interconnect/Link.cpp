// SPDX-License-Identifier: Apache-2.0
#include "models/interconnect/Link.h"

#include <cmath>

namespace llmvp::models::interconnect {

namespace {
std::uint64_t roundUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }
} // namespace

Link::Link(const char* name, const LinkParams& params)
    : sc_object(name), params_(params), latency_(nsToPs(params.serdesNs + params.fecNs + params.flightNs)),
      rng_(params.seed), stats_(this->name()), messages_(stats_.add("messages", "messages sent", Unit::Count)),
      payload_(stats_.add("bytes", "payload bytes sent", Unit::Bytes)),
      wire_(stats_.add("wire_bytes", "bytes on the wire (headers, flit padding, replays)", Unit::Bytes)),
      packets_(stats_.add("packets", "packets sent (first transmissions)", Unit::Count)),
      requests_(stats_.add("read_requests", "read-request packets sent (data pulled the other way)", Unit::Count)),
      busy_(stats_.add("busy", "serializer occupancy", Unit::Ps)),
      retries_(stats_.add("retries", "packets replayed after a CRC error", Unit::Count)),
      latencySum_(stats_.add("hop_latency", "sum over messages of first bit sent to last bit received", Unit::Ps)),
      energy_(stats_.add("energy", "wire energy", Unit::Pj)) {}

std::uint64_t Link::packets(std::uint64_t payload) const {
  return payload == 0 ? 1 : (payload + params_.maxPayloadBytes - 1) / params_.maxPayloadBytes;
}

std::uint64_t Link::wireBytes(std::uint64_t payload) const {
  const std::uint64_t full = payload / params_.maxPayloadBytes;
  const std::uint64_t rest = payload % params_.maxPayloadBytes;
  std::uint64_t wire = full * roundUp(params_.maxPayloadBytes + params_.headerBytes, params_.flitBytes);
  if (rest != 0 || payload == 0) wire += roundUp(rest + params_.headerBytes, params_.flitBytes);
  return wire;
}

std::uint64_t Link::requestWireBytes(std::uint64_t requests) const {
  return requests * roundUp(params_.readRequestBytes, params_.flitBytes);
}

Ps Link::serializationPs(std::uint64_t payload, std::uint64_t requests) const {
  const Ps wire = bytesToPs(static_cast<double>(wireBytes(payload) + requestWireBytes(requests)), gbps());
  // Credit-based flow control: at most `credits` packets are unacknowledged;
  // a credit comes back one round trip (2 x latency) after its packet left.
  // A message of more packets than credits sends them in windows.
  const std::uint64_t n = packets(payload);
  if (n <= params_.credits) return wire;
  const Ps packetPs = bytesToPs(static_cast<double>(wireBytes(params_.maxPayloadBytes)), gbps());
  // NOLINTNEXTLINE(clang-analyzer-core.DivideZero): credits >= 1 (SystemLoader.cpp)
  const std::uint64_t windows = (n + params_.credits - 1) / params_.credits;
  const Ps window = std::max<Ps>(packetPs * params_.credits, 2 * latency_ + packetPs);
  const std::uint64_t lastPackets = n - (windows - 1) * params_.credits;
  return std::max<Ps>(wire, (windows - 1) * window + lastPackets * packetPs);
}

LinkHop Link::send(Ps ready, std::uint64_t payload, std::uint64_t requests) {
  const std::uint64_t n = packets(payload);
  const std::uint64_t wire = wireBytes(payload) + requestWireBytes(requests);
  Ps occupancy = serializationPs(payload, requests);
  // CRC errors: each packet fails with 1 - (1 - BER)^bits; a failed packet
  // is replayed after the NAK round trip (go-back to the failed packet).
  std::uint32_t retries = 0;
  if (params_.bitErrorRate > 0) {
    const double bits = 8.0 * static_cast<double>(wireBytes(std::min<std::uint64_t>(payload, params_.maxPayloadBytes)));
    const double p = -std::expm1(bits * std::log1p(-params_.bitErrorRate));
    std::binomial_distribution<std::uint64_t> failed(n, std::min(1.0, p));
    retries = static_cast<std::uint32_t>(failed(rng_));
    const Ps packetPs =
        bytesToPs(static_cast<double>(wireBytes(std::min<std::uint64_t>(payload, params_.maxPayloadBytes))), gbps());
    occupancy += retries * (nsToPs(params_.retryNs) + packetPs);
  }
  LinkHop h;
  h.retries = retries;
  h.start = timeline_.reserve(ready, occupancy);
  const Ps flitPs = bytesToPs(params_.flitBytes, gbps());
  const Ps firstPs =
      bytesToPs(static_cast<double>(wireBytes(std::min<std::uint64_t>(payload, params_.maxPayloadBytes))), gbps());
  h.headArrival = h.start + flitPs + latency_;
  h.firstPacket = h.start + firstPs + latency_;
  h.tail = h.start + occupancy + latency_;
  messages_ += 1;
  payload_ += static_cast<double>(payload);
  wire_ += static_cast<double>(wire) +
           retries * static_cast<double>(wireBytes(std::min<std::uint64_t>(payload, params_.maxPayloadBytes)));
  packets_ += static_cast<double>(n);
  requests_ += static_cast<double>(requests);
  busy_ += static_cast<double>(occupancy);
  retries_ += retries;
  latencySum_ += static_cast<double>(h.tail - h.start);
  energy_ += static_cast<double>(wire) * 8.0 * params_.pjPerBit;
  if (trace_ != nullptr) {
    trace_->transfer(track_, h.start, h.start + occupancy, payload);
    if (trace_->wants(h.start, h.tail))
      trace_->span(track_, "msg", "link", h.start, h.tail,
                   {{"bytes", std::to_string(payload)}, {"retries", std::to_string(retries)}});
    else
      trace_->skip();
  }
  return h;
}

} // namespace llmvp::models::interconnect
