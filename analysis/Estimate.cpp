// SPDX-License-Identifier: Apache-2.0
#include "analysis/Estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <numeric>
#include <ostream>
#include <set>
#include <sstream>

#include "config/NumberText.h"
#include "firmware/include/descriptors.h"
#include "firmware/include/manifest.h"
#include "host/PnmPolicy.h"
#include "models/common/Stats.h"
#include "models/compute/Kernels.h"
#include "models/compute/VectorCost.h"

namespace llmvp::testbench {

namespace {
// Vector work per element, as the engines charge it.
using models::compute::kAddOps;
using models::compute::kArgmaxOps;
using models::compute::kCombineFixedOps;
using models::compute::kCombineOps;
using models::compute::kConvertOps;
using models::compute::kRmsnormOps;
using models::compute::kRopeOps;
using models::compute::kSoftmaxOps;
using models::compute::kSwigluOps;
using models::compute::kTopkSelectOps;
using models::compute::kTopkWeightOps;
constexpr double kTokenIdBytes = 4; // u32 token ids and positions
// A gap below this share of the bound is reported as "at the bound".
constexpr double kAtBoundShare = 0.05;

double bytesOf(models::DType t) { return static_cast<double>(models::dtypeBytes(t)); }

/// What the estimate needs of a run: per-request cached positions before
/// decode and the decode steps, as the host's layout sets them up (host/ChipLayout.h).
struct Workload {
  std::vector<double> cached;  ///< positions cached per request when decode starts (own, without a shared prefix)
  std::vector<double> prompts; ///< prefill: prompt tokens per request
  double steps = 0;
  double prefix = 0;            ///< shared KV prefix positions (HBF)
  std::uint32_t maxContext = 0; ///< positions a request's KV cache holds (host/ChipLayout.h placement)
};

Workload workload(const PlatformConfig& p, const RunOptions& o) {
  Workload w;
  const std::uint32_t b = o.batch;
  std::vector<std::uint32_t> ctx = o.contexts.empty() ? std::vector<std::uint32_t>(b, o.context) : o.contexts;
  ctx.resize(b, o.context);
  w.maxContext = *std::max_element(ctx.begin(), ctx.end()) + o.genTokens;
  const bool prefill = o.prefillChunk != 0;
  if (o.functional) {
    w.steps = static_cast<double>(decodeSteps(o, o.context));
    for (std::uint32_t r = 0; r < b; ++r) w.cached.push_back(prefill ? o.context : 0);
    if (prefill) w.prompts.assign(b, o.context);
    return w;
  }
  w.prefix = p.chip.hasHbf && !prefill ? o.hbf.kvPrefixTokens : 0;
  w.steps = static_cast<double>(decodeSteps(o, o.context));
  for (std::uint32_t r = 0; r < b; ++r) {
    w.cached.push_back(ctx[r]);
    if (prefill) w.prompts.push_back(ctx[r]);
  }
  return w;
}

Peaks peaksOf(const PlatformConfig& pc, const ModelSpec& m) {
  const platform::ChipParams& c = pc.chip;
  Peaks p;
  const double memPeak = c.stackedMemory ? c.stacked.internalGBps() : c.hbm.peakGBps();
  const double port = c.stackedMemory ? c.stackedPort.bandwidthGBps : c.hbmPort.bandwidthGBps;
  p.memoryGBps = std::min(memPeak, port);
  p.memoryName = std::string(c.stackedMemory ? "stacked DRAM" : "HBM") +
                 (port < memPeak ? " (fabric port chip.fabric.ports." +
                                       std::string(c.stackedMemory ? "stacked" : "hbm") + ".bandwidth_gbps)"
                                 : "");
  p.memoryLatencyNs = 2 * (c.stackedMemory ? c.stackedPort.latencyNs : c.hbmPort.latencyNs);
  p.weightGBps = p.memoryGBps;
  p.weightName = p.memoryName;
  if (c.hasHbf && pc.hbf.weightsInHbf && pc.hbf.prefetchDepth == 0) {
    p.weightGBps = std::min(c.hbf.peakReadGBps(), c.hbfPort.bandwidthGBps);
    p.weightName = "HBF";
  }
  p.spadGBps = c.tile.scratchpad.bandwidthGBps;
  const auto computeType = models::computeType(m.weightDtype, m.actDtype);
  p.computeDtype = std::string(models::dtypeName(computeType));
  p.matrixFlops =
      2.0 * c.tile.macsPerCycle.at(static_cast<std::size_t>(computeType)) * c.tile.engine.clockMhz * 1e6 * c.tileCount;
  p.vectorOpsPerS = c.tile.vectorLanes * c.tile.engine.clockMhz * 1e6 * c.tileCount;
  p.tileDispatchNs = c.tile.engine.dispatchCycles / c.tile.engine.clockMhz * 1e3;
  p.dmaDispatchNs = c.dma.dispatchCycles / c.dma.clockMhz * 1e3;
  if (c.pnmCount > 0) {
    p.pnmEngines = c.pnmCount;
    p.pnmGBps = c.stackedMemory ? c.stacked.internalGBps() : memPeak;
    const double hz = c.pnm.engine.clockMhz * 1e6;
    p.pnmFlops = 2.0 * c.pnm.units * c.pnm.macsPerCyclePerUnit * hz * c.pnmCount;
    p.pnmVectorOpsPerS = c.pnm.units * c.pnm.vectorOpsPerCyclePerUnit * hz * c.pnmCount;
    p.pnmDispatchNs = c.pnm.engine.dispatchCycles / c.pnm.engine.clockMhz * 1e3;
  }
  return p;
}

/// Builds the operators of one phase.
class Builder {
public:
  Builder(const PlatformConfig& pc, const ModelSpec& m, const Peaks& p, std::uint32_t tp) : pc_(pc), m_(m), p_(p) {
    pnm_ = pc.chip.pnmCount > 0;
    act_ = bytesOf(m.actDtype);
    wb_ = bytesOf(m.weightDtype);
    kvb_ = bytesOf(m.kvDtype);
    // This chip's shard of a tensor-parallel system (host/ChipLayout.cpp: query
    // heads split into the largest divisor of tp that divides them, the FFN tp ways).
    std::uint32_t shards = tp;
    while (m.heads % shards != 0) --shards;
    while (tp % shards != 0) --shards;
    heads_ = m.heads / shards;
    const std::uint32_t group = m.heads / m.kvHeads;
    kvHeads_ = heads_ >= group ? heads_ / group : 1;
    ffn_ = m.ffn / tp;
    tp_ = tp;
    qDim_ = heads_ * m.headDim;
    kvDim_ = kvHeads_ * m.headDim;
    if (m.quant != WeightQuant::None) linearDt_ = m.quant == WeightQuant::Int8 ? LLMVP_DT_INT8 : LLMVP_DT_INT4;
  }

