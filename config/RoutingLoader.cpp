// SPDX-License-Identifier: Apache-2.0
// Timing-only expert routing of a MoE model: the distribution its
// moe.timing_routing names, or the records of a routing trace file.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/Loaders.h"

namespace llmvp::testbench {

TimingRoutingParams routingParams(const ModelSpec& spec) {
  TimingRoutingParams p;
  if (!spec.moe.enabled()) return p;
  p.distribution = spec.moe.distribution;
  switch (spec.moe.distribution) {
  case RoutingDistribution::Uniform: break;
  case RoutingDistribution::Zipf: p.zipfExponent = spec.moe.zipfExponent; break;
  case RoutingDistribution::Trace: {
    std::ifstream in(spec.moe.traceFile);
    if (!in) throw ConfigError(spec.moe.traceFile + ": cannot open routing trace");
    std::string line;
    for (std::size_t no = 1; std::getline(in, line); ++no) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      std::istringstream ls(line);
      std::vector<std::uint32_t> rec;
      long long id = 0;
      while (ls >> id) {
        if (id < 0 || id >= static_cast<long long>(spec.moe.experts))
          throw ConfigError(spec.moe.traceFile + ":" + std::to_string(no) + ": expert id " + std::to_string(id) +
                            " is out of range [0, " + std::to_string(spec.moe.experts - 1) + "]");
        if (std::find(rec.begin(), rec.end(), static_cast<std::uint32_t>(id)) != rec.end())
          throw ConfigError(spec.moe.traceFile + ":" + std::to_string(no) + ": expert id " + std::to_string(id) +
                            " repeated");
        rec.push_back(static_cast<std::uint32_t>(id));
      }
      if (!ls.eof() || rec.size() != spec.moe.topK)
        throw ConfigError(spec.moe.traceFile + ":" + std::to_string(no) + ": expected " +
                          std::to_string(spec.moe.topK) + " expert ids (model.moe.top_k)");
      p.trace.push_back(std::move(rec));
    }
    if (p.trace.empty()) throw ConfigError(spec.moe.traceFile + ": routing trace has no records");
    break;
  }
  }
  return p;
}

} // namespace llmvp::testbench
