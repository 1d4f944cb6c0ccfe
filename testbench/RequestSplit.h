// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Data-parallel attention (system.parallel.attention: data): the system's
/// requests split over the chips of the tensor group, and their results
/// merged back in request order.

#include <cstdint>
#include <vector>

#include "host/HostRuntime.h"

namespace llmvp::testbench {

/// Chip i's run options: its `options.batch / chips` requests (and their
/// prompts or contexts) of the system's, in order. Throws ConfigError when
/// the model or the batch cannot be split so.
[[nodiscard]] std::vector<RunOptions> splitRequests(const RunOptions& options, const ModelSpec& model,
                                                    std::uint32_t chips);

/// The system's result: the chips' requests in chip order; a step ends when
/// its last chip finished it. Failures are left to the caller.
[[nodiscard]] RunResult mergeRequests(const std::vector<RunResult>& results);

} // namespace llmvp::testbench
