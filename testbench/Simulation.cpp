// SPDX-License-Identifier: Apache-2.0
#include "testbench/Simulation.h"

#include <tlm>

#include "firmware/src/fw_main.h"

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
  platform::ChipParams chipParams = out.platform.chip;
  chipParams.dma.functional = options.functional;
  chipParams.tile.engine.functional = options.functional;
  chipParams.tile.seed = options.seed;

  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("SystemC time resolution must be 1 ps");
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(out.platform.sim.quantumNs, sc_core::SC_NS));
  platform::Chip chip("chip0", chipParams, &fw_main);
  HostRuntime host(chip, out.model, options);
  out.placement = host.placement();
  out.result = host.run();
  out.report = buildReport(out.platform, out.model, in.modelFile, chip, options, out.result);
  return out;
}

} // namespace llmvp::testbench
