// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <cstdint>

namespace llmvp::models {

/// Wait side of the hardware semaphore block, wired directly to engines (a
/// sideband "wire"); signalling goes over the fabric as a register write.
class ISemaphoreWait {
public:
  virtual ~ISemaphoreWait() = default;
  /// Blocks the calling SystemC thread until semaphore `index` >= 1, then
  /// decrements it. The caller must have synchronised its local time.
  virtual void waitAndDecrement(std::uint32_t index) = 0;
  [[nodiscard]] virtual std::uint32_t count() const = 0;
};

} // namespace llmvp::models
