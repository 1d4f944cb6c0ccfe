// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The host driver and compiler: places the model in device memory, writes
/// weights (functional mode), the manifest and the prompt, releases the
/// control CPU, and records per-step timestamps from the mailbox.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/Loaders.h"
#include "models/common/Time.h"
#include "models/compute/ComputeTile.h"
#include "platform/Chip.h"
#include "workload/ModelSpec.h"
#include "workload/Scenario.h"
#include "workload/Weights.h"

namespace llmvp::testbench {

/// What happened to one served request (simulated times).
struct ServeRecord {
  models::Ps arrival = 0, firstToken = 0, finished = 0; ///< 0: did not happen
};

struct RunOptions {
  std::uint32_t batch = 1;
  std::uint32_t context = 512;  ///< timing-only: tokens already in the KV cache; functional: prompt length
  std::uint32_t genTokens = 64; ///< tokens to generate per request
  /// Timing-only: one context length per request (size == batch; `context`
  /// is then their maximum). Empty: every request has `context`.
  std::vector<std::uint32_t> contexts;
  /// KV-cache layout: 0 contiguous (max context reserved per request), else
  /// paged in blocks of this many positions (each request holds the blocks
  /// it uses; block tables in control SRAM).
  std::uint32_t kvBlockTokens = 0;
  /// Prefill (TTFT): 0 keeps the decode-only run (timing-only: `context`
  /// positions already cached; functional: the prompt fed token by token).
  /// N > 0: every request's prompt (timing-only: `context` tokens, nothing
  /// cached) is prefilled in chunks of at most N tokens before decoding, and
  /// the first generated token comes from the prefill.
  std::uint32_t prefillChunk = 0;
  bool functional = false;
  std::uint64_t seed = 1;
  std::vector<std::vector<std::uint32_t>> prompts; ///< functional: explicit prompts (else seeded)
  std::uint32_t debugFlags = 0;                    ///< FW_DEBUG_* fault injection
  bool captureLogits = false;                      ///< functional: keep the last step's logits
  double maxSimulatedMs = 1e5;
  HbfPlacement hbf; ///< chip.hbf placement and prefetch (ignored without HBF)
  /// Serving scenario (continuous batching, manifest serve_requests): the
  /// requests in arrival order; `batch` is then the number of slots and
  /// context, contexts and genTokens are unused. Empty: one batch as above.
  std::vector<ServeRequest> serve;
  std::string scenarioName;
};

/// Where everything was placed (bytes, addresses).
struct Placement {
  std::string pnmPlan; ///< near-memory offload plan (PnmPolicy.h describe()), empty without chip.pnm
  std::uint64_t weightBytes = 0;
  std::uint64_t kvBytes = 0;
  std::uint64_t otherBytes = 0;
  std::uint64_t hbmCapacity = 0;
  std::uint32_t maxContext = 0; ///< KV positions per request
  std::uint64_t tokens = 0, logits = 0;
  std::uint32_t tokenStride = 0;
  // High Bandwidth Flash
  bool weightsInHbf = false, kvInHbf = false;
  std::uint64_t hbfWeightBytes = 0; ///< weights placed in HBF (included in weightBytes)
  std::uint64_t hbfKvBytes = 0;     ///< KV cache placed in HBF (included in kvBytes)
  std::uint64_t hbfPrefixBytes = 0; ///< shared precomputed KV prefix in HBF
  std::uint64_t prefixBytes = 0;    ///< shared precomputed KV prefix, wherever it is
  bool prefixInHbm = false;         ///< chip.hbf.placement.kv_prefix hbm
  std::uint64_t hbfCapacity = 0;
  std::uint64_t stagingBytes = 0; ///< prefetch staging slots in HBM (included in otherBytes)
  std::uint32_t prefetchDepth = 0, kvPrefixTokens = 0;
};

struct RunResult {
  bool ok = false;
  std::string error;                     ///< device/firmware error, if !ok
  models::Ps decodeStart = 0;            ///< firmware reported RUNNING
  models::Ps end = 0;                    ///< firmware reported DONE (or stopped)
  std::vector<models::Ps> stepEnd;       ///< completion time of each decode step
  std::vector<models::Ps> prefillEnd;    ///< with prefill: when request r's first token was known
  std::uint32_t firstGeneratingStep = 0; ///< earlier steps only consumed the prompt
  bool prefillRowwise = false;           ///< prefill passes of one request's rows (firmware plan.h fw_prefill_rowwise)
  std::vector<std::vector<std::uint32_t>> prompts;
  std::vector<std::vector<std::uint32_t>> generated; ///< per request
  std::vector<std::vector<float>> lastLogits;        ///< with captureLogits
  double wallSeconds = 0;
  std::vector<ServeRecord> served; ///< serving: one per request (generated holds its tokens)
};

/// This chip's part of a tensor- or pipeline-parallel model (multi-chip systems).
struct Shard {
  std::uint32_t ranks = 1; ///< chips sharing every layer
  std::uint32_t rank = 0;
  std::uint32_t stages = 1; ///< pipeline stages, each a contiguous range of layers
  std::uint32_t stage = 0;
  /// Data-parallel attention (system.parallel.attention: data): the chip
  /// owns its requests and holds everything but the routed experts, which
  /// the `ranks` chips split (expert parallel, all-to-all dispatch).
  bool dataParallel = false;
};

/// Layers [first, first + count) of a model of `layers` split into `stages`
/// pipeline stages as evenly as possible (earlier stages take the remainder).
struct StageLayers {
  std::uint32_t first = 0, count = 0;
};
[[nodiscard]] StageLayers stageLayers(std::uint32_t layers, std::uint32_t stages, std::uint32_t stage);

/// Functional runs without explicit prompts: `batch` prompts of `length`
/// tokens drawn from `seed` (a data-parallel system draws them once and
/// gives each chip its requests).
[[nodiscard]] std::vector<std::vector<std::uint32_t>> seededPrompts(std::uint64_t seed, std::uint32_t batch,
                                                                    std::uint32_t length, std::uint32_t vocab);

class HostRuntime {
public:
  /// Checks that the run fits the chip; throws ConfigError with sizes if not.
  HostRuntime(platform::Chip& chip, const ModelSpec& spec, const RunOptions& options, const Shard& shard = {});

