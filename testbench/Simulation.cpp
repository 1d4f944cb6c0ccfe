// SPDX-License-Identifier: Apache-2.0
#include "testbench/Simulation.h"

#include <fstream>
#include <iostream>
#include <tlm>

#include "firmware/include/regs.h"
#include "firmware/src/fw_main.h"
#include "testbench/Progress.h"

namespace llmvp::testbench {

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
  if (out.platform.system.chips > 1) return simulateSystem(in, std::move(out), options, chipParams);
  platform::Chip chip("chip0", chipParams, &fw_main);
  if (chip.hasHbm()) chip.hbm().setAccessRecorder(in.hbmRecorder);
  std::ofstream traceOut;
  std::unique_ptr<models::TraceRecorder> recorder;
  if (!in.traceFile.empty()) {
    traceOut.open(in.traceFile);
    if (!traceOut) throw ConfigError("--trace: cannot write " + in.traceFile);
    recorder = std::make_unique<models::TraceRecorder>(in.trace);
    chip.attachTrace(*recorder);
  }
  OpCollector ops; // simulated time per operator, for the roofline estimate
  ops.attachAll();
  HostRuntime host(chip, out.model, options);
  out.placement = host.placement();

  // Per-step samples of every memory's traffic (bandwidth over time) and the
  // progress line, both driven by the firmware's step marks.
  std::vector<std::pair<std::string, const models::StatsGroup*>> memories;
  if (chip.hasHbm())
    memories.emplace_back(chip.hbm().dramName(), &chip.hbm().stats());
  else
    memories.emplace_back(chip.stacked().basename(), &chip.stacked().stats());
  memories.emplace_back(chip.ctrlSram().basename(), &chip.ctrlSram().stats());
  for (std::size_t i = 0; i < chip.tileCount(); ++i)
    memories.emplace_back(std::string(chip.tile(i).basename()) + ".scratchpad", &chip.tile(i).scratchpad().stats());
  BandwidthSeries series;
  for (const auto& m : memories) series.gbps.emplace_back(m.first, std::vector<double>{});
  std::vector<double> lastBytes(memories.size(), 0.0);
  models::Ps lastMark = 0;
  bool sampling = false;
  const std::uint64_t steps =
      options.functional ? std::uint64_t{options.context} + options.genTokens - 1 : std::uint64_t{options.genTokens};
  ProgressLine progress(std::cerr, in.progress, steps, "steps");
  chip.tracePort().onMark = [&](std::uint32_t step, std::uint32_t phase, models::Ps when) {
    if (phase != TRACE_PH_PATCH && !(phase == TRACE_PH_IDLE && sampling)) return;
    if (sampling && when > lastMark) {
      series.endNs.push_back(static_cast<double>(when) * 1e-3);
      for (std::size_t i = 0; i < memories.size(); ++i) {
        const double bytes = memories[i].second->value("bytes_read") + memories[i].second->value("bytes_written");
        series.gbps[i].second.push_back((bytes - lastBytes[i]) / (static_cast<double>(when - lastMark) * 1e-3));
      }
    }
    for (std::size_t i = 0; i < memories.size(); ++i)
      lastBytes[i] = memories[i].second->value("bytes_read") + memories[i].second->value("bytes_written");
    lastMark = when;
    sampling = true;
    progress.update(step, static_cast<double>(when) * 1e-3);
  };
  out.result = host.run();
  if (chip.hasHbm()) chip.hbm().finishAt(out.result.end);
  progress.finish();
  out.report = buildReport(out.platform, out.model, in.modelFile, chip, options, out.result);
  out.report.bandwidth = std::move(series);
  addEstimate(out.report, out.platform, out.model, options, ops, out.result);
  if (chip.hbf() != nullptr) addHbfUse(out.report, chip, out.placement);
  out.report.pnmPlan = out.placement.pnmPlan;
  if (recorder) {
    recorder->write(traceOut);
    traceOut.close();
    if (!traceOut) throw ConfigError("--trace: error writing " + in.traceFile);
  }
  return out;
}

} // namespace llmvp::testbench
