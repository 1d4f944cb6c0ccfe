// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Comparison of a run's last-step logits with the golden reference's.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace llmvp::test {

/// Both sides follow the numerics contract of descriptors.h with the same
/// accumulation order, so they should agree exactly; one bf16 ulp of the
/// largest logit (2^-8 relative) is allowed for a library function (exp,
/// sin, cos) that differs between call sites.
inline constexpr double kLogitTolerance = 1.0 / 256.0;

/// Per row: the largest difference within kLogitTolerance x the largest |logit|.
inline void expectLogitsClose(const std::vector<std::vector<float>>& simulated,
                              const std::vector<std::vector<float>>& reference) {
  ASSERT_EQ(simulated.size(), reference.size());
  for (std::size_t r = 0; r < reference.size(); ++r) {
    ASSERT_EQ(simulated[r].size(), reference[r].size()) << "request " << r;
    double scale = 0, worst = 0;
    for (std::size_t j = 0; j < reference[r].size(); ++j) {
      scale = std::max(scale, std::fabs(static_cast<double>(reference[r][j])));
      worst = std::max(worst, std::fabs(static_cast<double>(reference[r][j]) - simulated[r][j]));
    }
    EXPECT_LE(worst, kLogitTolerance * scale) << "request " << r << ": worst logit difference " << worst;
  }
}

} // namespace llmvp::test
