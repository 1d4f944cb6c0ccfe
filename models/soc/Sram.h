// SPDX-License-Identifier: Apache-2.0
#pragma once
/// On-chip SRAM: fixed access latency plus a bandwidth timeline. Used for the
/// control SRAM (descriptor rings, manifest) and the compute tiles'
/// scratchpads, whose owner accesses it locally through accessLocal().

#include <cstdint>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "models/common/BackingStore.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/soc/SramParams.h"

namespace llmvp::models::soc {

class Sram : public sc_core::sc_module, public IHasStats {
public:
  tlm_utils::simple_target_socket<Sram> socket;

  Sram(const sc_core::sc_module_name& name, const SramParams& params);

  /// Timed access by the owning block at absolute time `at`; returns the
  /// completion time, or 0 with ok = false if out of range. `data` may be
  /// null (timing only).
  Ps accessLocal(bool write, std::uint64_t offset, std::uint8_t* data, std::uint64_t bytes, Ps at, bool& ok);
  [[nodiscard]] BackingStore& store() { return store_; }
  [[nodiscard]] const SramParams& params() const { return params_; }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Memory; }
  [[nodiscard]] double peakGBps() const { return params_.bandwidthGBps; }

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);

  const SramParams params_;
  BackingStore store_;
  Timeline timeline_;
  StatsGroup stats_;
  Stat& bytesRead_;
  Stat& bytesWritten_;
  Stat& busy_;
  Stat& energy_;
};

} // namespace llmvp::models::soc
