// SPDX-License-Identifier: Apache-2.0
#include "models/soc/SemaphoreBlock.h"

namespace llmvp::models::soc {

SemaphoreBlock::SemaphoreBlock(const sc_core::sc_module_name& name, double registerLatencyNs)
    : sc_module(name), regSocket("regSocket"), latency_(nsToPs(registerLatencyNs)) {
  regSocket.register_b_transport(this, &SemaphoreBlock::b_transport);
  regSocket.register_transport_dbg(this, &SemaphoreBlock::transport_dbg);
  SC_METHOD(applyDue);
  sensitive << due_;
  dont_initialize();
}

void SemaphoreBlock::waitAndDecrement(std::uint32_t index) {
  while (values_.at(index) == 0) sc_core::wait(changed_[index]);
  --values_[index];
}

bool SemaphoreBlock::readReg(std::uint32_t offset, std::uint32_t& v) {
  if (offset >= SEM_VALUE(0) && offset < SEM_VALUE(LLMVP_SEM_COUNT)) {
    v = values_[(offset - SEM_VALUE(0)) / 4];
    return true;
  }
  return false;
}

bool SemaphoreBlock::writeReg(std::uint32_t offset, std::uint32_t v, Ps when) {
  if (offset >= SEM_SIGNAL(0) && offset < SEM_SIGNAL(LLMVP_SEM_COUNT)) {
    const std::uint32_t index = (offset - SEM_SIGNAL(0)) / 4;
    const Ps now = nowPs();
    if (when <= now) {
      values_[index] += v;
      changed_[index].notify(sc_core::SC_ZERO_TIME);
    } else {
      pending_.emplace(when, Pending{index, v});
      due_.notify(fromPs(pending_.begin()->first - now));
    }
    return true;
  }
  if (offset >= SEM_SET(0) && offset < SEM_SET(LLMVP_SEM_COUNT)) {
    const std::uint32_t index = (offset - SEM_SET(0)) / 4;
    values_[index] = v;
    changed_[index].notify(sc_core::SC_ZERO_TIME);
    return true;
  }
  return false;
}

void SemaphoreBlock::applyDue() {
  const Ps now = nowPs();
  while (!pending_.empty() && pending_.begin()->first <= now) {
    const Pending p = pending_.begin()->second;
    pending_.erase(pending_.begin());
    values_[p.index] += p.add;
    changed_[p.index].notify(sc_core::SC_ZERO_TIME);
  }
  if (!pending_.empty()) due_.notify(fromPs(pending_.begin()->first - now));
}

} // namespace llmvp::models::soc
