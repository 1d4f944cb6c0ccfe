// SPDX-License-Identifier: Apache-2.0
#include "report/Report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <ostream>
#include <sstream>

#include "models/common/Stats.h"
#include "report/Format.h"
#include "report/Version.h"

namespace llmvp::testbench {

namespace {
constexpr double kNsPerPs = 1e-3;
constexpr double kJPerPj = 1e-12;

} // namespace

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

namespace {
/// Every module's statistics, taken while the modules still exist (the
/// report outlives the simulated chip).
boost::json::object statsSnapshot() {
  boost::json::object stats;
  for (const models::IHasStats* m : models::collectStats()) {
    boost::json::object group;
    for (const auto& s : m->stats().stats())
      group[s.name] = {{"value", s.value}, {"unit", models::unitName(s.unit)}, {"description", s.description}};
    stats[m->stats().path()] = group;
  }
  return stats;
}
} // namespace

Report buildReport(const PlatformConfig& platform, const ModelSpec& model, const std::string& modelFile,
                   platform::Chip& chip, const RunOptions& options, const RunResult& result) {
  Report r;
  r.platformName = platform.name;
  r.platformFile = platform.file;
  r.modelName = model.name;
  r.modelFile = modelFile;
  r.options = options;
  r.ok = result.ok;
  r.error = result.error;
  r.steps = static_cast<std::uint32_t>(result.stepEnd.size());
  r.simulatedNs = static_cast<double>(result.end) * kNsPerPs;
  r.setupNs = static_cast<double>(result.decodeStart) * kNsPerPs;
  r.decodeNs = r.simulatedNs - r.setupNs;
  const models::Ps decodeFrom = result.prefillEnd.empty() ? result.decodeStart : result.prefillEnd.back();
  for (models::Ps t : result.prefillEnd) r.ttftNs.push_back(static_cast<double>(t - result.decodeStart) * kNsPerPs);
  if (!r.ttftNs.empty()) {
    r.ttftMeanNs = std::accumulate(r.ttftNs.begin(), r.ttftNs.end(), 0.0) / static_cast<double>(r.ttftNs.size());
    r.ttftP50Ns = percentile(r.ttftNs, 50);
    r.ttftP99Ns = percentile(r.ttftNs, 99);
    r.prefillNs = r.ttftNs.back();
    r.prefillRowwise = result.prefillRowwise;
  }
  for (std::uint32_t s = result.firstGeneratingStep; s < r.steps; ++s) {
    const models::Ps prev = s == 0 ? decodeFrom : result.stepEnd[s - 1];
    r.tpotNs.push_back(static_cast<double>(result.stepEnd[s] - prev) * kNsPerPs);
    r.stepEndNs.push_back(static_cast<double>(result.stepEnd[s]) * kNsPerPs);
  }
  r.generatingSteps = static_cast<std::uint32_t>(r.tpotNs.size());
  r.generatedTokens = std::uint64_t{r.generatingSteps} * options.batch;
  if (!r.tpotNs.empty()) {
    const double sum = std::accumulate(r.tpotNs.begin(), r.tpotNs.end(), 0.0);
    r.tpotMeanNs = sum / static_cast<double>(r.tpotNs.size());
    r.tpotP50Ns = percentile(r.tpotNs, 50);
    r.tpotP99Ns = percentile(r.tpotNs, 99);
    r.tokensPerSecond = static_cast<double>(r.generatedTokens) / (sum * 1e-9);
  }
  if (!options.serve.empty()) addServeReport(r, options, result);
  const double window = r.decodeNs;

  double dynamicPj = 0;
  for (const models::IHasStats* m : models::collectStats()) {
    const models::StatsGroup& g = m->stats();
    const double e = g.valueOr("energy", 0); // components without a dynamic-energy model have none
    dynamicPj += e;
    if (e > 0) r.energy.push_back({g.path(), e * kJPerPj});
    if (m->componentKind() == models::ComponentKind::Engine) {
      EngineTime t{g.path(), g.value("busy") * kNsPerPs, g.value("mem_wait") * kNsPerPs, g.value("sem_wait") * kNsPerPs,
                   0};
      t.idleNs = std::max(0.0, window - t.busyNs - t.memWaitNs - t.semWaitNs);
      r.engines.push_back(t);
      r.flops += g.valueOr("flops", 0); // engines that only move data count no flops
      // Per-opcode statistics "op.<name>.count|time|bytes|flops" (models/common/Engine.cpp).
      for (const auto& st : g.stats()) {
        const std::string& n = st.name;
        if (n.size() < 10 || n.compare(0, 3, "op.") != 0 || n.compare(n.size() - 6, 6, ".count") != 0) continue;
        const std::string prefix = n.substr(0, n.size() - 5);
        r.operators.push_back({g.path(), n.substr(3, n.size() - 9), st.value, g.value(prefix + "time") * kNsPerPs,
                               g.value(prefix + "bytes"), g.value(prefix + "flops")});
      }
    }
  }
  auto memory = [&](const std::string& name, const models::StatsGroup& g, double peak) {
    MemoryUse u{name, g.value("bytes_read"), g.value("bytes_written"), 0, peak};
    u.achievedGBps = window > 0 ? (u.bytesRead + u.bytesWritten) / window : 0;
    r.memories.push_back(u);
  };
  if (chip.hasHbm())
    memory(chip.hbm().dramName(), chip.hbm().stats(), chip.hbm().peakGBps());
  else
    memory(chip.stacked().basename(), chip.stacked().stats(), chip.stacked().peakGBps());
  memory(chip.ctrlSram().basename(), chip.ctrlSram().stats(), chip.ctrlSram().peakGBps());
  for (std::size_t i = 0; i < chip.tileCount(); ++i)
    memory(std::string(chip.tile(i).basename()) + ".scratchpad", chip.tile(i).scratchpad().stats(),
           chip.tile(i).scratchpad().peakGBps());

  const models::DType computeType = models::computeType(model.weightDtype, model.actDtype);
  r.computeDtype = std::string(models::dtypeName(computeType));
  for (std::size_t i = 0; i < chip.tileCount(); ++i) r.peakFlops += chip.tile(i).peakFlops(computeType);
  for (std::size_t i = 0; i < chip.pnmCount(); ++i) r.peakFlops += chip.pnm(i).peakFlops();
  r.achievedFlops = window > 0 ? r.flops / (window * 1e-9) : 0;

  const double seconds = r.simulatedNs * 1e-9;
  const double staticJ = platform.chip.energy.staticW * seconds;
  const double hbmBackgroundJ =
      platform.chip.stackedMemory ? platform.chip.stacked.staticWPerStack * platform.chip.stacked.stacks * seconds
                                  : platform.chip.hbm.backgroundMwPerStack * 1e-3 * platform.chip.hbm.stacks * seconds;
  r.energy.push_back({"chip static power", staticJ});
  r.energy.push_back(
      {platform.chip.stackedMemory ? "stacked DRAM background power" : "hbm background power", hbmBackgroundJ});
  r.joules = dynamicPj * kJPerPj + staticJ + hbmBackgroundJ;
  applyEconomics(r, platform.economics, 1);
  r.wallSeconds = result.wallSeconds;
  r.tokensPerWallSecond = result.wallSeconds > 0 ? static_cast<double>(r.generatedTokens) / result.wallSeconds : 0;
  if (options.functional) r.generated = result.generated;
  r.stats = statsSnapshot();
  return r;
}

void applyEconomics(Report& r, const Economics& econ, std::uint32_t chips) {
  const double seconds = r.simulatedNs * 1e-9;
  r.joulesPerToken = r.generatedTokens > 0 ? r.joules / static_cast<double>(r.generatedTokens) : 0;
  r.averageWatts = seconds > 0 ? r.joules / seconds : 0;
  // Metrics per token while decoding at this rate: the chips' time is
  // amortised over their lifetime, energy is drawn at the facility (PUE).
  if (r.generatedTokens > 0 && seconds > 0) {
    constexpr double kSecondsPerYear = 365.25 * 24 * 3600;
    const double perToken = 1.0 / static_cast<double>(r.generatedTokens);
    const double facilityKwh = r.joules * econ.pue / 3.6e6;
    const double lifetimeShare = seconds / (econ.lifetimeYears * kSecondsPerYear);
    r.tokensPerSecondPerWatt = r.averageWatts > 0 ? r.tokensPerSecond / r.averageWatts : 0;
    r.usdPerMillionTokens =
        1e6 * perToken * (econ.priceUsd * chips * lifetimeShare + facilityKwh * econ.electricityUsdPerKwh);
    r.gco2ePerMillionTokens =
        1e6 * perToken * (facilityKwh * econ.gridGco2ePerKwh + econ.embodiedKgco2e * chips * 1e3 * lifetimeShare);
  }
}

void printReport(std::ostream& os, const Report& r) {
  const auto& o = r.options;
  os << "llmvp " << kVersion << " — " << r.modelName << " on " << r.platformName << " ("
     << (o.functional ? "functional" : "timing-only") << ", seed " << o.seed << ")\n";
  if (!o.serve.empty())
    os << "  scenario " << o.scenarioName << ": " << o.serve.size() << " requests, at most " << o.batch
       << " in flight\n\n";
  else
    os << "  batch " << o.batch << ", " << (o.functional ? "prompt " : "context ") << o.context << " tokens, "
       << o.genTokens << " generated tokens per request\n\n";
  if (!r.ok) os << "RUN FAILED: " << r.error << "\n\n";

  if (o.prefillChunk != 0 && !r.serve.present) {
    os << "Prefill (chunks of " << o.prefillChunk << " tokens, "
       << (r.prefillRowwise ? "one request after another, passes of at most 256 rows" : "requests packed in order")
       << ")\n";
    os << "  TTFT mean " << durationText(r.ttftMeanNs) << "   p50 " << durationText(r.ttftP50Ns) << "   p99 "
       << durationText(r.ttftP99Ns) << "   over " << r.ttftNs.size() << " requests\n";
    os << "  prefill " << durationText(r.prefillNs) << ", then decode " << durationText(r.decodeNs - r.prefillNs)
       << "\n\n";
  }
  if (r.serve.present) printServeReport(os, r.serve);
  os << (r.serve.present ? "Decode steps (time per step, any mix of requests)\n" : "Decode latency\n");
  os << (r.serve.present ? "  step mean " : "  TPOT mean ") << durationText(r.tpotMeanNs) << "   p50 "
     << durationText(r.tpotP50Ns) << "   p99 " << durationText(r.tpotP99Ns) << "   over " << r.generatingSteps
     << " steps\n";
  os << "  throughput " << fixedText(r.tokensPerSecond, 1) << " tokens/s (" << r.generatedTokens << " tokens)\n";
  os << "  simulated time " << durationText(r.simulatedNs) << " (firmware setup " << durationText(r.setupNs)
     << ", decode " << durationText(r.decodeNs) << ")\n\n";

  os << "Engines (share of decode time)        busy   mem-wait   sem-wait       idle\n";
  for (const auto& e : r.engines)
    os << "  " << std::left << std::setw(32) << e.name << std::right << std::setw(9)
       << percentText(e.busyNs, r.decodeNs) << std::setw(11) << percentText(e.memWaitNs, r.decodeNs) << std::setw(11)
       << percentText(e.semWaitNs, r.decodeNs) << std::setw(11) << percentText(e.idleNs, r.decodeNs) << "\n";
  os << "\nMemories                             read    written   achieved / peak bandwidth\n";
  for (const auto& m : r.memories)
    os << "  " << std::left << std::setw(28) << m.name << std::right << std::setw(12) << bytesText(m.bytesRead)
       << std::setw(11) << bytesText(m.bytesWritten) << "   " << fixedText(m.achievedGBps, 1) << " / "
       << fixedText(m.peakGBps, 1) << " GB/s (" << percentText(m.achievedGBps, m.peakGBps) << ")\n";
  os << "\nCompute\n  " << fixedText(r.flops / 1e9, 2) << " GFLOP, achieved " << fixedText(r.achievedFlops / 1e12, 2)
     << " TFLOP/s of " << fixedText(r.peakFlops / 1e12, 1) << " peak " << r.computeDtype << " ("
     << percentText(r.achievedFlops, r.peakFlops) << ")\n";
  printEstimateComparison(os, r.estimate);
  os << "\nEnergy\n";
  std::size_t nameWidth = 40; // wider when a name needs it, so that no name runs into its figure
  for (const auto& e : r.energy) nameWidth = std::max(nameWidth, e.name.size() + 1);
  for (const auto& e : r.energy)
    os << "  " << std::left << std::setw(static_cast<int>(nameWidth)) << e.name << std::right << fixedText(e.joules, 4)
       << " J\n";
  os << "  total " << fixedText(r.joules, 4) << " J, " << fixedText(r.joulesPerToken, 4) << " J/token, average "
     << fixedText(r.averageWatts, 1) << " W\n";
  os << "\nEfficiency and cost (economics section of the platform)\n  " << fixedText(r.tokensPerSecondPerWatt, 3)
     << " tokens/s/W, $" << fixedText(r.usdPerMillionTokens, 3) << " per million tokens, "
     << fixedText(r.gco2ePerMillionTokens, 1) << " gCO2e per million tokens\n";
  printSystemReport(os, r);
  if (r.hbf.present) printHbfUse(os, r.hbf);
  if (!r.pnmPlan.empty()) os << "\nNear-memory offload (chip.pnm.offload)\n  " << r.pnmPlan << "\n";
  if (!r.generated.empty()) {
    os << "\nGenerated tokens\n";
    for (std::size_t q = 0; q < r.generated.size(); ++q) {
      os << "  request " << q << ":";
      for (auto t : r.generated[q]) os << ' ' << t;
      os << "\n";
    }
  }
  os << "\nSimulator\n  wall time " << fixedText(r.wallSeconds, 3) << " s, " << fixedText(r.tokensPerWallSecond, 1)
     << " simulated tokens per wall second\n";
}

boost::json::object reportJson(const Report& r, const std::vector<std::string>& overrides) {
  namespace json = boost::json;
  json::object root;
  root["llmvp_version"] = kVersion;
  root["systemc_version"] = sc_core::sc_release();
  json::object cfg;
  cfg["platform"] = r.platformFile;
  cfg["model"] = r.modelFile;
  cfg["batch"] = r.options.batch;
  cfg["context"] = r.options.context;
  cfg["gen_tokens"] = r.options.genTokens;
  cfg["mode"] = r.options.functional ? "functional" : "timing-only";
  cfg["seed"] = r.options.seed;
  if (!r.options.serve.empty()) cfg["scenario"] = r.options.scenarioName; // batch is then max_batch
  json::array ov;
  for (const auto& s : overrides) ov.emplace_back(s);
  cfg["overrides"] = ov;
  root["config"] = cfg;

  json::object res;
  res["ok"] = r.ok;
  if (!r.ok) res["error"] = r.error;
  res["steps"] = r.steps;
  res["generated_tokens"] = r.generatedTokens;
  res["tpot_mean_ns"] = r.tpotMeanNs;
  res["tpot_p50_ns"] = r.tpotP50Ns;
  res["tpot_p99_ns"] = r.tpotP99Ns;
  res["tokens_per_s"] = r.tokensPerSecond;
  res["simulated_ns"] = r.simulatedNs;
  res["setup_ns"] = r.setupNs;
  res["decode_ns"] = r.decodeNs;
  json::array tpot;
  for (double v : r.tpotNs) tpot.emplace_back(v);
  res["tpot_ns"] = tpot;
  if (r.options.prefillChunk != 0) {
    json::array ttft;
    for (double v : r.ttftNs) ttft.emplace_back(v);
    res["ttft_ns"] = ttft;
    res["ttft_mean_ns"] = r.ttftMeanNs;
    res["ttft_p50_ns"] = r.ttftP50Ns;
    res["ttft_p99_ns"] = r.ttftP99Ns;
    res["prefill_ns"] = r.prefillNs;
    res["prefill_passes"] = r.prefillRowwise ? "rows" : "packed";
  }
  json::object engines;
  for (const auto& e : r.engines)
    engines[e.name] = {
        {"busy_ns", e.busyNs}, {"mem_wait_ns", e.memWaitNs}, {"sem_wait_ns", e.semWaitNs}, {"idle_ns", e.idleNs}};
  res["engines"] = engines;
  json::object mems;
  for (const auto& m : r.memories)
    mems[m.name] = {{"bytes_read", m.bytesRead},
                    {"bytes_written", m.bytesWritten},
                    {"achieved_gbps", m.achievedGBps},
                    {"peak_gbps", m.peakGBps}};
  res["memories"] = mems;
  if (r.hbf.present) res["hbf"] = hbfJson(r.hbf);
  if (!r.pnmPlan.empty()) res["pnm_plan"] = r.pnmPlan;
  if (r.serve.present) res["scenario"] = serveJson(r.serve);
  json::array ops;
  for (const auto& o : r.operators)
    ops.push_back(json::object{{"engine", o.engine},
                               {"op", o.op},
                               {"count", o.count},
                               {"time_ns", o.timeNs},
                               {"bytes", o.bytes},
                               {"flops", o.flops}});
  res["operators"] = ops;
  json::object bw;
  json::array bwEnd;
  for (double v : r.bandwidth.endNs) bwEnd.emplace_back(v);
  bw["end_ns"] = bwEnd;
  json::object bwMem;
  for (const auto& [name, values] : r.bandwidth.gbps) {
    json::array a;
    for (double v : values) a.emplace_back(v);
    bwMem[name] = a;
  }
  bw["gbps"] = bwMem;
  res["bandwidth"] = bw;
  res["flops"] = r.flops;
  res["achieved_flops_per_s"] = r.achievedFlops;
  res["peak_flops_per_s"] = r.peakFlops;
  json::object energy;
  for (const auto& e : r.energy) energy[e.name] = e.joules;
  res["energy_j"] = energy;
  res["joules"] = r.joules;
  res["joules_per_token"] = r.joulesPerToken;
  res["average_watts"] = r.averageWatts;
  res["tokens_per_s_per_w"] = r.tokensPerSecondPerWatt;
  res["usd_per_million_tokens"] = r.usdPerMillionTokens;
  res["gco2e_per_million_tokens"] = r.gco2ePerMillionTokens;
  if (!r.generated.empty()) {
    json::array gen;
    for (const auto& g : r.generated) {
      json::array row;
      for (auto t : g) row.emplace_back(t);
      gen.emplace_back(row);
    }
    res["generated"] = gen;
  }
  if (r.system.chips > 1) res["system"] = systemReportJson(r);
  if (r.estimate.present) res["estimate"] = estimateComparisonJson(r.estimate);
  root["results"] = res;

  root["stats"] = r.stats;
  // Wall-clock figures are left out so that the same inputs give a
  // byte-identical file; the text report prints them.
  return root;
}

void addEstimate(Report& report, const PlatformConfig& platform, const ModelSpec& model, const RunOptions& options,
                 const OpCollector& collector, const RunResult& result) {
  // A serving scenario's requests arrive and leave over time: the per-step
  // and per-prefill workload the estimate describes does not apply.
  if (!options.serve.empty()) return;
  report.estimate = compareEstimate(estimate(platform, model, options), collector,
                                    result.prefillEnd.empty() ? 0 : result.prefillEnd.back(),
                                    static_cast<double>(report.steps), report.tpotMeanNs, report.prefillNs);
}

} // namespace llmvp::testbench
