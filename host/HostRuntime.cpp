// SPDX-License-Identifier: Apache-2.0
#include "host/HostRuntime.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "config/ConfigNode.h"
#include "firmware/include/manifest.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"
#include "workload/Quant.h"

namespace llmvp::testbench {

namespace {
constexpr std::uint64_t kPage = 4096; // minimum tensor alignment

std::uint64_t alignUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

std::string gb(std::uint64_t bytes) {
  std::ostringstream s;
  s.precision(3);
  s << std::fixed << static_cast<double>(bytes) / 1e9 << " GB";
  return s.str();
}

const char* engineErrorName(std::uint32_t code) {
  switch (code) {
  case ENG_ERR_BAD_OPCODE: return "bad opcode";
  case ENG_ERR_BAD_DTYPE: return "bad datatype";
  case ENG_ERR_BAD_SHAPE: return "bad shape";
  case ENG_ERR_BUS: return "bus error (unmapped or out-of-range address)";
  case ENG_ERR_BAD_SEM: return "bad semaphore index";
  case ENG_ERR_RING: return "ring misconfigured";
  case ENG_ERR_FETCH: return "descriptor fetch failed";
  case ENG_ERR_GROUP: return "collective without a valid group (descriptor m, k)";
  default: return "unknown error";
  }
}

const char* fieldName(std::uint32_t f) {
  switch (f) {
  case ENG_FIELD_OPCODE: return "opcode";
  case ENG_FIELD_DTYPE: return "dtype";
  case ENG_FIELD_DIMS: return "m/n/k";
  case ENG_FIELD_SRC0: return "src0";
  case ENG_FIELD_SRC1: return "src1";
  case ENG_FIELD_SRC2: return "src2";
  case ENG_FIELD_DST: return "dst";
  case ENG_FIELD_SEM: return "wait_sem/signal_sem";
  default: return "-";
  }
}
} // namespace

std::vector<std::vector<std::uint32_t>> seededPrompts(std::uint64_t seed, std::uint32_t batch, std::uint32_t length,
                                                      std::uint32_t vocab) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::uint32_t>> prompts(batch, std::vector<std::uint32_t>(length));
  for (auto& p : prompts)
    for (auto& t : p) t = static_cast<std::uint32_t>(rng() % vocab);
  return prompts;
}

void HostRuntime::checkDataParallel() const {
  // The model and the request split were checked for the system (SystemSimulation.cpp splitRequests).
  if (shard_.stages > 1) throw ConfigError("system.parallel.attention: data with pipeline stages is not supported yet");
  if (opt_.prefillChunk != 0) throw ConfigError("--prefill-chunk: prefill on several chips is not supported yet");
  if (chip_.pnmCount() != 0)
    throw ConfigError("chip.pnm: near-memory offload with data-parallel attention is not supported yet");
  if (chip_.params().hasHbf && opt_.hbf.prefetchDepth != 0)
    throw ConfigError("chip.hbf.prefetch.depth: HBF weight prefetch with data-parallel attention is not supported "
                      "yet (set chip.hbf.prefetch.mode=sram or none)");
}