  /// Adds `count` of an operator (merged by name).
  struct Work {
    double descriptors = 0, weightBytes = 0, kvBytes = 0, spadBytes = 0, flops = 0, vectorOps = 0;
  };
  void add(const std::string& name, const std::string& engine, const Work& w, models::DType rate,
           std::vector<OpSignature> match) {
    // An operator split over two engines (near-memory: gate/up on the
    // engines, down on the tile) is two rows, the second named name@engine.
    const auto other = std::find_if(ops_.begin(), ops_.end(),
                                    [&](const auto& o) { return o.first.name == name && o.first.engine != engine; });
    if (other != ops_.end() && name.find('@') == std::string::npos) {
      add(name + "@" + engine, engine, w, rate, std::move(match));
      return;
    }
    for (auto& o : ops_)
      if (o.first.name == name) {
        o.second.descriptors += w.descriptors;
        o.second.weightBytes += w.weightBytes;
        o.second.kvBytes += w.kvBytes;
        o.second.spadBytes += w.spadBytes;
        o.second.flops += w.flops;
        o.second.vectorOps += w.vectorOps;
        for (const auto& s : match) o.first.match.push_back(s);
        return;
      }
    OpEstimate e;
    e.name = name;
    e.engine = engine;
    e.match = std::move(match);
    rate_[name] = rate;
    ops_.emplace_back(e, w);
  }

  /// Marks an operator's bytes as the bound's least, not its traffic (OpEstimate::minimumBytes).
  void minimumBytes(const std::string& name) {
    for (auto& o : ops_)
      if (o.first.name == name) o.first.minimumBytes = true;
  }

  /// Bytes of a linear [n][k] projection (maybe group-quantised).
  [[nodiscard]] double linear(double n, double k) const {
    if (linearDt_ == 0) return n * k * wb_;
    return static_cast<double>(models::compute::weightMatrixBytes(linearDt_, static_cast<std::uint64_t>(n),
                                                                  static_cast<std::uint64_t>(k), m_.quantGroup));
  }
  [[nodiscard]] double dequantOps(double elements) const {
    if (linearDt_ == 0) return 0;
    return elements * pc_.chip.tile.dequantOps[linearDt_ == LLMVP_DT_INT8 ? 0 : 1];
  }
  [[nodiscard]] models::DType gemvRate() const {
    return linearDt_ != 0 ? m_.actDtype : models::computeType(m_.weightDtype, m_.actDtype);
  }
  /// Near-memory platforms: the host's placement (PnmPolicy.h) for the
  /// phase's operators; `prefillPass`: a prefill pass's choices.
  void setPnmPlan(const PnmPlan& plan, bool prefillPass) {
    plan_ = plan;
    prefillPass_ = prefillPass;
  }
  /// The engine of projection class `shift` (LLMVP_PNM_SHIFT_*): the tile,
  /// or the near-memory engines where the plan puts it.
  [[nodiscard]] std::string projEngine(std::uint32_t shift) const {
    if (!pnm_ || (plan_.ops() >> shift & 3u) == LLMVP_PNM_TILE) return "tile";
    return prefillPass_ && (plan_.prefillTile >> (shift / 2) & 1u) != 0 ? "tile" : "pnm";
  }

  /// `accum` of a residual projection of class `shift` (o, down): 1 (adds
  /// into x), 0 (tensor parallel: partial sums for the all-reduce) or -1
  /// (near-memory column split: per-shard fp32 partial sums, no y read).
  [[nodiscard]] int residualAccum(std::uint32_t shift) const {
    if (tp_ > 1) return 0;
    return pnm_ && (plan_.ops() >> shift & 3u) == LLMVP_PNM_COLS ? -1 : 1;
  }

  /// A projection GEMV of `rows` input rows on `engine`: [n][k] weights;
  /// `accum` 1 reads y, -1 matches descriptors with or without DESC_F_ACCUM.
  void gemv(const std::string& name, const std::string& engine, double rows, std::uint32_t n, std::uint32_t k,
            int accum, bool quantisable, double count = 1, bool bias = false) {
    Work w;
    w.descriptors = count;
    const double weights = quantisable ? linear(n, k) : double(n) * k * wb_;
    w.weightBytes = count * (weights + (bias ? double(n) * (linearDt_ != 0 ? 2.0 : wb_) : 0));
    w.spadBytes = count * rows * (double(k) + n + (accum == 1 ? n : 0)) * act_;
    w.flops = count * 2.0 * rows * n * k;
    w.vectorOps = quantisable ? count * dequantOps(double(n) * k) : 0;
    add(name, engine, w, quantisable ? gemvRate() : models::computeType(m_.weightDtype, m_.actDtype),
        {{LLMVP_OP_GEMV, n, k, accum}});
  }
  void vector(const std::string& name, std::uint8_t opcode, double count, double spadBytes, double weightBytes,
              double ops) {
    Work w;
    w.descriptors = count;
    w.spadBytes = spadBytes;
    w.weightBytes = weightBytes;
    w.vectorOps = ops;
    add(name, "tile", w, m_.actDtype, {{opcode, 0, 0, -1}});
  }

  /// One pass of the chain over `rows` activation rows: attention per row
  /// over `attnPositions` (a decode step, a row-wise prefill pass), or
  /// (`causalBlock`) one causal block over rows consecutive positions from
  /// `prefillFirst`, or none (`withAttention` false: a block prefill pass,
  /// its pieces' blocks added by the caller). `outRows`: rows that reach the
  /// LM head.
  void chain(double rows, double outRows, const std::vector<double>& attnPositions, double prefillFirst,
             bool causalBlock, bool withAttention = true) {
    const ModelSpec& m = m_;
    const double H = m.hidden, L = m.layers;
    const double moeL = m.moeLayers(), denseL = L - moeL;
    // embedding rows (weights), ids in, activations out
    vector("embed", LLMVP_OP_EMBED, 1, rows * (kTokenIdBytes + H * act_), rows * H * wb_, rows * H * kConvertOps);
    // attention and FFN norm per layer; the final norm, one per output row
    // of a block prefill pass (chains.c fw_build_chains), else one over all
    const double layerNorms = 2 * L, norms = layerNorms + (withAttention ? 1 : outRows);
    vector("norms", LLMVP_OP_RMSNORM, norms, layerNorms * 2 * rows * H * act_ + 2 * outRows * H * act_, norms * H * wb_,
           (layerNorms * rows + outRows) * H * kRmsnormOps);
    if (m.mla.enabled) {
      mlaAttention(rows, attnPositions);
    } else {
      const std::string qkv = projEngine(LLMVP_PNM_SHIFT_QKV);
      gemv("qkv_proj", qkv, rows, qDim_, m.hidden, 0, true, L, m.qkvBias);
      gemv("qkv_proj", qkv, rows, kvDim_, m.hidden, 0, true, 2 * L, m.qkvBias);
      vector("rope", LLMVP_OP_ROPE, 2 * L, L * (rows * kTokenIdBytes * 2 + 2 * rows * (qDim_ + kvDim_) * act_), 0,
             L * rows * (qDim_ + kvDim_) * kRopeOps);
      if (withAttention) attention(rows, attnPositions, prefillFirst, causalBlock);
      // output projection: accumulates into x, or (tensor parallel) writes partial sums
      gemv("o_proj", projEngine(LLMVP_PNM_SHIFT_O), rows, m.hidden, qDim_, residualAccum(LLMVP_PNM_SHIFT_O), true, L);
    }
    if (tp_ > 1) {
      vector("tp_add", LLMVP_OP_ADD, 2 * L, 2 * L * rows * H * (2 * act_ + 4), 0, 2 * L * rows * H * kAddOps);
      add("all_reduce", "coll", {2 * L, 0, 0, 0, 0, 0}, m.actDtype, {{LLMVP_OP_ALL_REDUCE, 0, 0, -1}});
      minimumBytes("all_reduce"); // the collectives are not estimated (0)
    }
    if (denseL > 0)
      denseFfn("ffn", projEngine(LLMVP_PNM_SHIFT_GATE_UP), projEngine(LLMVP_PNM_SHIFT_DOWN), rows, ffn_, denseL,
               residualAccum(LLMVP_PNM_SHIFT_DOWN));
    if (moeL > 0) moe(rows, moeL);
    gemv("lm_head", projEngine(LLMVP_PNM_SHIFT_LM_HEAD), outRows, m.vocab, m.hidden, 0, false, 1);
    vector("argmax", LLMVP_OP_ARGMAX, 1, outRows * (m.vocab * act_ + kTokenIdBytes), 0, outRows * m.vocab * kArgmaxOps);
    if (pnm_) add("sync", "tile", {0, 0, 0, 0, 0, 0}, m.actDtype, {{LLMVP_OP_NOP, 0, 0, -1}});
  }

