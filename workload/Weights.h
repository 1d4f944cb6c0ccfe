// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Host-side model weights in fp32: seeded random initialisation, Hugging Face
/// Llama checkpoints (config.json + a single model.safetensors file) and a
/// writer for the same format, so tests can build checkpoints on the fly.
///
/// Layout contract (what every consumer may rely on): tensors are dense and
/// row-major in the Hugging Face `nn.Linear` layout [out_features][in_features]:
///   - wq [heads*headDim][hidden], wk and wv [kvHeads*headDim][hidden],
///     wo [hidden][heads*headDim]
///   - wGate and wUp [ffn][hidden], wDown [hidden][ffn]
///   - embed and lmHead [vocab][hidden]; norms [hidden]
/// Every value is exactly representable in spec.weightDtype (it went through
/// models::roundTo), and with spec.tieEmbeddings lmHead == embed.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "workload/ModelSpec.h"

namespace llmvp::testbench {

/// A bad model description or checkpoint (user error, not a simulator bug).
/// The message names the file, the key or tensor, and what was expected.
class ModelError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Weights of one decoder layer (see the layout contract above).
struct LayerWeights {
  std::vector<float> attnNorm; ///< [hidden]
  std::vector<float> wq;       ///< [heads*headDim][hidden]
  std::vector<float> wk;       ///< [kvHeads*headDim][hidden]
  std::vector<float> wv;       ///< [kvHeads*headDim][hidden]
  std::vector<float> wo;       ///< [hidden][heads*headDim]
  std::vector<float> ffnNorm;  ///< [hidden]
  std::vector<float> wGate;    ///< [ffn][hidden]
  std::vector<float> wUp;      ///< [ffn][hidden]
  std::vector<float> wDown;    ///< [hidden][ffn]
  // With spec.qkvBias: projection biases.
  std::vector<float> bq; ///< [heads*headDim]
  std::vector<float> bk; ///< [kvHeads*headDim]
  std::vector<float> bv; ///< [kvHeads*headDim]
  // MoE layers (spec.isMoeLayer): wGate/wUp/wDown hold the shared experts
  // (ffn = spec.moe.sharedFfn(), empty without shared experts) and:
  std::vector<float> router;  ///< [experts][hidden]
  std::vector<float> expGate; ///< [experts][expertFfn][hidden]
  std::vector<float> expUp;   ///< [experts][expertFfn][hidden]
  std::vector<float> expDown; ///< [experts][hidden][expertFfn]
  // Multi-head latent attention (spec.mla.enabled; Hugging Face DeepSeek-V3
  // layout): wq/wk/wv are then unused, except wq = q_proj
  // [heads*(nope+rope)][hidden] when mla.qLoraRank == 0; wo is [hidden][heads*v].
  std::vector<float> qA;      ///< q_a_proj [qLora][hidden]
  std::vector<float> qANorm;  ///< q_a_layernorm [qLora]
  std::vector<float> qB;      ///< q_b_proj [heads*(nope+rope)][qLora]
  std::vector<float> kvA;     ///< kv_a_proj_with_mqa [kvLora+rope][hidden]
  std::vector<float> kvANorm; ///< kv_a_layernorm [kvLora]
  std::vector<float> kvB;     ///< kv_b_proj [heads*(nope+v)][kvLora]
};

/// All weights of a Llama-family decoder (see the layout contract above).
struct Weights {
  std::vector<float> embed;     ///< [vocab][hidden]
  std::vector<float> finalNorm; ///< [hidden]
  std::vector<float> lmHead;    ///< [vocab][hidden]; equals embed when tied
  std::vector<LayerWeights> layers;
};

/// Checks that the architecture is usable: all sizes positive, heads a
/// multiple of kvHeads, headDim even (RoPE pairs), eps and theta positive.
/// Throws ModelError naming `source` (a file name or "model spec") and the field.
void validateSpec(const ModelSpec& spec, const std::string& source = "model spec");

/// Checks that every tensor of `w` has the size the layout contract demands
/// for `spec` (and lmHead == embed when tied). Throws ModelError naming the tensor.
void validateWeights(const ModelSpec& spec, const Weights& w);

/// Deterministic random weights for `spec` (validated first).
///
/// Each tensor is drawn from its own std::mt19937_64 stream whose seed is
/// derived from (`seed`, Hugging Face tensor name), with a Box-Muller normal
/// of our own, so results are identical on every standard library, different
/// seeds give different weights, and adding layers leaves earlier tensors
/// unchanged. Linear weights and the embedding are N(0, spec.initStd), norm
/// weights 1 + N(0, 0.1); all rounded to spec.weightDtype. When
/// spec.tieEmbeddings, lmHead is a copy of embed.
[[nodiscard]] Weights makeRandomWeights(const ModelSpec& spec, std::uint64_t seed);

/// Reads a Hugging Face Llama config.json.
///
/// Required keys: hidden_size, intermediate_size, num_attention_heads,
/// num_hidden_layers, vocab_size, rms_norm_eps, model_type (must be "llama").
/// Optional: num_key_value_heads (default heads), rope_theta (10000),
/// tie_word_embeddings (false), head_dim (hidden/heads), torch_dtype
/// ("float32" -> fp32 weights, "bfloat16" or "float16" -> bf16 weights),
/// hidden_act (must be "silu"), attention_bias / mlp_bias (must be false),
/// rope_scaling (must be null). Other keys are ignored (HF configs carry many
/// that do not affect the decoder's arithmetic).
///
/// The result has weightSource = Safetensors, safetensorsPath =
/// "<config dir>/model.safetensors", name = the config's directory name, and
/// the default kv/act dtypes and initStd. Throws ModelError, e.g.
/// `config.json: num_attention_heads: expected a positive integer, got "abc"`.
[[nodiscard]] ModelSpec specFromHfConfig(const std::string& configJsonPath);

/// Writes a Hugging Face style config.json describing `spec` (readable by
/// specFromHfConfig: the architecture fields round-trip exactly). torch_dtype
/// is "float32" when spec.weightDtype is fp32, else "bfloat16".
void writeHfConfig(const std::string& path, const ModelSpec& spec);

/// Loads a single-file safetensors checkpoint with Hugging Face Llama tensor
/// names (model.embed_tokens.weight, model.layers.{i}.input_layernorm.weight,
/// model.layers.{i}.self_attn.{q,k,v,o}_proj.weight,
/// model.layers.{i}.post_attention_layernorm.weight,
/// model.layers.{i}.mlp.{gate,up,down}_proj.weight, model.norm.weight,
/// lm_head.weight; the last may be absent when spec.tieEmbeddings, and is
/// ignored then). Dtypes F32, F16 and BF16 are accepted; values are rounded
/// to spec.weightDtype. Tensors not listed above are ignored, except layers
/// beyond spec.layers, which are an error.
///
/// Throws ModelError naming the file and tensor for: unreadable or truncated
/// file, header too large (> 100 MB) or not JSON, missing tensor, wrong shape,
/// unsupported dtype, data_offsets out of range or inconsistent with the shape.
[[nodiscard]] Weights loadSafetensors(const std::string& path, const ModelSpec& spec);

/// Writes `w` as a safetensors file with Hugging Face tensor names: F32 when
/// spec.weightDtype is fp32, else BF16 (exact for bf16 and fp8 values).
/// lm_head.weight is omitted when spec.tieEmbeddings. Validates shapes first.
void writeSafetensors(const std::string& path, const ModelSpec& spec, const Weights& w);

} // namespace llmvp::testbench
