// SPDX-License-Identifier: Apache-2.0
#include "models/common/Trace.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace llmvp::models {

namespace {
/// Trace-event timestamps are microseconds; picosecond resolution needs six
/// decimals.
std::string micros(Ps ps) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%llu.%06llu", static_cast<unsigned long long>(ps / 1'000'000),
                static_cast<unsigned long long>(ps % 1'000'000));
  return buf;
}
std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
} // namespace

TraceRecorder::TraceRecorder(const TraceOptions& options) : opt_(options) {}

std::string TraceRecorder::hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"0x%llx\"", static_cast<unsigned long long>(v));
  return buf;
}

std::string TraceRecorder::quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TraceRecorder::Track TraceRecorder::addTrack(const std::string& process, const std::string& name) {
  auto it = std::find(processes_.begin(), processes_.end(), process);
  if (it == processes_.end()) it = processes_.insert(processes_.end(), process);
  const auto pid = static_cast<std::uint32_t>(it - processes_.begin()) + 1;
  std::uint32_t tid = 1;
  for (const auto& t : tracks_) tid += t.pid == pid ? 1 : 0;
  tracks_.push_back({pid, tid, name, Counter{opt_.counterBinPs, {}, {}, false}});
  return static_cast<Track>(tracks_.size() - 1);
}

void TraceRecorder::span(Track track, std::string name, const char* category, Ps begin, Ps end,
                         std::vector<TraceArg> args) {
  if (!wants(begin, end)) {
    ++dropped_;
    return;
  }
  spans_.push_back({track, begin, std::max(begin, end), std::move(name), category, std::move(args)});
}

void TraceRecorder::coarsen(Counter& c) const {
  const std::size_t n = (c.bytes.size() + 1) / 2;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t a = 2 * i, b = 2 * i + 1;
    c.bytes[i] = c.bytes[a] + (b < c.bytes.size() ? c.bytes[b] : 0.0);
    c.inFlight[i] = c.inFlight[a] + (b < c.inFlight.size() ? c.inFlight[b] : 0.0);
  }
  c.bytes.resize(n);
  c.inFlight.resize(n);
  c.binPs *= 2;
}

void TraceRecorder::transfer(Track track, Ps begin, Ps end, std::uint64_t bytes) {
  if (end < opt_.windowBegin || begin > opt_.windowEnd) return;
  Counter& c = tracks_[track].counter;
  c.used = true;
  const Ps b = std::max(begin, opt_.windowBegin) - opt_.windowBegin;
  const Ps e = std::max(std::min(end, opt_.windowEnd) - opt_.windowBegin, b + 1);
  while (e / c.binPs >= opt_.maxBins) coarsen(c);
  const std::size_t last = static_cast<std::size_t>((e - 1) / c.binPs);
  if (c.bytes.size() <= last) {
    c.bytes.resize(last + 1, 0.0);
    c.inFlight.resize(last + 1, 0.0);
  }
  // Bytes and in-flight time are spread over the bins in proportion to overlap.
  const double perPs = static_cast<double>(bytes) / static_cast<double>(e - b);
  for (std::size_t i = static_cast<std::size_t>(b / c.binPs); i <= last; ++i) {
    const Ps lo = std::max<Ps>(b, i * c.binPs), hi = std::min<Ps>(e, (i + 1) * c.binPs);
    if (hi <= lo) continue;
    c.bytes[i] += perPs * static_cast<double>(hi - lo);
    c.inFlight[i] += static_cast<double>(hi - lo);
  }
}

void TraceRecorder::write(std::ostream& os) const {
  os << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"llmvp\",\"spans\":" << spans_.size()
     << ",\"dropped_spans\":" << dropped_ << ",\"window_begin_us\":" << micros(opt_.windowBegin) << "},\n"
     << "\"traceEvents\":[\n";
  bool first = true;
  auto sep = [&]() -> std::ostream& {
    if (!first) os << ",\n";
    first = false;
    return os;
  };
  for (std::size_t p = 0; p < processes_.size(); ++p)
    sep() << "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" << p + 1
          << ",\"tid\":0,\"args\":{\"name\":" << quote(processes_[p]) << "}}";
  for (const auto& t : tracks_) {
    sep() << "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" << t.pid << ",\"tid\":" << t.tid
          << ",\"args\":{\"name\":" << quote(t.name) << "}}";
    sep() << "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":" << t.pid << ",\"tid\":" << t.tid
          << ",\"args\":{\"sort_index\":" << t.tid << "}}";
  }
  // Spans, per track in start order (engines record in order already;
  // the stable sort keeps equal starts in recording order).
  std::vector<std::size_t> order(spans_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return spans_[a].track != spans_[b].track ? spans_[a].track < spans_[b].track : spans_[a].begin < spans_[b].begin;
  });
  for (const std::size_t i : order) {
    const Span& s = spans_[i];
    const TrackInfo& t = tracks_[s.track];
    sep() << "{\"ph\":\"X\",\"name\":" << quote(s.name) << ",\"cat\":\"" << s.category << "\",\"pid\":" << t.pid
          << ",\"tid\":" << t.tid << ",\"ts\":" << micros(s.begin) << ",\"dur\":" << micros(s.end - s.begin)
          << ",\"args\":{";
    for (std::size_t a = 0; a < s.args.size(); ++a)
      os << (a ? "," : "") << '"' << s.args[a].key << "\":" << s.args[a].json;
    os << "}}";
  }
  // Counters: one sample per bin and a final zero so the last value ends.
  for (const auto& t : tracks_) {
    const Counter& c = t.counter;
    if (!c.used) continue;
    const double binNs = static_cast<double>(c.binPs) / 1000.0;
    for (std::size_t i = 0; i <= c.bytes.size(); ++i) {
      const Ps at = opt_.windowBegin + static_cast<Ps>(i) * c.binPs;
      const double gbps = i < c.bytes.size() ? c.bytes[i] / binNs : 0.0;
      const double inFlight = i < c.inFlight.size() ? c.inFlight[i] / static_cast<double>(c.binPs) : 0.0;
      sep() << "{\"ph\":\"C\",\"name\":" << quote(t.name + " GB/s") << ",\"pid\":" << t.pid << ",\"ts\":" << micros(at)
            << ",\"args\":{\"GB/s\":" << number(gbps) << "}}";
      sep() << "{\"ph\":\"C\",\"name\":" << quote(t.name + " in flight") << ",\"pid\":" << t.pid
            << ",\"ts\":" << micros(at) << ",\"args\":{\"requests\":" << number(inFlight) << "}}";
    }
  }
  os << "\n]}\n";
}

} // namespace llmvp::models