  void attention(double rows, const std::vector<double>& positions, double first, bool prefill) {
    // decode: one ATTN per row over its positions (and one over a shared prefix)
    const ModelSpec& m = m_;
    const double L = m.layers;
    Work w;
    if (prefill) {
      // one causal block per layer: reads first + rows positions, row i scores first + i + 1
      const double ctx = first + rows;
      const double scores = rows * first + rows * (rows + 1) / 2;
      w.descriptors = L;
      w.kvBytes = L * 2 * ctx * kvDim_ * kvb_;
      w.spadBytes = L * 2 * rows * qDim_ * act_;
      w.flops = L * 4.0 * heads_ * m.headDim * scores;
      w.vectorOps = L * heads_ * scores * kSoftmaxOps;
      // (row-wise prefill runs decode-style ATTN rows, reading at least as much)
      add("attention", attnEngine(), w, models::computeType(m.kvDtype, m.actDtype),
          {{LLMVP_OP_ATTN_PREFILL, 0, 0, -1}, {LLMVP_OP_ATTN, 0, 0, -1}, {LLMVP_OP_ATTN_MLA, 0, 0, -1}});
      return;
    }
    // firmware plan.h fw_attn_batched: one ATTN per layer over all rows
    const bool batched = positions.size() > 1 && prefix_ == 0 && attnEngine() == "tile";
    if (batched) w.descriptors = L;
    for (double pos : positions) {
      if (!batched) w.descriptors += L * (prefix_ > 0 ? 2 : 1);
      w.kvBytes += L * 2 * (pos + prefix_) * kvDim_ * kvb_;
      w.spadBytes += L * 2 * qDim_ * act_ * (prefix_ > 0 ? 2 : 1);
      w.flops += L * 4.0 * heads_ * m.headDim * (pos + prefix_);
      w.vectorOps += L * heads_ * (pos + prefix_) * kSoftmaxOps;
    }
    add("attention", attnEngine(), w, models::computeType(m.kvDtype, m.actDtype), {{LLMVP_OP_ATTN, 0, 0, -1}});
  }
  [[nodiscard]] std::string attnEngine() const { return pnm_ && plan_.attn ? "pnm" : "tile"; }

  void mlaAttention(double rows, const std::vector<double>& positions) {
    const ModelSpec& m = m_;
    const MlaSpec& a = m.mla;
    const double L = m.layers;
    const std::uint32_t qIn = a.qLoraRank != 0 ? a.qLoraRank : m.hidden;
    if (a.qLoraRank != 0) {
      gemv("mla_proj", "tile", rows, a.qLoraRank, m.hidden, 0, false, L);
      vector("norms", LLMVP_OP_RMSNORM, L, L * 2 * rows * a.qLoraRank * act_, L * a.qLoraRank * wb_,
             L * rows * a.qLoraRank * kRmsnormOps);
    }
    gemv("mla_proj", "tile", rows, heads_ * a.qkNopeDim, qIn, 0, false, L);
    gemv("mla_proj", "tile", rows, heads_ * a.qkRopeDim, qIn, 0, false, L);
    gemv("mla_proj", "tile", rows, a.kvLoraRank, m.hidden, 0, false, L);
    gemv("mla_proj", "tile", rows, a.qkRopeDim, m.hidden, 0, false, L);
    vector("norms", LLMVP_OP_RMSNORM, L, L * 2 * rows * a.kvLoraRank * act_, L * a.kvLoraRank * wb_,
           L * rows * a.kvLoraRank * kRmsnormOps);
    const double ropeElems = double(heads_) * a.qkRopeDim + a.qkRopeDim;
    vector("rope", LLMVP_OP_ROPE, 2 * L, L * (rows * kTokenIdBytes * 2 + 2 * rows * ropeElems * act_), 0,
           L * rows * ropeElems * kRopeOps);
    // absorbed per-head projections (W_uk^T and W_uv)
    Work h;
    const double ukElems = double(heads_) * a.kvLoraRank * a.qkNopeDim,
                 uvElems = double(heads_) * a.vHeadDim * a.kvLoraRank;
    h.descriptors = 2 * L;
    h.weightBytes = L * (ukElems + uvElems) * wb_;
    h.spadBytes = L * rows * heads_ * (a.qkNopeDim + 2.0 * a.kvLoraRank + a.vHeadDim) * act_;
    h.flops = L * 2 * rows * (ukElems + uvElems);
    add("mla_absorb", "tile", h, models::computeType(m.weightDtype, m.actDtype), {{LLMVP_OP_GEMV_HEADS, 0, 0, -1}});
    Work w;
    const double row = double(a.kvLoraRank) + a.qkRopeDim;
    for (double pos : positions) {
      w.descriptors += L;
      w.kvBytes += L * pos * row * kvb_;
      w.spadBytes += L * heads_ * (2.0 * a.kvLoraRank + a.qkRopeDim) * act_;
      w.flops += L * 2.0 * heads_ * pos * (row + a.kvLoraRank);
      w.vectorOps += L * heads_ * pos * kSoftmaxOps;
    }
    add("attention", "tile", w, models::computeType(m.kvDtype, m.actDtype), {{LLMVP_OP_ATTN_MLA, 0, 0, -1}});
    gemv("o_proj", "tile", rows, m.hidden, heads_ * a.vHeadDim, 1, false, L);
  }

  void denseFfn(const std::string& name, const std::string& gateUp, const std::string& down, double rows,
                std::uint32_t width, double layers, int downAccum) {
    gemv(name, gateUp, rows, width, m_.hidden, 0, true, 2 * layers);
    gemv(name, down, rows, m_.hidden, width, downAccum, true, layers);
    vector("swiglu", LLMVP_OP_SWIGLU, layers, layers * 3 * rows * width * act_, 0, layers * rows * width * kSwigluOps);
  }

