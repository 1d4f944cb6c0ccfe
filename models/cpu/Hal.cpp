// SPDX-License-Identifier: Apache-2.0
// hal.h implemented by the control-CPU model: each call is a transaction of
// the CPU whose firmware thread is running.
#include "firmware/include/hal.h"

#include <cstdio>
#include <cstdlib>

#include "models/cpu/ControlCpu.h"

namespace {
llmvp::models::cpu::ControlCpu& cpu() {
  auto* c = llmvp::models::cpu::ControlCpu::current();
  if (c == nullptr) {
    // An internal invariant: HAL calls only happen on a firmware thread.
    std::fprintf(stderr, "llmvp: internal error: hal.h called outside a control-CPU thread\n");
    std::abort();
  }
  return *c;
}
} // namespace

extern "C" {

uint32_t hal_read32(uint64_t addr) {
  uint32_t v = 0;
  cpu().access(tlm::TLM_READ_COMMAND, addr, &v, sizeof v);
  return v;
}
void hal_write32(uint64_t addr, uint32_t value) { cpu().access(tlm::TLM_WRITE_COMMAND, addr, &value, sizeof value); }
uint64_t hal_read64(uint64_t addr) {
  uint64_t v = 0;
  cpu().access(tlm::TLM_READ_COMMAND, addr, &v, sizeof v);
  return v;
}
void hal_write64(uint64_t addr, uint64_t value) { cpu().access(tlm::TLM_WRITE_COMMAND, addr, &value, sizeof value); }
void hal_read_block(uint64_t addr, void* dst, size_t bytes) { cpu().access(tlm::TLM_READ_COMMAND, addr, dst, bytes); }
void hal_write_block(uint64_t addr, const void* src, size_t bytes) {
  cpu().access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(src), bytes);
}
void hal_wait_irq(void) { cpu().waitIrq(); }
uint64_t hal_cycles(void) { return cpu().cycles(); }

} // extern "C"
