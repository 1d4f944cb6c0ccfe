// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Architecture of a Llama-family decoder, as the host runtime and the golden
/// reference see it. Loaded from configs/models/*.yaml (config/Loaders.h) or
/// from a Hugging Face config.json (workload/Weights).
///
/// Variants beyond dense Llama: q/k/v projection biases (Qwen2), mixture of
/// experts (Mixtral, DeepSeek-V3: MoeSpec) and multi-head latent attention
/// (DeepSeek-V3: MlaSpec, run in absorbed form).

#include <cstdint>
#include <string>

#include "models/common/Numerics.h"

namespace llmvp::testbench {

enum class WeightSource : std::uint8_t {
  Random,      ///< seeded RNG (functional tests, timing-only runs need no data)
  Safetensors, ///< a Hugging Face checkpoint: config.json + model.safetensors
};

/// How the router's selected scores become combine weights (descriptors.h
/// LLMVP_OP_TOPK arg0).
enum class RouterScoring : std::uint8_t {
  Softmax, ///< softmax over the selected logits (Mixtral: softmax, top-k, renormalise)
  Sigmoid, ///< sigmoid of the selected logits, normalised to sum 1 (DeepSeek-V3)
};

/// Expert choice in timing-only runs, where no router logits exist.
enum class RoutingDistribution : std::uint8_t {
  Uniform, ///< every expert equally likely
  Zipf,    ///< expert of rank i (0-based) drawn with weight 1 / (i + 1)^s
  Trace,   ///< a recorded routing trace file (one line per token and MoE layer)
};

struct MoeSpec {
  std::uint32_t experts = 0;       ///< routed experts per MoE layer; 0: dense model
  std::uint32_t topK = 0;          ///< experts chosen per token
  std::uint32_t expertFfn = 0;     ///< intermediate size of one expert (and of a shared expert)
  std::uint32_t sharedExperts = 0; ///< always-active experts per MoE layer
  std::uint32_t denseLayers = 0;   ///< the first denseLayers layers use a dense FFN of width ModelSpec::ffn
  RouterScoring scoring = RouterScoring::Softmax;
  float routedScale = 1.0f; ///< combine weights are multiplied by it (DeepSeek-V3: 2.5)
  RoutingDistribution distribution = RoutingDistribution::Uniform;
  double zipfExponent = 1.0;
  std::string traceFile; ///< with RoutingDistribution::Trace

  [[nodiscard]] bool enabled() const { return experts > 0; }
  [[nodiscard]] std::uint32_t sharedFfn() const { return sharedExperts * expertFfn; }
};

/// Group quantisation of the linear projections (weight-only, like GPTQ/AWQ
/// W8A16 / W4A16): symmetric integers with one bf16 scale per `group`
/// consecutive input features. Embeddings, LM head, norms, router and
/// biases stay in ModelSpec::weightDtype (bf16).
enum class WeightQuant : std::uint8_t { None, Int8, Int4 };

/// Largest integer magnitude of a quantised weight (symmetric range).
[[nodiscard]] constexpr int quantMax(WeightQuant q) { return q == WeightQuant::Int8 ? 127 : 7; }

struct MlaSpec {
  bool enabled = false;
  std::uint32_t qLoraRank = 0;  ///< 0: queries projected directly from the hidden state
  std::uint32_t kvLoraRank = 0; ///< latent KV width (what the cache holds, plus the rope key)
  std::uint32_t qkNopeDim = 0;  ///< per-head query/key dims without RoPE
  std::uint32_t qkRopeDim = 0;  ///< per-head (query) / shared (key) RoPE dims
  std::uint32_t vHeadDim = 0;   ///< per-head value dims
};

struct ModelSpec {
  std::string name;
  std::uint32_t layers = 0;
  std::uint32_t hidden = 0;
  std::uint32_t heads = 0;
  std::uint32_t kvHeads = 0;
  std::uint32_t headDim = 0;
  std::uint32_t ffn = 0; ///< dense FFN width (dense models, and the dense layers of an MoE model)
  std::uint32_t vocab = 0;
  float rmsEps = 1e-5f;
  float ropeTheta = 10000.0f;
  bool tieEmbeddings = false;
  bool qkvBias = false; ///< q, k and v projections carry a bias (Qwen2)
  MoeSpec moe;
  MlaSpec mla;
  WeightQuant quant = WeightQuant::None; ///< linear projections (see WeightQuant)
  std::uint32_t quantGroup = 0;          ///< input features per scale with quant != None
  models::DType weightDtype = models::DType::Bf16;
  models::DType kvDtype = models::DType::Bf16;
  models::DType actDtype = models::DType::Bf16;
  WeightSource weightSource = WeightSource::Random;
  std::string safetensorsPath; ///< with WeightSource::Safetensors
  float initStd = 0.02f;       ///< std-dev of random weights (Llama init_range)