  void moe(double rows, double layers) {
    const ModelSpec& m = m_;
    const MoeSpec& e = m.moe;
    const double H = m.hidden, k = e.topK, eff = e.expertFfn;
    Work r;
    r.descriptors = layers;
    r.weightBytes = layers * e.experts * H * wb_;
    r.spadBytes = layers * rows * (H * act_ + e.experts * 4.0);
    r.flops = layers * 2 * rows * e.experts * H;
    add("router", "tile", r, models::computeType(m.weightDtype, m.actDtype), {{LLMVP_OP_GEMV, e.experts, m.hidden, 0}});
    vector("topk", LLMVP_OP_TOPK, layers, layers * rows * (e.experts * 4.0 + k * 8.0), 0,
           layers * rows * (e.experts * kTopkSelectOps + k * kTopkWeightOps));
    // Experts: every distinct expert the rows chose is streamed once. At
    // least top_k distinct (the bound); at most min(experts, rows x top_k).
    // Expert parallel over tp chips (each a window of experts / tp): the
    // chips together stream at least min(experts, k) distinct experts and
    // compute rows x k slots per layer, so the busiest chip (the one
    // compared, docs/estimate.md) at least 1 / tp of that.
    const double minDistinct = std::min<double>(e.experts, k) / tp_;
    const double slots = rows * k / tp_;
    Work x;
    x.descriptors = 3 * layers;
    x.weightBytes = layers * minDistinct * linear(3 * eff, H);
    x.spadBytes = layers * slots * (2 * H + 3 * eff + H) * act_;
    x.flops = layers * 2 * slots * 3 * eff * H;
    x.vectorOps = layers * minDistinct * dequantOps(3 * eff * H);
    add("experts", "tile", x, gemvRate(), {{LLMVP_OP_GEMV_MOE, 0, 0, -1}});
    minimumBytes("experts");
    vector("swiglu", LLMVP_OP_SWIGLU, layers, layers * 3 * rows * k * eff * act_, 0,
           layers * rows * k * eff * kSwigluOps);
    // expert outputs in; + x in and out, or (expert parallel) an fp32 partial out
    vector("moe_combine", LLMVP_OP_MOE_COMBINE, layers, layers * rows * H * (k * act_ + (tp_ > 1 ? 4 : 2 * act_)), 0,
           layers * rows * H * (k * kCombineOps + kCombineFixedOps));
    // shared experts: down adds into x, or (expert parallel) into the chip's
    // fp32 partial of the combine (chains.c fw_put_moe_ffn)
    if (e.sharedExperts > 0) denseFfn("shared_experts", "tile", "tile", rows, e.sharedFfn() / tp_, layers, 1);
  }

  void kvWrites(double rows, double pieces) {
    const ModelSpec& m = m_;
    const double elems = m.mla.enabled ? double(m.mla.kvLoraRank) + m.mla.qkRopeDim : 2.0 * kvDim_;
    const double L = m.layers;
    Work w;
    // decode: a k and a v COPY per row and layer (PNM: per engine shard); prefill: two per layer and
    // request piece of a block pass, or per row of a row-wise pass (chains.c put_kv_copies)
    w.descriptors = pieces > 0 ? 2 * L * pieces : 2 * L * rows * (pnm_ ? pc_.chip.pnmCount : 1);
    w.kvBytes = L * rows * elems * kvb_;
    w.spadBytes = L * rows * elems * act_;
    add("kv_write", "dma", w, m.actDtype, {{LLMVP_OP_COPY, 0, 0, -1}});
  }

  void setPrefix(double p) { prefix_ = p; }

