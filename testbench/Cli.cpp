// SPDX-License-Identifier: Apache-2.0
#include "testbench/Cli.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "analysis/Estimate.h"
#include "analysis/HwValidation.h"
#include "firmware/include/manifest.h"
#include "report/Csv.h"
#include "report/Version.h"
#include "testbench/MemTraceCommand.h"
#include "testbench/OutputCommands.h"
#include "testbench/Simulation.h"
#include "workload/Scenario.h"
#include "workload/Weights.h"

namespace llmvp::testbench {

namespace po = boost::program_options;

namespace {
constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitUsage = 2;

const char* kUsage = R"(llmvp — virtual platform of an LLM decode accelerator

Usage:
  llmvp run --platform FILE --model FILE [options]   simulate decoding
  llmvp estimate --platform FILE --model FILE [options]   roofline lower bound per operator (docs/estimate.md)
  llmvp validate FILE...                             check config files
  llmvp memtrace --memspec FILE --trace FILE [--detailed|--fast]   play a DRAM trace (docs/memtrace.md)
  llmvp report RUN.json... -o report.html            HTML report with charts of --json runs
  llmvp sweep SPEC.yaml [-j N] [--backend slurm]     run a grid of configurations, compare them
  llmvp calibrate [--rows FILE] [--check]            derive calibrated parameters from measured rows (docs/validation.md)
  llmvp validate-hw [--rows FILE] [-j N] [--check]   predicted vs measured hardware, with errors (docs/validation.md)
  llmvp --help | --version

Run options:
)";

std::vector<std::uint32_t> parsePrompt(const std::string& text) {
  std::vector<std::uint32_t> ids;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    try {
      std::size_t used = 0;
      const unsigned long v = std::stoul(item, &used);
      if (used != item.size() || v > 0xffffffffu) throw std::invalid_argument(item);
      ids.push_back(static_cast<std::uint32_t>(v));
    } catch (const std::exception&) {
      throw ConfigError("--prompt: \"" + item + "\" is not a token id (expected comma-separated integers)");
    }
  }
  return ids;
}

/// "N" or "N1,N2,...": context lengths (each in [1, 2^31)).
std::vector<std::uint32_t> parseContexts(const std::string& text) {
  std::vector<std::uint32_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v == 0 || v >= (1ull << 31))
      throw ConfigError("--context: \"" + item + "\" is not a context length (a positive integer)");
    out.push_back(static_cast<std::uint32_t>(v));
  }
  if (out.empty()) throw ConfigError("--context: expected N or N1,N2,... (one per request)");
  return out;
}

/// `llmvp estimate`: the run's options and configs, no simulation.
int estimateOnly(const SimulationInputs& in, const std::string& jsonFile) {
  Overrides overrides;
  for (const auto& s : in.overrides) overrides.add(s);
  const PlatformConfig platform = loadPlatform(in.platformFile, overrides);
  const ModelSpec model = loadModel(in.modelFile, overrides);
  overrides.checkAllUsed();
  // The roofline models one chip or one chip's shard of a tensor-parallel
  // group (docs/estimate.md); a run reports the others without it.
  if (platform.system.chips > 1 && platform.parallel.pipeline > 1)
    throw ConfigError("llmvp estimate: pipeline stages (system.parallel.pipeline " +
                      std::to_string(platform.parallel.pipeline) + ") are not modelled by the roofline; use llmvp run");
  if (platform.system.chips > 1 && platform.parallel.dataAttention)
    throw ConfigError("llmvp estimate: data-parallel attention (system.parallel.attention: data) is not modelled "
                      "by the roofline; use llmvp run");
  RunOptions options = in.options;
  options.hbf = platform.hbf;
  const Estimate e = estimate(platform, model, options);
  printEstimate(std::cout, e);
  if (!jsonFile.empty()) {
    std::ofstream f(jsonFile);
    if (!f) throw ConfigError("--json: cannot write " + jsonFile);
    f << boost::json::serialize(estimateJson(e)) << "\n";
  }
  return kExitOk;
}