StageLayers stageLayers(std::uint32_t layers, std::uint32_t stages, std::uint32_t stage) {
  const std::uint32_t per = layers / stages, extra = layers % stages;
  return {stage * per + std::min(stage, extra), per + (stage < extra ? 1u : 0u)};
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

HostRuntime::HostRuntime(platform::Chip& chip, const ModelSpec& spec, const RunOptions& options, const Shard& shard)
    : chip_(chip), model_(spec), spec_(stageSpec(spec, shard)), opt_(options), shard_(shard),
      layer0_(stageLayers(spec.layers, shard.stages, shard.stage).first) {
  attachRoutingOracles();
  if (shard_.stages > 1) {
    if (opt_.prefillChunk != 0)
      throw ConfigError("--prefill-chunk: prefill with pipeline parallel stages is not supported yet");
    if (!opt_.serve.empty())
      throw ConfigError("--scenario: serving with pipeline parallel stages is not supported yet");
    if (chip_.pnmCount() != 0)
      throw ConfigError("chip.pnm: near-memory offload with pipeline parallel stages is not supported yet");
    if (chip_.params().hasHbf && opt_.hbf.prefetchDepth != 0)
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
  const std::uint32_t tp = tpRanks();
  std::uint32_t shards = tp;
  while (spec_.heads % shards != 0) --shards;
  while (tp % shards != 0) --shards;
  const std::uint32_t heads = spec_.heads / shards, group = spec_.heads / spec_.kvHeads;
  const std::uint32_t qShard = tpRank() % shards;
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
  qDim_ = heads * spec_.headDim;
  kvDim_ = kvHeads * spec_.headDim;
  qFirst_ = qShard * qDim_;
  kvFirst_ = (qShard * heads / group) * spec_.headDim;
  attnReplica_ = tpRank() >= shards;
  if (shard_.dataParallel) checkDataParallel();
  ffn_ = spec_.ffn / tp;
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
  promptLen_.assign(b, 0);
  cachedLen_.assign(b, 0);
  if (serving()) { // continuous batching over a scenario's requests (HostServe.cpp)
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
    prompts_ = opt_.prompts.empty() ? seededPrompts(opt_.seed, b, opt_.context, spec_.vocab) : opt_.prompts;
    if (prompts_.size() != b) throw ConfigError("prompts: expected one per request (" + std::to_string(b) + ")");
    for (const auto& p : prompts_) {
      if (p.size() != prompts_[0].size()) throw ConfigError("prompts: all requests must have the same length");
      for (auto t : p)
        if (t >= spec_.vocab)
          throw ConfigError("prompt token " + std::to_string(t) + " >= vocab " + std::to_string(spec_.vocab));
    }
    const auto len = static_cast<std::uint32_t>(prompts_[0].size());
    if (len == 0) throw ConfigError("prompts: must not be empty");
    promptLen_.assign(b, len);
    steps_ = opt_.prefillChunk != 0 ? opt_.genTokens - 1 : len + opt_.genTokens - 1;
    placement_.maxContext = len + opt_.genTokens;
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
    prompts_.resize(b);
    std::uint32_t longest = 0;
    // A shared KV prefix (chip.hbf.placement.kv_prefix_tokens) precedes each
    // request's own context: its positions are cached too, in HBF.
    const std::uint32_t prefix = chip_.params().hasHbf ? opt_.hbf.kvPrefixTokens : 0;
    for (std::uint32_t r = 0; r < b; ++r) {
      if (ctx[r] == 0) throw ConfigError("--context: must be at least 1");
      prompts_[r].resize(std::size_t{prefix} + ctx[r] + 1);
      for (auto& t : prompts_[r]) t = static_cast<std::uint32_t>(rng() % spec_.vocab);
      promptLen_[r] = prefix + ctx[r] + 1;
      cachedLen_[r] = prefix + ctx[r];
      if (opt_.prefillChunk != 0) { // a prompt of ctx[r] tokens, nothing cached (no shared prefix with prefill)
        prompts_[r].resize(ctx[r]);
        promptLen_[r] = ctx[r];
        cachedLen_[r] = 0;
      }
      longest = std::max(longest, ctx[r]);
    }
    steps_ = opt_.prefillChunk != 0 ? opt_.genTokens - 1 : opt_.genTokens;
    placement_.maxContext = longest + opt_.genTokens;
  }
  checkHbfOptions();
  place();
}

void HostRuntime::attachRoutingOracles() {
  // The chips of a tensor-parallel group or pipeline use the same seeds, so
  // the ids they replicate agree, as they would on real hardware; with
  // data-parallel attention each chip decodes its own requests and draws its own.
  const auto routing = std::make_shared<const TimingRoutingParams>(routingParams(model_));
  const std::uint64_t seed = opt_.seed + (shard_.dataParallel ? kDataParallelSeedStride * shard_.rank : 0);
  for (std::size_t i = 0; i < chip_.tileCount(); ++i) {
    oracles_.push_back(std::make_unique<TimingRouting>(routing, seed + i));
    chip_.tile(i).setRoutingOracle(oracles_.back().get());
  }
}

void HostRuntime::checkHbfOptions() const {
  if (!chip_.params().hasHbf) return;
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
    if (chip_.dmaCount() < 2)
      throw ConfigError("chip.hbf.prefetch.depth: " + std::to_string(h.prefetchDepth) +
                        " needs a second DMA engine for the prefetch (chip.dma.count >= 2, is " +
                        std::to_string(chip_.dmaCount()) + ")");
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

void HostRuntime::place() {
  const std::uint64_t wb = models::dtypeBytes(spec_.weightDtype);
  const std::uint64_t h = spec_.hidden;
  const bool hasHbf = chip_.params().hasHbf;
  const bool wHbf = hasHbf && opt_.hbf.weightsInHbf;
  const bool kvHbf = hasHbf && opt_.hbf.kvInHbf;
  placement_.weightsInHbf = wHbf;
  placement_.kvInHbf = kvHbf;
  // Tensors start on a whole interleave round (every channel once), so a
  // tensor streams evenly over all channels, as a real allocator would place them.
  if (chip_.pnmCount() != 0) {
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
  const std::uint64_t hbfAlign = hasHbf ? std::lcm(kPage, chip_.params().hbf.pageBytes) : kPage;
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
  embed_ = firstStage() || (tied && lastStage()) ? allocW(std::uint64_t{spec_.vocab} * h * wb) : 0;
  layers_.resize(spec_.layers);
  for (std::uint32_t i = 0; i < spec_.layers; ++i) {
    LayerAddr& l = layers_[i];
    l.wBase = weightCursor();
    l.attnNorm = allocW(h * wb);
    if (spec_.mla.enabled) {
      placeMla(l, allocW);
    } else {
      l.wq = allocW(linearBytes(spec_, qDim_, h));
      l.wk = allocW(linearBytes(spec_, kvDim_, h));
      l.wv = allocW(linearBytes(spec_, kvDim_, h));
      if (spec_.qkvBias) {
        l.bq = allocW(std::uint64_t{qDim_} * wb);
        l.bk = allocW(std::uint64_t{kvDim_} * wb);
        l.bv = allocW(std::uint64_t{kvDim_} * wb);
      }
      l.wo = allocW(linearBytes(spec_, h, qDim_));
    }
    l.ffnNorm = allocW(h * wb);
    // Dense FFN, or an MoE layer's shared experts (none: address 0).
    const std::uint64_t ffn = spec_.isMoeLayer(i) ? spec_.moe.sharedFfn() / tpRanks() : ffn_;
    l.wGate = ffn ? allocW(linearBytes(spec_, ffn, h)) : 0;
    l.wUp = ffn ? allocW(linearBytes(spec_, ffn, h)) : 0;
    l.wDown = ffn ? allocW(linearBytes(spec_, h, ffn)) : 0;
    if (spec_.isMoeLayer(i)) {
      // Each expert matrix starts on an interleave round, like every tensor.
      l.expertStride = alignUp(linearBytes(spec_, spec_.moe.expertFfn, h), wHbf ? hbfAlign : align);
      l.router = allocW(std::uint64_t{spec_.moe.experts} * h * wb);
      l.expGate = allocW(l.expertStride * localExperts());
      l.expUp = allocW(l.expertStride * localExperts());
      l.expDown = allocW(l.expertStride * localExperts());
    }
    l.wBytes = weightCursor() - l.wBase;
  }
  finalNorm_ = lastStage() ? allocW(h * wb) : 0;
  lmHead_ = !lastStage() ? 0 : tied ? embed_ : allocW(std::uint64_t{spec_.vocab} * h * wb);
  placement_.weightBytes = cursor - LLMVP_HBM_BASE + (hbfCursor - LLMVP_HBF_BASE);
  placement_.hbfWeightBytes = hbfCursor - LLMVP_HBF_BASE;

  // MLA caches one latent row [kv_lora + rope] per position (K cache only).
  const bool mla = spec_.mla.enabled;
  const std::uint64_t kvRowElems = mla ? std::uint64_t{spec_.mla.kvLoraRank} + spec_.mla.qkRopeDim : kvDim_;
  const std::uint64_t kvRow = kvRowElems * models::dtypeBytes(spec_.kvDtype);
  // Shared precomputed KV prefix: read-only, in HBF, one copy for all requests.
  // (chip.hbf.placement.kv_prefix hbm: the same single copy in HBM, the
  // HBM-only baseline of the shared-context experiment.)
  if (hasHbf && opt_.hbf.kvPrefixTokens != 0) {
    const bool inHbm = opt_.hbf.prefixInHbm;
    const std::uint64_t prefixStart = inHbm ? cursor : hbfCursor;
    placement_.kvPrefixTokens = opt_.hbf.kvPrefixTokens;
    placement_.prefixInHbm = inHbm;
    for (auto& l : layers_) {
      const std::uint64_t bytes = std::uint64_t{opt_.hbf.kvPrefixTokens} * kvRow;
      l.prefixK = inHbm ? alloc(bytes) : allocHbf(bytes);
      l.prefixV = inHbm ? alloc(bytes) : allocHbf(bytes);
    }
    placement_.prefixBytes = (inHbm ? cursor : hbfCursor) - prefixStart;
    if (!inHbm) placement_.hbfPrefixBytes = placement_.prefixBytes;
  }

  const std::uint64_t kvStart = cursor, kvHbfStart = hbfCursor;
  auto allocKv = [&](std::uint64_t bytes) { return kvHbf ? allocHbf(bytes) : alloc(bytes); };
  kvRequestStride_ = alignUp(std::uint64_t{placement_.maxContext} * kvRow, 64);
  std::uint64_t perLayer = kvRequestStride_ * opt_.batch; // one of K, V
  std::uint64_t largestRequest = kvRequestStride_;        // bytes of one of K, V for one layer
  if (opt_.kvBlockTokens != 0) perLayer = placePagedKv(kvRow, largestRequest);
  for (auto& l : layers_) {
    l.kCache = allocKv(perLayer);
    l.vCache = mla ? 0 : allocKv(perLayer);
  }
  placement_.kvBytes = cursor - kvStart + (hbfCursor - kvHbfStart);
  placement_.hbfKvBytes = hbfCursor - kvHbfStart;

  const std::uint64_t otherStart = cursor;
  placement_.tokenStride = placement_.kvPrefixTokens + placement_.maxContext + 1;
  const std::uint64_t tokenRows = serving() ? opt_.serve.size() : opt_.batch; // serving: one row per request
  placement_.tokens = alloc(tokenRows * placement_.tokenStride * 4);
  if (serving()) serveTable_ = alloc(opt_.serve.size() * sizeof(llmvp_serve_request));
  if (opt_.captureLogits)
    placement_.logits = alloc(std::uint64_t{opt_.batch} * spec_.vocab * models::dtypeBytes(spec_.actDtype));
  if (wHbf && opt_.hbf.prefetchDepth != 0) {
    // Prefetch staging: depth slots, each as large as the largest layer.
    for (const auto& l : layers_) stagingSlot_ = std::max(stagingSlot_, alignUp(l.wBytes, align));
    placement_.prefetchDepth = opt_.hbf.prefetchDepth;
    placement_.stagingBytes = stagingSlot_ * opt_.hbf.prefetchDepth;
    stagingBase_ = alloc(placement_.stagingBytes);
  }
  placement_.otherBytes = cursor - otherStart;
  placement_.hbmCapacity =
      chip_.params().stackedMemory ? chip_.params().stacked.capacityBytes : chip_.params().hbm.capacityBytes;
  placement_.hbfCapacity = hasHbf ? chip_.params().hbf.capacityBytes() : 0;

  if (hbfCursor - LLMVP_HBF_BASE > placement_.hbfCapacity) {
    std::ostringstream m;
    m << "model does not fit in HBF: weights " << gb(placement_.hbfWeightBytes) << " + KV prefix "
      << gb(placement_.hbfPrefixBytes) << " + KV cache " << gb(placement_.hbfKvBytes) << " = "
      << gb(hbfCursor - LLMVP_HBF_BASE) << " > capacity " << gb(placement_.hbfCapacity)
      << " (chip.hbf: " << chip_.params().hbf.stacks << " stacks)";
    throw ConfigError(m.str());
  }
  const std::uint64_t used = cursor - LLMVP_HBM_BASE;
  if (used > placement_.hbmCapacity) {
    const std::uint64_t hbmWeights = wHbf ? 0 : placement_.weightBytes;
    const std::uint64_t hbmKv = kvHbf ? 0 : placement_.kvBytes;
    const std::uint64_t perRequest = largestRequest * (mla ? 1 : 2) * spec_.layers;
    const std::uint64_t hbmPrefix = placement_.prefixInHbm ? placement_.prefixBytes : 0;
    const std::uint64_t fixed = hbmWeights + hbmPrefix + placement_.otherBytes;
    const std::uint64_t spare = placement_.hbmCapacity > fixed ? placement_.hbmCapacity - fixed : 0;
    std::ostringstream m;
    m << "model does not fit in HBM: weights " << gb(hbmWeights);
    if (hbmPrefix != 0) m << " + shared KV prefix " << gb(hbmPrefix) << " (chip.hbf.placement.kv_prefix hbm)";
    m << " + KV cache " << gb(hbmKv) << " (batch " << opt_.batch << " x " << placement_.maxContext << " positions x "
      << spec_.layers << " layers" << (opt_.kvBlockTokens ? ", paged" : "") << ") + buffers "
      << gb(placement_.otherBytes) << " = " << gb(used) << " > capacity " << gb(placement_.hbmCapacity)
      << (chip_.params().stackedMemory ? " (chip.stacked: " : " (chip.hbm: ")
      << (chip_.params().stackedMemory ? chip_.params().stacked.stacks : chip_.params().hbm.stacks)
      << " stacks); the largest batch at this context is " << (kvHbf ? 0 : spare / perRequest)
      << (opt_.kvBlockTokens ? " (requests as long as the longest)" : "");
    if (hasHbf && !kvHbf)
      m << ". The KV cache is not placed in HBF unless asked, because of flash's low write endurance: set "
           "chip.hbf.placement.kv_cache=hbf to place it there (the report then shows wear per token and "
           "projected device lifetime)";
    if (placement_.stagingBytes != 0)
      m << "; the weight prefetch staging takes " << gb(placement_.stagingBytes) << " (chip.hbf.prefetch.depth "
        << placement_.prefetchDepth << ")";
    throw ConfigError(m.str());
  }
}

template <typename Alloc>
void HostRuntime::placeMla(LayerAddr& l, Alloc&& alloc) {
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

std::uint64_t HostRuntime::placePagedKv(std::uint64_t kvRow, std::uint64_t& largestRequest) {
  // Paged: request r holds ceil(positions_r / B) blocks, drawn from a
  // seeded shuffle of the pool (a real allocator's blocks are scattered).
  const std::uint32_t bt = opt_.kvBlockTokens;
  blockTableStride_ = (placement_.maxContext + bt - 1) / bt;
  std::vector<std::uint32_t> need(opt_.batch);
  std::uint64_t total = 0;
  for (std::uint32_t r = 0; r < opt_.batch; ++r) {
    // Timing-only: the cached positions, or the prompt when prefilled, then the steps.
    const std::uint64_t first = opt_.prefillChunk != 0 ? promptLen_[r] : cachedLen_[r];
    const std::uint64_t positions = opt_.functional || serving() ? placement_.maxContext : first + steps_;
    need[r] = static_cast<std::uint32_t>((positions + bt - 1) / bt);
    total += need[r];
  }
  std::vector<std::uint32_t> ids(total);
  std::iota(ids.begin(), ids.end(), 0u);
  std::mt19937_64 rng(opt_.seed ^ 0x6b76u); // "kv"
  std::shuffle(ids.begin(), ids.end(), rng);
  blockTable_.assign(std::size_t{opt_.batch} * blockTableStride_, 0);
  std::size_t next = 0;
  for (std::uint32_t r = 0; r < opt_.batch; ++r)
    for (std::uint32_t j = 0; j < need[r]; ++j) blockTable_[std::size_t{r} * blockTableStride_ + j] = ids[next++];
  largestRequest = std::uint64_t{*std::max_element(need.begin(), need.end())} * bt * kvRow;
  return alignUp(total * bt * kvRow, 64);
}

void HostRuntime::placeMlaWith(LayerAddr& l, const std::function<std::uint64_t(std::uint64_t)>& alloc) {
  placeMla(l, alloc);
}

void HostRuntime::loadMla(const LayerAddr& addr, const LayerWeights& lw) {
  const MlaSpec& a = spec_.mla;
  const models::DType t = spec_.weightDtype;
  const std::size_t h = spec_.hidden, heads = spec_.heads, N = a.qkNopeDim, R = a.qkRopeDim, V = a.vHeadDim,
                    L = a.kvLoraRank;
  const std::size_t qIn = a.qLoraRank != 0 ? a.qLoraRank : h;
  if (a.qLoraRank != 0) {
    writeTensor(addr.mlaQA, lw.qA, t);
    writeTensor(addr.mlaQANorm, lw.qANorm, t);
  }
  const std::vector<float>& qb = a.qLoraRank != 0 ? lw.qB : lw.wq;
  std::vector<float> nope, rope;
  for (std::size_t hd = 0; hd < heads; ++hd) {
    const auto head = qb.begin() + static_cast<std::ptrdiff_t>(hd * (N + R) * qIn);
    nope.insert(nope.end(), head, head + static_cast<std::ptrdiff_t>(N * qIn));
    rope.insert(rope.end(), head + static_cast<std::ptrdiff_t>(N * qIn),
                head + static_cast<std::ptrdiff_t>((N + R) * qIn));
  }
  writeTensor(addr.mlaQNope, nope, t);
  writeTensor(addr.mlaQRope, rope, t);
  writeTensor(addr.mlaKvA, std::vector<float>(lw.kvA.begin(), lw.kvA.begin() + static_cast<std::ptrdiff_t>(L * h)), t);
  writeTensor(addr.mlaKRope, std::vector<float>(lw.kvA.begin() + static_cast<std::ptrdiff_t>(L * h), lw.kvA.end()), t);
  writeTensor(addr.mlaKvNorm, lw.kvANorm, t);
  std::vector<float> uk(heads * L * N), uv(heads * V * L);
  for (std::size_t hd = 0; hd < heads; ++hd) {
    const float* w = lw.kvB.data() + hd * (N + V) * L; // [N + V][L] of this head
    for (std::size_t c = 0; c < L; ++c)
      for (std::size_t i = 0; i < N; ++i) uk[(hd * L + c) * N + i] = w[i * L + c];
    for (std::size_t v = 0; v < V; ++v)
      for (std::size_t c = 0; c < L; ++c) uv[(hd * V + v) * L + c] = w[(N + v) * L + c];
  }
  writeTensor(addr.mlaWUk, uk, t);
  writeTensor(addr.mlaWUv, uv, t);
  writeTensor(addr.wo, lw.wo, t);
}

void HostRuntime::writeTensor(std::uint64_t addr, const std::vector<float>& values, models::DType t) {
  std::vector<std::uint8_t> bytes(values.size() * models::dtypeBytes(t));
  for (std::size_t i = 0; i < values.size(); ++i) models::storeElement(bytes.data(), t, i, values[i]);
  if (!chip_.debugWrite(addr, bytes.data(), bytes.size()))
    throw std::logic_error("host: tensor write outside device memory");
}

void HostRuntime::writeLinear(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k) {
  if (const auto sharded = pnmSharded_.find(addr); sharded != pnmSharded_.end()) { // near-memory engines
    writeSharded(addr, values, n, k, true, sharded->second);
    return;
  }
  if (spec_.quant == WeightQuant::None) {
    writeTensor(addr, std::vector<float>(values, values + n * k), spec_.weightDtype);
    return;
  }
  const std::vector<std::uint8_t> bytes = encodeQuantized(values, n, k, spec_.quantGroup, spec_.quant);
  if (!chip_.debugWrite(addr, bytes.data(), bytes.size()))
    throw std::logic_error("host: tensor write outside device memory");
}

void HostRuntime::load(const Weights* w) {
  const models::DType t = spec_.weightDtype;
  if (w != nullptr) {
    if (embed_ != 0) writeTensor(embed_, w->embed, t);
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      const LayerWeights& lw = w->layers[layer0_ + i];
      const LayerAddr& a = layers_[i];
      writeTensor(a.attnNorm, lw.attnNorm, t);
      const std::uint64_t h = spec_.hidden;
      if (spec_.mla.enabled) {
        loadMla(a, lw);
      } else {
        // Tensor parallel: q/k/v and gate/up by rows, o and down by columns
        // (one chip: the whole matrices).
        writeLinear(a.wq, rows(lw.wq, qFirst_, h), qDim_, h);
        writeLinear(a.wk, rows(lw.wk, kvFirst_, h), kvDim_, h);
        writeLinear(a.wv, rows(lw.wv, kvFirst_, h), kvDim_, h);
        writeLinear(a.wo, cols(lw.wo, h, spec_.qDim(), qFirst_, qDim_, attnReplica_).data(), h, qDim_);
      }
      writeTensor(a.ffnNorm, lw.ffnNorm, t);
      if (a.wGate != 0) {
        const std::uint64_t ffn = lw.wGate.size() / h / tpRanks(), first = tpRank() * ffn;
        writeLinear(a.wGate, rows(lw.wGate, first, h), ffn, h);
        writeLinear(a.wUp, rows(lw.wUp, first, h), ffn, h);
        writeLinear(a.wDown, cols(lw.wDown, h, ffn * tpRanks(), first, ffn, false).data(), h, ffn);
      }
      if (spec_.qkvBias) {
        auto part = [&](const std::vector<float>& v, std::uint64_t first, std::uint64_t n) {
          return std::vector<float>(v.begin() + static_cast<std::ptrdiff_t>(first),
                                    v.begin() + static_cast<std::ptrdiff_t>(first + n));
        };
        writeTensor(a.bq, part(lw.bq, qFirst_, qDim_), t);
        writeTensor(a.bk, part(lw.bk, kvFirst_, kvDim_), t);
        writeTensor(a.bv, part(lw.bv, kvFirst_, kvDim_), t);
      }
      if (a.router != 0) {
        writeTensor(a.router, lw.router, t);
        // Expert parallel: this chip's window of experts at local index 0...
        const std::uint64_t f = spec_.moe.expertFfn, per = f * h, first = std::uint64_t{shard_.rank} * localExperts();
        for (std::uint32_t e = 0; e < localExperts(); ++e) {
          writeLinear(a.expGate + e * a.expertStride, lw.expGate.data() + (first + e) * per, f, h);
          writeLinear(a.expUp + e * a.expertStride, lw.expUp.data() + (first + e) * per, f, h);
          writeLinear(a.expDown + e * a.expertStride, lw.expDown.data() + (first + e) * per, h, f);
        }
      }
    }
    if (finalNorm_ != 0) writeTensor(finalNorm_, w->finalNorm, t);
    if (lmHead_ == 0) {
      // not the last pipeline stage
    } else if (pnmSharded_.count(lmHead_) != 0)
      writeSharded(lmHead_, (spec_.tieEmbeddings ? w->embed : w->lmHead).data(), spec_.vocab, spec_.hidden, false);
    else if (!spec_.tieEmbeddings)
      writeTensor(lmHead_, w->lmHead, t);
  }
  // Control SRAM: manifest, layer table, request table, then the firmware's work area.
  const std::uint64_t manifestAddr = LLMVP_CTRL_SRAM_BASE;
  const std::uint64_t layerTable = alignUp(manifestAddr + sizeof(llmvp_manifest), 64);
  const std::uint64_t requestTable = alignUp(layerTable + sizeof(llmvp_layer_entry) * spec_.layers, 64);
  const std::uint64_t blockTable = alignUp(requestTable + sizeof(llmvp_request) * opt_.batch, 64);
  const std::uint64_t work = alignUp(blockTable + blockTable_.size() * 4, 64);
  const std::uint64_t sramBytes = chip_.params().ctrlSram.bytes;
  if (work >= sramBytes) throw ConfigError("chip.ctrl_sram.kib: too small for the manifest tables of this model");

  std::vector<llmvp_layer_entry> table(spec_.layers);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const LayerAddr& a = layers_[i];
    llmvp_layer_entry& e = table[i];
    std::memset(&e, 0, sizeof e);
    e.attn_norm = a.attnNorm;
    e.wq = a.wq;
    e.wk = a.wk;
    e.wv = a.wv;
    e.wo = a.wo;
    e.ffn_norm = a.ffnNorm;
    e.w_gate = a.wGate;
    e.w_up = a.wUp;
    e.w_down = a.wDown;
    e.k_cache = a.kCache;
    e.v_cache = a.vCache;
    e.bq = a.bq;
    e.bk = a.bk;
    e.bv = a.bv;
    e.router = a.router;
    e.exp_gate = a.expGate;
    e.exp_up = a.expUp;
    e.exp_down = a.expDown;
    e.expert_stride = a.expertStride;
    table[i].mla_q_a = a.mlaQA;
    table[i].mla_q_a_norm = a.mlaQANorm;
    table[i].mla_q_nope = a.mlaQNope;
    table[i].mla_q_rope = a.mlaQRope;
    table[i].mla_kv_a = a.mlaKvA;
    table[i].mla_k_rope = a.mlaKRope;
    table[i].mla_kv_norm = a.mlaKvNorm;
    table[i].mla_w_uk = a.mlaWUk;
    table[i].mla_w_uv = a.mlaWUv;
    table[i].w_base = a.wBase;
    table[i].w_bytes = a.wBytes;
    table[i].prefix_k = a.prefixK;
    table[i].prefix_v = a.prefixV;
  }
  std::vector<llmvp_request> reqs(opt_.batch);
  for (std::uint32_t r = 0; r < opt_.batch; ++r) reqs[r] = {promptLen_[r], cachedLen_[r], {0, 0}};
  // Serving: the host writes each prompt when its request arrives (HostServe.cpp).
  std::vector<std::uint32_t> tokens(serving() ? 0 : std::size_t{opt_.batch} * placement_.tokenStride, 0);
  for (std::uint32_t r = 0; r < opt_.batch && !serving(); ++r)
    std::copy(prompts_[r].begin(), prompts_[r].end(), tokens.begin() + std::size_t{r} * placement_.tokenStride);

  llmvp_manifest m;
  std::memset(&m, 0, sizeof m);
  m.magic = LLMVP_MANIFEST_MAGIC;
  m.version = LLMVP_MANIFEST_VERSION;
  m.layers = spec_.layers;
  m.hidden = spec_.hidden;
  m.heads = qDim_ / spec_.headDim;
  m.kv_heads = kvDim_ / spec_.headDim;
  m.head_dim = spec_.headDim;
  m.ffn = ffn_;
  m.tp_ranks = tpRanks();
  m.tp_rank = tpRank();
  m.pp_stages = shard_.stages;
  m.pp_stage = shard_.stage;
  m.vocab = spec_.vocab;
  m.rms_eps_bits = models::floatBits(spec_.rmsEps);
  m.rope_theta_bits = models::floatBits(spec_.ropeTheta);
  m.dt_w = static_cast<std::uint8_t>(spec_.weightDtype);
  m.dt_kv = static_cast<std::uint8_t>(spec_.kvDtype);
  m.dt_act = static_cast<std::uint8_t>(spec_.actDtype);
  m.batch = opt_.batch;
  m.max_context = placement_.maxContext;
  m.steps = steps_;
  m.token_stride = placement_.tokenStride;
  m.debug_flags = opt_.debugFlags;
  m.num_dma = static_cast<std::uint32_t>(chip_.dmaCount());
  m.num_tiles = static_cast<std::uint32_t>(chip_.tileCount());
  m.embed = embed_;
  m.final_norm = finalNorm_;
  m.lm_head = lmHead_;
  m.layer_table = layerTable;
  m.kv_request_stride = kvRequestStride_;
  m.requests = requestTable;
  m.tokens = placement_.tokens;
  m.work_base = work;
  m.work_bytes = sramBytes - work;
  m.spad_base = LLMVP_SPAD_BASE(0);
  m.spad_bytes = chip_.params().tile.scratchpad.bytes;
  m.logits = placement_.logits;
  m.attn_bias = spec_.qkvBias ? 1u : 0u;
  m.prefill_chunk = opt_.prefillChunk;
  if (opt_.kvBlockTokens != 0) {
    m.kv_block_tokens = opt_.kvBlockTokens;
    m.block_table_stride = blockTableStride_;
    m.block_table = blockTable;
  }
  if (spec_.quant != WeightQuant::None) {
    m.dt_linear = spec_.quant == WeightQuant::Int8 ? LLMVP_DT_INT8 : LLMVP_DT_INT4;
    m.w_group = spec_.quantGroup;
  }
  if (spec_.moe.enabled()) {
    m.experts = spec_.moe.experts;
    m.top_k = spec_.moe.topK;
    m.expert_ffn = spec_.moe.expertFfn;
    m.shared_ffn = spec_.moe.sharedFfn() / tpRanks();
    if (shard_.ranks > 1) {
      m.ep_ranks = shard_.ranks;
      m.ep_rank = shard_.rank;
      m.ep_dispatch = shard_.dataParallel ? 1u : 0u;
    }
    m.first_moe_layer = spec_.moe.denseLayers;
    m.router_scoring = spec_.moe.scoring == RouterScoring::Sigmoid ? LLMVP_ROUTER_SIGMOID : LLMVP_ROUTER_SOFTMAX;
    m.routed_scale_bits = models::floatBits(spec_.moe.routedScale);
  }

  if (spec_.mla.enabled) {
    m.mla_q_lora = spec_.mla.qLoraRank;
    m.mla_kv_lora = spec_.mla.kvLoraRank;
    m.mla_nope = spec_.mla.qkNopeDim;
    m.mla_rope = spec_.mla.qkRopeDim;
    m.mla_v = spec_.mla.vHeadDim;
  }
  m.pnm_units = pnmUnits_;
  m.pnm_stride = pnmStride_;
  m.pnm_ops = pnmOps_;
  // High Bandwidth Flash: weight prefetch by DMA 1, shared KV prefix.
  m.prefetch_depth = placement_.prefetchDepth;
  m.prefetch_dma = placement_.prefetchDepth != 0 ? 1u : 0u;
  m.staging_base = stagingBase_;
  m.staging_slot_bytes = stagingSlot_;
  m.kv_prefix_tokens = placement_.kvPrefixTokens;
  m.serve_requests = static_cast<std::uint32_t>(opt_.serve.size());
  m.serve_table = serveTable_;

  bool ok = chip_.debugWrite(manifestAddr, &m, sizeof m);
  ok = ok && chip_.debugWrite(layerTable, table.data(), table.size() * sizeof(llmvp_layer_entry));
  ok = ok && chip_.debugWrite(requestTable, reqs.data(), reqs.size() * sizeof(llmvp_request));
  if (!blockTable_.empty()) ok = ok && chip_.debugWrite(blockTable, blockTable_.data(), blockTable_.size() * 4);
  if (!tokens.empty()) ok = ok && chip_.debugWrite(placement_.tokens, tokens.data(), tokens.size() * 4);
  if (!ok) throw std::logic_error("host: manifest write outside device memory");
  chip_.mailbox().hostWrite(MBOX_MANIFEST_LO, static_cast<std::uint32_t>(manifestAddr));
  chip_.mailbox().hostWrite(MBOX_MANIFEST_HI, static_cast<std::uint32_t>(manifestAddr >> 32));
}

std::string HostRuntime::describeError() const {
  const auto& mb = chip_.mailbox();
  const std::uint32_t code = mb.reg(MBOX_ERR_CODE);
  std::ostringstream s;
  if (code == FW_ERR_ENGINE) {
    const std::uint32_t src = mb.reg(MBOX_ERR_SOURCE);
    const std::uint32_t info = mb.reg(MBOX_ERR_INFO);
    s << "device error: "
      << (src == ENG_ID_DMA    ? "DMA engine"
          : src == ENG_ID_TILE ? "compute tile"
          : src == ENG_ID_PNM  ? "PNM engine"
          : src == ENG_ID_PIM  ? "PIM engine"
          : src == ENG_ID_COLL ? "collectives engine"
                               : "engine")
      << " halted on descriptor #" << mb.reg(MBOX_ERR_INDEX) << ": " << engineErrorName(info >> 16) << " (field "
      << fieldName(info & 0xffff) << ")";
  } else if (code == FW_ERR_BAD_MANIFEST) {
    s << "firmware rejected the manifest (field code " << mb.reg(MBOX_ERR_INFO) << ")";
  } else if (code == FW_ERR_NO_SPACE) {
    const bool rings = mb.reg(MBOX_ERR_INFO) == FW_SPACE_RINGS;
    s << "firmware: " << (rings ? "control SRAM work region" : "scratchpad") << " too small for this model and batch ("
      << (rings ? "descriptor rings" : "activation buffers") << " need " << mb.reg(MBOX_ERR_INDEX)
      << " bytes): increase " << (rings ? "chip.ctrl_sram.kib" : "chip.tile.scratchpad.mib") << " or lower --batch"
      << (opt_.prefillChunk != 0 ? " or --prefill-chunk" : "");
  } else {
    s << "firmware error code 0x" << std::hex << code;
  }
  return s.str();
}

std::vector<float> HostRuntime::cols(const std::vector<float>& full, std::uint64_t n, std::uint64_t total,
                                     std::uint64_t first, std::uint64_t k, bool zero) {
  std::vector<float> out(n * k, 0.0f);
  if (zero) return out;
  for (std::uint64_t o = 0; o < n; ++o) std::copy_n(full.data() + o * total + first, k, out.data() + o * k);
  return out;
}

RunResult HostRuntime::run() { return runAll({this}).front(); }

std::vector<RunResult> HostRuntime::runAll(const std::vector<HostRuntime*>& hosts) {
  // Finish elaboration (socket bindings resolve at its end) so the host can
  // load memory through the address map; nothing advances time yet.
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  const HostRuntime& h0 = *hosts.front();
  Weights weights;
  if (h0.opt_.functional)
    weights = h0.model_.weightSource == WeightSource::Safetensors
                  ? loadSafetensors(h0.model_.safetensorsPath, h0.model_)
                  : makeRandomWeights(h0.model_, h0.opt_.seed);
  for (HostRuntime* h : hosts) h->start(h0.opt_.functional ? &weights : nullptr);
  const auto wall0 = std::chrono::steady_clock::now();
  sc_core::sc_start(sc_core::sc_time(h0.opt_.maxSimulatedMs, sc_core::SC_MS));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::vector<RunResult> out;
  for (HostRuntime* h : hosts) {
    h->finish(wall);
    out.push_back(std::move(h->result_));
  }
  return out;
}

void HostRuntime::start(const Weights* weights) {
  RunResult& r = result_;
  r.prompts = prompts_;
  load(weights);
  r.stepEnd.reserve(steps_);
  chip_.mailbox().onFirmwareWrite = [this](std::uint32_t reg, std::uint32_t value, models::Ps when) {
    if (reg == MBOX_STEP) {
      result_.stepEnd.push_back(when);
    } else if (reg == MBOX_PREFILLED) {
      result_.prefillEnd.push_back(when);
    } else if (reg == MBOX_SERVE_EVENT) {
      const std::uint32_t id = value & ~MBOX_EV_FINISHED;
      if (id < result_.served.size()) {
        ServeRecord& rec = result_.served[id];
        if ((value & MBOX_EV_FINISHED) != 0) {
          rec.finished = when;
          ++served_;
        } else {
          rec.firstToken = when;
        }
      }
    } else if (value == MBOX_ST_RUNNING) {
      result_.decodeStart = when;
      if (running_) running_->notify(sc_core::SC_ZERO_TIME);
    } else if (value == MBOX_ST_DONE) {
      done_ = true;
      result_.end = when;
    } else if (value == MBOX_ST_ERROR) {
      failed_ = true;
      result_.end = when;
    }
  };
  // Steps before the one at position promptLen - 1 only consume the prompt
  // (none after a prefill, which yields the first token itself).
  r.firstGeneratingStep = opt_.prefillChunk != 0 || serving() ? 0 : promptLen_[0] - 1 - cachedLen_[0];
  r.prefillRowwise = opt_.kvBlockTokens != 0 || spec_.mla.enabled || chip_.pnmCount() != 0;
  if (serving()) startServe();

  chip_.cpu().releaseReset();
}

void HostRuntime::finish(double wallSeconds) {
  RunResult& r = result_;
  r.wallSeconds = wallSeconds;
  if (r.end == 0) r.end = models::nowPs();

  if (failed_) {
    r.error = describeError();
  } else if (!done_) {
    std::ostringstream s;
    if (!chip_.cpu().fault().empty()) s << "firmware fault: " << chip_.cpu().fault() << "; ";
    if (sc_core::sc_pending_activity())
      s << "firmware did not finish within sim.max_simulated_ms = " << opt_.maxSimulatedMs;
    else
      s << "simulation stalled: firmware is waiting for an event that can never happen (after " << r.stepEnd.size()
        << " of " << steps_ << " steps)";
    r.error = s.str();
  } else if (serving() && (chip_.cpu().exitCode() != 0 || served_ != opt_.serve.size())) {
    r.error = "firmware reported done after serving " + std::to_string(served_) + " of " +
              std::to_string(opt_.serve.size()) + " requests (exit code " + std::to_string(chip_.cpu().exitCode()) +
              ")";
  } else if (!serving() && (chip_.cpu().exitCode() != 0 || r.stepEnd.size() != steps_ ||
                            (opt_.prefillChunk != 0 && r.prefillEnd.size() != opt_.batch))) {
    r.error = "firmware reported done after " + std::to_string(r.stepEnd.size()) + " of " + std::to_string(steps_) +
              " steps (exit code " + std::to_string(chip_.cpu().exitCode()) + ")";
  }
  r.ok = r.error.empty();
  if (serving()) { // request i generated tokens[i * stride + prompt ..][gen]
    std::vector<std::uint32_t> tokens(opt_.serve.size() * std::size_t{placement_.tokenStride});
    (void)chip_.debugRead(placement_.tokens, tokens.data(), tokens.size() * 4);
    r.generated.assign(opt_.serve.size(), {});
    for (std::size_t i = 0; i < opt_.serve.size(); ++i) {
      if (r.served[i].finished == 0) continue;
      const auto at = tokens.begin() + static_cast<std::ptrdiff_t>(i * placement_.tokenStride + opt_.serve[i].prompt);
      r.generated[i].assign(at, at + opt_.serve[i].gen);
    }
    return;
  }

  // Generated tokens (and logits) as the firmware left them.
  std::vector<std::uint32_t> tokens(std::size_t{opt_.batch} * placement_.tokenStride);
  (void)chip_.debugRead(placement_.tokens, tokens.data(), tokens.size() * 4);
  r.generated.assign(opt_.batch, {});
  const std::uint32_t produced = static_cast<std::uint32_t>(r.stepEnd.size());
  for (std::uint32_t q = 0; q < opt_.batch; ++q) {
    const std::size_t row = std::size_t{q} * placement_.tokenStride;
    if (opt_.prefillChunk != 0) { // the prefill's token at promptLen, then one per step
      if (r.prefillEnd.size() > q) r.generated[q].push_back(tokens[row + promptLen_[q]]);
      for (std::uint32_t s = 0; s < produced; ++s) r.generated[q].push_back(tokens[row + promptLen_[q] + s + 1]);
      continue;
    }
    for (std::uint32_t s = r.firstGeneratingStep; s < produced; ++s)
      r.generated[q].push_back(tokens[row + cachedLen_[q] + s + 1]);
  }
  if (opt_.captureLogits && placement_.logits != 0) {
    const std::size_t n = std::size_t{spec_.vocab};
    std::vector<std::uint8_t> raw(opt_.batch * n * models::dtypeBytes(spec_.actDtype));
    (void)chip_.debugRead(placement_.logits, raw.data(), raw.size());
    r.lastLogits.assign(opt_.batch, std::vector<float>(n));
    for (std::uint32_t q = 0; q < opt_.batch; ++q)
      for (std::size_t j = 0; j < n; ++j)
        r.lastLogits[q][j] = models::loadElement(raw.data(), spec_.actDtype, q * n + j);
  }
}

} // namespace llmvp::testbench