  /// Turns the accumulated work into bounds and the phase totals.
  PhaseEstimate finish(const std::string& phase, double scale) {
    PhaseEstimate out;
    out.phase = phase;
    std::map<std::string, std::pair<double, double>> engines; // bound, calibrated per engine
    for (auto& [e, w] : ops_) {
      e.descriptors = w.descriptors * scale;
      e.weightBytes = w.weightBytes * scale;
      e.kvBytes = w.kvBytes * scale;
      e.spadBytes = w.spadBytes * scale;
      e.flops = w.flops * scale;
      e.vectorOps = w.vectorOps * scale;
      const bool pnmOp = e.engine == "pnm";
      const double wGBps = pnmOp ? p_.pnmGBps : p_.weightGBps, kvGBps = pnmOp ? p_.pnmGBps : p_.memoryGBps;
      const bool sameMemory = pnmOp || p_.weightName == p_.memoryName;
      e.memoryNs =
          sameMemory ? e.weightBytes / wGBps + e.kvBytes / kvGBps : std::max(e.weightBytes / wGBps, e.kvBytes / kvGBps);
      e.spadNs = e.spadBytes / p_.spadGBps;
      const auto rate = rate_.at(e.name);
      const double matrixPeak = pnmOp ? p_.pnmFlops
                                      : 2.0 * pc_.chip.tile.macsPerCycle.at(static_cast<std::size_t>(rate)) *
                                            pc_.chip.tile.engine.clockMhz * 1e6 * pc_.chip.tileCount;
      e.matrixNs = e.flops > 0 ? e.flops / matrixPeak * 1e9 : 0;
      e.vectorNs = e.vectorOps > 0 ? e.vectorOps / (pnmOp ? p_.pnmVectorOpsPerS : p_.vectorOpsPerS) * 1e9 : 0;
      const std::pair<double, const char*> terms[] = {
          {e.memoryNs, "memory"}, {e.spadNs, "scratchpad"}, {e.matrixNs, "matrix"}, {e.vectorNs, "vector"}};
      e.boundNs = 0;
      e.bound = "none";
      for (const auto& t : terms)
        if (t.first > e.boundNs) {
          e.boundNs = t.first;
          e.bound = t.second;
        }
      const double dispatch = e.engine == "dma"    ? p_.dmaDispatchNs
                              : e.engine == "pnm"  ? p_.pnmDispatchNs
                              : e.engine == "tile" ? p_.tileDispatchNs
                                                   : 0;
      // PNM engines work side by side: each issues its share of the descriptors
      const double perEngine = pnmOp && p_.pnmEngines > 0 ? e.descriptors / p_.pnmEngines : e.descriptors;
      e.calibratedNs = e.boundNs + perEngine * dispatch;
      engines[e.engine].first += e.boundNs;
      engines[e.engine].second += e.calibratedNs;
      out.memoryBytes += e.weightBytes + e.kvBytes;
      out.flops += e.flops;
      out.ops.push_back(e);
    }
    for (const auto& [name, v] : engines)
      if (v.first > out.boundNs || out.boundEngine.empty()) {
        out.boundNs = v.first;
        out.boundEngine = name;
      }
    for (const auto& [name, v] : engines) out.calibratedNs = std::max(out.calibratedNs, v.second);
    return out;
  }

private:
  const PlatformConfig& pc_;
  const ModelSpec& m_;
  const Peaks& p_;
  bool pnm_ = false;
  PnmPlan plan_;
  bool prefillPass_ = false;
  double act_ = 2, wb_ = 2, kvb_ = 2, prefix_ = 0;
  std::uint32_t heads_ = 0, kvHeads_ = 0, ffn_ = 0, tp_ = 1, qDim_ = 0, kvDim_ = 0;
  std::uint8_t linearDt_ = 0;
  std::vector<std::pair<OpEstimate, Work>> ops_;
  std::map<std::string, models::DType> rate_;
};

} // namespace

Estimate estimate(const PlatformConfig& pc, const ModelSpec& model, const RunOptions& options) {
  Estimate e;
  e.platformName = pc.name;
  e.modelName = model.name;
  e.options = options;
  e.tensorParallel = pc.system.chips > 1 ? std::max<std::uint32_t>(1, pc.parallel.tensor) : 1;
  e.peaks = peaksOf(pc, model);
  const Workload w = workload(pc, options);
  const double b = options.batch;
  // Near-memory platforms: the host's placement of the operators (host/ChipLayoutPnm.cpp).
  const bool pnm = pc.chip.pnmCount > 0;
  PnmPlan pnmPlan;
  if (pnm) {
    pnmPlan = planPnm(pc.chip, pc.pnm, model, options.batch, w.maxContext, options.kvBlockTokens != 0);
    if (options.prefillChunk != 0)
      planPnmPrefill(pnmPlan, pc.chip, pc.pnm, model, std::min(options.prefillChunk, LLMVP_MAX_BATCH));
  }

  // Decode: one step at the mean attended positions of the run's steps (the
  // bound is convex in them, so the mean step's bound is below the mean bound).
  {
    Builder bd(pc, model, e.peaks, e.tensorParallel);
    if (pnm) bd.setPnmPlan(pnmPlan, false);
    bd.setPrefix(w.prefix);
    std::vector<double> positions;
    for (double c : w.cached) positions.push_back(c + (w.steps + 1) / 2);
    bd.chain(b, b, positions, 0, false);
    bd.kvWrites(b, 0);
    e.decode = bd.finish("decode", 1.0);
    e.decode.units = w.steps;
    e.decode.positions =
        positions.empty() ? 0 : std::accumulate(positions.begin(), positions.end(), 0.0) / positions.size() + w.prefix;
  }
  // Prefill: every request's prompt in chunks, one request after another;
  // per request (the mean over requests).
  if (options.prefillChunk != 0 && !w.prompts.empty()) {
    e.hasPrefill = true;
    Builder bd(pc, model, e.peaks, e.tensorParallel);
    if (pnm) bd.setPnmPlan(pnmPlan, true);
    const double chunk = options.prefillChunk;
    if (model.mla.enabled || options.kvBlockTokens != 0 || pnm) {
      // row-wise prefill (firmware decode.c run_prefill): each request in
      // passes of decode-style rows (plan.h fw_prefill_rows: at most
      // LLMVP_MAX_BATCH), row i at position first + i attending first + i + 1
      // positions; every pass ends with the head on its last row
      const double rowsPerPass = std::min<double>(chunk, LLMVP_MAX_BATCH);
      // near memory with attention on the tile over a contiguous cache: the
      // pass's attention is one causal block, two copies per layer (pnm.c
      // fw_pnm_block_attention)
      const bool pnmBlock = pnm && !pnmPlan.attn && options.kvBlockTokens == 0 && !model.mla.enabled;
      for (double prompt : w.prompts)
        for (double first = 0; first < prompt; first += rowsPerPass) {
          const double rows = std::min(rowsPerPass, prompt - first);
          std::vector<double> positions;
          for (double i = 0; i < rows; ++i) positions.push_back(first + i + 1);
          bd.chain(rows, 1, positions, first, pnmBlock);
          bd.kvWrites(rows, pnmBlock ? 1 : rows);
        }
    } else {
      // packed block prefill (decode.c run_prefill_packed): each pass fills up
      // to a chunk of rows with the next prompt positions of the requests in order
      // (one ATTN_PREFILL and two KV copies per piece); the head runs on the
      // pieces that end a prompt, or on the pass's last row if none does (chains.c)
      std::vector<double> done(w.prompts.size(), 0);
      std::size_t next = 0;
      while (next < w.prompts.size()) {
        double rows = 0, outs = 0, pieces = 0;
        for (std::size_t r = next; r < w.prompts.size() && rows < chunk; ++r) {
          const double take = std::min(w.prompts[r] - done[r], chunk - rows);
          bd.attention(take, {}, done[r], true);
          done[r] += take;
          rows += take;
          pieces += 1;
          if (done[r] >= w.prompts[r]) {
            outs += 1;
            next = r + 1;
          }
        }
        bd.chain(rows, std::max(outs, 1.0), {}, 0, true, /*withAttention=*/false);
        bd.kvWrites(rows, pieces);
      }
    }
    e.prefill = bd.finish("prefill", 1.0);
    e.prefill.units = static_cast<double>(w.prompts.size());
    e.prefill.positions = std::accumulate(w.prompts.begin(), w.prompts.end(), 0.0) / w.prompts.size();
  }
  return e;
}

namespace {
void printPhase(std::ostream& os, const PhaseEstimate& p, const std::string& per) {
  os << "\n"
     << (p.phase == "decode" ? "Decode" : "Prefill") << ", per " << per << " (" << durationText(p.boundNs)
     << " lower bound, " << durationText(p.calibratedNs) << " with per-descriptor overheads)\n";
  os << "  operator          engine  descs   weights MB     KV MB     GFLOP   bound ms  (memory  scratch  matrix  "
        "vector)  bound by    +overhead ms\n";
  for (const auto& o : p.ops)
    os << "  " << std::left << std::setw(18) << o.name << std::setw(6) << o.engine << std::right << std::setw(7)
       << fixedText(o.descriptors, 0) << std::setw(13) << fixedText(o.weightBytes / 1e6, 3) << std::setw(10)
       << fixedText(o.kvBytes / 1e6, 3) << std::setw(10) << fixedText(o.flops / 1e9, 3) << std::setw(11)
       << msNumber(o.boundNs, 4) << "  (" << msNumber(o.memoryNs, 4) << "  " << msNumber(o.spadNs, 4) << "  "
       << msNumber(o.matrixNs, 4) << "  " << msNumber(o.vectorNs, 4) << ")  " << std::left << std::setw(11) << o.bound
       << std::right << msNumber(o.calibratedNs, 4) << "\n";
  os << "  total: " << fixedText(p.memoryBytes / 1e9, 3) << " GB from memory, " << fixedText(p.flops / 1e9, 2)
     << " GFLOP; bound " << msNumber(p.boundNs, 4) << " ms (" << p.boundEngine << " engine's operators in sequence)\n";
}
} // namespace

void printEstimate(std::ostream& os, const Estimate& e) {
  const auto& o = e.options;
  const Peaks& p = e.peaks;
  os << "llmvp estimate — " << e.modelName << " on " << e.platformName << " (analytical roofline, nothing simulated)\n";
  os << "  batch " << o.batch << ", context " << o.context << " tokens, " << o.genTokens
     << " generated tokens per request";
  if (o.prefillChunk != 0) os << ", prefill chunks of " << o.prefillChunk;
  if (e.tensorParallel > 1) os << ", tensor parallel " << e.tensorParallel << " (one chip's shard)";
  os << "\n\nPeaks (physical, from the platform config)\n";
  os << "  memory " << fixedText(p.memoryGBps, 1) << " GB/s (" << p.memoryName << ")";
  if (p.weightName != p.memoryName)
    os << ", weights " << fixedText(p.weightGBps, 1) << " GB/s (" << p.weightName << ")";
  os << ", scratchpad " << fixedText(p.spadGBps, 1) << " GB/s\n";
  os << "  matrix " << fixedText(p.matrixFlops / 1e12, 2) << " TFLOP/s " << p.computeDtype << ", vector "
     << fixedText(p.vectorOpsPerS / 1e12, 2) << " Tops/s";
  if (p.pnmEngines > 0)
    os << "; near memory: " << p.pnmEngines << " engines, " << fixedText(p.pnmGBps, 1) << " GB/s, "
       << fixedText(p.pnmFlops / 1e12, 2) << " TFLOP/s";
  os << "\n  per-descriptor overhead: tile " << durationText(p.tileDispatchNs) << ", dma "
     << durationText(p.dmaDispatchNs) << " (chip.*.dispatch_cycles; added in the \"+overhead\" column only)\n";
  if (e.decode.units > 0) {
    printPhase(os, e.decode, "decode step, mean " + fixedText(e.decode.positions, 1) + " positions attended");
    os << "  TPOT >= " << durationText(e.decode.boundNs) << " (" << fixedText(o.batch / (e.decode.boundNs * 1e-9), 1)
       << " tokens/s at most)\n";
  }
  if (e.hasPrefill) {
    printPhase(os, e.prefill,
               "prefill of all " + fixedText(e.prefill.units, 0) + " requests (mean prompt " +
                   fixedText(e.prefill.positions, 0) + " tokens)");
    os << "  prefill (to the last request's first token) >= " << durationText(e.prefill.boundNs) << "\n";
  }
}

namespace {
boost::json::object opJson(const OpEstimate& o) {
  return {{"name", o.name},
          {"engine", o.engine},
          {"descriptors", o.descriptors},
          {"weight_bytes", o.weightBytes},
          {"kv_bytes", o.kvBytes},
          {"scratchpad_bytes", o.spadBytes},
          {"flops", o.flops},
          {"vector_ops", o.vectorOps},
          {"memory_ns", o.memoryNs},
          {"scratchpad_ns", o.spadNs},
          {"matrix_ns", o.matrixNs},
          {"vector_ns", o.vectorNs},
          {"bound_ns", o.boundNs},
          {"bound", o.bound},
          {"with_overhead_ns", o.calibratedNs}};
}
boost::json::object phaseJson(const PhaseEstimate& p) {
  boost::json::array ops;
  for (const auto& o : p.ops) ops.push_back(opJson(o));
  return {{"units", p.units},
          {"positions", p.positions},
          {"bound_ns", p.boundNs},
          {"bound_engine", p.boundEngine},
          {"with_overhead_ns", p.calibratedNs},
          {"memory_bytes", p.memoryBytes},
          {"flops", p.flops},
          {"operators", ops}};
}
} // namespace

boost::json::object estimateJson(const Estimate& e) {
  const Peaks& p = e.peaks;
  boost::json::object root;
  root["platform"] = e.platformName;
  root["model"] = e.modelName;
  root["tensor_parallel"] = e.tensorParallel;
  root["peaks"] = {{"memory_gbps", p.memoryGBps},          {"memory", p.memoryName},
                   {"weight_gbps", p.weightGBps},          {"weights", p.weightName},
                   {"scratchpad_gbps", p.spadGBps},        {"matrix_flops_per_s", p.matrixFlops},
                   {"compute_dtype", p.computeDtype},      {"vector_ops_per_s", p.vectorOpsPerS},
                   {"tile_dispatch_ns", p.tileDispatchNs}, {"dma_dispatch_ns", p.dmaDispatchNs},
                   {"pnm_engines", p.pnmEngines},          {"pnm_gbps", p.pnmGBps},
                   {"pnm_flops_per_s", p.pnmFlops}};
  root["decode"] = phaseJson(e.decode);
  if (e.hasPrefill) root["prefill"] = phaseJson(e.prefill);
  return root;
}

// ------------------------------------------------------------ simulated side

void OpCollector::attachAll() {
  // The registry hands out read-only views; attaching an observer changes
  // no statistics, so the engines are addressed through it.
  for (const models::IHasStats* m : models::collectStats())
    if (const auto* e = dynamic_cast<const models::Engine*>(m)) const_cast<models::Engine*>(e)->setOpObserver(this);
}

namespace {
bool matrixOpcode(std::uint8_t op) {
  return op == LLMVP_OP_GEMV || op == LLMVP_OP_PNM_GEMV || op == LLMVP_OP_GEMV_HEADS;
}
/// PNM opcodes are the tile's operations on a shard.
std::uint8_t canonical(std::uint8_t op) {
  if (op == LLMVP_OP_PNM_GEMV) return LLMVP_OP_GEMV;
  if (op == LLMVP_OP_PNM_ATTN) return LLMVP_OP_ATTN;
  return op;
}
} // namespace

void OpCollector::onOp(const models::Engine& engine, const models::OpRecord& op) {
  const llmvp_desc& d = op.desc;
  Key k;
  k.engine = engine.stats().path();
  k.ring = op.ringBase;
  k.epoch = op.ringEpoch;
  k.opcode = d.opcode;
  if (matrixOpcode(d.opcode)) {
    // an engine's shard of a [n][k] projection (PNM_GEMV row strides): the whole matrix's n and k
    const bool shard = d.opcode == LLMVP_OP_PNM_GEMV;
    k.n = shard && d.arg1 != 0 ? d.arg1 : d.n;
    k.k = shard && d.arg0 != 0 ? d.arg0 : d.k;
    k.accum = (d.flags & DESC_F_ACCUM) != 0 ? 1 : 0;
  }
  Sum& s = sums_[k];
  if (s.count == 0 || op.start < s.firstStart) s.firstStart = op.start;
  s.lastEnd = std::max(s.lastEnd, op.end);
  s.count += 1;
  s.timePs += static_cast<double>(op.end - op.start);
  s.busyPs += static_cast<double>(op.busy);
  s.semWaitPs += static_cast<double>(op.semWait);
  s.bytes += op.bytes;
  s.flops += op.flops;
}

namespace {
bool matches(const OpSignature& s, const OpCollector::Key& k) {
  if (s.opcode != canonical(k.opcode)) return false;
  if (s.n != 0 && s.n != k.n) return false;
  if (s.k != 0 && s.k != k.k) return false;
  return s.accum < 0 || s.accum == k.accum;
}

using Buckets = std::vector<std::pair<OpCollector::Key, OpCollector::Sum>>;

/// Estimated operators that share a simulated descriptor signature (e.g.
/// equal FFN and shared-expert widths) form one group: they are compared
/// together.
struct OpGroups {
  std::vector<std::size_t> group; ///< union-find parent of each operator
  std::vector<long> owner;        ///< per bucket: the first operator matching it, -1 if none
  [[nodiscard]] std::size_t root(std::size_t i) const {
    while (group[i] != i) i = group[i];
    return i;
  }
};
OpGroups groupOps(const PhaseEstimate& pe, const Buckets& buckets) {
  OpGroups g;
  const std::size_t n = pe.ops.size();
  g.group.resize(n);
  std::iota(g.group.begin(), g.group.end(), 0);
  g.owner.assign(buckets.size(), -1);
  for (std::size_t b = 0; b < buckets.size(); ++b)
    for (std::size_t i = 0; i < n; ++i) {
      bool hit = false;
      for (const auto& s : pe.ops[i].match) hit = hit || matches(s, buckets[b].first);
      if (!hit) continue;
      if (g.owner[b] < 0)
        g.owner[b] = static_cast<long>(i);
      else
        g.group[g.root(i)] = g.root(static_cast<std::size_t>(g.owner[b]));
    }
  return g;
}

PhaseComparison comparePhase(const PhaseEstimate& pe, const Peaks& peaks, const Buckets& buckets, double units,
                             double simulatedNs) {
  PhaseComparison pc;
  pc.phase = pe.phase;
  const std::size_t n = pe.ops.size();
  const OpGroups groups = groupOps(pe, buckets);
  const std::vector<long>& owner = groups.owner;
  auto root = [&](std::size_t i) { return groups.root(i); };
  std::map<std::size_t, OpComparison> rows; // by group root, in estimate order
  std::map<std::size_t, std::map<std::string, OpCollector::Sum>> perEngine;
  for (std::size_t i = 0; i < n; ++i) {
    const OpEstimate& o = pe.ops[i];
    OpComparison& r = rows[root(i)];
    r.name = r.name.empty() ? o.name : r.name + "+" + o.name;
    if (r.engine.empty()) r.engine = o.engine;
    r.bound = r.bound.empty() || o.boundNs > r.boundNs ? o.bound : r.bound;
    r.descriptors += o.descriptors;
    r.boundNs += o.boundNs;
    r.calibratedNs += o.calibratedNs;
    const double mainBytes = o.weightBytes + o.kvBytes;
    if (mainBytes > 0 && o.descriptors > 0 && mainBytes / o.descriptors < peaks.memoryGBps * peaks.memoryLatencyNs)
      r.smallTransfers = true;
  }
  std::map<std::string, OpComparison> unmatched;
  std::map<std::string, std::map<std::string, OpCollector::Sum>> unmatchedEngine;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    const auto& [key, sum] = buckets[b];
    std::map<std::string, OpCollector::Sum>* target = nullptr;
    if (owner[b] >= 0) {
      target = &perEngine[root(static_cast<std::size_t>(owner[b]))];
    } else {
      const std::string name = models::opcodeName(key.opcode) + " (no estimate)";
      unmatched[name].name = name;
      unmatched[name].engine = "-";
      unmatched[name].bound = "none";
      target = &unmatchedEngine[name];
    }
    OpCollector::Sum& s = (*target)[key.engine];
    s.count += sum.count;
    s.timePs += sum.timePs;
    s.busyPs += sum.busyPs;
    s.semWaitPs += sum.semWaitPs;
    s.bytes += sum.bytes;
  }
  auto fill = [&](OpComparison& r, const std::map<std::string, OpCollector::Sum>& engines) {
    // Engines of the same kind work side by side (PNM units, chips): the
    // busiest one's time is the operator's.
    const OpCollector::Sum* worst = nullptr;
    for (const auto& [name, s] : engines)
      if (worst == nullptr || s.timePs > worst->timePs) worst = &s;
    if (worst == nullptr || units <= 0) {
      r.matched = false;
      return;
    }
    const double u = units;
    const double dispatch = r.engine == "dma"    ? peaks.dmaDispatchNs
                            : r.engine == "pnm"  ? peaks.pnmDispatchNs
                            : r.engine == "tile" ? peaks.tileDispatchNs
                                                 : 0;
    r.simulatedNs = worst->timePs * 1e-3 / u;
    r.dispatchNs = worst->count * dispatch / u;
    // A copy engine's work is the transfer itself: its busy time is memory time.
    r.computeNs = r.engine == "dma" ? 0.0 : worst->busyPs * 1e-3 / u;
    r.memoryWaitNs = std::max(0.0, r.simulatedNs - r.dispatchNs - r.computeNs);
    r.semWaitNs = worst->semWaitPs * 1e-3 / u;
    r.bytes = worst->bytes / u;
  };
  for (auto& [g, r] : rows) {
    fill(r, perEngine[g]);
    if (!r.matched) {
      r.cause = "no simulated descriptor of this shape (fused or re-split by the engines)";
      pc.ops.push_back(r);
      continue;
    }
    // Compute explains the gap only where the engine computed for longer
    // than the whole bound (row padding to the matrix tile, softmax after
    // the scores, dequantisation); compute hidden under memory streaming does not.
    const double gap = std::max(0.0, r.simulatedNs - r.boundNs);
    r.overheadGapNs = std::min(gap, r.dispatchNs);
    r.computeGapNs = std::min(gap - r.overheadGapNs, std::max(0.0, r.computeNs - r.boundNs));
    r.memoryGapNs = gap - r.overheadGapNs - r.computeGapNs;
    if (gap <= kAtBoundShare * r.boundNs)
      r.cause = "at the bound";
    else if (r.overheadGapNs >= r.computeGapNs && r.overheadGapNs >= r.memoryGapNs)
      r.cause = "per-descriptor overhead";
    else if (r.computeGapNs >= r.memoryGapNs)
      r.cause = "compute below peak";
    else
      r.cause =
          r.smallTransfers ? "memory latency (small transfers)" : "memory below peak (DRAM efficiency, pipeline fill)";
    pc.ops.push_back(r);
  }
  for (auto& [name, r] : unmatched) {
    fill(r, unmatchedEngine[name]);
    r.cause = "not estimated";
    pc.ops.push_back(r);
  }
  pc.boundNs = pe.boundNs;
  pc.calibratedNs = pe.calibratedNs;
  pc.simulatedNs = simulatedNs;
  for (const auto& r : pc.ops)
    if (r.engine == pe.boundEngine) pc.simulatedOpsNs += r.simulatedNs;
  return pc;
}
} // namespace

