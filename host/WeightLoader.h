// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Writes a chip's weights where its layout (host/ChipLayout.h) put them:
/// this chip's shard of every tensor, typed and group-quantised as the model
/// says, sharded over the near-memory engines' partitions, and MLA layers
/// re-laid out for the absorbed form.

#include <cstdint>
#include <vector>

#include "host/ChipLayout.h"
#include "platform/Chip.h"
#include "workload/Weights.h"

namespace llmvp::testbench {

class WeightLoader {
public:
  WeightLoader(platform::Chip& chip, const ChipLayout& layout);
  /// Writes the weights `w` of the whole model (nothing if null: timing-only).
  /// Throws std::logic_error if a write falls outside device memory.
  void load(const Weights* w);

private:
  /// Rows [first, first + n) of a matrix of `k` columns.
  [[nodiscard]] static const float* rows(const std::vector<float>& full, std::uint64_t first, std::uint64_t k) {
    return full.data() + first * k;
  }
  /// Columns [first, first + k) of an [n][total] matrix (zeros if `zero`).
  [[nodiscard]] static std::vector<float> cols(const std::vector<float>& full, std::uint64_t n, std::uint64_t total,
                                               std::uint64_t first, std::uint64_t k, bool zero);
  /// Writes one layer's MLA tensors, re-laid out for the absorbed form.
  void loadMla(const LayerAddr& a, const LayerWeights& lw);
  void writeTensor(std::uint64_t addr, const std::vector<float>& values, models::DType t);
  /// A linear projection [n][k], group-quantised when spec.quant says so.
  void writeLinear(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k);
  /// Writes shard p of a [n][k] matrix to addr + p * pnmStride: rows
  /// (cols == false) or input columns (cols); `linear`: typed and quantised
  /// as a projection, else dt_w.
  void writeSharded(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k, bool linear,
                    bool cols = false);

  platform::Chip& chip_;
  const ChipLayout& lay_;
  const ModelSpec& spec_; ///< lay_.spec
  const Shard& shard_;    ///< lay_.shard
};

} // namespace llmvp::testbench
