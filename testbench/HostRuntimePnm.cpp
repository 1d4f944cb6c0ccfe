// SPDX-License-Identifier: Apache-2.0
// Host runtime, near-memory offload: shards the projections (output rows),
// the LM head and the KV cache (kv heads) over the memory partitions of the
// near-memory engines, with the layout of manifest.h version 3.
#include <algorithm>
#include <numeric>
#include <sstream>

#include "firmware/include/memmap.h"
#include "testbench/HostRuntime.h"
#include "testbench/config/ConfigNode.h"
#include "testbench/model/Quant.h"

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

/// Shard p of n over u: rows and first row (firmware/src/pnm.h fw_pnm_count/first).
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
  if (spec_.moe.enabled())
    throw ConfigError(spec_.name + ": mixture-of-experts models are not supported with chip.pnm (dense models only)");
  if (opt_.kvBlockTokens != 0) throw ConfigError("--kv-block-tokens: a paged KV cache is not supported with chip.pnm");
  if (opt_.prefillChunk != 0) throw ConfigError("--prefill-chunk: prefill is not supported with chip.pnm");
  if (spec_.mla.enabled)
    throw ConfigError(spec_.name + ": multi-head latent attention (model.mla) is not supported with chip.pnm");
  pnmUnits_ = static_cast<std::uint32_t>(chip_.pnmCount());
  pnmStride_ = chip.stacked.partitionBytes();
  const std::uint64_t u = pnmUnits_;
  const std::uint64_t wb = models::dtypeBytes(spec_.weightDtype);
  const std::uint64_t h = spec_.hidden;
  const std::uint64_t align = mainAlign();
  // One cursor for every partition: a sharded tensor takes the same offset in
  // each (its largest shard), an unsharded one lives in partition 0.
  std::uint64_t cursor = LLMVP_HBM_BASE;
  auto alloc = [&](std::uint64_t bytes) {
    const std::uint64_t a = cursor;
    cursor = alignUp(cursor + bytes, align);
    return a;
  };
  // PIM units see one bank: every unit's rows of a matrix must fit in it.
  const std::uint64_t unitShard = chip.pnm.unitShardBytes, units = chip.pnm.units;
  auto sharded = [&](const char* what, std::uint64_t n, std::uint64_t k, bool linear) {
    const std::uint64_t rows = shardCount(n, u, 0);
    const std::uint64_t bytes = linear ? linearBytes(spec_, rows, k) : rows * k * wb;
    if (unitShard != 0 && rows != 0 && bytes / rows * ((rows + units - 1) / units) > unitShard)
      throw ConfigError(std::string(what) + ": " + mb(bytes / rows * ((rows + units - 1) / units)) + " of rows per " +
                        engines + " unit exceed a unit's shard of " + mb(unitShard) + " (chip.pnm.unit_shard_mib)");
    return alloc(bytes);
  };
  embed_ = alloc(std::uint64_t{spec_.vocab} * h * wb);
  layers_.resize(spec_.layers);
  for (std::uint32_t i = 0; i < spec_.layers; ++i) {
    LayerAddr& l = layers_[i];
    l.attnNorm = alloc(h * wb);
    l.wq = sharded("wq", spec_.qDim(), h, true);
    l.wk = sharded("wk", spec_.kvDim(), h, true);
    l.wv = sharded("wv", spec_.kvDim(), h, true);
    if (spec_.qkvBias) {
      l.bq = alloc(std::uint64_t{spec_.qDim()} * wb);
      l.bk = alloc(std::uint64_t{spec_.kvDim()} * wb);
      l.bv = alloc(std::uint64_t{spec_.kvDim()} * wb);
    }
    l.wo = sharded("wo", h, spec_.qDim(), true);
    l.ffnNorm = alloc(h * wb);
    l.wGate = sharded("w_gate", spec_.ffn, h, true);
    l.wUp = sharded("w_up", spec_.ffn, h, true);
    l.wDown = sharded("w_down", h, spec_.ffn, true);
  }
  finalNorm_ = alloc(h * wb);
  lmHead_ = sharded("lm_head", spec_.vocab, h, false);
  placement_.weightBytes = (cursor - LLMVP_HBM_BASE) * u;

  // KV cache: shard p holds kv heads [h0_p, h0_p + n_p) of every request.
  const std::uint64_t kvStart = cursor;
  const std::uint64_t headRow = std::uint64_t{spec_.headDim} * models::dtypeBytes(spec_.kvDtype);
  const std::uint64_t headsPerShard = shardCount(spec_.kvHeads, u, 0);
  // Positions spread over the units: each holds its slice of K and V.
  const std::uint64_t kvPerUnit = 2 * std::uint64_t{placement_.maxContext} * headsPerShard * headRow /
                                  std::min<std::uint64_t>(units, placement_.maxContext);
  if (unitShard != 0 && kvPerUnit > unitShard)
    throw ConfigError("KV cache: " + mb(kvPerUnit) + " of K and V per " + engines + " unit (" +
                      std::to_string(headsPerShard) + " kv heads x " + std::to_string(placement_.maxContext) +
                      " positions over " + std::to_string(units) + " units) exceed a unit's shard of " + mb(unitShard) +
                      " (chip.pnm.unit_shard_mib)");
  kvRequestStride_ = alignUp(std::uint64_t{placement_.maxContext} * headsPerShard * headRow, 64);
  for (auto& l : layers_) {
    l.kCache = alloc(kvRequestStride_ * opt_.batch);
    l.vCache = alloc(kvRequestStride_ * opt_.batch);
  }
  placement_.kvBytes = (cursor - kvStart) * u;

  const std::uint64_t otherStart = cursor;
  placement_.tokenStride = placement_.maxContext + 1;
  placement_.tokens = alloc(std::uint64_t{opt_.batch} * placement_.tokenStride * 4);
  if (opt_.captureLogits)
    placement_.logits = alloc(std::uint64_t{opt_.batch} * spec_.vocab * models::dtypeBytes(spec_.actDtype));
  placement_.otherBytes = cursor - otherStart;
  placement_.hbmCapacity = chip.stacked.capacityBytes;
  const std::uint64_t used = cursor - LLMVP_HBM_BASE;
  if (used > pnmStride_) {
    std::ostringstream m;
    m << "model does not fit in the " << engines << " memory partitions: each of the " << u << " partitions needs "
      << mb(used) << " (its shard of the weights and KV cache at batch " << opt_.batch << " x " << placement_.maxContext
      << " positions) > " << mb(pnmStride_) << " (chip.stacked capacity / partitions)";
    throw ConfigError(m.str());
  }
}

void HostRuntime::writeSharded(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k, bool linear) {
  for (std::uint64_t p = 0; p < pnmUnits_; ++p) {
    const std::uint64_t rows = shardCount(n, pnmUnits_, p);
    if (rows == 0) continue;
    const float* v = values + shardFirst(n, pnmUnits_, p) * k;
    const std::uint64_t at = addr + p * pnmStride_;
    std::vector<std::uint8_t> bytes;
    if (linear && spec_.quant != WeightQuant::None) {
      bytes = encodeQuantized(v, rows, k, spec_.quantGroup, spec_.quant);
    } else {
      bytes.resize(rows * k * models::dtypeBytes(spec_.weightDtype));
      for (std::uint64_t i = 0; i < rows * k; ++i) models::storeElement(bytes.data(), spec_.weightDtype, i, v[i]);
    }
    if (!chip_.debugWrite(at, bytes.data(), bytes.size()))
      throw std::logic_error("host: shard write outside device memory");
  }
}

} // namespace llmvp::testbench
