// SPDX-License-Identifier: Apache-2.0
// The layout with near-memory offload: decides per operator between the
// near-memory engines and the compute tile, for decode and for prefill
// passes (PnmPolicy.h), shards what the
// engines run over their memory partitions (manifest.h pnm_units, pnm_ops)
// and puts what the tile runs in the stacks' interleaved view
// (StackedParams.h), where the tile streams it from every vault.
#include <algorithm>
#include <numeric>
#include <sstream>

#include "config/ConfigNode.h"
#include "config/NumberText.h"
#include "firmware/include/manifest.h"
#include "firmware/include/memmap.h"
#include "host/Placer.h"
#include "host/PnmPolicy.h"
#include "workload/Quant.h"

namespace llmvp::testbench {

void Placer::placePnm() {
  const platform::ChipParams& chip = chip_;
  const std::string engines = chip.pnm.inDram ? "PIM" : "PNM";
  lay_.pnmUnits = static_cast<std::uint32_t>(chip_.pnmCount);
  lay_.pnmStride = chip.stacked.partitionBytes();
  const std::uint64_t u = lay_.pnmUnits;
  PnmPlan plan = planPnm(chip, opt_.pnm, spec_, opt_.batch, lay_.placement.maxContext, opt_.kvBlockTokens != 0);
  // Prefill runs row-wise (firmware plan.h fw_prefill_rows) over the same placement.
  if (opt_.prefillChunk != 0) planPnmPrefill(plan, chip, opt_.pnm, spec_, std::min(opt_.prefillChunk, LLMVP_MAX_BATCH));
  lay_.pnmOps = plan.ops();
  lay_.placement.pnmPlan = plan.describe();
  const std::uint64_t wb = models::dtypeBytes(spec_.weightDtype);
  const std::uint64_t h = spec_.hidden;
  const std::uint64_t cap = chip.stacked.capacityBytes;

  // Sharded tensors: one cursor for every partition (a tensor takes the same
  // offset in each, its largest shard), from the bottom of the partitions.
  const std::uint64_t align = mainAlign();
  std::uint64_t cursor = LLMVP_HBM_BASE;
  auto allocShard = [&](std::uint64_t bytes) {
    const std::uint64_t a = cursor;
    cursor = alignUp(cursor + bytes, align);
    return a;
  };
  // Everything else, for the tile: the interleaved view from its top down;
  // its blocks fill the top of every vault, i.e. the top 1/U of each partition.
  const std::uint64_t tileAlign = std::lcm(kPage, std::uint64_t{chip.stacked.vaults()} * chip.stacked.interleaveBytes);
  std::uint64_t top = cap; // offset in the interleaved view
  auto allocTile = [&](std::uint64_t bytes) -> std::uint64_t {
    const std::uint64_t need = alignUp(std::max<std::uint64_t>(bytes, 1), tileAlign);
    if (need > top) throw ConfigError("model does not fit in the " + engines + " memory (chip.stacked capacity)");
    top -= need;
    return LLMVP_HBM_BASE + cap + top;
  };
  // PIM units see one bank: every unit's slice of a shard must fit in it.
  const std::uint64_t unitShard = chip.pnm.unitShardBytes, units = chip.pnm.units;
  auto checkUnit = [&](const char* what, std::uint64_t rows, std::uint64_t bytes) {
    if (unitShard == 0 || rows == 0) return;
    const std::uint64_t perUnit = bytes / rows * ((rows + units - 1) / units);
    if (perUnit > unitShard)
      throw ConfigError(std::string(what) + ": " + mibText(perUnit) + " of rows per " + engines +
                        " unit exceed a unit's shard of " + mibText(unitShard) + " (chip.pnm.unit_shard_mib)");
  };
  // A projection [n][k] by the plan's mode: rows, columns or the tile.
  auto projection = [&](const char* what, std::uint32_t mode, std::uint64_t n, std::uint64_t k, bool linear) {
    const auto bytesOf = [&](std::uint64_t rows, std::uint64_t cols) {
      return linear ? linearBytes(spec_, rows, cols) : rows * cols * wb;
    };
    if (mode == LLMVP_PNM_TILE) return allocTile(bytesOf(n, k));
    const bool cols = mode == LLMVP_PNM_COLS;
    const std::uint64_t rows = cols ? n : shardCount(n, u, 0), width = cols ? shardCount(k, u, 0) : k;
    checkUnit(what, rows, bytesOf(rows, width));
    const std::uint64_t a = allocShard(bytesOf(rows, width));
    lay_.pnmSharded[a] = cols;
    return a;
  };
  lay_.embed = allocTile(std::uint64_t{spec_.vocab} * h * wb);
  lay_.layers.resize(spec_.layers);
  for (std::uint32_t i = 0; i < spec_.layers; ++i) {
    LayerAddr& l = lay_.layers[i];
    l.attnNorm = allocTile(h * wb);
    if (spec_.mla.enabled) {
      placeMlaWith(l, allocTile);
    } else {
      l.wq = projection("wq", plan.qkv.mode, spec_.qDim(), h, true);
      l.wk = projection("wk", plan.qkv.mode, spec_.kvDim(), h, true);
      l.wv = projection("wv", plan.qkv.mode, spec_.kvDim(), h, true);
      if (spec_.qkvBias) {
        l.bq = allocTile(std::uint64_t{spec_.qDim()} * wb);
        l.bk = allocTile(std::uint64_t{spec_.kvDim()} * wb);
        l.bv = allocTile(std::uint64_t{spec_.kvDim()} * wb);
      }
      l.wo = projection("wo", plan.o.mode, h, spec_.qDim(), true);
    }
    l.ffnNorm = allocTile(h * wb);
    if (spec_.isMoeLayer(i)) { // routed and shared experts on the tile
      const std::uint64_t shared = spec_.moe.sharedFfn();
      l.wGate = shared ? allocTile(linearBytes(spec_, shared, h)) : 0;
      l.wUp = shared ? allocTile(linearBytes(spec_, shared, h)) : 0;
      l.wDown = shared ? allocTile(linearBytes(spec_, h, shared)) : 0;
      l.expertStride = alignUp(linearBytes(spec_, spec_.moe.expertFfn, h), tileAlign);
      l.router = allocTile(std::uint64_t{spec_.moe.experts} * h * wb);
      l.expGate = allocTile(l.expertStride * spec_.moe.experts);
      l.expUp = allocTile(l.expertStride * spec_.moe.experts);
      l.expDown = allocTile(l.expertStride * spec_.moe.experts);
    } else {
      l.wGate = projection("w_gate", plan.gateUp.mode, spec_.ffn, h, true);
      l.wUp = projection("w_up", plan.gateUp.mode, spec_.ffn, h, true);
      l.wDown = projection("w_down", plan.down.mode, h, spec_.ffn, true);
    }
  }
  lay_.finalNorm = allocTile(h * wb);
  lay_.lmHead = plan.lmHead.mode == LLMVP_PNM_TILE && spec_.tieEmbeddings
                    ? lay_.embed
                    : projection("lm_head", plan.lmHead.mode, spec_.vocab, h, false);
  const std::uint64_t weightShards = cursor - LLMVP_HBM_BASE, weightTile = cap - top;
  lay_.placement.weightBytes = weightShards * u + weightTile;

  const std::uint64_t kvShardStart = cursor, kvTileStart = top;
  const std::uint64_t kvb = models::dtypeBytes(spec_.kvDtype);
  if (plan.attn) {
    // Sharded by kv heads: shard p holds heads [h0_p, h0_p + n_p) of every request.
    const std::uint64_t headRow = std::uint64_t{spec_.headDim} * kvb;
    const std::uint64_t headsPerShard = shardCount(spec_.kvHeads, u, 0);
    // Positions spread over the units: each holds its slice of K and V.
    const std::uint64_t kvPerUnit = 2 * std::uint64_t{lay_.placement.maxContext} * headsPerShard * headRow /
                                    std::min<std::uint64_t>(units, lay_.placement.maxContext);
    if (unitShard != 0 && kvPerUnit > unitShard)
      throw ConfigError("KV cache: " + mibText(kvPerUnit) + " of K and V per " + engines + " unit (" +
                        std::to_string(headsPerShard) + " kv heads x " + std::to_string(lay_.placement.maxContext) +
                        " positions over " + std::to_string(units) + " units) exceed a unit's shard of " +
                        mibText(unitShard) + " (chip.pnm.unit_shard_mib)");
    lay_.kvRequestStride = alignUp(std::uint64_t{lay_.placement.maxContext} * headsPerShard * headRow, 64);
    for (auto& l : lay_.layers) {
      l.kCache = allocShard(lay_.kvRequestStride * opt_.batch);
      l.vCache = allocShard(lay_.kvRequestStride * opt_.batch);
    }
  } else {
    // On the tile: the single-chip layout (MLA: one latent row per position
    // in the K cache), contiguous or paged.
    const bool mla = spec_.mla.enabled;
    const std::uint64_t kvRow =
        (mla ? std::uint64_t{spec_.mla.kvLoraRank} + spec_.mla.qkRopeDim : std::uint64_t{spec_.kvDim()}) * kvb;
    lay_.kvRequestStride = alignUp(std::uint64_t{lay_.placement.maxContext} * kvRow, 64);
    std::uint64_t perLayer = lay_.kvRequestStride * opt_.batch, largest = 0;
    if (opt_.kvBlockTokens != 0) perLayer = placePagedKv(kvRow, largest);
    for (auto& l : lay_.layers) {
      l.kCache = allocTile(perLayer);
      l.vCache = mla ? 0 : allocTile(perLayer);
    }
  }
  lay_.placement.kvBytes = (cursor - kvShardStart) * u + (kvTileStart - top);

  const std::uint64_t otherStart = top;
  lay_.placement.tokenStride = lay_.placement.maxContext + 1;
  lay_.placement.tokens = allocTile(std::uint64_t{opt_.batch} * lay_.placement.tokenStride * 4);
  if (opt_.captureLogits)
    lay_.placement.logits = allocTile(std::uint64_t{opt_.batch} * spec_.vocab * models::dtypeBytes(spec_.actDtype));
  lay_.placement.otherBytes = otherStart - top;
  lay_.placement.hbmCapacity = cap;
  // The shards fill each partition from the bottom, the interleaved view
  // its top (cap - top) / U bytes: they must not meet.
  const std::uint64_t shards = cursor - LLMVP_HBM_BASE, tilePart = (cap - top) / u;
  if (shards + tilePart > lay_.pnmStride) {
    std::ostringstream m;
    m << "model does not fit in the " << engines << " memory: each of the " << u << " partitions needs "
      << mibText(shards) << " of shards (weights and KV cache at batch " << opt_.batch << " x "
      << lay_.placement.maxContext << " positions) + " << mibText(tilePart) << " (its share of the "
      << mibText(cap - top) << " the tile reads: embedding, norms, tokens, tile-side weights and KV) > "
      << mibText(lay_.pnmStride) << " (chip.stacked capacity / partitions)";
    throw ConfigError(m.str());
  }
}

} // namespace llmvp::testbench