EstimateComparison compareEstimate(const Estimate& e, const OpCollector& collector, models::Ps prefillEnd, double steps,
                                   double tpotMeanNs, double ttftFirstNs) {
  EstimateComparison c;
  c.present = true;
  c.estimate = e;
  const PhaseBuckets b = splitPhases(e, collector, prefillEnd);
  c.decode = comparePhase(e.decode, e.peaks, b.decode, steps, tpotMeanNs);
  if (e.hasPrefill) {
    c.hasPrefill = true;
    c.prefill = comparePhase(e.prefill, e.peaks, b.prefill, 1.0, ttftFirstNs);
  }
  return c;
}

PhaseBuckets splitPhases(const Estimate& e, const OpCollector& collector, models::Ps prefillEnd) {
  PhaseBuckets b;
  for (const auto& kv : collector.sums()) {
    if (e.hasPrefill && prefillEnd > 0 && kv.second.lastEnd <= prefillEnd)
      b.prefill.push_back(kv);
    else
      b.decode.push_back(kv);
  }
  return b;
}

std::vector<std::string> operatorDrift(const PhaseEstimate& pe, const Buckets& buckets, double units,
                                       double minByteShare) {
  std::vector<std::string> out;
  if (units <= 0) return out;
  const OpGroups groups = groupOps(pe, buckets);
  auto signature = [](const OpCollector::Key& k) {
    std::string s = models::opcodeName(k.opcode) + " on " + k.engine;
    if (k.n != 0 || k.k != 0)
      s += " [" + std::to_string(k.n) + "][" + std::to_string(k.k) + "]" + (k.accum ? " +y" : "");
    return s;
  };
  struct Side {
    std::string names;
    double descriptors = 0, bytes = 0;
    bool minimumBytes = false;
  };
  std::map<std::size_t, Side> estimated, issued; // by group root
  for (std::size_t i = 0; i < pe.ops.size(); ++i) {
    const OpEstimate& o = pe.ops[i];
    Side& s = estimated[groups.root(i)];
    s.names += (s.names.empty() ? "" : "+") + o.name;
    s.descriptors += o.descriptors;
    // what the engine moves over its memory socket: weights and KV; a copy also reads its source
    s.bytes += o.weightBytes + o.kvBytes + (o.engine == "dma" ? o.spadBytes : 0);
    s.minimumBytes = s.minimumBytes || o.minimumBytes;
  }
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    const auto& [key, sum] = buckets[b];
    if (groups.owner[b] < 0) {
      out.push_back(pe.phase + ": " + significantText(sum.count / units, 6) + " x " + signature(key) +
                    " per unit issued, no operator estimates it");
      continue;
    }
    Side& s = issued[groups.root(static_cast<std::size_t>(groups.owner[b]))];
    s.descriptors += sum.count / units;
    s.bytes += sum.bytes / units;
  }
  auto near = [](double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b)); };
  for (const auto& [g, est] : estimated) {
    const auto it = issued.find(g);
    const Side sim = it == issued.end() ? Side{} : it->second;
    const std::string what = pe.phase + " " + est.names + ": ";
    if (it == issued.end()) {
      if (est.descriptors > 0)
        out.push_back(what + significantText(est.descriptors, 6) + " descriptors estimated, none issued");
      continue;
    }
    if (!near(est.descriptors, sim.descriptors))
      out.push_back(what + significantText(est.descriptors, 6) + " descriptors estimated, " +
                    significantText(sim.descriptors, 6) + " issued per unit");
    if (minByteShare > 0 &&
        (est.bytes > sim.bytes * (1 + 1e-9) || (!est.minimumBytes && est.bytes < sim.bytes * minByteShare)))
      out.push_back(what + fixedText(est.bytes, 0) + " main-memory bytes estimated, " + fixedText(sim.bytes, 0) +
                    " moved per unit");
  }
  return out;
}

