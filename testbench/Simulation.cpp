// SPDX-License-Identifier: Apache-2.0
#include "testbench/Simulation.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <tlm>

#include "firmware/include/regs.h"
#include "firmware/src/fw_main.h"
#include "platform/System.h"
#include "testbench/Progress.h"
#include "testbench/RequestSplit.h"

namespace llmvp::testbench {

namespace {
constexpr double kNsPerPs = 1e-3;

/// Bandwidth over time: every memory's traffic per decode step of one chip,
/// sampled at the firmware's step marks.
class BandwidthSampler {
public:
  explicit BandwidthSampler(platform::Chip& chip) {
    if (chip.hasHbm())
      memories_.emplace_back(chip.hbm().dramName(), &chip.hbm().stats());
    else
      memories_.emplace_back(chip.stacked().basename(), &chip.stacked().stats());
    memories_.emplace_back(chip.ctrlSram().basename(), &chip.ctrlSram().stats());
    for (std::size_t i = 0; i < chip.tileCount(); ++i)
      memories_.emplace_back(std::string(chip.tile(i).basename()) + ".scratchpad", &chip.tile(i).scratchpad().stats());
    for (const auto& m : memories_) series_.gbps.emplace_back(m.first, std::vector<double>{});
    lastBytes_.assign(memories_.size(), 0.0);
  }

  /// A step mark at `when`: closes the interval since the previous one.
  void mark(models::Ps when) {
    if (sampling_ && when > lastMark_) {
      series_.endNs.push_back(static_cast<double>(when) * kNsPerPs);
      for (std::size_t i = 0; i < memories_.size(); ++i)
        series_.gbps[i].second.push_back((bytes(i) - lastBytes_[i]) /
                                         (static_cast<double>(when - lastMark_) * kNsPerPs));
    }
    for (std::size_t i = 0; i < memories_.size(); ++i) lastBytes_[i] = bytes(i);
    lastMark_ = when;
    sampling_ = true;
  }
  [[nodiscard]] BandwidthSeries take() { return std::move(series_); }

private:
  [[nodiscard]] double bytes(std::size_t i) const {
    return memories_[i].second->value("bytes_read") + memories_[i].second->value("bytes_written");
  }