int runCommand(const std::vector<std::string>& args, bool estimateOnlyMode = false) {
  po::options_description desc("Run options");
  SimulationInputs in;
  std::string jsonFile, fault, prompt, csvFile, traceWindow, progressMode = "auto";
  std::uint32_t batch = 1, gen = 64, kvBlockTokens = 0, prefillChunk = 0;
  std::string context = "512", scenarioFile;
  std::uint32_t maxBatch = 0;
  std::uint64_t seed = 1;
  bool functional = false, timingOnly = false;
  desc.add_options()("help,h", "show these options")("platform", po::value(&in.platformFile)->required(),
                                                     "platform config (configs/platforms/*.yaml)")(
      "model", po::value(&in.modelFile)->required(),
      "model config (configs/models/*.yaml) or a Hugging Face checkpoint folder")(
      "batch", po::value(&batch)->default_value(1), "requests decoded together")(
      "context", po::value(&context)->default_value("512"),
      "timing-only: tokens already in the KV cache, N or N1,N2,... (one per request); functional: prompt length")(
      "gen-tokens", po::value(&gen)->default_value(64),
      "tokens to generate per request")("kv-block-tokens", po::value(&kvBlockTokens)->default_value(0),
                                        "KV cache layout: 0 contiguous, else paged in blocks of N positions")(
      "scenario", po::value(&scenarioFile),
      "serve the requests of a scenario file with continuous batching (docs/config-reference.md \"Scenario files\")")(
      "max-batch", po::value(&maxBatch),
      "with --scenario: requests in flight at most (overrides the file's max_batch)")(
      "prefill-chunk", po::value(&prefillChunk)->default_value(0),
      "0: decode only (timing-only: --context positions already cached); N: prefill each prompt in chunks of N "
      "tokens first and report TTFT")("set", po::value(&in.overrides)->composing(),
                                      "override a config value: key.path=value (repeatable)")(
      "functional", po::bool_switch(&functional), "compute real data and check-able tokens")(
      "timing-only", po::bool_switch(&timingOnly),
      "time only, no data (default)")("json", po::value(&jsonFile), "write the report and all statistics as JSON")(
      "csv", po::value(&csvFile), "write per-token and per-module rows as CSV (docs/outputs.md)")(
      "trace", po::value(&in.traceFile), "write a Chrome/Perfetto trace-event JSON file")(
      "trace-window", po::value(&traceWindow), "trace only BEGIN:END microseconds of simulated time")(
      "trace-max-spans", po::value(&in.trace.maxSpans)->default_value(in.trace.maxSpans),
      "keep at most this many spans in the trace")("progress", po::value(&progressMode)->default_value("auto"),
                                                   "progress line on stderr: auto (on a terminal) | always | never")(
      "seed", po::value(&seed)->default_value(1), "seed for weights, prompts and timing-only token ids")(
      "prompt", po::value(&prompt), "functional: comma-separated prompt token ids (all requests)")(
      "inject-fault", po::value(&fault), "firmware fault injection for bring-up: bad-opcode | bad-address");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << "llmvp " << (estimateOnlyMode ? "estimate" : "run") << " --platform FILE --model FILE [options]\n\n"
                << desc;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "llmvp " << (estimateOnlyMode ? "estimate" : "run") << ": " << e.what() << "\n\n" << desc;
    return kExitUsage;
  }
  if (functional && timingOnly) throw ConfigError("--functional and --timing-only are exclusive");
  in.options.batch = batch;
  // --context N, or one length per request (timing-only).
  const std::vector<std::uint32_t> contexts = parseContexts(context);
  in.options.context = *std::max_element(contexts.begin(), contexts.end());
  if (contexts.size() > 1) in.options.contexts = contexts;
  in.options.genTokens = gen;
  in.options.kvBlockTokens = kvBlockTokens;
  in.options.prefillChunk = prefillChunk;
  in.options.functional = functional;
  in.options.seed = seed;
  if (!prompt.empty()) {
    if (!functional) throw ConfigError("--prompt needs --functional");
    in.options.prompts.assign(batch, parsePrompt(prompt));
    in.options.context = static_cast<std::uint32_t>(in.options.prompts[0].size());
  }
  if (!scenarioFile.empty()) {
    for (const char* o : {"batch", "context", "gen-tokens", "prompt"})
      if (vm.count(o) != 0 && !vm[o].defaulted())
        throw ConfigError(std::string("--") + o +
                          ": does not apply with --scenario (the scenario file gives the "
                          "requests; use --max-batch for the requests in flight)");
    const Scenario sc = loadScenario(scenarioFile, seed);
    in.options.serve = sc.requests;
    in.options.scenarioName = sc.name;
    if (vm.count("max-batch") != 0 && (maxBatch == 0 || maxBatch > LLMVP_MAX_BATCH))
      throw ConfigError("--max-batch: " + std::to_string(maxBatch) + " is out of range [1, " +
                        std::to_string(LLMVP_MAX_BATCH) + "]");
    in.options.batch = vm.count("max-batch") != 0 ? maxBatch : sc.maxBatch;
    if (vm["prefill-chunk"].defaulted() && sc.hasPrefillChunk) in.options.prefillChunk = sc.prefillChunk;
  } else if (vm.count("max-batch") != 0) {
    throw ConfigError("--max-batch: needs --scenario (use --batch for one batch of requests)");
  }
  if (!fault.empty()) {
    if (fault == "bad-opcode")
      in.options.debugFlags = FW_DEBUG_BAD_OPCODE;
    else if (fault == "bad-address")
      in.options.debugFlags = FW_DEBUG_BAD_ADDRESS;
    else
      throw ConfigError("--inject-fault: \"" + fault + "\" is not one of: bad-opcode, bad-address");
  }
  if (!traceWindow.empty()) parseTraceWindow(traceWindow, in.trace);
  in.progress = progressWanted(progressMode);
  if (estimateOnlyMode) return estimateOnly(in, jsonFile);
  std::ofstream csv;
  if (!csvFile.empty()) {
    csv.open(csvFile);
    if (!csv) throw ConfigError("--csv: cannot write " + csvFile);
  }
  const SimulationOutput out = simulate(in);
  printReport(std::cout, out.report);
  if (csv.is_open()) writeCsv(csv, out.report);
  if (!jsonFile.empty()) {
    std::ofstream f(jsonFile);
    if (!f) throw ConfigError("--json: cannot write " + jsonFile);
    f << boost::json::serialize(reportJson(out.report, in.overrides)) << "\n";
  }
  if (!out.result.ok) {
    std::cerr << "llmvp: run failed: " << out.result.error << "\n";
    return kExitRunFailed;
  }
  return kExitOk;
}

