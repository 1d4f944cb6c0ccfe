// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Request-scheduling policy of the detailed controller. The controller
/// computes, for every buffered request, its next command and the earliest
/// cycle at which timing allows it; the scheduler says which requests may be
/// served (read/write batching) and which of the commands ready at the same
/// cycle goes first. Implementations live in impl/.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "models/memory/dram/Command.h"
#include "models/memory/dram/DramParams.h"

namespace llmvp::models::dram {

/// The next command of one buffered request.
struct Candidate {
  std::uint32_t slot = 0; ///< request-buffer entry
  Command cmd = Command::ACT;
  Cycle start = 0;       ///< earliest first command-bus cycle
  std::uint64_t seq = 0; ///< arrival order: lower is older
  bool write = false;
};

class IScheduler {
public:
  virtual ~IScheduler() = default;
  /// Called before each decision with the numbers of buffered reads and writes.
  virtual void observe(std::size_t reads, std::size_t writes) = 0;
  /// Whether requests of this direction are served in the coming decision.
  [[nodiscard]] virtual bool eligible(bool write) const = 0;
  /// Order among commands ready at the same cycle: the lower rank goes
  /// first. A function of the candidate alone (the controller caches it
  /// with the candidate).
  [[nodiscard]] virtual std::uint64_t rank(const Candidate& c) const = 0;
  /// True if `a` goes before `b` when both are ready at the same cycle.
  [[nodiscard]] bool prefer(const Candidate& a, const Candidate& b) const { return rank(a) < rank(b); }
  /// Takes over the state of `other`, a scheduler of the same kind.
  virtual void copyStateFrom(const IScheduler& other) = 0;
};

/// The scheduler named by `c.scheduler`.
[[nodiscard]] std::unique_ptr<IScheduler> makeScheduler(const DramController& c);

} // namespace llmvp::models::dram