  [[nodiscard]] std::uint32_t qDim() const { return heads * headDim; }
  [[nodiscard]] std::uint32_t kvDim() const { return kvHeads * headDim; }
  /// True if layer `l` has a routed-expert FFN.
  [[nodiscard]] bool isMoeLayer(std::uint32_t l) const { return moe.enabled() && l >= moe.denseLayers; }
  [[nodiscard]] std::uint32_t moeLayers() const { return moe.enabled() ? layers - moe.denseLayers : 0; }

  /// Attention parameters of one layer (projections, biases, MLA norms).
  [[nodiscard]] std::uint64_t attentionParams() const {
    const std::uint64_t h = hidden;
    if (mla.enabled) {
      const std::uint64_t qk = std::uint64_t{heads} * (mla.qkNopeDim + mla.qkRopeDim);
      const std::uint64_t q =
          mla.qLoraRank == 0 ? h * qk : h * mla.qLoraRank + mla.qLoraRank + std::uint64_t{mla.qLoraRank} * qk;
      const std::uint64_t kvA = h * (mla.kvLoraRank + mla.qkRopeDim) + mla.kvLoraRank;
      const std::uint64_t kvB = std::uint64_t{mla.kvLoraRank} * heads * (mla.qkNopeDim + mla.vHeadDim);
      const std::uint64_t o = std::uint64_t{heads} * mla.vHeadDim * h;
      return q + kvA + kvB + o;
    }
    const std::uint64_t bias = qkvBias ? std::uint64_t{qDim()} + 2ull * kvDim() : 0;
    return h * qDim() + 2 * h * kvDim() + std::uint64_t{qDim()} * h + bias;
  }
  /// Parameters of one routed (or shared) expert: gate, up and down.
  [[nodiscard]] std::uint64_t expertParams() const { return 3ull * hidden * moe.expertFfn; }
  /// FFN parameters of layer l: all of them (activeOnly false) or those one
  /// token uses (router, top-k routed and the shared experts).
  [[nodiscard]] std::uint64_t ffnParams(std::uint32_t l, bool activeOnly) const {
    if (!isMoeLayer(l)) return 3ull * hidden * ffn;
    const std::uint64_t router = std::uint64_t{moe.experts} * hidden;
    const std::uint64_t routed = activeOnly ? moe.topK : moe.experts;
    return router + (routed + moe.sharedExperts) * expertParams();
  }
  /// Parameters of layer l (norms included).
  [[nodiscard]] std::uint64_t layerParams(std::uint32_t l = 0, bool activeOnly = false) const {
    return attentionParams() + ffnParams(l, activeOnly) + 2ull * hidden;
  }
  /// All parameters, counting a tied LM head once.
  [[nodiscard]] std::uint64_t totalParams() const {
    const std::uint64_t emb = std::uint64_t{vocab} * hidden;
    std::uint64_t p = emb + (tieEmbeddings ? 0 : emb) + hidden;
    for (std::uint32_t l = 0; l < layers; ++l) p += layerParams(l);
    return p;
  }
  /// Parameters a decode token reads: every layer's attention and norms, the
  /// active experts, the LM head; not the embedding table, of which a token
  /// reads one row.
  [[nodiscard]] std::uint64_t activeParams() const {
    std::uint64_t p = std::uint64_t{vocab} * hidden + hidden;
    for (std::uint32_t l = 0; l < layers; ++l) p += layerParams(l, true);
    return p;
  }
};

} // namespace llmvp::testbench
