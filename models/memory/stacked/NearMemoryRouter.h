// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Routes a near-memory engine's requests: its own memory partition
/// [localBase, localBase + localBytes) goes to the stack's internal port
/// (addresses made relative to memoryBase, the stacked memory's base);
/// everything else (activations, descriptors, semaphores, other
/// partitions) goes out over the fabric.

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace llmvp::models::stacked {

class NearMemoryRouter : public sc_core::sc_module {
public:
  tlm_utils::simple_target_socket<NearMemoryRouter> engineSocket;      ///< the engine's memSocket binds here
  tlm_utils::simple_initiator_socket<NearMemoryRouter> internalSocket; ///< to StackedDram::internalSocket
  tlm_utils::simple_initiator_socket<NearMemoryRouter> externalSocket; ///< to the fabric

  NearMemoryRouter(const sc_core::sc_module_name& name, std::uint64_t memoryBase, std::uint64_t localBase,
                   std::uint64_t localBytes)
      : sc_module(name), engineSocket("engineSocket"), internalSocket("internalSocket"),
        externalSocket("externalSocket"), memoryBase_(memoryBase), localBase_(localBase), localBytes_(localBytes) {
    engineSocket.register_b_transport(this, &NearMemoryRouter::b_transport);
    engineSocket.register_transport_dbg(this, &NearMemoryRouter::transport_dbg);
  }

private:
  [[nodiscard]] bool local(const tlm::tlm_generic_payload& gp) const {
    const std::uint64_t a = gp.get_address(), n = gp.get_data_length();
    return a >= localBase_ && n <= localBytes_ && a - localBase_ <= localBytes_ - n;
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    if (!local(gp)) {
      externalSocket->b_transport(gp, delay);
      return;
    }
    const std::uint64_t a = gp.get_address();
    gp.set_address(a - memoryBase_);
    internalSocket->b_transport(gp, delay);
    gp.set_address(a);
  }
  unsigned transport_dbg(tlm::tlm_generic_payload& gp) {
    if (!local(gp)) return externalSocket->transport_dbg(gp);
    const std::uint64_t a = gp.get_address();
    gp.set_address(a - memoryBase_);
    const unsigned n = internalSocket->transport_dbg(gp);
    gp.set_address(a);
    return n;
  }

  const std::uint64_t memoryBase_, localBase_, localBytes_;
};

} // namespace llmvp::models::stacked
