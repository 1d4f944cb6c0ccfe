// SPDX-License-Identifier: Apache-2.0
// Host runtime, near-memory offload: decides per operator between the
// near-memory engines and the compute tile, for decode and for prefill
// passes (PnmPolicy.h), shards what the
// engines run over their memory partitions (manifest.h pnm_units, pnm_ops)
// and puts what the tile runs in the stacks' interleaved view
// (StackedParams.h), where the tile streams it from every vault.
#include <algorithm>
#include <numeric>
#include <sstream>

#include "config/ConfigNode.h"
#include "firmware/include/manifest.h"
#include "firmware/include/memmap.h"
#include "host/HostRuntime.h"
#include "host/PnmPolicy.h"
#include "workload/Quant.h"

namespace llmvp::testbench {

namespace {
constexpr std::uint64_t kPage = 4096; // minimum tensor alignment

std::uint64_t alignUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

std::string mb(std::uint64_t bytes) {
  std::ostringstream s;
  s.precision(1);
  s << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return s.str();
}

/// Shard p of n over u: count and first (firmware/src/pnm.h fw_pnm_count/first).
std::uint64_t shardCount(std::uint64_t n, std::uint64_t u, std::uint64_t p) { return n / u + (p < n % u ? 1 : 0); }
std::uint64_t shardFirst(std::uint64_t n, std::uint64_t u, std::uint64_t p) { return p * (n / u) + std::min(p, n % u); }
} // namespace

std::uint64_t HostRuntime::mainAlign() const {
  const platform::ChipParams& c = chip_.params();
  if (c.stackedMemory) {
    const auto& s = c.stacked;
    return std::lcm(kPage, std::uint64_t{s.vaults() / s.partitions()} * s.interleaveBytes);
  }
  return std::lcm(kPage, std::uint64_t{c.hbm.channels()} * c.hbm.interleaveBytes);
}

void HostRuntime::placePnm() {
  const platform::ChipParams& chip = chip_.params();
  const std::string engines = chip.pnm.inDram ? "PIM" : "PNM";
  pnmUnits_ = static_cast<std::uint32_t>(chip_.pnmCount());
  pnmStride_ = chip.stacked.partitionBytes();
  const std::uint64_t u = pnmUnits_;
  PnmPlan plan = planPnm(chip, spec_, opt_.batch, placement_.maxContext, opt_.kvBlockTokens != 0);
  // Prefill runs row-wise (firmware plan.h fw_prefill_rows) over the same placement.
  if (opt_.prefillChunk != 0) planPnmPrefill(plan, chip, spec_, std::min(opt_.prefillChunk, LLMVP_MAX_BATCH));
  pnmOps_ = plan.ops();
  placement_.pnmPlan = plan.describe();
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
      throw ConfigError(std::string(what) + ": " + mb(perUnit) + " of rows per " + engines +
                        " unit exceed a unit's shard of " + mb(unitShard) + " (chip.pnm.unit_shard_mib)");
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
    pnmSharded_[a] = cols;
    return a;
  };
  embed_ = allocTile(std::uint64_t{spec_.vocab} * h * wb);
  layers_.resize(spec_.layers);
  for (std::uint32_t i = 0; i < spec_.layers; ++i) {
    LayerAddr& l = layers_[i];
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
  finalNorm_ = allocTile(h * wb);
  lmHead_ = plan.lmHead.mode == LLMVP_PNM_TILE && spec_.tieEmbeddings
                ? embed_
                : projection("lm_head", plan.lmHead.mode, spec_.vocab, h, false);
  const std::uint64_t weightShards = cursor - LLMVP_HBM_BASE, weightTile = cap - top;
  placement_.weightBytes = weightShards * u + weightTile;

  const std::uint64_t kvShardStart = cursor, kvTileStart = top;
  const std::uint64_t kvb = models::dtypeBytes(spec_.kvDtype);
  if (plan.attn) {
    // Sharded by kv heads: shard p holds heads [h0_p, h0_p + n_p) of every request.
    const std::uint64_t headRow = std::uint64_t{spec_.headDim} * kvb;
    const std::uint64_t headsPerShard = shardCount(spec_.kvHeads, u, 0);
    // Positions spread over the units: each holds its slice of K and V.
    const std::uint64_t kvPerUnit = 2 * std::uint64_t{placement_.maxContext} * headsPerShard * headRow /
                                    std::min<std::uint64_t>(units, placement_.maxContext);
    if (unitShard != 0 && kvPerUnit > unitShard)
      throw ConfigError("KV cache: " + mb(kvPerUnit) + " of K and V per " + engines + " unit (" +
                        std::to_string(headsPerShard) + " kv heads x " + std::to_string(placement_.maxContext) +
                        " positions over " + std::to_string(units) + " units) exceed a unit's shard of " +
                        mb(unitShard) + " (chip.pnm.unit_shard_mib)");
    kvRequestStride_ = alignUp(std::uint64_t{placement_.maxContext} * headsPerShard * headRow, 64);
    for (auto& l : layers_) {
      l.kCache = allocShard(kvRequestStride_ * opt_.batch);
      l.vCache = allocShard(kvRequestStride_ * opt_.batch);
    }
  } else {
    // On the tile: the single-chip layout (MLA: one latent row per position
    // in the K cache), contiguous or paged.
    const bool mla = spec_.mla.enabled;
    const std::uint64_t kvRow =
        (mla ? std::uint64_t{spec_.mla.kvLoraRank} + spec_.mla.qkRopeDim : std::uint64_t{spec_.kvDim()}) * kvb;
    kvRequestStride_ = alignUp(std::uint64_t{placement_.maxContext} * kvRow, 64);
    std::uint64_t perLayer = kvRequestStride_ * opt_.batch, largest = 0;
    if (opt_.kvBlockTokens != 0) perLayer = placePagedKv(kvRow, largest);
    for (auto& l : layers_) {
      l.kCache = allocTile(perLayer);
      l.vCache = mla ? 0 : allocTile(perLayer);
    }
  }
  placement_.kvBytes = (cursor - kvShardStart) * u + (kvTileStart - top);

  const std::uint64_t otherStart = top;
  placement_.tokenStride = placement_.maxContext + 1;
  placement_.tokens = allocTile(std::uint64_t{opt_.batch} * placement_.tokenStride * 4);
  if (opt_.captureLogits)
    placement_.logits = allocTile(std::uint64_t{opt_.batch} * spec_.vocab * models::dtypeBytes(spec_.actDtype));
  placement_.otherBytes = otherStart - top;
  placement_.hbmCapacity = cap;
  // The shards fill each partition from the bottom, the interleaved view
  // its top (cap - top) / U bytes: they must not meet.
  const std::uint64_t shards = cursor - LLMVP_HBM_BASE, tilePart = (cap - top) / u;
  if (shards + tilePart > pnmStride_) {
    std::ostringstream m;
    m << "model does not fit in the " << engines << " memory: each of the " << u << " partitions needs " << mb(shards)
      << " of shards (weights and KV cache at batch " << opt_.batch << " x " << placement_.maxContext
      << " positions) + " << mb(tilePart) << " (its share of the " << mb(cap - top)
      << " the tile reads: embedding, norms, tokens, tile-side weights and KV) > " << mb(pnmStride_)
      << " (chip.stacked capacity / partitions)";
    throw ConfigError(m.str());
  }
}

void HostRuntime::writeSharded(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k, bool linear,
                               bool cols) {
  for (std::uint64_t p = 0; p < pnmUnits_; ++p) {
    const std::uint64_t rows = cols ? n : shardCount(n, pnmUnits_, p);
    const std::uint64_t width = cols ? shardCount(k, pnmUnits_, p) : k;
    if (rows == 0 || width == 0) continue;
    std::vector<float> shard(rows * width);
    const std::uint64_t r0 = cols ? 0 : shardFirst(n, pnmUnits_, p), c0 = cols ? shardFirst(k, pnmUnits_, p) : 0;
    for (std::uint64_t r = 0; r < rows; ++r)
      std::copy_n(values + (r0 + r) * k + c0, width, shard.begin() + static_cast<std::ptrdiff_t>(r * width));
    const std::uint64_t at = addr + p * pnmStride_;
    std::vector<std::uint8_t> bytes;
    if (linear && spec_.quant != WeightQuant::None) {
      bytes = encodeQuantized(shard.data(), rows, width, spec_.quantGroup, spec_.quant);
    } else {
      bytes.resize(rows * width * models::dtypeBytes(spec_.weightDtype));
      for (std::uint64_t i = 0; i < rows * width; ++i)
        models::storeElement(bytes.data(), spec_.weightDtype, i, shard[i]);
    }
    if (!chip_.debugWrite(at, bytes.data(), bytes.size()))
      throw std::logic_error("host: shard write outside device memory");
  }
}

} // namespace llmvp::testbench
