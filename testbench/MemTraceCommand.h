// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `llmvp memtrace`: plays a memory trace (analysis/MemTrace.h) or records
/// the HBM request stream of a decode run as one.

#include <string>
#include <vector>

namespace llmvp::testbench {

/// `llmvp memtrace ...` (see --help). Exit code 0, or 2 for bad input.
int memtraceCommand(const std::vector<std::string>& args);

} // namespace llmvp::testbench
