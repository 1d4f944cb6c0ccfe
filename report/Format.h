// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Number formatting shared by every text report.

#include <cstdio>
#include <string>

namespace llmvp::testbench {

/// `v` in fixed notation with `digits` decimals.
[[nodiscard]] inline std::string num(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

} // namespace llmvp::testbench
