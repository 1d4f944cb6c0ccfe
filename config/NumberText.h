// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Numbers as text, for messages and reports. Every host-side floor that
/// prints a number uses these, so that one figure is printed one way. They
/// live in config/, the lowest floor that prints numbers (its errors quote
/// the value given and the range allowed); report/Format.h adds what only
/// the reports need.

#include <cstdio>
#include <string>

namespace llmvp::testbench {

/// `v` in fixed notation with `digits` decimals: fixedText(2.5, 2) is "2.50".
[[nodiscard]] inline std::string fixedText(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// As fixedText, with a sign also on positive values: "+1.25", "-0.50".
[[nodiscard]] inline std::string signedFixedText(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.*f", digits, v);
  return buf;
}

/// `v` with at most `digits` significant digits and no trailing zeros, in
/// exponent notation when very large or small (printf "%g"; what an ostream
/// prints for a double by default, with 6).
[[nodiscard]] inline std::string significantText(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

/// A duration given in ns, in the unit that keeps it readable: "1.234 ms"
/// from 1 ms, "5.678 us" from 1 us, else "12.3 ns".
[[nodiscard]] inline std::string durationText(double ns) {
  if (ns >= 1e6) return fixedText(ns / 1e6, 3) + " ms";
  if (ns >= 1e3) return fixedText(ns / 1e3, 3) + " us";
  return fixedText(ns, 1) + " ns";
}

/// A duration given in ns as milliseconds with `digits` decimals and no
/// unit, for a column or sentence that names the unit: "1.2345".
[[nodiscard]] inline std::string msNumber(double ns, int digits) { return fixedText(ns / 1e6, digits); }

/// A duration given in ns as milliseconds with `digits` decimals and the
/// unit: "1.234 ms".
[[nodiscard]] inline std::string msText(double ns, int digits) { return msNumber(ns, digits) + " ms"; }

/// Bytes as decimal gigabytes with 3 decimals: "1.234 GB".
[[nodiscard]] inline std::string gbText(double bytes) { return fixedText(bytes / 1e9, 3) + " GB"; }

/// Bytes as binary mebibytes with 1 decimal: "1.5 MiB".
[[nodiscard]] inline std::string mibText(double bytes) { return fixedText(bytes / (1024.0 * 1024.0), 1) + " MiB"; }

} // namespace llmvp::testbench
