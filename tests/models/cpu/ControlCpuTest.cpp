// SPDX-License-Identifier: Apache-2.0
// ControlCpu running tiny firmware entries (C-linkage functions calling
// hal.h) against a fake target: per-access cost, reset release, interrupt
// waits on the interrupt controller, block transfers, faults.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <tlm>

#include "firmware/include/hal.h"
#include "firmware/include/regs.h"
#include "models/cpu/ControlCpu.h"
#include "models/soc/InterruptController.h"
#include "tests/support/FakeTarget.h"
#include "tests/support/ProtocolChecker.h"
#include "tests/support/Tester.h"

namespace {

/// What the firmware entries below observed (test-only global state).
struct FirmwareLog {
  std::uint32_t value = 0;
  std::uint64_t value64 = 0;
  std::uint64_t cycles[4] = {};
  std::uint8_t block[100] = {};
} g;

constexpr std::uint64_t kMem = 0x1000;      ///< fake target window
constexpr std::uint64_t kUnmapped = 0x9000; ///< nothing there

} // namespace

extern "C" {

int fwAccessCost(void) {
  const std::uint32_t v = hal_read32(kMem);
  hal_write32(kMem + 4, v + 1);
  hal_write64(kMem + 8, 0x1122334455667788ull);
  g.cycles[0] = hal_cycles();
  g.value64 = hal_read64(kMem + 8);
  return 7;
}

int fwWaitIrq(void) {
  g.cycles[0] = hal_cycles();
  hal_wait_irq();
  g.cycles[1] = hal_cycles();
  hal_write32(kMem, 1);
  hal_wait_irq(); // the line is still pending: returns at once
  g.cycles[2] = hal_cycles();
  return 0;
}

int fwBlocks(void) {
  std::uint8_t out[100];
  for (int i = 0; i < 100; ++i) out[i] = static_cast<std::uint8_t>(i * 3);
  hal_write_block(kMem + 0x100, out, sizeof out);
  hal_read_block(kMem + 0x100, g.block, sizeof g.block);
  return 0;
}

int fwFaultingRead(void) {
  g.value = hal_read32(kUnmapped);
  hal_write32(kMem, 5); // after a fault, accesses have no effect
  return 3;
}

int fwFaultingWrite(void) {
  hal_write32(kUnmapped + 4, 1);
  g.value = hal_read32(kMem);
  return 0;
}

} // extern "C"