  [[nodiscard]] const Placement& placement() const { return placement_; }
  /// Writes weights, manifest and prompts, then simulates until the
  /// firmware finishes, fails, stalls or the time limit passes.
  [[nodiscard]] RunResult run();
  /// Multi-chip: every host writes its chip's shard (weights drawn once for
  /// the whole model), then one simulation runs all chips. One result per host.
  [[nodiscard]] static std::vector<RunResult> runAll(const std::vector<HostRuntime*>& hosts);

private:
  /// Loads the chip and releases its CPU; the mailbox callback fills result_.
  void start(const Weights* weights);
  /// Checks how the firmware ended and reads the tokens (and logits).
  void finish(double wallSeconds);
  /// Rows [first, first + n) of a matrix of `k` columns.
  [[nodiscard]] static const float* rows(const std::vector<float>& full, std::uint64_t first, std::uint64_t k) {
    return full.data() + first * k;
  }
  /// Columns [first, first + k) of an [n][total] matrix (zeros if `zero`).
  [[nodiscard]] static std::vector<float> cols(const std::vector<float>& full, std::uint64_t n, std::uint64_t total,
                                               std::uint64_t first, std::uint64_t k, bool zero);

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
  void checkHbfOptions() const;
  /// Data-parallel attention: throws ConfigError for what it does not support.
  void checkDataParallel() const;
  /// Places one layer's MLA tensors (absorbed layout) with `alloc`.
  template <typename Alloc>
  void placeMla(LayerAddr& l, Alloc&& alloc);
  /// placeMla with a type-erased allocator (for HostRuntimePnm.cpp).
  void placeMlaWith(LayerAddr& l, const std::function<std::uint64_t(std::uint64_t)>& alloc);
  /// Paged KV cache: fills the block table; returns the bytes of one of K, V
  /// per layer, and the largest request's in `largestRequest`.
  std::uint64_t placePagedKv(std::uint64_t kvRow, std::uint64_t& largestRequest);
  /// Writes one layer's MLA tensors, re-laid out for the absorbed form.
  void loadMla(const LayerAddr& a, const LayerWeights& lw);
  void place();
  void load(const Weights* weights);
  void writeTensor(std::uint64_t addr, const std::vector<float>& values, models::DType t);
  /// A linear projection [n][k], group-quantised when spec.quant says so.
  void writeLinear(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k);
  [[nodiscard]] std::string describeError() const;
  // ---- near-memory offload (HostRuntimePnm.cpp) ----
  /// Shards the model over the near-memory engines' partitions per the
  /// offload plan (PnmPolicy.h; manifest.h pnm_units, pnm_ops); what stays on
  /// the tile goes to the stacks' interleaved view. Throws ConfigError if it
  /// does not fit or breaks a shard limit.
  void placePnm();
  /// Writes shard p of a [n][k] matrix to addr + p * pnmStride_: rows
  /// (cols == false) or input columns (cols); `linear`: typed and quantised
  /// as a projection, else dt_w.
  void writeSharded(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k, bool linear,
                    bool cols = false);
  // ---- serving (continuous batching; HostServe.cpp) ----
  /// Checks the scenario and sets prompts, lengths and the KV context.
  void prepareServe();
  /// Starts the host thread that submits each request at its arrival time.
  void startServe();
  [[nodiscard]] bool serving() const { return !opt_.serve.empty(); }
  /// Main-memory tensor alignment: one interleave round of every channel or vault.
  [[nodiscard]] std::uint64_t mainAlign() const;

