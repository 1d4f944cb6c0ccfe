// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/impl/FrFcfs.h"

namespace llmvp::models::dram {

bool FrFcfs::prefer(const Candidate& a, const Candidate& b) const {
  const bool ha = isColumn(a.cmd), hb = isColumn(b.cmd);
  if (ha != hb) return ha;
  return a.seq < b.seq;
}

void FrFcfsGrouped::observe(std::size_t reads, std::size_t writes) {
  if (writing_) {
    if (writes == 0 || (writes <= low_ && reads > 0)) writing_ = false;
  } else if (writes >= high_ || (reads == 0 && writes > 0)) {
    writing_ = true;
  }
}

} // namespace llmvp::models::dram
