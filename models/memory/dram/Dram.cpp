// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/Dram.h"

#include <algorithm>

#include "models/memory/dram/DetailedDram.h"
#include "models/memory/dram/FastDram.h"

namespace llmvp::models::dram {

TraceGroups traceGroups(std::uint32_t channels) { return {std::min(channels, kMaxTraceGroups), channels}; }

std::vector<TraceRecorder::Track> TraceGroups::addTracks(TraceRecorder& recorder, const std::string& process,
                                                         const std::string& name, const char* unit) const {
  std::vector<TraceRecorder::Track> tracks;
  std::uint32_t first = 0;
  for (std::uint32_t g = 0; g < groups; ++g) {
    std::uint32_t last = first;
    while (last + 1 < channels && groupOf(last + 1) == g) ++last;
    const std::string range =
        first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
    tracks.push_back(recorder.addTrack(process, "memory " + name + " " + unit + range));
    first = last + 1;
  }
  return tracks;
}

std::unique_ptr<IDram> makeDram(const char* name, const DramParams& params, DramModel model) {
  if (model == DramModel::Detailed) return std::make_unique<DetailedDram>(name, params);
  return std::make_unique<FastDram>(name, params);
}

} // namespace llmvp::models::dram
