// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Compute tile: a matrix engine (GEMV/GEMM, attention dot products), a
/// vector engine (norms, RoPE, SwiGLU, softmax, argmax) and a scratchpad
/// SRAM, driven by descriptors (descriptors.h). Operands outside the
/// scratchpad are streamed over the fabric in chunks, overlapping the
/// matrix engine's work on earlier chunks.
///
/// Matrix engine time for a weight chunk of E elements and m input rows:
///   E * ceil(m / matrixRows) * matrixRows / macsPerCycle(dtype) cycles,
/// i.e. inputs are padded to the engine's row count (an MMA tile's M).
/// Vector engine time: element-operations / vectorLanes cycles, with the
/// per-element operation counts named in ComputeTile.cpp.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "models/common/Engine.h"
#include "models/common/Numerics.h"
#include "models/common/Operands.h"
#include "models/compute/ReadAhead.h"
#include "models/soc/Sram.h"

namespace llmvp::models::compute {

/// Where timing-only TOPK descriptors take expert ids from (no logits exist).
/// A workload property: the host fills it from the model's moe.timing_routing.
struct RoutingParams {
  enum class Distribution : std::uint8_t { Uniform, Zipf, Trace };
  Distribution distribution = Distribution::Uniform;
  double zipfExponent = 1.0; ///< Zipf: expert i drawn with weight 1 / (i + 1)^s
  /// Trace: one record (top_k ids) per TOPK row in execution order (step,
  /// MoE layer, batch row), reused from the start when exhausted.
  std::vector<std::vector<std::uint32_t>> trace;
};

struct TileParams {
  EngineParams engine;
  /// Multiply-accumulates per cycle of the matrix engine by operand type
  /// (indexed by DType: fp32, bf16, fp8). The wider of input and weight type
  /// selects the rate.
  std::array<double, 3> macsPerCycle{};
  std::uint32_t matrixRows = 1; ///< input rows processed per pass
  double vectorLanes = 1;       ///< fp32 element-operations per cycle
  /// Vector element-operations to dequantise one weight, int8 and int4
  /// (chip.tile.vector.dequant_ops; optional, default 2: integer to float,
  /// multiply by the group scale).
  std::array<double, 2> dequantOps{2, 2};
  std::array<double, 3> pjPerMac{}; ///< matrix energy by type
  double pjPerVectorOp = 0;         ///< vector energy per element-operation
  soc::SramParams scratchpad;
  std::uint64_t scratchpadBase = 0; ///< chip address of the scratchpad
  std::uint64_t seed = 0;           ///< timing-only ARGMAX draws token ids from it
  RoutingParams routing;            ///< timing-only TOPK expert choice (seeded by `seed`)
  /// Weight-stream buffer for reads from a slow window (the HBF):
  /// streams there use its depth instead of engine.maxOutstanding and, with
  /// readAhead, continue across descriptors (ReadAhead.h). size 0: none.
  ReadAheadParams hbfBuffer;
};

/// One shard of a DESC_F_SHARDS weight matrix (descriptors.h): rows [r0, r0 +
/// rows) x columns [c0, c0 + cols) of [n][k], a complete matrix of `bytes` at `addr`.
struct WeightShard {
  std::uint64_t addr = 0, bytes = 0;
  std::uint32_t r0 = 0, rows = 0, c0 = 0, cols = 0;
};

class ComputeTile : public Engine {
public:
  ComputeTile(const sc_core::sc_module_name& name, const TileParams& params, ISemaphoreWait& semaphores);

