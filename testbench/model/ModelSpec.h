// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Architecture of a Llama-family decoder, as the host runtime and the golden
/// reference see it. Loaded from configs/models/*.yaml (testbench/Config) or
/// from a Hugging Face config.json (testbench/model/Weights).

#include <cstdint>
#include <string>

#include "models/common/Numerics.h"

namespace llmvp::testbench {

enum class WeightSource : std::uint8_t {
  Random,      ///< seeded RNG (functional tests, timing-only runs need no data)
  Safetensors, ///< a Hugging Face checkpoint: config.json + model.safetensors
};

struct ModelSpec {
  std::string name;
  std::uint32_t layers = 0;
  std::uint32_t hidden = 0;
  std::uint32_t heads = 0;
  std::uint32_t kvHeads = 0;
  std::uint32_t headDim = 0;
  std::uint32_t ffn = 0;
  std::uint32_t vocab = 0;
  float rmsEps = 1e-5f;
  float ropeTheta = 10000.0f;
  bool tieEmbeddings = false;
  models::DType weightDtype = models::DType::Bf16;
  models::DType kvDtype = models::DType::Bf16;
  models::DType actDtype = models::DType::Bf16;
  WeightSource weightSource = WeightSource::Random;
  std::string safetensorsPath; ///< with WeightSource::Safetensors
  float initStd = 0.02f;       ///< std-dev of random weights (Llama init_range)

  [[nodiscard]] std::uint32_t qDim() const { return heads * headDim; }
  [[nodiscard]] std::uint32_t kvDim() const { return kvHeads * headDim; }
  /// Parameters of one decoder layer (norms included).
  [[nodiscard]] std::uint64_t layerParams() const {
    const std::uint64_t h = hidden;
    return h * qDim() + 2 * h * kvDim() + std::uint64_t{qDim()} * h + 3 * h * ffn + 2 * h;
  }
  /// All parameters, counting a tied LM head once.
  [[nodiscard]] std::uint64_t totalParams() const {
    const std::uint64_t emb = std::uint64_t{vocab} * hidden;
    return layers * layerParams() + emb + (tieEmbeddings ? 0 : emb) + hidden;
  }
};

} // namespace llmvp::testbench
