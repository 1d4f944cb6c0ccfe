// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Simulated time as integer picoseconds (`Ps`) and its conversions from
/// physical units, without SystemC: the host and the parameter structs use
/// them without a built chip. The conversions to and from sc_time are in
/// models/common/Time.h.

#include <cmath>
#include <cstdint>

namespace llmvp::models {

using Ps = std::uint64_t;

inline constexpr double kPsPerNs = 1000.0;

/// std::llround for picoseconds, inline: for a non-negative value the
/// fraction x - trunc(x) is exact, so rounding half away from zero needs no
/// library call (a negative value, which no duration is, takes llround).
[[nodiscard]] inline Ps roundPs(double x) {
  if (!(x >= 0.0)) return static_cast<Ps>(std::llround(x));
  const auto whole = static_cast<Ps>(x);
  return x - static_cast<double>(whole) >= 0.5 ? whole + 1 : whole;
}
[[nodiscard]] inline Ps nsToPs(double ns) { return roundPs(ns * kPsPerNs); }
/// Duration of `cycles` cycles of a clock of `mhz` MHz.
[[nodiscard]] inline Ps cyclesToPs(double cycles, double mhz) { return roundPs(cycles * 1.0e6 / mhz); }
/// Time to move `bytes` at `gbps` GB/s (1 GB = 1e9 bytes).
[[nodiscard]] inline Ps bytesToPs(double bytes, double gbps) { return roundPs(bytes * 1000.0 / gbps); }

} // namespace llmvp::models
