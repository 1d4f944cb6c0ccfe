// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Calibration against and validation with measured hardware.
///
/// A rows file (configs/validation/hardware.yaml) lists public measurements
/// (../shared/reference/measured-decode.md and the rows named there), each
/// with the platform and model configs that imitate its setup and its role:
/// `calibration` (a parameter is derived from it), `validation` (held out:
/// predicted vs measured) or `blocked` (needs a feature not yet in the
/// platform; listed, not run).
///
/// - `llmvp calibrate` derives, from first principles plus the calibration
///   rows, the parameters the configs carry: the achievable HBM bandwidth of
///   each platform's memory under a streaming read (detailed and fast DRAM
///   models), the per-kernel overhead (`chip.tile.dispatch_cycles`) from
///   the one row the file names for it, and the dequantisation work per
///   weight (`chip.tile.vector.dequant_ops.int8|int4`) from one row per
///   weight type. It prints the rows it used, the derived values and the
///   value each config holds.
/// - `llmvp validate-hw` runs every row and prints predicted vs measured,
///   the error, its bound, and the mean absolute error over held-out rows.
///
/// Each simulation runs as a separate `llmvp run` process (SystemC
/// elaborates once per process); the DRAM stream benchmarks run in-process.

#include <string>
#include <vector>

namespace llmvp::testbench {

/// `llmvp calibrate [--rows FILE] [--check] [--json FILE]`.
int calibrateCommand(const std::vector<std::string>& args);
/// `llmvp validate-hw [--rows FILE] [--only ID,...] [-j N] [--json FILE] [--check]`.
int validateHwCommand(const std::vector<std::string>& args);

} // namespace llmvp::testbench
