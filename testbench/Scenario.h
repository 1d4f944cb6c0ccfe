// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Serving scenarios (issue 4): requests of different prompt and generation
/// lengths arriving over time, served with continuous batching
/// (docs/config-reference.md "Scenario files").

#include <cstdint>
#include <string>
#include <vector>

#include "testbench/HostRuntime.h"

namespace llmvp::testbench {

struct Scenario {
  std::string file, name;
  std::uint32_t maxBatch = 0;         ///< requests in flight at most (KV slots)
  std::uint32_t prefillChunk = 0;     ///< 0: prompts go token by token through decode steps
  bool hasPrefillChunk = false;       ///< the file set prefill_chunk
  std::vector<ServeRequest> requests; ///< in arrival order
};

/// Loads and checks a scenario file (kind: scenario). `seed` drives a
/// generator that does not give its own. Throws ConfigError naming file and key.
[[nodiscard]] Scenario loadScenario(const std::string& path, std::uint64_t seed);

} // namespace llmvp::testbench
