// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Trace recorder: collects spans (descriptors, DMA transfers, firmware
/// phases) and transfer counters (bandwidth, requests in flight) and writes
/// them as Chrome/Perfetto trace-event JSON (docs/outputs.md).
///
/// It is a separate object, created only when a trace is requested, and fed
/// by modules through a pointer that is null otherwise (one branch per event
/// when tracing is off). Tracks are registered during elaboration; each
/// process of the trace is one chip, each thread one engine, memory or link.
///
/// Size is bounded: only events overlapping the time window are kept, spans
/// stop being recorded after `maxSpans` (the number dropped is written in the
/// metadata), and counter bins are merged pairwise when a track has more than
/// `maxBins`, so a long run gives a coarser, not a larger, file.

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <string>
#include <vector>

#include "models/common/Time.h"

namespace llmvp::models {

struct TraceOptions {
  Ps windowBegin = 0;                            ///< keep events ending at or after this time
  Ps windowEnd = std::numeric_limits<Ps>::max(); ///< ... and starting at or before this time
  std::uint64_t maxSpans = 1'000'000;            ///< span budget (about 200 bytes each in the file)
  Ps counterBinPs = 1'000'000;                   ///< initial counter bin (1 us); doubles when needed
  std::uint32_t maxBins = 4096;                  ///< counter bins per track before merging pairs
};

/// One argument of a span: a key and a value already formatted as JSON
/// (a number, or a quoted string).
struct TraceArg {
  const char* key;
  std::string json;
};

class TraceRecorder {
public:
  explicit TraceRecorder(const TraceOptions& options);
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  using Track = std::uint32_t;

  /// A track named `name` in the process `process` (created on first use).
  /// Call during elaboration; returns the id used by span() and transfer().
  Track addTrack(const std::string& process, const std::string& name);

  /// True if a span [begin, end] would be kept (window and budget).
  [[nodiscard]] bool wants(Ps begin, Ps end) const {
    return end >= opt_.windowBegin && begin <= opt_.windowEnd && spans_.size() < opt_.maxSpans;
  }
  /// A complete span on `track`; dropped (and counted) if outside the window
  /// or over budget.
  void span(Track track, std::string name, const char* category, Ps begin, Ps end, std::vector<TraceArg> args = {});
  /// `bytes` moved by a request in flight over [begin, end): feeds the
  /// track's bandwidth (GB/s) and in-flight (requests) counters.
  void transfer(Track track, Ps begin, Ps end, std::uint64_t bytes);
  /// Counts a span the caller did not record because wants() said no.
  void skip() { ++dropped_; }

  /// Writes the trace-event JSON object. Events of one track are sorted by
  /// start time; the output depends only on what was recorded.
  void write(std::ostream& os) const;

  [[nodiscard]] std::uint64_t spanCount() const { return spans_.size(); }
  [[nodiscard]] std::uint64_t droppedSpans() const { return dropped_; }

  /// Formatting helpers for TraceArg values.
  [[nodiscard]] static std::string hex(std::uint64_t v);
  [[nodiscard]] static std::string quote(const std::string& s);

private:
  struct Span {
    Track track;
    Ps begin, end;
    std::string name;
    const char* category;
    std::vector<TraceArg> args;
  };
  struct Counter {
    Ps binPs;
    std::vector<double> bytes;    ///< per bin
    std::vector<double> inFlight; ///< per bin: request-ps in flight
    bool used = false;
  };
  struct TrackInfo {
    std::uint32_t pid, tid;
    std::string name;
    Counter counter;
  };
  void coarsen(Counter& c) const;

  const TraceOptions opt_;
  std::vector<std::string> processes_;
  std::vector<TrackInfo> tracks_;
  std::vector<Span> spans_;
  std::uint64_t dropped_ = 0;
};

} // namespace llmvp::models
