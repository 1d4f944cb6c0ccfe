// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Simulated time inside models is kept as integer picoseconds (`Ps`) and
/// converted to sc_time only at socket boundaries. The kernel's resolution is
/// set to 1 ps by the platform before any sc_time is created.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <systemc>

namespace llmvp::models {

using Ps = std::uint64_t;

inline constexpr double kPsPerNs = 1000.0;

[[nodiscard]] inline Ps toPs(const sc_core::sc_time& t) { return t.value(); }
[[nodiscard]] inline sc_core::sc_time fromPs(Ps ps) { return sc_core::sc_time::from_value(ps); }
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
/// Current absolute time of a loosely-timed initiator: kernel time + local offset.
[[nodiscard]] inline Ps nowPs() { return toPs(sc_core::sc_time_stamp()); }

/// A resource that serves one request at a time (a channel, a port, a pipe).
/// A request arriving at `arrival` starts when the resource is free and keeps
/// it busy for `duration`; queueing emerges without an event per beat.
class Timeline {
public:
  /// Reserves the earliest slot at or after `arrival`; returns its start.
  Ps reserve(Ps arrival, Ps duration) {
    const Ps start = std::max(arrival, busyUntil_);
    busyUntil_ = start + duration;
    busy_ += duration;
    return start;
  }
  [[nodiscard]] Ps busyUntil() const { return busyUntil_; }
  [[nodiscard]] Ps busyTotal() const { return busy_; }

private:
  Ps busyUntil_ = 0;
  Ps busy_ = 0;
};

} // namespace llmvp::models
