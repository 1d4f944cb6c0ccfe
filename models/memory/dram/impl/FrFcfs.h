// SPDX-License-Identifier: Apache-2.0
#pragma once
/// First-ready, first-come first-served: among the commands ready at a
/// cycle, column commands (row hits) before row commands, then the oldest
/// request. The grouped variant batches directions: it serves reads until
/// the write queue reaches the high watermark (or no read is left), then
/// drains writes down to the low watermark.

#include "models/memory/dram/IScheduler.h"

namespace llmvp::models::dram {

class FrFcfs : public IScheduler {
public:
  void observe(std::size_t, std::size_t) override {}
  [[nodiscard]] bool eligible(bool) const override { return true; }
  /// Row hits (column commands) first, then the oldest request.
  [[nodiscard]] std::uint64_t rank(const Candidate& c) const override;
  void copyStateFrom(const IScheduler&) override {}
};

class FrFcfsGrouped : public FrFcfs {
public:
  FrFcfsGrouped(std::uint32_t high, std::uint32_t low) : high_(high), low_(low) {}
  void observe(std::size_t reads, std::size_t writes) override;
  [[nodiscard]] bool eligible(bool write) const override { return write == writing_; }
  void copyStateFrom(const IScheduler& other) override { writing_ = static_cast<const FrFcfsGrouped&>(other).writing_; }

private:
  const std::uint32_t high_, low_;
  bool writing_ = false;
};

} // namespace llmvp::models::dram
