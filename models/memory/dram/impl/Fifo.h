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
  [[nodiscard]] bool prefer(const Candidate& a, const Candidate& b) const override { return a.seq < b.seq; }
  void copyStateFrom(const IScheduler&) override {}
};

} // namespace llmvp::models::dram