  std::vector<std::pair<std::string, const models::StatsGroup*>> memories_;
  BandwidthSeries series_;
  std::vector<double> lastBytes_;
  models::Ps lastMark_ = 0;
  bool sampling_ = false;
};

/// Static and background power, price and embodied carbon are per chip:
/// the report counted chip 0's, the system has `chips`.
void scaleToSystem(Report& r, const PlatformConfig& pc, std::uint32_t chips) {
  const double seconds = r.simulatedNs * 1e-9;
  const double extra = (chips - 1) * (pc.chip.energy.staticW * seconds +
                                      pc.chip.hbm.backgroundMwPerStack * 1e-3 * pc.chip.hbm.stacks * seconds);
  r.energy.push_back({chips == 2 ? std::string("static + hbm background power, chip 1")
                                 : "static + hbm background power, chips 1-" + std::to_string(chips - 1),
                      extra});
  r.joules += extra;
  applyEconomics(r, pc.economics, chips);
}

/// The system section of the report: network, collectives, stage transfers
/// and per-chip balance of a networked system.
void addSystemReport(Report& report, platform::System& system, const ParallelMapping& parallel, bool chipsAgree) {
  const platform::SystemParams& sp = system.params();
  SystemReport& s = report.system;
  s.chips = sp.chips;
  s.name = sp.name;
  s.topology = models::interconnect::topologyName(sp.topology.kind);
  s.tensorParallel = parallel.tensor;
  s.pipelineParallel = parallel.pipeline;
  s.dataAttention = parallel.dataAttention;
  s.chipsAgree = chipsAgree;
  const auto& g = system.group().stats();
  const double steps = std::max<double>(1.0, static_cast<double>(report.steps));
  s.collectives = g.value("calls");
  s.collectiveNsPerToken = g.value("time") * kNsPerPs / steps;
  s.collectiveLatencyNsPerToken = g.value("latency_part") * kNsPerPs / steps;
  s.collectiveSkewNsPerToken = g.value("skew_wait") * kNsPerPs / steps;
  // Pipeline transfers: with one micro-batch in flight every stage boundary
  // of a step is on the critical path, so their times add up per token; the
  // T ranks of a stage send at the same time and count once. Every chip
  // RECVs once per step, and the chips of a stage wait alike.
  const std::uint32_t tp = parallel.tensor;
  s.transfers = g.value("transfers");
  s.transferNsPerToken = g.value("transfer_time") * kNsPerPs / steps / tp;
  s.transferLatencyNsPerToken = g.value("transfer_latency_part") * kNsPerPs / steps / tp;
  s.transferWaitNsPerStage = g.value("transfer_wait") * kNsPerPs / steps / std::max(1u, sp.chips);
  s.collectiveShareOfTpot =
      report.tpotMeanNs > 0 ? (s.collectiveNsPerToken + s.transferNsPerToken) / report.tpotMeanNs : 0;
  s.substitutions = g.value("substitutions");
  s.stragglers = g.value("stragglers");
  s.retries = g.value("retries");
  s.retryTimeouts = g.value("retry_timeouts");
  for (const auto& st : g.stats())
    if (st.name.rfind("algorithm.", 0) == 0 && st.value > 0) s.algorithms.emplace_back(st.name.substr(10), st.value);
  const double window = report.decodeNs;
  double sum = 0;
  for (const auto& l : system.network().links()) {
    LinkUse u{l->basename(), l->stats().value("bytes"), 0, l->stats().value("retries")};
    u.utilization = window > 0 ? l->stats().value("busy") * kNsPerPs / window : 0;
    sum += u.utilization;
    s.linkUtilizationMax = std::max(s.linkUtilizationMax, u.utilization);
    s.linkBytes += u.bytes;
    s.links.push_back(u);
  }
  s.linkUtilizationMean = s.links.empty() ? 0 : sum / static_cast<double>(s.links.size());
  for (std::size_t i = 0; i < system.chipCount(); ++i) {
    platform::Chip& chip = system.chip(i);
    const models::StatsGroup& mem = chip.hasHbm() ? chip.hbm().stats() : chip.stacked().stats();
    ChipUse u;
    u.hbmBytesPerToken = (mem.value("bytes_read") + mem.value("bytes_written")) / steps;
    if (window > 0) {
      const models::StatsGroup& t = chip.tile(0).stats();
      u.tileActiveShare = (t.value("busy") + t.value("mem_wait")) * kNsPerPs / window;
      if (chip.collectives() != nullptr)
        u.collWaitShare = chip.collectives()->stats().value("network_wait") * kNsPerPs / window;
    }
    s.perChip.push_back(u);
  }
}
} // namespace

SimulationOutput simulate(const SimulationInputs& in) {
  SimulationOutput out;
  Overrides overrides;
  for (const auto& s : in.overrides) overrides.add(s);
  out.platform = loadPlatform(in.platformFile, overrides);
  out.model = loadModel(in.modelFile, overrides);
  overrides.checkAllUsed();

  RunOptions options = in.options;
  options.maxSimulatedMs = out.platform.sim.maxSimulatedMs;
  options.hbf = out.platform.hbf;
  options.pnm = out.platform.pnm;
  platform::ChipParams chipParams = out.platform.chip;
  chipParams.functional = options.functional;

  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("SystemC time resolution must be 1 ps");
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(out.platform.sim.quantumNs, sc_core::SC_NS));
  platform::SystemParams sp = out.platform.system;
  sp.topology.link.seed = options.seed;
  sp.collectives.seed = options.seed;
  platform::System system(chipParams, sp, &fw_main);
  platform::Chip& chip0 = system.chip(0);
  if (chip0.hasHbm()) chip0.hbm().setAccessRecorder(in.hbmRecorder);
  std::ofstream traceOut;
  std::unique_ptr<models::TraceRecorder> recorder;
  if (!in.traceFile.empty()) {
    traceOut.open(in.traceFile);
    if (!traceOut) throw ConfigError("--trace: cannot write " + in.traceFile);
    recorder = std::make_unique<models::TraceRecorder>(in.trace);
    system.attachTrace(*recorder);
  }
  OpCollector ops; // simulated time per operator, for the roofline estimate
  ops.attachAll();

