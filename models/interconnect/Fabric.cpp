// SPDX-License-Identifier: Apache-2.0
#include "models/interconnect/Fabric.h"

#include <stdexcept>

namespace llmvp::models::interconnect {

Fabric::Fabric(const sc_core::sc_module_name& name, const FabricParams& params)
    : sc_module(name), initiatorSocket("initiatorSocket"), targetSocket("targetSocket"), params_(params),
      stats_(this->name()), transactions_(stats_.add("transactions", "transactions routed", Unit::Count)),
      decodeErrors_(stats_.add("decode_errors", "accesses to unmapped addresses", Unit::Count)),
      energy_(stats_.add("energy", "transport energy", Unit::Pj)) {
  initiatorSocket.register_b_transport(this, &Fabric::b_transport);
  initiatorSocket.register_transport_dbg(this, &Fabric::transport_dbg);
  ports_.reserve(64);
}

void Fabric::addPort(const FabricPortParams& port) {
  for (const Port& p : ports_)
    if (port.base < p.params.base + p.params.size && p.params.base < port.base + port.size)
      throw std::logic_error("fabric port " + port.name + " overlaps " + p.params.name);
  if (ports_.size() == ports_.capacity()) throw std::logic_error("fabric: too many ports");
  Port p{port, nsToPs(port.latencyNs), Timeline{}, nullptr, nullptr, 0};
  p.bytes = &stats_.add("port." + port.name + ".bytes", "bytes through the port", Unit::Bytes);
  p.busy = &stats_.add("port." + port.name + ".busy", "time the port was transferring", Unit::Ps);
  ports_.push_back(p);
}

void Fabric::setTrace(TraceRecorder* recorder, const std::string& process) {
  trace_ = recorder;
  if (recorder != nullptr)
    for (Port& p : ports_) p.traceTrack = recorder->addTrack(process, "link " + p.params.name);
}

int Fabric::decode(std::uint64_t addr, std::uint64_t len) const {
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    const auto& p = ports_[i].params;
    if (addr >= p.base && len <= p.size && addr - p.base <= p.size - len) return static_cast<int>(i);
  }
  return -1;
}

void Fabric::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t addr = gp.get_address();
  const std::uint64_t len = gp.get_data_length();
  const int index = decode(addr, len);
  if (index < 0) {
    decodeErrors_ += 1;
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  Port& port = ports_[static_cast<std::size_t>(index)];
  const Ps now = nowPs();
  const Ps arrival = now + toPs(delay) + port.latency;
  delay = fromPs(arrival - now);
  gp.set_address(addr - port.params.base);
  targetSocket[index]->b_transport(gp, delay);
  gp.set_address(addr);
  const Ps served = now + toPs(delay);
  const Ps transfer = bytesToPs(static_cast<double>(len), port.params.bandwidthGBps);
  const Ps portStart = port.timeline.reserve(arrival, transfer);
  const Ps done = std::max(served, portStart + transfer) + port.latency;
  delay = fromPs(done - now);
  transactions_ += 1;
  *port.bytes += static_cast<double>(len);
  *port.busy += static_cast<double>(transfer);
  if (trace_ != nullptr) trace_->transfer(port.traceTrack, arrival, done, len);
  energy_ += static_cast<double>(len) * 8.0 * params_.pjPerBit;
}

unsigned Fabric::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  const std::uint64_t addr = gp.get_address();
  const int index = decode(addr, gp.get_data_length());
  if (index < 0) return 0;
  gp.set_address(addr - ports_[static_cast<std::size_t>(index)].params.base);
  const unsigned n = targetSocket[index]->transport_dbg(gp);
  gp.set_address(addr);
  return n;
}

} // namespace llmvp::models::interconnect