  platform::Chip& chip_;
  const ModelSpec model_; ///< the whole model (weights are drawn for it)
  const ModelSpec spec_;  ///< this chip's part: a pipeline stage's layers (else the whole model)
  const RunOptions opt_;
  const Shard shard_;
  const std::uint32_t layer0_; ///< the model's index of this chip's first layer (pipeline stage)
  [[nodiscard]] bool firstStage() const { return shard_.stage == 0; }
  [[nodiscard]] bool lastStage() const { return shard_.stage + 1 == shard_.stages; }
  std::uint32_t qDim_ = 0, kvDim_ = 0, ffn_ = 0; ///< this chip's shard of the projections
  std::uint32_t qFirst_ = 0, kvFirst_ = 0;       ///< its first q and kv row (heads x head_dim)
  /// Expert parallel (MoE on several chips): routed experts on this chip
  /// (experts [rank * localExperts(), +localExperts()) of the model).
  [[nodiscard]] std::uint32_t localExperts() const { return spec_.moe.experts / shard_.ranks; }
  /// Chips splitting the attention, dense FFNs and shared experts (1 with
  /// data-parallel attention), and this chip's rank among them.
  [[nodiscard]] std::uint32_t tpRanks() const { return shard_.dataParallel ? 1 : shard_.ranks; }
  [[nodiscard]] std::uint32_t tpRank() const { return shard_.dataParallel ? 0 : shard_.rank; }
  bool attnReplica_ = false; ///< attention computed by another chip too: contributes zeros to the o all-reduce
  RunResult result_;
  bool done_ = false, failed_ = false;
  Placement placement_;
  std::uint64_t embed_ = 0, finalNorm_ = 0, lmHead_ = 0, kvRequestStride_ = 0;
  std::uint64_t stagingBase_ = 0, stagingSlot_ = 0;
  std::vector<LayerAddr> layers_;
  std::uint32_t steps_ = 0;
  std::vector<std::uint32_t> promptLen_, cachedLen_;
  std::vector<std::uint32_t> blockTable_; ///< paged KV: [batch][blockTableStride_] block ids
  std::uint32_t blockTableStride_ = 0;
  std::vector<std::vector<std::uint32_t>> prompts_;
  std::uint32_t pnmUnits_ = 0;                 ///< near-memory engines sharing the model (0: no offload)
  std::uint64_t pnmStride_ = 0;                ///< bytes between the shards of a tensor (one memory partition)
  std::uint32_t pnmOps_ = 0;                   ///< manifest pnm_ops (PnmPolicy.h)
  std::map<std::uint64_t, bool> pnmSharded_;   ///< sharded projections by address: true = by columns
  std::uint64_t serveTable_ = 0;               ///< serving: llmvp_serve_request[requests]
  std::uint32_t served_ = 0;                   ///< serving: requests finished
  std::unique_ptr<sc_core::sc_event> running_; ///< serving: the firmware reported RUNNING
};

} // namespace llmvp::testbench