  // One host runtime per chip. Chip i is tensor-parallel rank i % T of
  // pipeline stage i / T; with data-parallel attention it owns requests
  // [i * B / T, (i + 1) * B / T). One chip holds the whole model and batch.
  const std::uint32_t chips = static_cast<std::uint32_t>(system.chipCount());
  const ParallelMapping& parallel = out.platform.parallel;
  const std::uint32_t stages = parallel.pipeline, tp = parallel.tensor;
  const bool dataParallel = chips > 1 && parallel.dataAttention;
  const std::vector<RunOptions> chipOptions =
      dataParallel ? splitRequests(options, out.model, tp) : std::vector<RunOptions>(chips, options);
  std::vector<std::unique_ptr<HostRuntime>> hosts;
  std::vector<HostRuntime*> ptrs;
  for (std::uint32_t i = 0; i < chips; ++i) {
    const Shard shard{tp, i % tp, stages, i / tp, dataParallel};
    hosts.push_back(std::make_unique<HostRuntime>(system.chip(i), out.model, chipOptions[i], shard));
    ptrs.push_back(hosts.back().get());
  }
  out.placement = hosts.front()->placement();

  // The progress line and, for a lone chip, per-step samples of every
  // memory's traffic, both driven by chip 0's step marks. A system's report
  // gives each chip's memory traffic per token in its system section.
  std::unique_ptr<BandwidthSampler> bandwidth;
  if (chips == 1) bandwidth = std::make_unique<BandwidthSampler>(chip0);
  const auto steps = static_cast<std::uint64_t>(decodeSteps(options, options.context));
  ProgressLine progress(std::cerr, in.progress, steps, "steps");
  bool marked = false;
  chip0.tracePort().onMark = [&](std::uint32_t step, std::uint32_t phase, models::Ps when) {
    if (phase != TRACE_PH_PATCH && !(phase == TRACE_PH_IDLE && marked)) return;
    if (bandwidth) bandwidth->mark(when);
    marked = true;
    progress.update(step, static_cast<double>(when) * kNsPerPs);
  };
  const std::vector<RunResult> results = HostRuntime::runAll(ptrs);
  // A lone chip's HBM model closes its accounting at the end of the run (the
  // command-level model then counts refreshes and row state up to there); a
  // system's chips report theirs as of their last command.
  if (chips == 1 && chip0.hasHbm()) chip0.hbm().finishAt(results.front().end);
  progress.finish();

  out.result = dataParallel ? mergeRequests(results) : results.front();
  bool agree = true;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const RunResult& r = results[i];
    if (!r.ok && out.result.ok) out.result = r; // report the first failure
    // Pipeline: the first stage received the tokens the last one computed;
    // the stages between never see them.
    // Data-parallel attention: every chip has its own requests.
    const std::uint32_t stage = static_cast<std::uint32_t>(i) / tp;
    if (!dataParallel && (stage == 0 || stage + 1 == stages)) agree = agree && r.generated == results.front().generated;
  }
  if (out.result.ok && !agree) {
    out.result.ok = false;
    out.result.error = stages > 1 ? "chips disagree on the generated tokens (first vs last pipeline stage)"
                                  : "chips disagree on the generated tokens (tensor-parallel replicas diverged)";
  }

  // The report: every chip's engines and energy, chip 0's memories and
  // compute; then the sections of a lone chip (bandwidth over time, HBF,
  // near-memory offload) or of a system.
  out.report = buildReport(out.platform, out.model, in.modelFile, chip0, options, out.result);
  if (chips > 1) scaleToSystem(out.report, out.platform, chips);
  // The roofline estimate models one chip or a tensor-parallel group, not a
  // pipeline nor data-parallel attention.
  if (stages <= 1 && !dataParallel) addEstimate(out.report, out.platform, out.model, options, ops, out.result);
  if (chips == 1) {
    out.report.bandwidth = bandwidth->take();
    if (chip0.hbf() != nullptr) addHbfUse(out.report, chip0, out.placement);
    out.report.pnmPlan = out.placement.pnmPlan;
  } else {
    addSystemReport(out.report, system, parallel, agree);
  }
  if (recorder) {
    recorder->write(traceOut);
    traceOut.close();
    if (!traceOut) throw ConfigError("--trace: error writing " + in.traceFile);
  }
  return out;
}

} // namespace llmvp::testbench
