// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Analytical roofline estimate of a run (`llmvp estimate`;
/// docs/estimate.md): for every operator of the firmware's descriptor chains
/// (QKV/O projections, attention, FFN or experts, LM head, norms, ...), the
/// bytes it must move and the work it must do, divided by the platform's
/// physical peaks. The largest term is a lower bound on the operator's time;
/// the simulated time can never be below it.
///
/// The same parsed PlatformConfig, ModelSpec and RunOptions as `llmvp run`;
/// nothing is simulated. `llmvp run` also collects the simulated time of
/// every operator (OpCollector, attached to the engines) and prints and
/// writes both side by side (EstimateComparison).

#include <boost/json.hpp>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "config/Loaders.h"
#include "host/RunOptions.h"
#include "models/common/Engine.h"

namespace llmvp::testbench {

/// The physical peaks the bound divides by (all from the platform config).
struct Peaks {
  double memoryGBps = 0;  ///< main memory as the tile sees it: min(memory peak, fabric port)
  std::string memoryName; ///< which memory and which limit
  double weightGBps = 0;  ///< where the tile reads weights (HBF without prefetch, else memoryGBps)
  std::string weightName; ///< which memory
  double spadGBps = 0;    ///< scratchpad (activations)
  double matrixFlops = 0; ///< tile matrix engine, FLOP/s of the compute type (2 per MAC)
  std::string computeDtype;
  double vectorOpsPerS = 0;   ///< tile vector engine, element-operations per second
  double tileDispatchNs = 0;  ///< chip.tile.dispatch_cycles / clock: per-descriptor overhead
  double dmaDispatchNs = 0;   ///< chip.dma.dispatch_cycles / clock
  double memoryLatencyNs = 0; ///< round trip over the fabric's HBM port (2 x its latency_ns)
  // near-memory engines (chip.pnm), all of them together
  std::uint32_t pnmEngines = 0;
  double pnmGBps = 0, pnmFlops = 0, pnmVectorOpsPerS = 0, pnmDispatchNs = 0;
};

/// Which descriptors an operator issues: opcode, and for matrix operations
/// the full output width n (PNM: the unsharded n in arg1), the input width k
/// and DESC_F_ACCUM; 0 / -1 match anything.
struct OpSignature {
  std::uint8_t opcode = 0;
  std::uint32_t n = 0, k = 0;
  int accum = -1;
};

struct OpEstimate {
  std::string name;
  std::string engine;                                 ///< "tile", "dma" or "pnm"
  double descriptors = 0;                             ///< per decode step / per prefilled request
  double weightBytes = 0, kvBytes = 0, spadBytes = 0; ///< weights and KV: main memory; activations: scratchpad
  double flops = 0;                                   ///< matrix FLOPs (2 per multiply-accumulate)
  double vectorOps = 0;                               ///< vector element-operations
  double memoryNs = 0, spadNs = 0, matrixNs = 0, vectorNs = 0;
  double boundNs = 0;      ///< max of the four: the lower bound
  std::string bound;       ///< which term: memory | scratchpad | matrix | vector | none
  double calibratedNs = 0; ///< bound + descriptors x the engine's dispatch overhead
  std::vector<OpSignature> match;
  bool minimumBytes = false; ///< the bytes are the bound's least (MoE experts: top_k distinct), not the traffic
};

struct PhaseEstimate {
  std::string phase;    ///< "decode" (per step) or "prefill" (per request)
  double units = 0;     ///< decode steps, or prefilled requests, of the run
  double positions = 0; ///< decode: mean positions one row's attention reads; prefill: prompt tokens
  std::vector<OpEstimate> ops;
  double boundNs = 0, calibratedNs = 0; ///< TPOT / TTFT bound: the busiest engine's sum
  std::string boundEngine;
  double memoryBytes = 0, flops = 0;
};

struct Estimate {
  std::string platformName, modelName;
  RunOptions options;
  std::uint32_t tensorParallel = 1; ///< per-chip shard of a multi-chip system
  Peaks peaks;
  PhaseEstimate decode;
  bool hasPrefill = false;
  PhaseEstimate prefill;
};

/// The estimate of a run with these inputs (options as `llmvp run` sets them).
[[nodiscard]] Estimate estimate(const PlatformConfig& platform, const ModelSpec& model, const RunOptions& options);
void printEstimate(std::ostream& os, const Estimate& e);
[[nodiscard]] boost::json::object estimateJson(const Estimate& e);

/// Sums every completed descriptor of the engines it is attached to, by
/// engine, ring and descriptor signature.
class OpCollector : public models::IOpObserver {
public:
  /// Attaches to every engine that exists now (models::collectStats()).
  void attachAll();
  void onOp(const models::Engine& engine, const models::OpRecord& op) override;
  struct Key {
    std::string engine;
    std::uint64_t ring = 0;
    std::uint32_t epoch = 0; ///< the ring's programming (near-memory prefill passes reuse the decode rings)
    std::uint8_t opcode = 0;
    std::uint32_t n = 0, k = 0;
    int accum = 0;
    bool operator<(const Key& o) const {
      return std::tie(engine, ring, epoch, opcode, n, k, accum) <
             std::tie(o.engine, o.ring, o.epoch, o.opcode, o.n, o.k, o.accum);
    }
  };
  struct Sum {
    double count = 0, timePs = 0, busyPs = 0, semWaitPs = 0, bytes = 0, flops = 0;
    models::Ps firstStart = 0, lastEnd = 0;
  };
  [[nodiscard]] const std::map<Key, Sum>& sums() const { return sums_; }

private:
  std::map<Key, Sum> sums_;
};

/// One operator, estimated and simulated (per decode step / per request).
struct OpComparison {
  std::string name, engine, bound;
  double descriptors = 0, boundNs = 0, calibratedNs = 0;
  double simulatedNs = 0, dispatchNs = 0, computeNs = 0, memoryWaitNs = 0, semWaitNs = 0, bytes = 0;
  // the gap (simulated - bound), attributed: per-descriptor overhead,
  // compute beyond the peak rate, memory beyond the peak bandwidth
  double overheadGapNs = 0, computeGapNs = 0, memoryGapNs = 0;
  bool smallTransfers = false; ///< bytes per descriptor below bandwidth x round-trip latency
  bool matched = true;         ///< some simulated descriptor had this operator's shape (false: the engines fused
                               ///< or re-split it, e.g. PNM's o projection by columns after attention)
  std::string cause;           ///< the largest gap's mechanism
};
struct PhaseComparison {
  std::string phase;
  std::vector<OpComparison> ops;
  double boundNs = 0, calibratedNs = 0;
  double simulatedNs = 0;    ///< TPOT mean / the whole prefill (report prefill_ns)
  double simulatedOpsNs = 0; ///< the bound engine's descriptors, summed
};
struct EstimateComparison {
  bool present = false;
  Estimate estimate;
  PhaseComparison decode;
  bool hasPrefill = false;
  PhaseComparison prefill;
};

/// Puts the collected simulated times beside the estimate. `prefillEnd`:
/// when the last request was prefilled (0 without prefill); descriptors
/// that ended by then are prefill's. `steps` decode steps, `tpotMeanNs`,
/// `ttftFirstNs`: the whole prefill (report prefillNs).
[[nodiscard]] EstimateComparison compareEstimate(const Estimate& e, const OpCollector& collector, models::Ps prefillEnd,
                                                 double steps, double tpotMeanNs, double ttftFirstNs);
void printEstimateComparison(std::ostream& os, const EstimateComparison& c);
[[nodiscard]] boost::json::object estimateComparisonJson(const EstimateComparison& c);
/// Every operator and total whose simulated time is below its lower bound
/// (relative slack `tolerance` for rounding); empty when none.
[[nodiscard]] std::vector<std::string> boundViolations(const EstimateComparison& c, double tolerance = 1e-9);

/// The collected descriptors of each phase, split as compareEstimate splits
/// them: a ring (as programmed once) whose descriptors all ended by
/// `prefillEnd` is a prefill chain.
struct PhaseBuckets {
  std::vector<std::pair<OpCollector::Key, OpCollector::Sum>> decode, prefill;
};
[[nodiscard]] PhaseBuckets splitPhases(const Estimate& e, const OpCollector& collector, models::Ps prefillEnd);

/// Where a phase's estimated operators and the descriptors the firmware
/// issued (`buckets`, over `units` decode steps or 1 prefill) disagree, one
/// line each; empty when they agree:
///  - count: the descriptors of every group of operators that match the
///    same descriptor signatures (as compareEstimate groups them) equal the
///    issued descriptors of those signatures per unit;
///  - shape: every issued descriptor matches an operator's signature
///    (opcode, and for projections n, k and DESC_F_ACCUM), and every
///    operator with descriptors matches an issued one;
///  - bytes (`minByteShare` > 0): each group's main-memory bytes (weights
///    and KV cache; a DMA copy also reads its source) are at most the bytes
///    its engines moved over their memory sockets, and at least
///    `minByteShare` of them (row and block tables are not estimated)
///    unless the estimate holds only the bound's least (OpEstimate
///    minimumBytes). With HBF weight prefetch the tile reads the weights
///    from the staging buffers the prefetch DMA filled: no byte check.
[[nodiscard]] std::vector<std::string>
operatorDrift(const PhaseEstimate& pe, const std::vector<std::pair<OpCollector::Key, OpCollector::Sum>>& buckets,
              double units, double minByteShare);

} // namespace llmvp::testbench
