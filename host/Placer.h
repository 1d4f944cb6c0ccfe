// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Inside host/ChipLayout.h placeModel: the checks and the placement steps of
/// one chip's layout (ChipLayout.cpp; ChipLayoutPnm.cpp with near-memory engines;
/// HostServe.cpp for a serving scenario).

#include <cstdint>
#include <functional>

#include "host/ChipLayout.h"

namespace llmvp::testbench {

/// Minimum tensor alignment.
inline constexpr std::uint64_t kPage = 4096;

class Placer {
public:
  /// Checks the run and places it; take() then hands over the layout.
  Placer(const platform::ChipParams& chip, const ModelSpec& spec, const RunOptions& options, const Shard& shard);
  [[nodiscard]] ChipLayout take() { return std::move(lay_); }

private:
  void checkHbfOptions() const;
  /// Data-parallel attention: throws ConfigError for what it does not support.
  void checkDataParallel() const;
  /// Places one layer's MLA tensors (absorbed layout) with `alloc`.
  template <typename Alloc>
  void placeMla(LayerAddr& l, Alloc&& alloc);
  /// placeMla with a type-erased allocator (for ChipLayoutPnm.cpp).
  void placeMlaWith(LayerAddr& l, const std::function<std::uint64_t(std::uint64_t)>& alloc);
  /// Paged KV cache: fills the block table; returns the bytes of one of K, V
  /// per layer, and the largest request's in `largestRequest`.
  std::uint64_t placePagedKv(std::uint64_t kvRow, std::uint64_t& largestRequest);
  void place();
  // ---- near-memory offload (ChipLayoutPnm.cpp) ----
  /// Shards the model over the near-memory engines' partitions per the
  /// offload plan (PnmPolicy.h; manifest.h versions 6 and 7); what stays on
  /// the tile goes to the stacks' interleaved view. Throws ConfigError if it
  /// does not fit or breaks a shard limit.
  void placePnm();
  // ---- serving (continuous batching; HostServe.cpp) ----
  /// Checks the scenario and sets prompts, lengths and the KV context.
  void prepareServe();
  /// Main-memory tensor alignment: one interleave round of every channel or vault.
  [[nodiscard]] std::uint64_t mainAlign() const;

  const platform::ChipParams& chip_;
  const RunOptions& opt_;
  ChipLayout lay_;
  const ModelSpec& spec_; ///< lay_.spec
  const Shard& shard_;    ///< lay_.shard
};

} // namespace llmvp::testbench
