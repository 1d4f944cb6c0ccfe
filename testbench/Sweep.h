// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `llmvp sweep SPEC.yaml`: runs a grid and/or list of configuration points
/// (each a set of `--set` overrides and run options over a base platform and
/// model) as separate `llmvp run` processes, locally in parallel or as one
/// Slurm job array, and collects the results into one table (CSV + JSON)
/// and an HTML comparison. Finished points are not rerun. Spec format and
/// outputs: docs/outputs.md.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace llmvp::testbench {

struct SweepPoint {
  std::string id;    ///< stable: hash of the run arguments (file name of its results)
  std::string label; ///< "label key=value ..." for tables and legends
  std::vector<std::pair<std::string, std::string>> values; ///< axis key -> value
  std::vector<std::string> args;                           ///< `llmvp` arguments (starting with "run")
};

struct SweepSpec {
  std::string file, name, description;
  std::vector<std::string> axes; ///< keys that vary, in spec order
  std::vector<SweepPoint> points;
};

enum class SweepBackend { Local, Slurm };

struct SweepOptions {
  std::string outDir; ///< default: <name>-sweep in the current folder
  unsigned jobs = 1;  ///< local processes in parallel
  SweepBackend backend = SweepBackend::Local;
  std::vector<std::string> slurmOptions; ///< extra sbatch options (e.g. --partition=x)
  bool noWait = false;                   ///< slurm: submit and return
  double timeoutSeconds = 0;             ///< slurm: give up waiting after this (0: never)
  bool progress = false;                 ///< progress bar on stderr
};

/// Parses and expands a spec; checks every point's configs and overrides.
/// Throws ConfigError naming the spec file and key.
[[nodiscard]] SweepSpec loadSweepSpec(const std::string& path);

/// Runs the points without results, then writes results.csv, results.json
/// and report.html in the output folder. Returns 0 if every point has a
/// successful result, 1 otherwise.
int runSweep(const SweepSpec& spec, const SweepOptions& options, std::ostream& out);

} // namespace llmvp::testbench
