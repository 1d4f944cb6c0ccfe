// SPDX-License-Identifier: Apache-2.0
#pragma once
/// On-chip fabric: routes transactions by address to target ports. Each port
/// has a traversal latency (each direction) and a bandwidth timeline; a
/// transfer streams through the port while the target serves it, so its
/// completion is the later of the two (cut-through), not their sum.

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <vector>

#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/common/Trace.h"
#include "models/interconnect/FabricParams.h"

namespace llmvp::models::interconnect {

class Fabric : public sc_core::sc_module, public IHasStats {
public:
  tlm_utils::multi_passthrough_target_socket<Fabric> initiatorSocket; ///< initiators bind here
  tlm_utils::multi_passthrough_initiator_socket<Fabric> targetSocket; ///< bound to targets, in addPort order

  Fabric(const sc_core::sc_module_name& name, const FabricParams& params);

  /// Adds a target port; its index is the order of calls, which must match
  /// the order targetSocket is bound. Ranges must not overlap.
  void addPort(const FabricPortParams& port);
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Fabric; }
  /// Feeds the transfers of every port to its own track of `recorder`
  /// (process `process`); null turns tracing off. Call after addPort().
  void setTrace(TraceRecorder* recorder, const std::string& process);

private:
  struct Port {
    FabricPortParams params;
    Ps latency;
    Timeline timeline;
    Stat* bytes;
    Stat* busy;
    TraceRecorder::Track traceTrack;
  };
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& gp);
  [[nodiscard]] int decode(std::uint64_t addr, std::uint64_t len) const;

  const FabricParams params_;
  TraceRecorder* trace_ = nullptr;
  std::vector<Port> ports_;
  StatsGroup stats_;
  Stat& transactions_;
  Stat& decodeErrors_;
  Stat& energy_;
};

} // namespace llmvp::models::interconnect