namespace llmvp::test {
namespace {

/// The CPU's interrupt input wired to the interrupt controller (as in Chip).
struct IntcInput : models::cpu::IInterruptInput {
  explicit IntcInput(const models::soc::InterruptController& c) : intc(c) {}
  [[nodiscard]] bool cpuIrq() const override { return intc.cpuIrq(); }
  [[nodiscard]] const sc_core::sc_event& cpuIrqEvent() const override { return intc.cpuIrqEvent(); }
  const models::soc::InterruptController& intc;
};

models::cpu::CpuParams cpuParams() {
  models::cpu::CpuParams p;
  p.clockMhz = 500.0; // 2 ns per cycle
  p.accessCycles = 3; // 6 ns to issue an access
  p.stackBytes = 256 * 1024;
  return p;
}

/// CPU -> checker -> fake target [kMem, kMem + 4 KiB) with 10 ns latency.
struct CpuBench {
  explicit CpuBench(models::cpu::FirmwareEntry fw, const models::cpu::CpuParams& p = cpuParams()) {
    g = {};
    mem.addRegion(kMem, 0x1000, 10'000, 0);
    cpu = std::make_unique<models::cpu::ControlCpu>("cpu", p, fw, input);
    cpu->busSocket.bind(checker.targetSocket);
    checker.initiatorSocket.bind(mem.socket);
    intcTester.socket.bind(intc.regSocket);
  }
  ~CpuBench() { EXPECT_TRUE(checker.violations().empty()) << checker.report(); }
  /// Releases reset at `at` and simulates to the end.
  void run(sc_core::sc_time at = sc_core::SC_ZERO_TIME) {
    runScript([this, at] {
      sc_core::wait(at);
      cpu->releaseReset();
    });
  }
  models::soc::InterruptController intc{"intc", 1.0};
  IntcInput input{intc};
  FakeTarget mem{"mem", 0x2000};
  ProtocolChecker checker{"checker"};
  Tester intcTester{"intcTester"};
  std::unique_ptr<models::cpu::ControlCpu> cpu;
};

class CpuAccessCost : public testing::TestWithParam<double> {}; // global quantum, ns

TEST_P(CpuAccessCost, IsIssueCyclesPlusTargetDelay) {
  tlm::tlm_global_quantum::instance().set(ns(GetParam()));
  CpuBench b(&fwAccessCost);
  b.mem.put<std::uint32_t>(kMem, 41);
  b.run();
  ASSERT_TRUE(b.cpu->finished());
  EXPECT_EQ(b.cpu->exitCode(), 7);
  EXPECT_TRUE(b.cpu->fault().empty()) << b.cpu->fault();
  // Each access: 3 cycles at 500 MHz (6 ns) to issue, 10 ns in the target.
  const auto& log = b.mem.log();
  ASSERT_EQ(log.size(), 4u);
  const std::uint64_t arrivals[] = {6'000, 22'000, 38'000, 54'000};
  const unsigned lengths[] = {4, 4, 8, 8};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(log[i].arrival, arrivals[i]) << "access " << i;
    EXPECT_EQ(log[i].done, arrivals[i] + 10'000) << "access " << i;
    EXPECT_EQ(log[i].length, lengths[i]) << "access " << i;
  }
  EXPECT_EQ(b.mem.get<std::uint32_t>(kMem + 4), 42u);
  EXPECT_EQ(g.value64, 0x1122334455667788ull);
  EXPECT_EQ(b.mem.get<std::uint64_t>(kMem + 8), 0x1122334455667788ull);
  EXPECT_EQ(g.cycles[0], 24u) << "three 16 ns accesses at 500 MHz";
  EXPECT_EQ(b.cpu->stats().value("accesses"), 4.0);
  EXPECT_EQ(b.cpu->stats().value("busy"), 64'000.0);
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(64)) << "the CPU synchronises when the firmware returns";
}

INSTANTIATE_TEST_SUITE_P(Quantum, CpuAccessCost, testing::Values(0.0, 1000.0),
                         [](const testing::TestParamInfo<double>& i) {
                           return "Quantum" + std::to_string(static_cast<int>(i.param)) + "ns";
                         });

TEST(ControlCpu, FirmwareStartsWhenResetIsReleased) {
  CpuBench b(&fwAccessCost);
  b.run(ns(1000));
  ASSERT_FALSE(b.mem.log().empty());
  EXPECT_EQ(b.mem.log()[0].arrival, 1'006'000u);
  EXPECT_TRUE(b.cpu->finished());
}

TEST(ControlCpu, NothingRunsWithoutReset) {
  CpuBench b(&fwAccessCost);
  runScript([] { sc_core::wait(ns(1000)); });
  EXPECT_TRUE(b.mem.log().empty());
  EXPECT_FALSE(b.cpu->finished());
}

TEST(ControlCpu, WaitIrqWakesWhenAnEnabledLineRises) {
  CpuBench b(&fwWaitIrq);
  std::uint32_t enable = 1u << 5;
  ASSERT_EQ(b.intcTester.debug(tlm::TLM_WRITE_COMMAND, INTC_ENABLE, &enable, 4), 4u);
  runScript([&] {
    b.cpu->releaseReset();
    sc_core::wait(ns(1000));
    b.intc.setLine(6, true); // not enabled: the CPU sleeps on
    sc_core::wait(ns(1000));
    EXPECT_TRUE(b.mem.log().empty());
    b.intc.setLine(5, true);
  });
  ASSERT_TRUE(b.cpu->finished());
  EXPECT_EQ(g.cycles[0], 0u);
  EXPECT_EQ(g.cycles[1], 1000u) << "woke at 2 us";
  ASSERT_EQ(b.mem.log().size(), 1u);
  EXPECT_EQ(b.mem.log()[0].arrival, 2'006'000u);
  EXPECT_EQ(g.cycles[2], 1008u) << "second wait returned at once (after the 16 ns write)";
  EXPECT_EQ(b.cpu->stats().value("irq_waits"), 2.0);
  EXPECT_EQ(b.cpu->stats().value("irq_wait"), 2'000'000.0);
}

TEST(ControlCpu, BlockTransfersAreSingleTransactions) {
  CpuBench b(&fwBlocks);
  b.run();
  ASSERT_TRUE(b.cpu->finished());
  const auto& log = b.mem.log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].cmd, tlm::TLM_WRITE_COMMAND);
  EXPECT_EQ(log[0].length, 100u);
  EXPECT_EQ(log[1].cmd, tlm::TLM_READ_COMMAND);
  EXPECT_EQ(log[1].length, 100u);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(g.block[i], static_cast<std::uint8_t>(i * 3)) << i;
}

TEST(ControlCpu, FailingReadRecordsFaultReturnsZeroAndStopsFurtherAccesses) {
  CpuBench b(&fwFaultingRead);
  g.value = 0xffffffff;
  b.run();
  ASSERT_TRUE(b.cpu->finished());
  EXPECT_EQ(b.cpu->exitCode(), 3);
  EXPECT_EQ(b.cpu->fault(), "firmware read of 4 bytes at 0x9000 failed: TLM_ADDRESS_ERROR_RESPONSE");
  EXPECT_EQ(g.value, 0u);
  EXPECT_TRUE(b.mem.log().empty()) << "the write after the fault reached the target";
}

TEST(ControlCpu, FailingWriteRecordsFault) {
  CpuBench b(&fwFaultingWrite);
  b.mem.put<std::uint32_t>(kMem, 99);
  g.value = 1;
  b.run();
  EXPECT_EQ(b.cpu->fault(), "firmware write of 4 bytes at 0x9004 failed: TLM_ADDRESS_ERROR_RESPONSE");
  EXPECT_EQ(g.value, 0u) << "reads after a fault return zero";
}

TEST(ControlCpuDeathTest, HalOutsideAFirmwareThreadIsAnInternalError) {
  EXPECT_DEATH((void)hal_read32(kMem), "hal.h called outside a control-CPU thread");
}

} // namespace
} // namespace llmvp::test
