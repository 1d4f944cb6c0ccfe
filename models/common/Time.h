// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Simulated time inside models is kept as integer picoseconds (`Ps`,
/// models/common/Picoseconds.h) and converted to sc_time only at socket
/// boundaries. The kernel's resolution is set to 1 ps by the platform before
/// any sc_time is created.

#include <algorithm>
#include <systemc>

#include "models/common/Picoseconds.h"

namespace llmvp::models {

[[nodiscard]] inline Ps toPs(const sc_core::sc_time& t) { return t.value(); }
[[nodiscard]] inline sc_core::sc_time fromPs(Ps ps) { return sc_core::sc_time::from_value(ps); }
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