std::vector<std::string> boundViolations(const EstimateComparison& c, double tolerance) {
  std::vector<std::string> out;
  auto check = [&](const PhaseComparison& p) {
    for (const auto& o : p.ops)
      if (o.matched && o.simulatedNs < o.boundNs * (1 - tolerance))
        out.push_back(p.phase + " " + o.name + ": simulated " + durationText(o.simulatedNs) + " < bound " +
                      durationText(o.boundNs));
    if (p.simulatedNs < p.boundNs * (1 - tolerance))
      out.push_back(p.phase + " total: simulated " + durationText(p.simulatedNs) + " < bound " +
                    durationText(p.boundNs));
  };
  if (!c.present) return out;
  if (c.estimate.decode.units > 0) check(c.decode);
  if (c.hasPrefill) check(c.prefill);
  return out;
}

namespace {
void printComparison(std::ostream& os, const PhaseComparison& p, const std::string& per, const std::string& total) {
  os << "  " << p.phase << ", per " << per
     << "           bound ms   sim ms  sim/bound  gap: overhead  compute   memory  (ms)  mainly\n";
  for (const auto& o : p.ops)
    os << "    " << std::left << std::setw(26) << o.name << std::right << std::setw(10) << msNumber(o.boundNs, 4)
       << std::setw(9) << msNumber(o.simulatedNs, 4) << std::setw(10)
       << (o.boundNs > 0 ? fixedText(o.simulatedNs / o.boundNs, 2) + "x" : std::string("-")) << std::setw(15)
       << msNumber(o.overheadGapNs, 4) << std::setw(9) << msNumber(o.computeGapNs, 4) << std::setw(9)
       << msNumber(o.memoryGapNs, 4) << "        " << o.cause << "\n";
  os << "    " << std::left << std::setw(26) << total << std::right << std::setw(10) << msNumber(p.boundNs, 4)
     << std::setw(9) << msNumber(p.simulatedNs, 4) << std::setw(10)
     << (p.boundNs > 0 ? fixedText(p.simulatedNs / p.boundNs, 2) + "x" : std::string("-")) << "   (bound + overheads "
     << msNumber(p.calibratedNs, 4) << "; descriptors " << msNumber(p.simulatedOpsNs, 4)
     << ", the rest between them: fetch, "
     << "semaphore waits, firmware)\n";
}
} // namespace

