// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Group quantisation of linear weights (ModelSpec::quant): the host side of
/// the LLMVP_DT_INT8 / LLMVP_DT_INT4 formats of descriptors.h.
///
/// A group of `group` consecutive values of a row gets the bf16 scale
/// s = bf16(max|v| / qmax) and integers q = clamp(rint(v / s), -qmax, qmax);
/// the value of largest magnitude is given q = +-qmax exactly. Quantised
/// values are q * s (exact in fp32), and re-quantising them returns the same
/// q and s, so weights kept in fp32 as q * s (what the golden reference
/// computes with) encode losslessly into the device format.

#include <cmath>
#include <cstdint>
#include <vector>

#include "firmware/include/descriptors.h"
#include "models/common/Numerics.h"
#include "workload/ModelSpec.h"

namespace llmvp::testbench {

/// Scale and integers of one group (see the file comment).
inline float quantizeGroup(const float* v, std::uint32_t n, int qmax, int* q) {
  std::uint32_t arg = 0;
  float maxAbs = 0.0f;
  for (std::uint32_t i = 0; i < n; ++i)
    if (std::fabs(v[i]) > maxAbs) {
      maxAbs = std::fabs(v[i]);
      arg = i;
    }
  const float s = models::roundTo(models::DType::Bf16, maxAbs / static_cast<float>(qmax));
  for (std::uint32_t i = 0; i < n; ++i) {
    const float r = s > 0.0f ? std::nearbyint(v[i] / s) : 0.0f;
    q[i] = static_cast<int>(std::fmax(-qmax, std::fmin(qmax, r)));
  }
  if (s > 0.0f) q[arg] = v[arg] < 0.0f ? -qmax : qmax;
  return s;
}

/// Replaces every value of a tensor with rows of `rowLen` by its quantised value.
inline void quantizeInPlace(std::vector<float>& values, std::uint64_t rowLen, std::uint32_t group, WeightQuant quant) {
  const int qmax = quantMax(quant);
  std::vector<int> q(group);
  for (std::uint64_t row = 0; row * rowLen < values.size(); ++row)
    for (std::uint64_t g = 0; g < rowLen; g += group) {
      float* v = values.data() + row * rowLen + g;
      const float s = quantizeGroup(v, group, qmax, q.data());
      for (std::uint32_t i = 0; i < group; ++i) v[i] = static_cast<float>(q[i]) * s;
    }
}

/// Device bytes of an [n][k] matrix of quantised values (descriptors.h layout).
inline std::vector<std::uint8_t> encodeQuantized(const float* values, std::uint64_t n, std::uint64_t k,
                                                 std::uint32_t group, WeightQuant quant) {
  const bool int8 = quant == WeightQuant::Int8;
  const std::uint64_t valueBytes = int8 ? n * k : n * k / 2;
  std::vector<std::uint8_t> out(valueBytes + n * (k / group) * 2, 0);
  std::vector<int> q(group);
  for (std::uint64_t o = 0; o < n; ++o)
    for (std::uint64_t g = 0; g < k / group; ++g) {
      const std::uint64_t first = o * k + g * group;
      const float s = quantizeGroup(values + first, group, quantMax(quant), q.data());
      models::storeElement(out.data() + valueBytes, models::DType::Bf16, o * (k / group) + g, s);
      for (std::uint32_t i = 0; i < group; ++i) {
        const std::uint64_t at = first + i;
        if (int8) {
          out[at] = static_cast<std::uint8_t>(static_cast<std::int8_t>(q[i]));
        } else {
          out[at / 2] =
              static_cast<std::uint8_t>(out[at / 2] | ((static_cast<unsigned>(q[i]) & 0xfu) << ((at % 2) * 4)));
        }
      }
    }
  return out;
}

/// Device bytes of an [n][k] linear weight matrix under `spec`'s format.
inline std::uint64_t linearBytes(const ModelSpec& spec, std::uint64_t n, std::uint64_t k) {
  if (spec.quant == WeightQuant::None) return n * k * models::dtypeBytes(spec.weightDtype);
  const std::uint64_t values = spec.quant == WeightQuant::Int8 ? n * k : n * k / 2;
  return values + n * (k / spec.quantGroup) * 2;
}

} // namespace llmvp::testbench
