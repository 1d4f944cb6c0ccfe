// SPDX-License-Identifier: Apache-2.0
#include "host/RunOptions.h"

#include <algorithm>
#include <random>

namespace llmvp::testbench {

std::vector<std::vector<std::uint32_t>> seededPrompts(std::uint64_t seed, std::uint32_t batch, std::uint32_t length,
                                                      std::uint32_t vocab) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::uint32_t>> prompts(batch, std::vector<std::uint32_t>(length));
  for (auto& p : prompts)
    for (auto& t : p) t = static_cast<std::uint32_t>(rng() % vocab);
  return prompts;
}

StageLayers stageLayers(std::uint32_t layers, std::uint32_t stages, std::uint32_t stage) {
  const std::uint32_t per = layers / stages, extra = layers % stages;
  return {stage * per + std::min(stage, extra), per + (stage < extra ? 1u : 0u)};
}

} // namespace llmvp::testbench
