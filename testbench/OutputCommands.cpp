// SPDX-License-Identifier: Apache-2.0
#include "testbench/OutputCommands.h"

#include <boost/program_options.hpp>
#include <cmath>
#include <fstream>
#include <iostream>

#include "config/ConfigNode.h"
#include "report/Html.h"
#include "testbench/Progress.h"
#include "testbench/Sweep.h"

namespace llmvp::testbench {

namespace po = boost::program_options;

namespace {
constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

double micros(const std::string& s, const std::string& whole) {
  try {
    std::size_t used = 0;
    const double v = std::stod(s, &used);
    if (used != s.size() || !(v >= 0) || !std::isfinite(v)) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw ConfigError("--trace-window: \"" + whole +
                      "\" is not BEGIN:END in microseconds of simulated time (e.g. 1000:2000, 500:, :100)");
  }
}
} // namespace

void parseTraceWindow(const std::string& text, models::TraceOptions& o) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) micros("x", text);
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  if (!a.empty()) o.windowBegin = static_cast<models::Ps>(std::llround(micros(a, text) * 1e6));
  if (!b.empty()) o.windowEnd = static_cast<models::Ps>(std::llround(micros(b, text) * 1e6));
  if (o.windowEnd < o.windowBegin) throw ConfigError("--trace-window: \"" + text + "\": END is before BEGIN");
}

bool progressWanted(const std::string& mode) {
  if (mode == "auto") return stderrIsTerminal();
  if (mode == "always") return true;
  if (mode == "never") return false;
  throw ConfigError("--progress: \"" + mode + "\" is not one of: auto, always, never");
}

int reportCommand(const std::vector<std::string>& args) {
  po::options_description desc("Report options");
  std::vector<std::string> inputs;
  std::string output, title = "llmvp report";
  std::vector<std::string> labels;
  desc.add_options()("help,h", "show these options")("output,o", po::value(&output)->required(), "HTML file to write")(
      "title", po::value(&title), "page title")("label", po::value(&labels)->composing(),
                                                "legend label of each run, in order (default: file name)")(
      "runs", po::value(&inputs)->composing(), "RUN.json files written by llmvp run --json");
  po::positional_options_description pos;
  pos.add("runs", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << "llmvp report RUN.json... -o report.html\n\n" << desc;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "llmvp report: " << e.what() << "\n\n" << desc;
    return kExitUsage;
  }
  if (inputs.empty()) throw ConfigError("llmvp report: expected one or more RUN.json files (from llmvp run --json)");
  if (!labels.empty() && labels.size() != inputs.size())
    throw ConfigError("llmvp report: --label given " + std::to_string(labels.size()) + " times for " +
                      std::to_string(inputs.size()) + " runs");
  std::vector<HtmlRun> runs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    runs.push_back(loadRunJson(inputs[i]));
    if (!labels.empty()) runs.back().label = labels[i];
  }
  std::ofstream f(output);
  if (!f) throw ConfigError("-o: cannot write " + output);
  writeHtmlReport(f, title, runs);
  f.close();
  if (!f) throw ConfigError("-o: error writing " + output);
  std::cout << "wrote " << output << " (" << runs.size() << " run" << (runs.size() == 1 ? "" : "s") << ")\n";
  return kExitOk;
}

int sweepCommand(const std::vector<std::string>& args) {
  po::options_description desc("Sweep options");
  std::string specFile, backend = "local", progress = "auto";
  SweepOptions o;
  desc.add_options()("help,h", "show these options")("spec", po::value(&specFile)->required(), "sweep spec (YAML)")(
      "output,o", po::value(&o.outDir), "output folder (default: <name>-sweep)")(
      "jobs,j", po::value(&o.jobs)->default_value(1),
      "local: points run in parallel")("backend", po::value(&backend)->default_value("local"), "local | slurm")(
      "slurm-option", po::value(&o.slurmOptions)->composing(), "extra sbatch option, e.g. --partition=x (repeatable)")(
      "no-wait", po::bool_switch(&o.noWait), "slurm: submit the job array and return")(
      "timeout", po::value(&o.timeoutSeconds)->default_value(0),
      "slurm: stop waiting after this many seconds (0: never)")("progress", po::value(&progress)->default_value("auto"),
                                                                "progress bar: auto (on a terminal) | always | never");
  po::positional_options_description pos;
  pos.add("spec", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << "llmvp sweep SPEC.yaml [options]\n\n" << desc;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "llmvp sweep: " << e.what() << "\n\n" << desc;
    return kExitUsage;
  }
  if (backend == "local")
    o.backend = SweepBackend::Local;
  else if (backend == "slurm")
    o.backend = SweepBackend::Slurm;
  else
    throw ConfigError("--backend: \"" + backend + "\" is not one of: local, slurm");
  if (o.jobs == 0 || o.jobs > 256) throw ConfigError("-j: " + std::to_string(o.jobs) + " is out of range [1, 256]");
  o.progress = progressWanted(progress);
  const SweepSpec spec = loadSweepSpec(specFile);
  return runSweep(spec, o, std::cout);
}

} // namespace llmvp::testbench
