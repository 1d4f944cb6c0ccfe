// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/impl/FrFcfs.h"

namespace llmvp::models::dram {

std::uint64_t FrFcfs::rank(const Candidate& c) const {
  // seq counts requests (< 2^63 in any run); the top bit orders hits first.
  return (isColumn(c.cmd) ? 0 : std::uint64_t{1} << 63) | c.seq;
}

void FrFcfsGrouped::observe(std::size_t reads, std::size_t writes) {
  if (writing_) {
    if (writes == 0 || (writes <= low_ && reads > 0)) writing_ = false;
  } else if (writes >= high_ || (reads == 0 && writes > 0)) {
    writing_ = true;
  }
}

} // namespace llmvp::models::dram
