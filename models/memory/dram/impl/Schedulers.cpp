// SPDX-License-Identifier: Apache-2.0
// The factory of scheduling policies.
#include "models/memory/dram/impl/Fifo.h"
#include "models/memory/dram/impl/FrFcfs.h"

namespace llmvp::models::dram {

std::unique_ptr<IScheduler> makeScheduler(const DramController& c) {
  switch (c.scheduler) {
  case SchedulerKind::FrFcfs: return std::make_unique<FrFcfs>();
  case SchedulerKind::FrFcfsGrouped: return std::make_unique<FrFcfsGrouped>(c.writeHigh, c.writeLow);
  case SchedulerKind::Fifo: return std::make_unique<Fifo>();
  }
  return nullptr;
}

} // namespace llmvp::models::dram
