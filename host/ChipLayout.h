// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The placement of a run on one chip, as a pure function of the model, the
/// chip's parameters, the run options and the chip's shard: every tensor's
/// address (firmware/include/memmap.h), the KV cache, the HBF prefetch
/// staging, the token and logit buffers, the near-memory shards, and the
/// requests' prompts and lengths. No chip is built: the weight loader and
/// the manifest writer (host/WeightLoader.h, host/ManifestWriter.h) write
/// what it decides.

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "host/RunOptions.h"
#include "platform/ChipParams.h"
#include "workload/ModelSpec.h"

namespace llmvp::testbench {

/// One layer's tensors in device memory (manifest.h llmvp_layer_entry).
struct LayerAddr {
  std::uint64_t attnNorm, wq, wk, wv, wo, ffnNorm, wGate, wUp, wDown, kCache, vCache;
  std::uint64_t bq = 0, bk = 0, bv = 0;                          ///< with spec.qkvBias
  std::uint64_t router = 0, expGate = 0, expUp = 0, expDown = 0; ///< MoE layers
  std::uint64_t expertStride = 0;                                ///< bytes between experts
  // MLA (manifest.h llmvp_layer_entry mla_*); wq/wk/wv/vCache are then 0.
  std::uint64_t mlaQA = 0, mlaQANorm = 0, mlaQNope = 0, mlaQRope = 0, mlaKvA = 0, mlaKRope = 0, mlaKvNorm = 0;
  std::uint64_t mlaWUk = 0, mlaWUv = 0;
  std::uint64_t wBase = 0, wBytes = 0;    ///< the layer's weights region
  std::uint64_t prefixK = 0, prefixV = 0; ///< shared KV prefix (HBF)
};

/// Where a run puts everything on one chip, and the requests it runs there.
struct ChipLayout {
  ChipLayout(ModelSpec stage, const Shard& chipShard, std::uint32_t firstLayer)
      : spec(std::move(stage)), shard(chipShard), layer0(firstLayer) {}

  const ModelSpec spec; ///< this chip's part: a pipeline stage's layers (else the whole model)
  const Shard shard;
  const std::uint32_t layer0; ///< the model's index of this chip's first layer (pipeline stage)
  [[nodiscard]] bool firstStage() const { return shard.stage == 0; }
  [[nodiscard]] bool lastStage() const { return shard.stage + 1 == shard.stages; }
  /// Expert parallel (MoE on several chips): routed experts on this chip
  /// (experts [rank * localExperts(), +localExperts()) of the model).
  [[nodiscard]] std::uint32_t localExperts() const { return spec.moe.experts / shard.ranks; }
  /// Chips splitting the attention, dense FFNs and shared experts (1 with
  /// data-parallel attention), and this chip's rank among them.
  [[nodiscard]] std::uint32_t tpRanks() const { return shard.dataParallel ? 1 : shard.ranks; }
  [[nodiscard]] std::uint32_t tpRank() const { return shard.dataParallel ? 0 : shard.rank; }

  std::uint32_t qDim = 0, kvDim = 0, ffn = 0; ///< this chip's shard of the projections
  std::uint32_t qFirst = 0, kvFirst = 0;      ///< its first q and kv row (heads x head_dim)
  bool attnReplica = false; ///< attention computed by another chip too: contributes zeros to the o all-reduce

  std::uint32_t steps = 0; ///< decode steps (manifest steps)
  std::vector<std::uint32_t> promptLen, cachedLen;
  std::vector<std::vector<std::uint32_t>> prompts;

  Placement placement;
  std::uint64_t embed = 0, finalNorm = 0, lmHead = 0, kvRequestStride = 0;
  std::uint64_t stagingBase = 0, stagingSlot = 0;
  std::vector<LayerAddr> layers;
  std::vector<std::uint32_t> blockTable; ///< paged KV: [batch][blockTableStride] block ids
  std::uint32_t blockTableStride = 0;
  std::uint32_t pnmUnits = 0;               ///< near-memory engines sharing the model (0: no offload)
  std::uint64_t pnmStride = 0;              ///< bytes between the shards of a tensor (one memory partition)
  std::uint32_t pnmOps = 0;                 ///< manifest pnm_ops (PnmPolicy.h)
  std::map<std::uint64_t, bool> pnmSharded; ///< sharded projections by address: true = by columns
  std::uint64_t serveTable = 0;             ///< serving: llmvp_serve_request[requests]
};

/// Checks that the run fits the chip and lays it out; throws ConfigError
/// with sizes if it does not fit or asks for what is not supported.
[[nodiscard]] ChipLayout placeModel(const ModelSpec& model, const platform::ChipParams& chip, const RunOptions& options,
                                    const Shard& shard = {});

/// `v` rounded up to a multiple of `a`.
[[nodiscard]] inline std::uint64_t alignUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }
/// Shard p of n over u: count and first (firmware/src/pnm.h fw_pnm_count/first).
[[nodiscard]] inline std::uint64_t shardCount(std::uint64_t n, std::uint64_t u, std::uint64_t p) {
  return n / u + (p < n % u ? 1 : 0);
}
[[nodiscard]] inline std::uint64_t shardFirst(std::uint64_t n, std::uint64_t u, std::uint64_t p) {
  return p * (n / u) + std::min(p, n % u);
}

} // namespace llmvp::testbench
