// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Number formatting shared by every text report: the helpers of
/// config/NumberText.h and those only reports use.

#include <string>

#include "config/NumberText.h"

namespace llmvp::testbench {

/// `part` as a percentage of `whole` with 1 decimal: "12.5%"; "-" when
/// `whole` is not positive.
[[nodiscard]] inline std::string percentText(double part, double whole) {
  return whole > 0 ? fixedText(100.0 * part / whole, 1) + "%" : "-";
}

/// Bytes in the decimal unit (B, KB, MB, GB, TB) that keeps the figure
/// below 1000, with 2 decimals ("1.50 GB"; whole bytes: "512 B").
[[nodiscard]] inline std::string bytesText(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000.0 && u < 4) {
    b /= 1000.0;
    ++u;
  }
  return fixedText(b, u == 0 ? 0 : 2) + " " + units[u];
}

} // namespace llmvp::testbench
