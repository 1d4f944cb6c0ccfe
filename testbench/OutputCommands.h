// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The `llmvp report` and `llmvp sweep` commands and the output options of
/// `llmvp run` (--trace-window, --progress). Exit codes as runCli.

#include <string>
#include <vector>

#include "models/common/Trace.h"

namespace llmvp::testbench {

int reportCommand(const std::vector<std::string>& args);
int sweepCommand(const std::vector<std::string>& args);

/// Parses `--trace-window BEGIN:END` (microseconds of simulated time, either
/// side may be empty) into `options`; throws ConfigError.
void parseTraceWindow(const std::string& text, models::TraceOptions& options);
/// `--progress auto|always|never` -> whether to draw it; throws ConfigError.
[[nodiscard]] bool progressWanted(const std::string& mode);

} // namespace llmvp::testbench
