// SPDX-License-Identifier: Apache-2.0
#pragma once
/// One complete simulated run: load configs, build the system of 1 to N
/// chips (platform::System), run one host runtime per chip, build the
/// report. Used by the CLI and by integration tests (one per process:
/// SystemC elaborates once).

#include <memory>
#include <string>
#include <vector>

#include "config/Loaders.h"
#include "host/HostRuntime.h"
#include "platform/Chip.h"
#include "report/Report.h"

namespace llmvp::testbench {

struct SimulationInputs {
  std::string platformFile;
  std::string modelFile;
  std::vector<std::string> overrides; ///< --set key=value
  RunOptions options;
  std::string traceFile;      ///< --trace: Chrome/Perfetto trace-event JSON ("" = no trace)
  models::TraceOptions trace; ///< --trace-window, --trace-max-spans
  bool progress = false;      ///< progress line on stderr
  models::dram::IAccessRecorder* hbmRecorder =
      nullptr; ///< receives every HBM request of chip 0 (llmvp memtrace --record)
};

struct SimulationOutput {
  PlatformConfig platform;
  ModelSpec model;
  Placement placement;
  RunResult result;
  Report report;
};

/// Runs one simulation of a platform file (one chip) or a system file (its
/// chips). Throws ConfigError (or ModelError) for bad input.
[[nodiscard]] SimulationOutput simulate(const SimulationInputs& in);

} // namespace llmvp::testbench