void printEstimateComparison(std::ostream& os, const EstimateComparison& c) {
  if (!c.present) return;
  const Peaks& p = c.estimate.peaks;
  os << "\nRoofline estimate vs simulation (`llmvp estimate`, docs/estimate.md; peaks " << fixedText(p.memoryGBps, 0)
     << " GB/s, " << fixedText(p.matrixFlops / 1e12, 1) << " TFLOP/s " << p.computeDtype << ")\n";
  if (c.estimate.decode.units > 0) printComparison(os, c.decode, "step", "TPOT (mean)");
  if (c.hasPrefill) printComparison(os, c.prefill, "run (all requests)", "prefill (last first token)");
}

namespace {
boost::json::object comparisonJson(const PhaseComparison& p) {
  boost::json::array ops;
  for (const auto& o : p.ops)
    ops.push_back(boost::json::object{{"name", o.name},
                                      {"engine", o.engine},
                                      {"bound", o.bound},
                                      {"descriptors", o.descriptors},
                                      {"bound_ns", o.boundNs},
                                      {"with_overhead_ns", o.calibratedNs},
                                      {"simulated_ns", o.simulatedNs},
                                      {"matched", o.matched},
                                      {"dispatch_ns", o.dispatchNs},
                                      {"compute_ns", o.computeNs},
                                      {"memory_wait_ns", o.memoryWaitNs},
                                      {"semaphore_wait_ns", o.semWaitNs},
                                      {"bytes", o.bytes},
                                      {"gap_overhead_ns", o.overheadGapNs},
                                      {"gap_compute_ns", o.computeGapNs},
                                      {"gap_memory_ns", o.memoryGapNs},
                                      {"small_transfers", o.smallTransfers},
                                      {"cause", o.cause}});
  return {{"bound_ns", p.boundNs},
          {"with_overhead_ns", p.calibratedNs},
          {"simulated_ns", p.simulatedNs},
          {"simulated_descriptors_ns", p.simulatedOpsNs},
          {"operators", ops}};
}
} // namespace

boost::json::object estimateComparisonJson(const EstimateComparison& c) {
  boost::json::object root = estimateJson(c.estimate);
  boost::json::object vs;
  if (c.estimate.decode.units > 0) vs["decode"] = comparisonJson(c.decode);
  if (c.hasPrefill) vs["prefill"] = comparisonJson(c.prefill);
  root["simulated"] = vs;
  return root;
}

} // namespace llmvp::testbench
