// SPDX-License-Identifier: Apache-2.0
// Multi-chip runs: builds a platform::System, one host runtime per
// chip (tensor-parallel shards or pipeline stages), runs them together and adds the system
// section to the report.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "firmware/include/manifest.h"
#include "firmware/src/fw_main.h"
#include "platform/System.h"
#include "testbench/Progress.h"
#include "testbench/Simulation.h"

namespace llmvp::testbench {

namespace {
constexpr double kNsPerPs = 1e-3;

/// Data-parallel attention: chip i's run options, its B / T requests (and
/// their prompts or contexts) of the system's B.
std::vector<RunOptions> splitRequests(const RunOptions& options, const ModelSpec& model, std::uint32_t chips) {
  const std::string what = "system.parallel.attention: data: ";
  if (!model.moe.enabled())
    throw ConfigError(what + model.name +
                      " is a dense model; data-parallel attention needs routed experts to dispatch to (use tensor)");
  if (model.moe.experts % chips != 0)
    throw ConfigError(what + std::to_string(chips) + " chips do not divide the model's " +
                      std::to_string(model.moe.experts) + " routed experts (model.moe.experts)");
  if (chips > LLMVP_MAX_EP)
    throw ConfigError(what + std::to_string(chips) + " chips are more than the " + std::to_string(LLMVP_MAX_EP) +
                      " expert-parallel ranks the firmware supports");
  if (options.batch % chips != 0)
    throw ConfigError("--batch: " + std::to_string(options.batch) + " requests do not split evenly over the " +
                      std::to_string(chips) + " chips of data-parallel attention (system.parallel.attention: data)");
  if (!options.serve.empty())
    throw ConfigError("--scenario: serving on several chips is not supported yet; use one chip");
  const std::uint32_t per = options.batch / chips;
  std::vector<std::vector<std::uint32_t>> prompts = options.prompts;
  if (options.functional && prompts.empty())
    prompts = seededPrompts(options.seed, options.batch, options.context, model.vocab);
  if (!prompts.empty() && prompts.size() != options.batch)
    throw ConfigError("prompts: expected one per request (" + std::to_string(options.batch) + ")");
  if (!options.contexts.empty() && options.contexts.size() != options.batch)
    throw ConfigError("--context: " + std::to_string(options.contexts.size()) + " lengths given for batch " +
                      std::to_string(options.batch) + " (give one, or one per request)");
  std::vector<RunOptions> out(chips, options);
  for (std::uint32_t i = 0; i < chips; ++i) {
    RunOptions& o = out[i];
    o.batch = per;
    auto slice = [&](const auto& v) {
      return std::decay_t<decltype(v)>(v.begin() + i * per, v.begin() + (i + 1) * per);
    };
    if (!prompts.empty()) o.prompts = slice(prompts);
    if (!options.contexts.empty()) {
      o.contexts = slice(options.contexts);
      o.context = *std::max_element(o.contexts.begin(), o.contexts.end());
    }
  }
  return out;
}

/// Data-parallel attention: the system's result, the chips' requests in
/// chip order; a step ends when its last chip finished it (failures are
/// reported by the caller, as for the other layouts).
RunResult mergeRequests(const std::vector<RunResult>& results) {
  RunResult m = results.front();
  m.prompts.clear();
  m.generated.clear();
  m.lastLogits.clear();
  for (const RunResult& r : results) {
    m.prompts.insert(m.prompts.end(), r.prompts.begin(), r.prompts.end());
    m.generated.insert(m.generated.end(), r.generated.begin(), r.generated.end());
    m.lastLogits.insert(m.lastLogits.end(), r.lastLogits.begin(), r.lastLogits.end());
    m.end = std::max(m.end, r.end);
    for (std::size_t s = 0; s < std::min(m.stepEnd.size(), r.stepEnd.size()); ++s)
      m.stepEnd[s] = std::max(m.stepEnd[s], r.stepEnd[s]);
  }
  return m;
}

/// Static and background power, price and embodied carbon are per chip:
/// the single-chip report counted chip 0's, the system has `chips`.
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
} // namespace

SimulationOutput simulateSystem(const SimulationInputs& in, SimulationOutput out, const RunOptions& options,
                                const platform::ChipParams& chipParams) {
  platform::SystemParams sp = out.platform.system;
  sp.topology.link.seed = options.seed;
  sp.collectives.seed = options.seed;
  platform::System system("system", chipParams, sp, &fw_main);
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
  std::vector<std::unique_ptr<HostRuntime>> hosts;
  std::vector<HostRuntime*> ptrs;
  // Chip i is tensor-parallel rank i % T of pipeline stage i / T. With
  // data-parallel attention it owns requests [i * B / T, (i + 1) * B / T).
  const std::uint32_t stages = sp.parallel.pipeline, tp = sp.parallel.tensor;
  const bool dataParallel = sp.parallel.dataAttention;
  const std::vector<RunOptions> chipOptions =
      dataParallel ? splitRequests(options, out.model, tp) : std::vector<RunOptions>{};
  for (std::uint32_t i = 0; i < sp.chips; ++i) {
    const Shard shard{tp, i % tp, stages, i / tp, dataParallel};
    hosts.push_back(
        std::make_unique<HostRuntime>(system.chip(i), out.model, dataParallel ? chipOptions[i] : options, shard));
    ptrs.push_back(hosts.back().get());
  }
  out.placement = hosts.front()->placement();
  const std::uint64_t steps =
      options.functional ? std::uint64_t{options.context} + options.genTokens - 1 : std::uint64_t{options.genTokens};
  ProgressLine progress(std::cerr, in.progress, steps, "steps");
  system.chip(0).tracePort().onMark = [&](std::uint32_t step, std::uint32_t, models::Ps when) {
    progress.update(step, static_cast<double>(when) * 1e-3);
  };
  std::vector<RunResult> results = HostRuntime::runAll(ptrs);
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
  out.report = buildReport(out.platform, out.model, in.modelFile, system.chip(0), options, out.result);
  scaleToSystem(out.report, out.platform, sp.chips);
  // The roofline estimate models one chip or a tensor-parallel group, not a
  // pipeline nor data-parallel attention.
  if (stages <= 1 && !dataParallel) addEstimate(out.report, out.platform, out.model, options, ops, out.result);

  SystemReport& s = out.report.system;
  s.chips = sp.chips;
  s.name = sp.name;
  s.topology = models::interconnect::topologyName(sp.topology.kind);
  s.tensorParallel = sp.parallel.tensor;
  s.pipelineParallel = stages;
  s.dataAttention = dataParallel;
  s.chipsAgree = agree;
  const auto& g = system.group().stats();
  const double steps_ = std::max<double>(1.0, static_cast<double>(out.result.stepEnd.size()));
  s.collectives = g.value("calls");
  s.collectiveNsPerToken = g.value("time") * kNsPerPs / steps_;
  s.collectiveLatencyNsPerToken = g.value("latency_part") * kNsPerPs / steps_;
  s.collectiveSkewNsPerToken = g.value("skew_wait") * kNsPerPs / steps_;
  // Pipeline transfers: with one micro-batch in flight every stage boundary
  // of a step is on the critical path, so their times add up per token; the
  // T ranks of a stage send at the same time and count once. Every chip
  // RECVs once per step, and the chips of a stage wait alike.
  s.transfers = g.value("transfers");
  s.transferNsPerToken = g.value("transfer_time") * kNsPerPs / steps_ / tp;
  s.transferLatencyNsPerToken = g.value("transfer_latency_part") * kNsPerPs / steps_ / tp;
  s.transferWaitNsPerStage = g.value("transfer_wait") * kNsPerPs / steps_ / std::max(1u, sp.chips);
  s.collectiveShareOfTpot =
      out.report.tpotMeanNs > 0 ? (s.collectiveNsPerToken + s.transferNsPerToken) / out.report.tpotMeanNs : 0;
  s.substitutions = g.value("substitutions");
  s.stragglers = g.value("stragglers");
  s.retries = g.value("retries");
  s.retryTimeouts = g.value("retry_timeouts");
  for (const auto& st : g.stats())
    if (st.name.rfind("algorithm.", 0) == 0 && st.value > 0) s.algorithms.emplace_back(st.name.substr(10), st.value);
  const double window = out.report.decodeNs;
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
  for (std::uint32_t i = 0; i < sp.chips; ++i) {
    platform::Chip& chip = system.chip(i);
    const models::StatsGroup& mem = chip.hasHbm() ? chip.hbm().stats() : chip.stacked().stats();
    ChipUse u;
    u.hbmBytesPerToken = (mem.value("bytes_read") + mem.value("bytes_written")) / steps_;
    if (window > 0) {
      const models::StatsGroup& t = chip.tile(0).stats();
      u.tileActiveShare = (t.value("busy") + t.value("mem_wait")) * kNsPerPs / window;
      if (chip.collectives() != nullptr)
        u.collWaitShare = chip.collectives()->stats().value("network_wait") * kNsPerPs / window;
    }
    s.perChip.push_back(u);
  }
  if (recorder) {
    recorder->write(traceOut);
    traceOut.close();
    if (!traceOut) throw ConfigError("--trace: error writing " + in.traceFile);
  }
  return out;
}

} // namespace llmvp::testbench
