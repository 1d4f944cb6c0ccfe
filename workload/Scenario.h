// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Serving scenarios: requests of different prompt and generation
/// lengths arriving over time, served with continuous batching
/// (docs/config-reference.md "Scenario files").

#include <cstdint>
#include <string>
#include <vector>

#include "models/common/Picoseconds.h"

namespace llmvp::testbench {

/// One request of a serving scenario (a Scenario below).
struct ServeRequest {
  models::Ps arrival = 0;            ///< after the firmware's set-up (MBOX_ST_RUNNING)
  std::uint32_t prompt = 0, gen = 0; ///< prompt tokens, tokens to generate
  std::vector<std::uint32_t> tokens; ///< explicit prompt (else seeded)
};

struct Scenario {
  std::string file, name;
  std::uint32_t maxBatch = 0;         ///< requests in flight at most (KV slots)
  std::uint32_t prefillChunk = 0;     ///< 0: prompts go token by token through decode steps
  bool hasPrefillChunk = false;       ///< the file set prefill_chunk
  std::vector<ServeRequest> requests; ///< in arrival order
};

} // namespace llmvp::testbench
