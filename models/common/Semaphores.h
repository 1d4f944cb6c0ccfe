// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <cstdint>
#include <string>

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
  /// Records that engine `engine` (its full name) signals semaphore `index`.
  /// A signal's register write does not say who wrote it, so the signalling
  /// engine tells the block on this wire too; waits are attributed to it.
  virtual void noteSignaller(std::uint32_t index, const std::string& engine) = 0;
  /// The engine that last signalled semaphore `index` (noteSignaller), or ""
  /// if none has (the control CPU sets semaphores without signalling).
  [[nodiscard]] virtual const std::string& signaller(std::uint32_t index) const = 0;
};

} // namespace llmvp::models
