// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Receives every request a memory model times (off unless attached): how
/// the decode firmware's access streams are dumped for `llmvp memtrace`.

#include <cstdint>

#include "models/common/Time.h"

namespace llmvp::models::dram {

class IAccessRecorder {
public:
  virtual ~IAccessRecorder() = default;
  /// A request arriving at `arrival` (memory-local address).
  virtual void access(Ps arrival, bool write, std::uint64_t addr, std::uint64_t bytes) = 0;
};

} // namespace llmvp::models::dram
