// SPDX-License-Identifier: Apache-2.0
// One chip's layout (host/ChipLayout.h): the run's checks, the shard of the
// projections, the requests' prompts, and every tensor's address.
#include <algorithm>
#include <numeric>
#include <random>
#include <sstream>

#include "config/ConfigNode.h"
#include "config/NumberText.h"
#include "firmware/include/manifest.h"
#include "firmware/include/memmap.h"
#include "host/Placer.h"
#include "workload/Quant.h"

namespace llmvp::testbench {

namespace {} // namespace

void Placer::checkDataParallel() const {
  // The model and the request split were checked for the system (testbench/RequestSplit.cpp splitRequests).
  if (shard_.stages > 1) throw ConfigError("system.parallel.attention: data with pipeline stages is not supported yet");
  if (opt_.prefillChunk != 0) throw ConfigError("--prefill-chunk: prefill on several chips is not supported yet");
  if (chip_.pnmCount != 0)
    throw ConfigError("chip.pnm: near-memory offload with data-parallel attention is not supported yet");
  if (chip_.hasHbf && opt_.hbf.prefetchDepth != 0)
    throw ConfigError("chip.hbf.prefetch.depth: HBF weight prefetch with data-parallel attention is not supported "
                      "yet (set chip.hbf.prefetch.mode=sram or none)");
}

namespace {
/// A pipeline stage's model: its layers, with the dense-before-MoE split
/// shifted to them.
ModelSpec stageSpec(const ModelSpec& model, const Shard& shard) {
  if (shard.stages <= 1) return model;
  if (shard.stages > model.layers)
    throw ConfigError("system.parallel.pipeline: " + std::to_string(shard.stages) + " stages exceed the model's " +
                      std::to_string(model.layers) + " layers (" + model.name + ")");
  const StageLayers sl = stageLayers(model.layers, shard.stages, shard.stage);
  ModelSpec s = model;
  s.layers = sl.count;
  const std::uint32_t dense = model.moe.denseLayers;
  s.moe.denseLayers = dense <= sl.first ? 0 : std::min(dense - sl.first, sl.count);
  return s;
}
} // namespace

Placer::Placer(const platform::ChipParams& chip, const ModelSpec& spec, const RunOptions& options, const Shard& shard)
    : chip_(chip), opt_(options),
      lay_(stageSpec(spec, shard), shard, stageLayers(spec.layers, shard.stages, shard.stage).first), spec_(lay_.spec),
      shard_(lay_.shard) {
  if (shard_.stages > 1) {
    if (opt_.prefillChunk != 0)
      throw ConfigError("--prefill-chunk: prefill with pipeline parallel stages is not supported yet");
    if (!opt_.serve.empty())
      throw ConfigError("--scenario: serving with pipeline parallel stages is not supported yet");
    if (chip_.pnmCount != 0)
      throw ConfigError("chip.pnm: near-memory offload with pipeline parallel stages is not supported yet");
    if (chip_.hasHbf && opt_.hbf.prefetchDepth != 0)
      throw ConfigError("chip.hbf.prefetch.depth: HBF weight prefetch with pipeline parallel stages is not "
                        "supported yet (set chip.hbf.prefetch.mode=sram or none)");
    if (spec_.actDtype != models::DType::Fp32 && spec_.actDtype != models::DType::Bf16)
      throw ConfigError("model.dtypes.activations: pipeline stages send activations as fp32 or bf16");
  }
  // Tensor parallel over T chips: the query heads are split A ways (A the
  // largest divisor of T that divides heads); chip r computes the heads of
  // shard r % A with the KV heads they use (a KV head is replicated on the
  // chips whose query heads share it). With A < T, chips r >= A compute a
  // shard again and contribute zeros to the output projection's all-reduce.
  // The FFN is split T ways.
  const std::uint32_t tp = lay_.tpRanks();
  std::uint32_t shards = tp;
  while (spec_.heads % shards != 0) --shards;
  while (tp % shards != 0) --shards;
  const std::uint32_t heads = spec_.heads / shards, group = spec_.heads / spec_.kvHeads;
  const std::uint32_t qShard = lay_.tpRank() % shards;
  if (tp > 1) {
    if (spec_.ffn % tp != 0)
      throw ConfigError("system.parallel.tensor: " + std::to_string(tp) + " does not divide the model's ffn (" +
                        std::to_string(spec_.ffn) + ")");
    if (heads % group != 0 && group % heads != 0)
      throw ConfigError("system.parallel.tensor: " + std::to_string(tp) + " splits the " + std::to_string(spec_.heads) +
                        " query heads into shards of " + std::to_string(heads) + " that do not align with the " +
                        std::to_string(spec_.kvHeads) + " KV heads");
    // MoE: expert parallel over the same chips (plan.h fw_ep).
    if (spec_.moe.enabled() && spec_.moe.experts % tp != 0)
      throw ConfigError("system.parallel.tensor: " + std::to_string(tp) + " chips do not divide the model's " +
                        std::to_string(spec_.moe.experts) + " routed experts (model.moe.experts)");
    if (spec_.moe.enabled() && tp > LLMVP_MAX_EP)
      throw ConfigError("system.parallel.tensor: " + std::to_string(tp) + " is more than the " +
                        std::to_string(LLMVP_MAX_EP) + " expert-parallel ranks the firmware supports");
    if (spec_.moe.enabled() && spec_.moe.sharedFfn() % tp != 0)
      throw ConfigError("system.parallel.tensor: " + std::to_string(tp) + " does not divide the shared experts' ffn (" +
                        std::to_string(spec_.moe.sharedFfn()) + ")");
    if (spec_.moe.enabled() && spec_.quant != WeightQuant::None && (spec_.moe.sharedFfn() / tp) % spec_.quantGroup != 0)
      throw ConfigError("model.quantization.group_size: " + std::to_string(spec_.quantGroup) +
                        " does not divide a chip's shard of the shared experts' ffn");
    if (spec_.mla.enabled)
      throw ConfigError(spec_.name +
                        ": multi-head latent attention on several chips is not supported yet; use one chip");
    if (opt_.prefillChunk != 0) throw ConfigError("--prefill-chunk: prefill on several chips is not supported yet");
    if (spec_.quant != WeightQuant::None &&
        ((heads * spec_.headDim) % spec_.quantGroup != 0 || (spec_.ffn / tp) % spec_.quantGroup != 0))
      throw ConfigError("model.quantization.group_size: " + std::to_string(spec_.quantGroup) +
                        " does not divide a chip's shard of heads * head_dim or ffn");
  }
  const std::uint32_t kvHeads = heads >= group ? heads / group : 1;
  lay_.qDim = heads * spec_.headDim;
  lay_.kvDim = kvHeads * spec_.headDim;
  lay_.qFirst = qShard * lay_.qDim;
  lay_.kvFirst = (qShard * heads / group) * spec_.headDim;
  lay_.attnReplica = lay_.tpRank() >= shards;
  if (shard_.dataParallel) checkDataParallel();
  lay_.ffn = spec_.ffn / tp;
  if (opt_.batch == 0 || opt_.batch > LLMVP_MAX_BATCH)
    throw ConfigError("--batch: " + std::to_string(opt_.batch) + " is out of range [1, " +
                      std::to_string(LLMVP_MAX_BATCH) + "]");
  if (opt_.context == 0) throw ConfigError("--context: must be at least 1");
  if (opt_.genTokens == 0) throw ConfigError("--gen-tokens: must be at least 1");
  if (opt_.prefillChunk > LLMVP_MAX_PREFILL_CHUNK)
    throw ConfigError("--prefill-chunk: " + std::to_string(opt_.prefillChunk) + " is out of range [0, " +
                      std::to_string(LLMVP_MAX_PREFILL_CHUNK) + "]");
  if (opt_.kvBlockTokens > (1u << 20))
    throw ConfigError("--kv-block-tokens: " + std::to_string(opt_.kvBlockTokens) + " is out of range [0, 1048576]");
  const std::uint32_t b = opt_.batch;
  lay_.promptLen.assign(b, 0);
  lay_.cachedLen.assign(b, 0);
  if (opt_.serving()) { // continuous batching over a scenario's requests (HostServe.cpp)
    prepareServe();
    checkHbfOptions();
    place();
    return;
  }
  if (opt_.functional && !opt_.contexts.empty())
    throw ConfigError("--context: a list of per-request lengths is for timing-only runs");
  if (opt_.functional) {
    // The prompt (length `context`) is consumed token by token, then
    // genTokens - 1 further steps; the last prompt step yields the first token.
    lay_.prompts = opt_.prompts.empty() ? seededPrompts(opt_.seed, b, opt_.context, spec_.vocab) : opt_.prompts;
    if (lay_.prompts.size() != b) throw ConfigError("prompts: expected one per request (" + std::to_string(b) + ")");
    for (const auto& p : lay_.prompts) {
      if (p.size() != lay_.prompts[0].size()) throw ConfigError("prompts: all requests must have the same length");
      for (auto t : p)
        if (t >= spec_.vocab)
          throw ConfigError("prompt token " + std::to_string(t) + " >= vocab " + std::to_string(spec_.vocab));
    }
    const auto len = static_cast<std::uint32_t>(lay_.prompts[0].size());
    if (len == 0) throw ConfigError("prompts: must not be empty");
    lay_.promptLen.assign(b, len);
    lay_.steps = static_cast<std::uint32_t>(decodeSteps(opt_, len));
    lay_.placement.maxContext = len + opt_.genTokens;
  } else {
    // Timing-only: request r has contexts[r] (else `context`) positions
    // already cached (prefill is not simulated); prefill's output token is
    // the first input.
    std::vector<std::uint32_t> ctx =
        opt_.contexts.empty() ? std::vector<std::uint32_t>(b, opt_.context) : opt_.contexts;
    if (ctx.size() != b)
      throw ConfigError("--context: " + std::to_string(ctx.size()) + " lengths given for batch " + std::to_string(b) +
                        " (give one, or one per request)");
    std::mt19937_64 rng(opt_.seed);
    lay_.prompts.resize(b);
    std::uint32_t longest = 0;
    // A shared KV prefix (chip.hbf.placement.kv_prefix_tokens) precedes each
    // request's own context: its positions are cached too, in HBF.
    const std::uint32_t prefix = chip_.hasHbf ? opt_.hbf.kvPrefixTokens : 0;
    for (std::uint32_t r = 0; r < b; ++r) {
      if (ctx[r] == 0) throw ConfigError("--context: must be at least 1");
      lay_.prompts[r].resize(std::size_t{prefix} + ctx[r] + 1);
      for (auto& t : lay_.prompts[r]) t = static_cast<std::uint32_t>(rng() % spec_.vocab);
      lay_.promptLen[r] = prefix + ctx[r] + 1;
      lay_.cachedLen[r] = prefix + ctx[r];
      if (opt_.prefillChunk != 0) { // a prompt of ctx[r] tokens, nothing cached (no shared prefix with prefill)
        lay_.prompts[r].resize(ctx[r]);
        lay_.promptLen[r] = ctx[r];
        lay_.cachedLen[r] = 0;
      }
      longest = std::max(longest, ctx[r]);
    }
    lay_.steps = static_cast<std::uint32_t>(decodeSteps(opt_, 0));
    lay_.placement.maxContext = longest + opt_.genTokens;
  }
  checkHbfOptions();
  place();
}

void Placer::checkHbfOptions() const {
  if (!chip_.hasHbf) return;
  const HbfPlacement& h = opt_.hbf;
  // Prefill works with weights in HBF in modes sram and none (the buffer is
  // the tile's); the HBM staging chain is one pass over the layers per step.
  if (opt_.prefillChunk != 0 && h.prefetchDepth != 0)
    throw ConfigError("--prefill-chunk: prefill is not supported with HBF weight staging in HBM (set "
                      "chip.hbf.prefetch.mode=sram or none)");
  if (opt_.prefillChunk != 0 && h.kvPrefixTokens != 0)
    throw ConfigError("--prefill-chunk: prefill is not supported with a shared KV prefix (set "
                      "chip.hbf.placement.kv_prefix_tokens=0)");
  if (h.prefetchDepth != 0) {
    if (!h.weightsInHbf)
      throw ConfigError("chip.hbf.prefetch.depth: " + std::to_string(h.prefetchDepth) +
                        " prefetches weights from HBF, but chip.hbf.placement.weights is hbm (use mode none)");
    if (chip_.dmaCount < 2)
      throw ConfigError("chip.hbf.prefetch.depth: " + std::to_string(h.prefetchDepth) +
                        " needs a second DMA engine for the prefetch (chip.dma.count >= 2, is " +
                        std::to_string(chip_.dmaCount) + ")");
    if (h.prefetchDepth > spec_.layers)
      throw ConfigError("chip.hbf.prefetch.depth: " + std::to_string(h.prefetchDepth) + " exceeds the model's " +
                        std::to_string(spec_.layers) + " layers");
  }
  if (h.kvPrefixTokens != 0) {
    if (opt_.functional)
      throw ConfigError("chip.hbf.placement.kv_prefix_tokens: a precomputed KV prefix is timing-only (its values "
                        "are not computed; run with --timing-only or set it to 0)");
    if (opt_.kvBlockTokens != 0)
      throw ConfigError("chip.hbf.placement.kv_prefix_tokens: needs the contiguous KV layout (--kv-block-tokens 0)");
    if (spec_.moe.enabled() || spec_.mla.enabled)
      throw ConfigError("chip.hbf.placement.kv_prefix_tokens: supported for dense models only");
  }
}

void Placer::place() {
  const std::uint64_t wb = models::dtypeBytes(spec_.weightDtype);
  const std::uint64_t h = spec_.hidden;
  const bool hasHbf = chip_.hasHbf;
  const bool wHbf = hasHbf && opt_.hbf.weightsInHbf;
  const bool kvHbf = hasHbf && opt_.hbf.kvInHbf;
  lay_.placement.weightsInHbf = wHbf;
  lay_.placement.kvInHbf = kvHbf;
  // Tensors start on a whole interleave round (every channel once), so a
  // tensor streams evenly over all channels, as a real allocator would place them.
  if (chip_.pnmCount != 0) {
    placePnm();
    return;
  }
  const std::uint64_t align = mainAlign();
  std::uint64_t cursor = LLMVP_HBM_BASE;
  auto alloc = [&](std::uint64_t bytes) {
    const std::uint64_t a = cursor;
    cursor = alignUp(cursor + bytes, align);
    return a;
  };
  // HBF: pages interleave over every plane, so page alignment spreads a tensor.
  const std::uint64_t hbfAlign = hasHbf ? std::lcm(kPage, chip_.hbf.pageBytes) : kPage;
  std::uint64_t hbfCursor = LLMVP_HBF_BASE;
  auto allocHbf = [&](std::uint64_t bytes) {
    const std::uint64_t a = hbfCursor;
    hbfCursor = alignUp(hbfCursor + bytes, hbfAlign);
    return a;
  };
  auto allocW = [&](std::uint64_t bytes) { return wHbf ? allocHbf(bytes) : alloc(bytes); };
  auto weightCursor = [&] { return wHbf ? hbfCursor : cursor; };
  // Pipeline parallel: the embedding on the first stage (and the last with
  // tied embeddings), the final norm and lm_head on the last.
  const bool tied = spec_.tieEmbeddings;
  lay_.embed = lay_.firstStage() || (tied && lay_.lastStage()) ? allocW(std::uint64_t{spec_.vocab} * h * wb) : 0;
  lay_.layers.resize(spec_.layers);
  for (std::uint32_t i = 0; i < spec_.layers; ++i) {
    LayerAddr& l = lay_.layers[i];
    l.wBase = weightCursor();
    l.attnNorm = allocW(h * wb);
    if (spec_.mla.enabled) {
      placeMla(l, allocW);
    } else {
      l.wq = allocW(linearBytes(spec_, lay_.qDim, h));
      l.wk = allocW(linearBytes(spec_, lay_.kvDim, h));
      l.wv = allocW(linearBytes(spec_, lay_.kvDim, h));
      if (spec_.qkvBias) {
        l.bq = allocW(std::uint64_t{lay_.qDim} * wb);
        l.bk = allocW(std::uint64_t{lay_.kvDim} * wb);
        l.bv = allocW(std::uint64_t{lay_.kvDim} * wb);
      }
      l.wo = allocW(linearBytes(spec_, h, lay_.qDim));
    }
    l.ffnNorm = allocW(h * wb);
    // Dense FFN, or an MoE layer's shared experts (none: address 0).
    const std::uint64_t ffn = spec_.isMoeLayer(i) ? spec_.moe.sharedFfn() / lay_.tpRanks() : lay_.ffn;
    l.wGate = ffn ? allocW(linearBytes(spec_, ffn, h)) : 0;
    l.wUp = ffn ? allocW(linearBytes(spec_, ffn, h)) : 0;
    l.wDown = ffn ? allocW(linearBytes(spec_, h, ffn)) : 0;
    if (spec_.isMoeLayer(i)) {
      // Each expert matrix starts on an interleave round, like every tensor.
      l.expertStride = alignUp(linearBytes(spec_, spec_.moe.expertFfn, h), wHbf ? hbfAlign : align);
      l.router = allocW(std::uint64_t{spec_.moe.experts} * h * wb);
      l.expGate = allocW(l.expertStride * lay_.localExperts());
      l.expUp = allocW(l.expertStride * lay_.localExperts());
      l.expDown = allocW(l.expertStride * lay_.localExperts());
    }
    l.wBytes = weightCursor() - l.wBase;
  }
  lay_.finalNorm = lay_.lastStage() ? allocW(h * wb) : 0;
  lay_.lmHead = !lay_.lastStage() ? 0 : tied ? lay_.embed : allocW(std::uint64_t{spec_.vocab} * h * wb);
  lay_.placement.weightBytes = cursor - LLMVP_HBM_BASE + (hbfCursor - LLMVP_HBF_BASE);
  lay_.placement.hbfWeightBytes = hbfCursor - LLMVP_HBF_BASE;

  // MLA caches one latent row [kv_lora + rope] per position (K cache only).
  const bool mla = spec_.mla.enabled;
  const std::uint64_t kvRowElems = mla ? std::uint64_t{spec_.mla.kvLoraRank} + spec_.mla.qkRopeDim : lay_.kvDim;
  const std::uint64_t kvRow = kvRowElems * models::dtypeBytes(spec_.kvDtype);
  // Shared precomputed KV prefix: read-only, in HBF, one copy for all requests.
  // (chip.hbf.placement.kv_prefix hbm: the same single copy in HBM, the
  // HBM-only baseline of the shared-context experiment.)
  if (hasHbf && opt_.hbf.kvPrefixTokens != 0) {
    const bool inHbm = opt_.hbf.prefixInHbm;
    const std::uint64_t prefixStart = inHbm ? cursor : hbfCursor;
    lay_.placement.kvPrefixTokens = opt_.hbf.kvPrefixTokens;
    lay_.placement.prefixInHbm = inHbm;
    for (auto& l : lay_.layers) {
      const std::uint64_t bytes = std::uint64_t{opt_.hbf.kvPrefixTokens} * kvRow;
      l.prefixK = inHbm ? alloc(bytes) : allocHbf(bytes);
      l.prefixV = inHbm ? alloc(bytes) : allocHbf(bytes);
    }
    lay_.placement.prefixBytes = (inHbm ? cursor : hbfCursor) - prefixStart;
    if (!inHbm) lay_.placement.hbfPrefixBytes = lay_.placement.prefixBytes;
  }

  const std::uint64_t kvStart = cursor, kvHbfStart = hbfCursor;
  auto allocKv = [&](std::uint64_t bytes) { return kvHbf ? allocHbf(bytes) : alloc(bytes); };
  lay_.kvRequestStride = alignUp(std::uint64_t{lay_.placement.maxContext} * kvRow, 64);
  std::uint64_t perLayer = lay_.kvRequestStride * opt_.batch; // one of K, V
  std::uint64_t largestRequest = lay_.kvRequestStride;        // bytes of one of K, V for one layer
  if (opt_.kvBlockTokens != 0) perLayer = placePagedKv(kvRow, largestRequest);
  for (auto& l : lay_.layers) {
    l.kCache = allocKv(perLayer);
    l.vCache = mla ? 0 : allocKv(perLayer);
  }
  lay_.placement.kvBytes = cursor - kvStart + (hbfCursor - kvHbfStart);
  lay_.placement.hbfKvBytes = hbfCursor - kvHbfStart;

  const std::uint64_t otherStart = cursor;
  lay_.placement.tokenStride = lay_.placement.kvPrefixTokens + lay_.placement.maxContext + 1;
  const std::uint64_t tokenRows = opt_.serving() ? opt_.serve.size() : opt_.batch; // serving: one row per request
  lay_.placement.tokens = alloc(tokenRows * lay_.placement.tokenStride * 4);
  if (opt_.serving()) lay_.serveTable = alloc(opt_.serve.size() * sizeof(llmvp_serve_request));
  if (opt_.captureLogits)
    lay_.placement.logits = alloc(std::uint64_t{opt_.batch} * spec_.vocab * models::dtypeBytes(spec_.actDtype));
  if (wHbf && opt_.hbf.prefetchDepth != 0) {
    // Prefetch staging: depth slots, each as large as the largest layer.
    for (const auto& l : lay_.layers) lay_.stagingSlot = std::max(lay_.stagingSlot, alignUp(l.wBytes, align));
    lay_.placement.prefetchDepth = opt_.hbf.prefetchDepth;
    lay_.placement.prefetchDma = 1; // DMA 0 runs the decode chains (firmware decode.c)
    lay_.placement.stagingBytes = lay_.stagingSlot * opt_.hbf.prefetchDepth;
    lay_.stagingBase = alloc(lay_.placement.stagingBytes);
  }
  lay_.placement.otherBytes = cursor - otherStart;
  lay_.placement.hbmCapacity = chip_.stackedMemory ? chip_.stacked.capacityBytes : chip_.hbm.capacityBytes;
  lay_.placement.hbfCapacity = hasHbf ? chip_.hbf.capacityBytes() : 0;

  if (hbfCursor - LLMVP_HBF_BASE > lay_.placement.hbfCapacity) {
    std::ostringstream m;
    m << "model does not fit in HBF: weights " << gbText(lay_.placement.hbfWeightBytes) << " + KV prefix "
      << gbText(lay_.placement.hbfPrefixBytes) << " + KV cache " << gbText(lay_.placement.hbfKvBytes) << " = "
      << gbText(hbfCursor - LLMVP_HBF_BASE) << " > capacity " << gbText(lay_.placement.hbfCapacity)
      << " (chip.hbf: " << chip_.hbf.stacks << " stacks)";
    throw ConfigError(m.str());
  }
  const std::uint64_t used = cursor - LLMVP_HBM_BASE;
  if (used > lay_.placement.hbmCapacity) {
    const std::uint64_t hbmWeights = wHbf ? 0 : lay_.placement.weightBytes;
    const std::uint64_t hbmKv = kvHbf ? 0 : lay_.placement.kvBytes;
    const std::uint64_t perRequest = largestRequest * (mla ? 1 : 2) * spec_.layers;
    const std::uint64_t hbmPrefix = lay_.placement.prefixInHbm ? lay_.placement.prefixBytes : 0;
    const std::uint64_t fixed = hbmWeights + hbmPrefix + lay_.placement.otherBytes;
    const std::uint64_t spare = lay_.placement.hbmCapacity > fixed ? lay_.placement.hbmCapacity - fixed : 0;
    std::ostringstream m;
    m << "model does not fit in HBM: weights " << gbText(hbmWeights);
    if (hbmPrefix != 0) m << " + shared KV prefix " << gbText(hbmPrefix) << " (chip.hbf.placement.kv_prefix hbm)";
    m << " + KV cache " << gbText(hbmKv) << " (batch " << opt_.batch << " x " << lay_.placement.maxContext
      << " positions x " << spec_.layers << " layers" << (opt_.kvBlockTokens ? ", paged" : "") << ") + buffers "
      << gbText(lay_.placement.otherBytes) << " = " << gbText(used) << " > capacity "
      << gbText(lay_.placement.hbmCapacity) << (chip_.stackedMemory ? " (chip.stacked: " : " (chip.hbm: ")
      << (chip_.stackedMemory ? chip_.stacked.stacks : chip_.hbm.stacks)
      << " stacks); the largest batch at this context is " << (kvHbf ? 0 : spare / perRequest)
      << (opt_.kvBlockTokens ? " (requests as long as the longest)" : "");
    if (hasHbf && !kvHbf)
      m << ". The KV cache is not placed in HBF unless asked, because of flash's low write endurance: set "
           "chip.hbf.placement.kv_cache=hbf to place it there (the report then shows wear per token and "
           "projected device lifetime)";
    if (lay_.placement.stagingBytes != 0)
      m << "; the weight prefetch staging takes " << gbText(lay_.placement.stagingBytes) << " (chip.hbf.prefetch.depth "
        << lay_.placement.prefetchDepth << ")";
    throw ConfigError(m.str());
  }
}

template <typename Alloc>
void Placer::placeMla(LayerAddr& l, Alloc&& alloc) {
  const MlaSpec& a = spec_.mla;
  const std::uint64_t wb = models::dtypeBytes(spec_.weightDtype), h = spec_.hidden, heads = spec_.heads;
  const std::uint64_t qIn = a.qLoraRank != 0 ? a.qLoraRank : h;
  if (a.qLoraRank != 0) {
    l.mlaQA = alloc(qIn * h * wb);
    l.mlaQANorm = alloc(qIn * wb);
  }
  // q_b_proj (or q_proj) split by rows into its no-RoPE and RoPE parts, and
  // kv_a_proj_with_mqa into the latent and the rope key: same bytes, two GEMVs.
  l.mlaQNope = alloc(heads * a.qkNopeDim * qIn * wb);
  l.mlaQRope = alloc(heads * a.qkRopeDim * qIn * wb);
  l.mlaKvA = alloc(std::uint64_t{a.kvLoraRank} * h * wb);
  l.mlaKRope = alloc(std::uint64_t{a.qkRopeDim} * h * wb);
  l.mlaKvNorm = alloc(std::uint64_t{a.kvLoraRank} * wb);
  // kv_b_proj as the absorbed per-head matrices W_uk^T and W_uv.
  l.mlaWUk = alloc(heads * a.kvLoraRank * a.qkNopeDim * wb);
  l.mlaWUv = alloc(heads * a.vHeadDim * a.kvLoraRank * wb);
  l.wo = alloc(h * heads * a.vHeadDim * wb);
}

std::uint64_t Placer::placePagedKv(std::uint64_t kvRow, std::uint64_t& largestRequest) {
  // Paged: request r holds ceil(positions_r / B) blocks, drawn from a
  // seeded shuffle of the pool (a real allocator's blocks are scattered).
  const std::uint32_t bt = opt_.kvBlockTokens;
  lay_.blockTableStride = (lay_.placement.maxContext + bt - 1) / bt;
  std::vector<std::uint32_t> need(opt_.batch);
  std::uint64_t total = 0;
  for (std::uint32_t r = 0; r < opt_.batch; ++r) {
    // Timing-only: the cached positions, or the prompt when prefilled, then the steps.
    const std::uint64_t first = opt_.prefillChunk != 0 ? lay_.promptLen[r] : lay_.cachedLen[r];
    const std::uint64_t positions = opt_.functional || opt_.serving() ? lay_.placement.maxContext : first + lay_.steps;
    need[r] = static_cast<std::uint32_t>((positions + bt - 1) / bt);
    total += need[r];
  }
  std::vector<std::uint32_t> ids(total);
  std::iota(ids.begin(), ids.end(), 0u);
  std::mt19937_64 rng(opt_.seed ^ 0x6b76u); // "kv"
  std::shuffle(ids.begin(), ids.end(), rng);
  lay_.blockTable.assign(std::size_t{opt_.batch} * lay_.blockTableStride, 0);
  std::size_t next = 0;
  for (std::uint32_t r = 0; r < opt_.batch; ++r)
    for (std::uint32_t j = 0; j < need[r]; ++j)
      lay_.blockTable[std::size_t{r} * lay_.blockTableStride + j] = ids[next++];
  largestRequest = std::uint64_t{*std::max_element(need.begin(), need.end())} * bt * kvRow;
  return alignUp(total * bt * kvRow, 64);
}

void Placer::placeMlaWith(LayerAddr& l, const std::function<std::uint64_t(std::uint64_t)>& alloc) {
  placeMla(l, alloc);
}

std::uint64_t Placer::mainAlign() const {
  const platform::ChipParams& c = chip_;
  if (c.stackedMemory) {
    const auto& s = c.stacked;
    return std::lcm(kPage, std::uint64_t{s.vaults() / s.partitions()} * s.interleaveBytes);
  }
  return std::lcm(kPage, std::uint64_t{c.hbm.channels()} * c.hbm.interleaveBytes);
}

ChipLayout placeModel(const ModelSpec& model, const platform::ChipParams& chip, const RunOptions& options,
                      const Shard& shard) {
  return Placer(chip, model, options, shard).take();
}

} // namespace llmvp::testbench
