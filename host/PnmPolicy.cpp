// SPDX-License-Identifier: Apache-2.0
#include "host/PnmPolicy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include "firmware/include/manifest.h"
#include "models/compute/VectorCost.h"
#include "workload/Quant.h"

namespace llmvp::testbench {

namespace {
using models::compute::kPnmDequantOps;
using models::compute::kSoftmaxOps;

/// Rates of the two sides, per second (bytes, MACs, vector ops).
struct Rates {
  double tileBw = 0, tileMacs = 0, tileVec = 0;
  std::uint32_t tileRows = 1;
  double partBw = 0, unitMacs = 0, unitVec = 0; ///< one engine's partition, one unit
  std::uint32_t units = 1, u = 1;
};

Rates ratesOf(const platform::ChipParams& chip, models::DType act) {
  Rates r;
  const auto& t = chip.tile;
  r.tileBw = std::min(chip.stacked.externalGBps(), chip.stackedPort.bandwidthGBps) * 1e9;
  r.tileMacs = t.macsPerCycle.at(static_cast<std::size_t>(act)) * t.engine.clockMhz * 1e6;
  r.tileVec = t.vectorLanes * t.engine.clockMhz * 1e6;
  r.tileRows = std::max(1u, t.matrixRows);
  r.u = std::max(1u, chip.pnmCount);
  r.partBw = chip.stacked.internalGBps() * 1e9 / r.u;
  const double clock = chip.pnm.engine.clockMhz * 1e6 * chip.stacked.throttle();
  r.unitMacs = chip.pnm.macsPerCyclePerUnit * clock;
  r.unitVec = chip.pnm.vectorOpsPerCyclePerUnit * clock;
  r.units = chip.pnm.units;
  return r;
}

std::uint64_t shardOf(std::uint64_t n, std::uint64_t u) { return (n + u - 1) / u; } // the largest shard

/// Estimates for a [n][k] projection at batch b (microseconds).
PnmOpChoice estimate(const Rates& r, const ModelSpec& spec, std::uint32_t b, std::uint64_t n, std::uint64_t k,
                     bool linear, bool colsAllowed) {
  PnmOpChoice c;
  const bool quant = linear && spec.quant != WeightQuant::None;
  const double w = static_cast<double>(linear ? linearBytes(spec, n, k) : n * k * models::dtypeBytes(spec.weightDtype));
  const double padded = std::ceil(static_cast<double>(b) / r.tileRows) * r.tileRows;
  c.tileUs = std::max(w / r.tileBw, padded * n * k / r.tileMacs) * 1e6;
  auto pnm = [&](double rows, double cols) {
    const double active = std::min<double>(r.units, rows);
    const double mac = b * rows * cols / (active * r.unitMacs);
    const double deq = quant ? rows * cols * kPnmDequantOps / (active * r.unitVec) : 0.0;
    return std::max({w / r.u / r.partBw, mac, deq}) * 1e6;
  };
  c.rowsUs = pnm(static_cast<double>(shardOf(n, r.u)), static_cast<double>(k));
  if (colsAllowed) c.colsUs = pnm(static_cast<double>(n), static_cast<double>(shardOf(k, r.u)));
  return c;
}

/// Engines or tile, rows or columns.
void choose(PnmOpChoice& c, PnmMapping::Offload offload, bool preferCols) {
  using O = PnmMapping::Offload;
  const bool cols = c.colsUs > 0 && (preferCols || c.colsUs < c.rowsUs);
  const double pnm = cols ? c.colsUs : c.rowsUs;
  const bool onPnm = offload == O::Pnm || (offload == O::Auto && pnm < c.tileUs);
  c.mode = !onPnm ? LLMVP_PNM_TILE : cols ? LLMVP_PNM_COLS : LLMVP_PNM_ROWS;
}

const char* modeName(std::uint32_t m) { return m == LLMVP_PNM_TILE ? "tile" : m == LLMVP_PNM_ROWS ? "rows" : "cols"; }
} // namespace

std::uint32_t PnmPlan::ops() const {
  return qkv.mode << LLMVP_PNM_SHIFT_QKV | o.mode << LLMVP_PNM_SHIFT_O | gateUp.mode << LLMVP_PNM_SHIFT_GATE_UP |
         down.mode << LLMVP_PNM_SHIFT_DOWN | lmHead.mode << LLMVP_PNM_SHIFT_LM_HEAD | (attn ? LLMVP_PNM_OPS_ATTN : 0u) |
         (reduce ? LLMVP_PNM_OPS_REDUCE : 0u) | prefillTile << 12;
}

std::string PnmPlan::describe() const {
  std::ostringstream s;
  s << "qkv=" << modeName(qkv.mode) << " o=" << modeName(o.mode) << (oFused ? "(fused)" : "")
    << " gate_up=" << modeName(gateUp.mode) << " down=" << modeName(down.mode) << " lm_head=" << modeName(lmHead.mode)
    << " attn=" << (attn ? "pnm" : "tile") << " combine=" << (reduce ? "pnm" : "tile");
  if (prefillRows == 0) return s.str();
  std::string tile, pnm;
  for (const auto& [choice, shift, name] : classes()) {
    if (choice.mode == LLMVP_PNM_TILE) continue;
    std::string& list = (prefillTile >> (shift / 2) & 1u) != 0 ? tile : pnm;
    list += (list.empty() ? "" : ",") + std::string(name);
  }
  s << " prefill(" << prefillRows << " rows):";
  if (!tile.empty()) s << " tile=" << tile;
  if (!pnm.empty()) s << " pnm=" << pnm;
  if (tile.empty() && pnm.empty()) s << " tile";
  return s.str();
}

std::array<PnmPlan::Class, 5> PnmPlan::classes() const {
  return {{{qkv, LLMVP_PNM_SHIFT_QKV, "qkv"},
           {o, LLMVP_PNM_SHIFT_O, "o"},
           {gateUp, LLMVP_PNM_SHIFT_GATE_UP, "gate_up"},
           {down, LLMVP_PNM_SHIFT_DOWN, "down"},
           {lmHead, LLMVP_PNM_SHIFT_LM_HEAD, "lm_head"}}};
}

PnmPlan planPnm(const platform::ChipParams& chip, const PnmMapping& mapping, const ModelSpec& spec, std::uint32_t batch,
                std::uint32_t context, bool pagedKv) {
  const Rates r = ratesOf(chip, spec.actDtype);
  const auto offload = mapping.offload;
  const std::uint64_t u = r.u, h = spec.hidden;
  // Column shards must be whole quantisation groups and non-empty.
  auto colsOk = [&](std::uint64_t k) {
    return k >= u && (spec.quant == WeightQuant::None || k % (u * spec.quantGroup) == 0);
  };
  PnmPlan p;
  p.reduce = mapping.reduceOnEngines;
  const bool mla = spec.mla.enabled;
  // Attention of one request over `context` positions.
  const bool attnOk = !mla && !pagedKv;
  if (attnOk) {
    const double ctx = context, kvh = spec.kvHeads, hd = spec.headDim, group = spec.heads / spec.kvHeads;
    const double kv = 2 * ctx * kvh * hd * models::dtypeBytes(spec.kvDtype);
    const double macs = 2 * ctx * spec.heads * hd, scores = ctx * spec.heads;
    const double pad = std::ceil(group / r.tileRows) * r.tileRows;
    p.attnTileUs =
        std::max({kv / r.tileBw, 2 * ctx * kvh * hd * pad / r.tileMacs, scores * kSoftmaxOps / r.tileVec}) * 1e6;
    const double active = std::min<double>(r.units, ctx);
    const double perEngine = std::ceil(kvh / u) / kvh; // share of the heads on the busiest engine
    p.attnPnmUs = std::max({kv * perEngine / r.partBw, macs * perEngine / (active * r.unitMacs),
                            scores * perEngine * kSoftmaxOps / (active * r.unitVec)}) *
                  1e6;
    using O = PnmMapping::Offload;
    p.attn = offload == O::Pnm || (offload == O::Auto && p.attnPnmUs < p.attnTileUs);
  }
  if (!mla) {
    p.qkv = estimate(r, spec, batch, spec.qDim() + 2ull * spec.kvDim(), h, true, false);
    choose(p.qkv, offload, false);
    const bool aligned = p.attn && spec.kvHeads % u == 0;
    p.o = estimate(r, spec, batch, h, spec.qDim(), true, colsOk(spec.qDim()));
    choose(p.o, offload, aligned && p.o.colsUs > 0);
    p.oFused = aligned && p.o.mode == LLMVP_PNM_COLS;
  }
  if (spec.ffn != 0 && (!spec.moe.enabled() || spec.moe.denseLayers != 0)) {
    p.gateUp = estimate(r, spec, batch, 2ull * spec.ffn, h, true, false);
    choose(p.gateUp, offload, false);
    p.down = estimate(r, spec, batch, h, spec.ffn, true, colsOk(spec.ffn));
    choose(p.down, offload, false);
  }
  p.lmHead = estimate(r, spec, batch, spec.vocab, h, false, false);
  choose(p.lmHead, offload, false);
  return p;
}

void planPnmPrefill(PnmPlan& plan, const platform::ChipParams& chip, const PnmMapping& mapping, const ModelSpec& spec,
                    std::uint32_t rows) {
  const Rates r = ratesOf(chip, spec.actDtype);
  const std::uint64_t h = spec.hidden;
  // The [n][k] shape and kind of each class, as planPnm estimates them.
  struct Shape {
    std::uint64_t n, k;
    bool linear;
  };
  const std::array<Shape, 5> shapes = {{{spec.qDim() + 2ull * spec.kvDim(), h, true},
                                        {h, spec.qDim(), true},
                                        {2ull * spec.ffn, h, true},
                                        {h, spec.ffn, true},
                                        {spec.vocab, h, false}}};
  plan.prefillRows = rows;
  plan.prefillTile = 0;
  const auto classes = plan.classes();
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const auto& [choice, shift, name] = classes[i];
    if (choice.mode == LLMVP_PNM_TILE || mapping.offload != PnmMapping::Offload::Auto) continue;
    // The tile streams every shard at once (DESC_F_SHARDS), as it streams the interleaved view.
    const PnmOpChoice at = estimate(r, spec, rows, shapes[i].n, shapes[i].k, shapes[i].linear, true);
    const double engines = choice.mode == LLMVP_PNM_COLS ? at.colsUs : at.rowsUs;
    if (at.tileUs < engines) plan.prefillTile |= 1u << (shift / 2);
  }
}

} // namespace llmvp::testbench