  /// Fabric-side access to the scratchpad (bind to the fabric).
  [[nodiscard]] tlm::tlm_target_socket<>& scratchpadSocket() { return spad_.socket; }
  [[nodiscard]] soc::Sram& scratchpad() { return spad_; }
  [[nodiscard]] const TileParams& tileParams() const { return tp_; }
  /// Peak matrix FLOP/s (2 per MAC) for `t`.
  [[nodiscard]] double peakFlops(DType t) const;
  /// The HBF weight-stream buffer (its window size is 0 without HBF).
  [[nodiscard]] const ReadAhead& hbfBuffer() const { return hbfBuffer_; }

protected:
  Ps execute(const llmvp_desc& d, Ps start, EngineError& err) override;

private:
  struct Operand; // read buffer + its arrival time
  [[nodiscard]] bool inScratchpad(std::uint64_t addr, std::uint64_t bytes) const;
  Ps read(std::uint64_t addr, std::uint64_t bytes, Ps at, std::uint8_t* dst, std::uint32_t field, EngineError& err);
  /// Untimed copy over the fabric's debug path (data of a timing-only read).
  bool debugRead(std::uint64_t addr, std::uint8_t* dst, std::uint64_t bytes);
  Ps write(std::uint64_t addr, std::uint64_t bytes, Ps at, const std::uint8_t* src, std::uint32_t field,
           EngineError& err);
  /// Streams a large operand while the matrix engine consumes it; compute of
  /// the first chunk starts no earlier than `ready`.
  template <typename ComputeFn>
  Ps stream(std::uint64_t addr, std::uint64_t bytes, Ps start, Ps ready, std::uint8_t* dst, ComputeFn&& fn,
            std::uint32_t field, EngineError& err, Ps& compute);
  /// One contiguous piece of a gathered operand.
  struct Segment {
    std::uint64_t addr, bytes;
  };
  /// Streams the segments in order as one operand (requests of consecutive
  /// segments in flight together, at most chunkBytes x maxOutstanding bytes
  /// ahead of consumption), copying them back to back into `dst` when non-null.
  template <typename ComputeFn>
  Ps gatherStream(const std::vector<Segment>& segments, Ps start, Ps ready, std::uint8_t* dst, ComputeFn&& fn,
                  std::uint32_t field, EngineError& err, Ps& compute);
  /// Streams the shards of a DESC_F_SHARDS weight matrix, all at once.
  Ps streamShards(const std::vector<WeightShard>& shards, Ps start, Ps ready,
                  const std::function<Ps(std::uint64_t)>& chunkPs, EngineError& err, Ps& compute);
  /// Requests in flight for a stream from `addr`: the HBF buffer's depth
  /// inside its window, else engine.maxOutstanding.
  [[nodiscard]] std::uint32_t depthFor(std::uint64_t addr) const;
  [[nodiscard]] Ps matrixPs(double elements, std::uint32_t rows, DType t) const;
  [[nodiscard]] Ps vectorPs(double elementOps) const;
  /// Records a vector-engine operation's statistics and time split; returns `end`.
  Ps finishVectorOp(double ops, bool arithmetic, Ps compute, Ps start, Ps end);
  /// Time to consume `chunkBytes` of a weight matrix of `wBytes` bytes and
  /// `elements` elements for `rows` input rows (dequantisation at
  /// `dequantOps` vector operations per weight included; 0 for float weights).
  [[nodiscard]] Ps weightChunkPs(std::uint64_t chunkBytes, std::uint64_t wBytes, double elements, std::uint32_t rows,
                                 DType rate, double dequantOps) const;
  /// Vector operations to dequantise one weight of type `dt` (0 for float types).
  [[nodiscard]] double dequantOpsOf(std::uint8_t dt) const;
  [[nodiscard]] std::uint8_t* buffer(std::size_t slot, std::uint64_t bytes);

  Ps opGemv(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opAttn(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opElementwise(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opRope(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opEmbed(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opArgmax(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opTopk(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opGemvMoe(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opMoeCombine(const llmvp_desc& d, Ps start, EngineError& err);
  /// Expert parallel with data-parallel attention: pack rows for the
  /// dispatch all-to-all, unpack what arrived, sum the returned partials.
  Ps opMoeDispatch(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opMoeGather(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opMoeReturn(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opGemvHeads(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opAttnMla(const llmvp_desc& d, Ps start, EngineError& err);
  Ps opAttnPrefill(const llmvp_desc& d, Ps start, EngineError& err);
  /// Timing-only expert choice of one row (k distinct ids < n).
  void drawExperts(std::uint32_t n, std::uint32_t k, std::uint32_t* ids);

  const TileParams tp_;
  soc::Sram spad_;
  std::mt19937_64 rng_;
  OperandBuffers buffers_;      ///< functional operand buffers
  std::size_t traceNext_ = 0;   ///< next routing-trace record
  std::vector<double> zipfCdf_; ///< cumulative Zipf weights (built on first use)

  Stat& macs_;
  Stat& flops_;
  Stat& vectorOps_;
  Stat& matrixBusy_;
  Stat& vectorBusy_;
  Stat& energy_;
  Stat& expertsLoaded_;
  ReadAhead hbfBuffer_;
  Stat& hbfStall_;
  Stat& hbfReadAheadHit_;
  Stat& hbfReadAheadWasted_;
};

} // namespace llmvp::models::compute
