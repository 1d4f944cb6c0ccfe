// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Progress line for long single runs, on a terminal only: steps simulated,
/// simulated time, wall time and an estimate of the wall time left,
/// redrawn in place at most every `interval` seconds of wall time.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace llmvp::testbench {

class ProgressLine {
public:
  /// `enabled` false makes every call a no-op (not a terminal, or --progress never).
  ProgressLine(std::ostream& os, bool enabled, std::uint64_t total, std::string unit, double intervalSeconds = 0.2);
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine();

  /// `done` of `total` finished; `simulatedNs` is the simulated time (< 0: not shown).
  void update(std::uint64_t done, double simulatedNs = -1);
  /// Clears the line (also done by the destructor).
  void finish();
  [[nodiscard]] bool enabled() const { return enabled_; }

  /// The text of one line (without carriage return), for tests.
  [[nodiscard]] static std::string format(std::uint64_t done, std::uint64_t total, const std::string& unit,
                                          double simulatedNs, double wallSeconds);

private:
  std::ostream& os_;
  bool enabled_;
  const std::uint64_t total_;
  const std::string unit_;
  const double interval_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool drawn_ = false;
};

/// True if file descriptor 2 (stderr) is a terminal.
[[nodiscard]] bool stderrIsTerminal();

} // namespace llmvp::testbench
