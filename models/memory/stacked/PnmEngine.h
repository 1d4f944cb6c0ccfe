// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Near-memory engine: the memory-bound decode operators (GEMV with
/// partial-sum or sharded output, attention over a KV-cache shard, sums of
/// partials) run next to the DRAM on the data of the engine's own memory
/// partition, and only activations and results cross the fabric.
///
/// Two placements share this model (parameters in PnmParams, sources in the
/// platform configs): PNM, logic on the stack's base die in a logic process,
/// whose units see the whole partition (unitShardBytes = 0); and PIM, units
/// per DRAM bank in the DRAM process, each seeing only its bank
/// (unitShardBytes = bank capacity).
///
/// Timing: weight and KV operands stream at the memory's internal bandwidth
/// (a NearMemoryRouter sends the engine's own partition to the stack's
/// internal port) while `active` units compute:
///   GEMV:  active = min(units, n) (rows split over units)
///          MACs m*n*k at active * macsPerCyclePerUnit per cycle
///   ATTN:  active = min(units, ctx) (positions spread over the units, the
///          partial softmax sums combined by the engine, not timed);
///          scores and values 2*heads*ctx*head_dim MACs as GEMV; softmax
///          5 ops per score at active * vectorOpsPerCyclePerUnit
///   REDUCE: k * m * n adds on the vector units.
/// Shard limit (unitShardBytes != 0): a GEMV whose rows per unit, or an
/// ATTN whose K+V slice per unit, exceed a unit's bank is refused with
/// ENG_ERR_BAD_SHAPE (field src1): the data cannot be laid out for it.
///
/// Loosely timed like every engine, but an operation waits in kernel time
/// until its result exists before writing it: results go to memories that
/// other engines share, whose timelines need requests in time order.

#include <array>
#include <cstdint>
#include <vector>

#include "models/common/Engine.h"
#include "models/common/Operands.h"
#include "models/memory/stacked/PnmParams.h"

namespace llmvp::models::stacked {

class PnmEngine : public Engine {
public:
  PnmEngine(const sc_core::sc_module_name& name, const PnmParams& params, ISemaphoreWait& semaphores, bool functional);
  [[nodiscard]] const PnmParams& pnmParams() const { return pp_; }
  /// Peak FLOP/s of the engine (2 per MAC, any float type).
  [[nodiscard]] double peakFlops() const { return 2.0 * pp_.units * pp_.macsPerCyclePerUnit * params().clockMhz * 1e6; }

protected:
  Ps execute(const llmvp_desc& d, Ps start, EngineError& err) override;

private:
  Ps opGemv(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opAttn(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opReduce(const llmvp_desc& d, Ps start, EngineError& err);
  /// Reads (or writes) `rows` rows of `rowBytes` bytes `strideBytes` apart.
  Ps rows(bool write, std::uint64_t addr, std::uint32_t rows, std::uint64_t rowBytes, std::uint64_t strideBytes,
          std::uint8_t* data, Ps at, std::uint32_t field, EngineError& err);
  Ps read(std::uint64_t addr, std::uint64_t bytes, Ps at, std::uint8_t* dst, std::uint32_t field, EngineError& err);
  /// Waits (in kernel time) until absolute time `t`; returns `t`.
  Ps syncTo(Ps t);
  [[nodiscard]] Ps macPs(double macs, double active) const;
  [[nodiscard]] Ps vectorPs(double ops, double active) const;
  [[nodiscard]] std::uint8_t* buffer(std::size_t slot, std::uint64_t bytes);
  void finish(double macs, double vectorOps, Ps compute, double active, Ps start, Ps end);

  const PnmParams pp_;
  OperandBuffers buffers_;
  Stat& macs_;
  Stat& flops_;
  Stat& vectorOps_;
  Stat& energy_;
  Stat& unitActivePs_;
};

} // namespace llmvp::models::stacked
