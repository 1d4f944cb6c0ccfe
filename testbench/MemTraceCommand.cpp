// SPDX-License-Identifier: Apache-2.0
// `llmvp memtrace`: the command line of the trace player (analysis/MemTrace.h)
// and its --record mode, which runs a decode simulation and writes the HBM
// request stream as a trace.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>

#include "analysis/MemTrace.h"
#include "config/Loaders.h"
#include "testbench/MemTraceCommand.h"
#include "testbench/Simulation.h"

namespace llmvp::testbench {

namespace po = boost::program_options;
using models::Ps;
using models::dram::DramParams;

namespace {
constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

int recordCommand(const std::string& out, const po::variables_map& vm, const std::vector<std::string>& sets) {
  SimulationInputs in;
  in.platformFile = vm["platform"].as<std::string>();
  in.modelFile = vm["model"].as<std::string>();
  in.overrides = sets;
  in.options.batch = vm["batch"].as<std::uint32_t>();
  in.options.context = vm["context"].as<std::uint32_t>();
  in.options.genTokens = vm["gen-tokens"].as<std::uint32_t>();
  std::ofstream f(out);
  if (!f) throw ConfigError("--record: cannot write " + out);
  f << "# HBM requests of `llmvp run --platform " << in.platformFile << " --model " << in.modelFile << " --batch "
    << in.options.batch << " --context " << in.options.context << " --gen-tokens " << in.options.genTokens
    << "` (docs/memtrace.md)\n";
  MemTraceWriter writer(f);
  in.hbmRecorder = &writer;
  const SimulationOutput o = simulate(in);
  if (!o.result.ok) {
    std::cerr << "llmvp memtrace: run failed: " << o.result.error << "\n";
    return 1;
  }
  std::cout << "recorded " << out << " (memspec " << o.platform.memspecFile << ", " << o.platform.chip.hbm.stacks
            << " stacks)\n";
  return kExitOk;
}
} // namespace

int memtraceCommand(const std::vector<std::string>& args) {
  po::options_description desc("llmvp memtrace options");
  std::string memspec, traceFile, jsonFile, logFile, record;
  std::vector<std::string> sets;
  std::uint32_t stacks = 1, window = 0;
  bool detailed = false, fast = false, lt = false, fullRate = false, perBank = false;
  desc.add_options()("help,h", "show these options")("memspec", po::value(&memspec), "memspec (configs/memory/*.yaml)")(
      "trace", po::value(&traceFile), "trace to play (docs/memtrace.md)")("detailed", po::bool_switch(&detailed),
                                                                          "command-level controller (default)")(
      "fast", po::bool_switch(&fast), "the fast model of whole-model runs")(
      "lt", po::bool_switch(&lt),
      "detailed: play through the loosely-timed path (b_transport) that whole-model runs use, instead of the "
      "4-phase one")("stacks", po::value(&stacks)->default_value(1), "stacks (HBM), DIMMs or packages")(
      "full-rate", po::bool_switch(&fullRate), "ignore the trace's times: issue every request as soon as possible")(
      "outstanding", po::value(&window),
      "most requests in flight (default: the detailed controller's request buffers, all channels)")(
      "set", po::value(&sets)->composing(),
      "override a memspec value: key.path=value (with --record: a platform value)")(
      "per-bank", po::bool_switch(&perBank), "print every bank's utilisation")(
      "command-log", po::value(&logFile), "detailed: write every DRAM command (docs/memtrace.md)")(
      "json", po::value(&jsonFile), "write the results as JSON")(
      "record", po::value(&record), "instead of playing: run a decode and write its HBM requests as a trace")(
      "platform", po::value<std::string>(), "--record: platform config")("model", po::value<std::string>(),
                                                                         "--record: model config")(
      "batch", po::value<std::uint32_t>()->default_value(1),
      "--record: batch")("context", po::value<std::uint32_t>()->default_value(512), "--record: context")(
      "gen-tokens", po::value<std::uint32_t>()->default_value(2), "--record: tokens to generate");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << "llmvp memtrace --memspec FILE --trace FILE [--detailed | --fast] [options]\n"
                   "llmvp memtrace --record OUT --platform FILE --model FILE [--batch N --context N --gen-tokens N]\n\n"
                << desc;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(std::string("memtrace: ") + e.what());
  }
  if (!record.empty()) {
    if (vm.count("platform") == 0 || vm.count("model") == 0)
      throw ConfigError("memtrace --record: expected --platform FILE and --model FILE");
    return recordCommand(record, vm, sets);
  }
  if (memspec.empty() || traceFile.empty()) throw ConfigError("memtrace: expected --memspec FILE and --trace FILE");
  if (detailed && fast) throw ConfigError("memtrace: --detailed and --fast are exclusive");
  if (lt && fast) throw ConfigError("memtrace: --lt is for the detailed model (the fast model has only that path)");
  if (vm.count("outstanding") != 0 && (window == 0 || window > (1u << 20)))
    throw ConfigError("memtrace: --outstanding " + std::to_string(window) + " is out of range [1, 1048576]");
  if (stacks == 0 || stacks > 64)
    throw ConfigError("memtrace: --stacks " + std::to_string(stacks) + " is out of range [1, 64]");
  Overrides overrides;
  for (const auto& s : sets) overrides.add(s);
  DramParams p;
  p.stacks = stacks;
  loadMemspec(memspec, overrides, "", p);
  overrides.checkAllUsed();
  const bool useFast = fast;
  std::unique_ptr<models::dram::AddressMapper> mapper;
  try {
    mapper = std::make_unique<models::dram::AddressMapper>(p);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(memspec + ": controller.address_mapping: " + e.what());
  }
  p.capacityBytes = p.organisationBytes() << mapper->ignoredBits();
  const std::uint64_t limit =
      mapper->limitBytes() != 0 ? std::min(mapper->limitBytes(), p.capacityBytes) : p.capacityBytes;
  std::vector<TraceRequest> trace = readTrace(traceFile, limit);
  PlayOptions opt;
  opt.fullRate = fullRate;
  const std::uint32_t perChannel =
      p.ctrl.requestBuffer * (p.ctrl.perBankBuffer ? p.banksPerPc() * p.pseudoChannels : 1) +
      (p.ctrl.scheduler == models::dram::SchedulerKind::FrFcfsGrouped ? p.ctrl.writeBuffer : 0);
  opt.window = window != 0 ? window : perChannel * (p.channels() / p.pseudoChannels);
  MemTraceResult r;
  if (useFast || lt) {
    if (useFast && !logFile.empty()) throw ConfigError("memtrace: --command-log needs the detailed model");
    models::dram::CommandLog log;
    LtReplay replay("dram", p, useFast ? models::dram::DramModel::Fast : models::dram::DramModel::Detailed,
                    logFile.empty() ? nullptr : &log);
    r = replay.run(trace, opt);
    if (!logFile.empty()) {
      std::ofstream f(logFile);
      if (!f) throw ConfigError("--command-log: cannot write " + logFile);
      log.write(f);
    }
  } else {
    models::dram::CommandLog log;
    DetailedReplay replay("dram", p, std::move(trace), opt, logFile.empty() ? nullptr : &log);
    sc_core::sc_start();
    r = replay.result();
    if (!logFile.empty()) {
      std::ofstream f(logFile);
      if (!f) throw ConfigError("--command-log: cannot write " + logFile);
      log.write(f);
    }
  }
  printMemTrace(std::cout, r, p, perBank);
  if (!jsonFile.empty()) {
    std::ofstream f(jsonFile);
    if (!f) throw ConfigError("--json: cannot write " + jsonFile);
    f << boost::json::serialize(memTraceJson(r, p)) << "\n";
  }
  return kExitOk;
}

} // namespace llmvp::testbench