int validateCommand(const std::vector<std::string>& files) {
  if (files.empty()) throw ConfigError("llmvp validate: expected one or more config files");
  int rc = kExitOk;
  for (const auto& f : files) {
    try {
      Overrides none;
      switch (configKind(f)) {
      case ConfigKind::Platform:
      case ConfigKind::System: (void)loadPlatform(f, none); break;
      case ConfigKind::Model: (void)loadModel(f, none); break;
      case ConfigKind::Memspec: {
        models::dram::DramParams p;
        loadMemspec(f, none, "chip.hbm.memspec.", p);
        break;
      }
      case ConfigKind::Flashspec: {
        models::flash::HbfParams p;
        loadFlashSpec(f, none, "chip.hbf.flashspec.", p);
        break;
      }
      case ConfigKind::Scenario: (void)loadScenario(f, 1); break;
      }
      std::cout << f << ": ok\n";
    } catch (const ConfigError& e) {
      std::cerr << e.what() << "\n";
      rc = kExitUsage;
    } catch (const ModelError& e) {
      std::cerr << e.what() << "\n";
      rc = kExitUsage;
    }
  }
  return rc;
}
} // namespace

int runCli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << kUsage
                << "  --platform FILE, --model FILE, --batch N, --context N, --gen-tokens N, --prefill-chunk N,\n"
                   "  --scenario FILE, --max-batch N,\n"
                   "  --set key.path=value (repeatable), --functional | --timing-only, --json FILE,\n"
                   "  --seed N, --prompt IDS, --inject-fault bad-opcode|bad-address, --csv FILE,\n"
                   "  --trace FILE, --trace-window BEGIN:END, --trace-max-spans N, --progress auto|always|never\n"
                   "  (`llmvp run --help` describes each)\n\nExit codes: 0 ok, 1 simulated run failed, "
                   "2 usage or configuration error.\n";
      return args.empty() ? kExitUsage : kExitOk;
    }
    if (args[0] == "--version") {
      std::cout << "llmvp " << kVersion << " (SystemC " << sc_core::sc_release() << ")\n";
      return kExitOk;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "run") {
      return runCommand(args);
    }
    if (cmd == "estimate") return runCommand(args, true);
    if (cmd == "validate") return validateCommand(args);
    if (cmd == "memtrace") return memtraceCommand(args);
    if (cmd == "report") return reportCommand(args);
    if (cmd == "sweep") return sweepCommand(args);
    if (cmd == "calibrate") return calibrateCommand(args);
    if (cmd == "validate-hw") return validateHwCommand(args);
    std::cerr
        << "llmvp: unknown command \"" << cmd
        << "\" (expected run, estimate, validate, memtrace, report, sweep, calibrate or validate-hw; see --help)\n";
    return kExitUsage;
  } catch (const ConfigError& e) {
    std::cerr << "llmvp: " << e.what() << "\n";
    return kExitUsage;
  } catch (const ModelError& e) {
    std::cerr << "llmvp: " << e.what() << "\n";
    return kExitUsage;
  }
}

} // namespace llmvp::testbench
