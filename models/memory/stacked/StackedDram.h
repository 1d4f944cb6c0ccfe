// SPDX-License-Identifier: Apache-2.0
#pragma once
/// 3D-stacked DRAM: vaults with their own timelines behind a logic base die
/// (StackedParams.h for organisation, address layout and power budget).
///
/// Timing of a request arriving at `arrival` (fast model, streaming access):
/// every vault it touches is busy for bytesOnVault / (vaultGBps * throttle)
/// from max(arrival, vault free); the data is there one vault latency after
/// the last vault finishes. A request through the external socket also
/// streams through the interface of each stack it touches (bandwidth
/// timeline per stack, cut-through like the fabric) and pays the interface
/// latency both ways. Row-buffer and bank effects are not modelled (weight
/// and KV streams are long sequential reads); the DRAM models under
/// models/memory/dram/ cover them.
///
/// Energy: internalPjPerBit for every bit read or written, plus
/// interfacePjPerBit for bits through the external socket.

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/common/BackingStore.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/common/Trace.h"
#include "models/memory/stacked/StackedParams.h"

namespace llmvp::models::stacked {

class StackedDram : public sc_core::sc_module, public IHasStats {
public:
  tlm_utils::simple_target_socket<StackedDram> socket;                    ///< external interface (compute die, fabric)
  tlm_utils::multi_passthrough_target_socket<StackedDram> internalSocket; ///< base-die logic (near-memory engines)

  /// Throws std::invalid_argument if params.check() fails.
  StackedDram(const sc_core::sc_module_name& name, const StackedParams& params);

  /// Timing of one request (offset from the memory's base; offsets from
  /// capacity on are the interleaved view, StackedParams.h); returns its
  /// completion time and updates vault state and statistics.
  Ps schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival, bool external);
  /// Bytes addressable from the memory's base: both views (2 x capacity).
  [[nodiscard]] std::uint64_t windowBytes() const { return 2 * params_.capacityBytes; }

  [[nodiscard]] const StackedParams& params() const { return params_; }
  [[nodiscard]] BackingStore& store() { return store_; }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Memory; }
  /// Peak bandwidth of all traffic (every byte, internal or external,
  /// occupies a vault): the throttled internal bandwidth. The compute die
  /// alone is further limited by the external interfaces (externalGBps).
  [[nodiscard]] double peakGBps() const { return params_.internalGBps(); }
  /// Vault holding byte `addr` (offset from the memory's base, either view).
  [[nodiscard]] std::uint32_t vaultOf(std::uint64_t addr) const;
  void setTrace(TraceRecorder* recorder, TraceRecorder::Track track) {
    trace_ = recorder;
    traceTrack_ = track;
  }

private:
  void transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay, bool external);
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) { transport(gp, delay, true); }
  void b_transportInternal(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) { transport(gp, delay, false); }
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  /// Copies [addr, addr + bytes) of either view to or from `data`, block by
  /// block through interleavedToPhysical in the interleaved view.
  void copy(bool write, std::uint64_t addr, std::uint8_t* data, std::uint64_t bytes);
  unsigned transportDbgInternal(int, tlm::tlm_generic_payload& gp) { return transport_dbg(gp); }

  const StackedParams params_;
  const std::uint32_t vaultsPerPartition_;
  const double vaultPsPerByte_; ///< throttled
  const double interfacePsPerByte_;
  const Ps vaultLatency_, interfaceLatency_;
  std::vector<Ps> vaultBusy_;
  std::vector<Timeline> interfaces_;               ///< one per stack
  std::vector<std::uint64_t> perVault_, perStack_; ///< scratch: bytes of the request on each
  BackingStore store_;
  TraceRecorder* trace_ = nullptr;
  TraceRecorder::Track traceTrack_ = 0;

  StatsGroup stats_;
  Stat& reads_;
  Stat& writes_;
  Stat& bytesRead_;
  Stat& bytesWritten_;
  Stat& internalBytes_;
  Stat& externalBytes_;
  Stat& vaultBusy_ps_;
  Stat& interfaceBusy_;
  Stat& energy_;
  Stat& throttlePermille_;
};

} // namespace llmvp::models::stacked
