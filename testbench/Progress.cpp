// SPDX-License-Identifier: Apache-2.0
#include "testbench/Progress.h"

#include <cstdio>
#include <ostream>
#include <unistd.h>

namespace llmvp::testbench {

namespace {
std::string duration(double s) {
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}
std::string simTime(double ns) {
  char buf[32];
  if (ns >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3f ms", ns / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.3f us", ns / 1e3);
  return buf;
}
} // namespace

bool stderrIsTerminal() { return ::isatty(2) == 1; }

ProgressLine::ProgressLine(std::ostream& os, bool enabled, std::uint64_t total, std::string unit,
                           double intervalSeconds)
    : os_(os), enabled_(enabled && total > 0), total_(total), unit_(std::move(unit)), interval_(intervalSeconds),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

ProgressLine::~ProgressLine() { finish(); }

std::string ProgressLine::format(std::uint64_t done, std::uint64_t total, const std::string& unit, double simulatedNs,
                                 double wall) {
  constexpr int kBar = 24;
  const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
  std::string bar(kBar, ' ');
  for (int i = 0; i < static_cast<int>(frac * kBar + 1e-9) && i < kBar; ++i) bar[static_cast<std::size_t>(i)] = '#';
  std::string s = "[" + bar + "] " + std::to_string(done) + "/" + std::to_string(total) + " " + unit;
  if (simulatedNs >= 0) s += "  sim " + simTime(simulatedNs);
  s += "  wall " + duration(wall);
  if (done > 0 && done < total) s += "  ETA " + duration(wall / frac - wall);
  return s;
}

void ProgressLine::update(std::uint64_t done, double simulatedNs) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total_ && std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  drawn_ = true;
  const double wall = std::chrono::duration<double>(now - start_).count();
  os_ << "\r\033[K" << format(done, total_, unit_, simulatedNs, wall) << std::flush;
}

void ProgressLine::finish() {
  if (enabled_ && drawn_) os_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

} // namespace llmvp::testbench
