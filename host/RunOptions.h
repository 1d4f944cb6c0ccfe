// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What a run on one chip is asked to do (RunOptions, Shard) and what it
/// reports (Placement, RunResult), apart from the runtime that does it.

#include <cstdint>
#include <string>
#include <vector>

#include "config/Loaders.h"
#include "models/common/Picoseconds.h"
#include "workload/Scenario.h"

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
  PnmMapping pnm;   ///< chip.pnm offload policy (ignored without near-memory engines)
  /// Serving scenario (continuous batching, manifest serve_requests): the
  /// requests in arrival order; `batch` is then the number of slots and
  /// context, contexts and genTokens are unused. Empty: one batch as above.
  std::vector<ServeRequest> serve;
  std::string scenarioName;
  [[nodiscard]] bool serving() const { return !serve.empty(); }
};

/// Decode steps the firmware runs for one batch (manifest `steps`) whose
/// prompts are `promptTokens` long (functional runs; the options' `context`
/// when the prompts are seeded). With prefill (prefillChunk > 0) the prefill
/// yields the first token and genTokens - 1 steps follow; otherwise a
/// functional run feeds its prompt token by token, the last prompt step
/// yielding the first token (promptTokens + genTokens - 1 steps), and a
/// timing-only run starts from a cached context with the prefill's token as
/// its first input (genTokens steps). Signed: -1 for genTokens 0 with
/// prefill, which HostRuntime refuses and the estimate prices as no decode.
[[nodiscard]] inline std::int64_t decodeSteps(const RunOptions& o, std::uint32_t promptTokens) {
  const std::int64_t gen = o.genTokens;
  if (o.prefillChunk != 0) return gen - 1;
  return o.functional ? promptTokens + gen - 1 : gen;
}

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
  /// DMA engine running the weight prefetch (manifest prefetch_dma) when
  /// prefetchDepth != 0.
  std::uint32_t prefetchDma = 0;
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

} // namespace llmvp::testbench
