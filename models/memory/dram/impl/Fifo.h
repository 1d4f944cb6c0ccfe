// SPDX-License-Identifier: Apache-2.0
#pragma once
/// First-come first-served: among the commands ready at a cycle, the oldest
/// request's, with no preference for row hits.

#include "models/memory/dram/IScheduler.h"

namespace llmvp::models::dram {

class Fifo : public IScheduler {
public:
  void observe(std::size_t, std::size_t) override {}
  [[nodiscard]] bool eligible(bool) const override { return true; }
  [[nodiscard]] std::uint64_t rank(const Candidate& c) const override { return c.seq; }
  void copyStateFrom(const IScheduler&) override {}
};

} // namespace llmvp::models::dram
