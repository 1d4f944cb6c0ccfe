// SPDX-License-Identifier: Apache-2.0
#pragma once
namespace llmvp::testbench {
/// The llmvp command line (see `llmvp --help`). Returns the process exit
/// code: 0 success, 1 the simulated run failed (device or firmware error),
/// 2 usage or configuration error.
int runCli(int argc, char** argv);
} // namespace llmvp::testbench
