// SPDX-License-Identifier: Apache-2.0
// InterruptController (pending, enable, the CPU input and its event) and
// Mailbox (registers, host callback for STATUS/STEP writes with their time,
// host interrupt line).
#include <gtest/gtest.h>

#include <tlm>
#include <tuple>
#include <vector>

#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"
#include "models/soc/InterruptController.h"
#include "models/soc/Mailbox.h"
#include "tests/support/FakeTarget.h"
#include "tests/support/ProtocolChecker.h"
#include "tests/support/Tester.h"

namespace llmvp::test {
namespace {

using tlm::TLM_ADDRESS_ERROR_RESPONSE;
using tlm::TLM_OK_RESPONSE;

struct IntcBench {
  IntcBench() {
    tester.socket.bind(checker.targetSocket);
    checker.initiatorSocket.bind(intc.regSocket);
  }
  ~IntcBench() { EXPECT_TRUE(checker.violations().empty()) << checker.report(); }
  models::soc::InterruptController intc{"intc", 2.0};
  ProtocolChecker checker{"checker"};
  Tester tester{"tester"};
};

TEST(InterruptController, PendingFollowsLinesAndCpuInputIsPendingAndEnable) {
  IntcBench b;
  runScript([&] {
    runSteps(b.tester, {rd(INTC_PENDING, 0), rd(INTC_ENABLE, 0)});
    b.intc.setLine(5, true);
    b.intc.setLine(LLMVP_IRQ_MAILBOX, true);
    runSteps(b.tester, {rd(INTC_PENDING, (1u << 5) | (1u << 31)), rd(INTC_ENABLE, 0)});
    EXPECT_FALSE(b.intc.cpuIrq()) << "pending but not enabled";
    runSteps(b.tester, {wr(INTC_ENABLE, 1u << 6), rd(INTC_ENABLE, 1u << 6)});
    EXPECT_FALSE(b.intc.cpuIrq());
    b.intc.setLine(6, true);
    EXPECT_TRUE(b.intc.cpuIrq());
    b.intc.setLine(6, false); // level-sensitive: the source clears it
    EXPECT_FALSE(b.intc.cpuIrq());
    runSteps(b.tester, {rd(INTC_PENDING, (1u << 5) | (1u << 31)), wr(INTC_ENABLE, 1u << 31)});
    EXPECT_TRUE(b.intc.cpuIrq());
    runSteps(b.tester, {
                           wr(INTC_PENDING, 0, TLM_ADDRESS_ERROR_RESPONSE), // read-only
                           rd(INTC_PENDING, (1u << 5) | (1u << 31)),
                           rd(0x08, 0, TLM_ADDRESS_ERROR_RESPONSE),
                       });
    EXPECT_EQ(b.tester.lastDelay(), ns(2));
  });
}

TEST(InterruptController, EventWakesAWaiterWhenAnEnabledLineRises) {
  IntcBench b;
  std::vector<std::uint64_t> woke;
  runScript([&] {
    b.tester.write32(INTC_ENABLE, 1u << 3);
    sc_core::sc_spawn([&] {
      for (int i = 0; i < 2; ++i) {
        while (!b.intc.cpuIrq()) sc_core::wait(b.intc.cpuIrqEvent());
        woke.push_back(nowPsTest());
        sc_core::wait(ns(150)); // past the line's fall at 302 ns
      }
    });
    sc_core::wait(ns(100));
    b.intc.setLine(4, true); // not enabled: no wake-up
    sc_core::wait(ns(100));
    b.intc.setLine(3, true);
    sc_core::wait(ns(100));
    b.intc.setLine(3, false);
    sc_core::wait(ns(100));
    // Enabling an already pending line raises the input too.
    b.tester.write32(INTC_ENABLE, (1u << 3) | (1u << 4));
  });
  ASSERT_EQ(woke.size(), 2u);
  EXPECT_EQ(woke[0], 202'000u); // the enable write took 2 ns, then 100 + 100 ns
  // The enable write is issued at 402 ns and arrives at 404 ns; a loosely-timed
  // register may apply it anywhere in between.
  EXPECT_GE(woke[1], 402'000u);
  EXPECT_LE(woke[1], 404'000u);
}

struct MailboxBench {
  MailboxBench() {
    tester.socket.bind(checker.targetSocket);
    checker.initiatorSocket.bind(mbox.regSocket);
    mbox.irq.bind(irq, LLMVP_IRQ_MAILBOX);
    mbox.onFirmwareWrite = [this](std::uint32_t reg, std::uint32_t value, models::Ps when) {
      calls.emplace_back(reg, value, when);
    };
  }
  ~MailboxBench() { EXPECT_TRUE(checker.violations().empty()) << checker.report(); }
  models::soc::Mailbox mbox{"mbox", 5.0};
  ProtocolChecker checker{"checker"};
  Tester tester{"tester"};
  IrqRecorder irq;
  std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint64_t>> calls;
};

TEST(Mailbox, HostIsToldOfStatusAndStepWritesWithTheirTime) {
  MailboxBench b;
  runScript([&] {
    sc_core::wait(ns(100));
    b.tester.write32(MBOX_STATUS, MBOX_ST_RUNNING); // arrives at 100 + 5 ns
    b.tester.write32(MBOX_ERR_CODE, FW_ERR_ENGINE); // not reported
    b.tester.write32(MBOX_ERR_INFO, 7);
    // Annotated 1 us ahead of the kernel (a loosely-timed CPU): reported at that time.
    std::uint32_t step = 3;
    sc_core::sc_time delay = ns(1000);
    EXPECT_EQ(b.tester.transport(tlm::TLM_WRITE_COMMAND, MBOX_STEP, &step, 4, delay), TLM_OK_RESPONSE);
    EXPECT_EQ(delay, ns(1005));
  });
  using Call = std::tuple<std::uint32_t, std::uint32_t, std::uint64_t>;
  ASSERT_EQ(b.calls.size(), 2u);
  EXPECT_EQ(b.calls[0], Call(MBOX_STATUS, MBOX_ST_RUNNING, 105'000));
  EXPECT_EQ(b.calls[1], Call(MBOX_STEP, 3, 115'000 + 1'005'000));
  EXPECT_EQ(b.mbox.reg(MBOX_STATUS), MBOX_ST_RUNNING);
  EXPECT_EQ(b.mbox.reg(MBOX_STEP), 3u);
  EXPECT_EQ(b.mbox.reg(MBOX_ERR_CODE), FW_ERR_ENGINE);
  EXPECT_EQ(b.mbox.reg(MBOX_ERR_INFO), 7u);
}

TEST(Mailbox, RegistersHostWritesAndHostInterrupt) {
  MailboxBench b;
  b.mbox.hostWrite(MBOX_MANIFEST_LO, 0x1000);
  b.mbox.hostWrite(MBOX_MANIFEST_HI, 0x2);
  runScript([&] {
    runSteps(b.tester, {
                           rd(MBOX_MANIFEST_LO, 0x1000),
                           rd(MBOX_MANIFEST_HI, 0x2),
                           rd(MBOX_STATUS, MBOX_ST_IDLE),
                           wr(MBOX_ERR_SOURCE, ENG_ID_TILE),
                           rd(MBOX_ERR_SOURCE, ENG_ID_TILE),
                           wr(MBOX_ERR_INDEX, 12),
                           rd(MBOX_ERR_INDEX, 12),
                           wr(MBOX_SUBMITTED, 3),
                           rd(MBOX_SUBMITTED, 3),
                           rd(MBOX_SERVE_EVENT + 4, 0, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(MBOX_SERVE_EVENT + 4, 0, TLM_ADDRESS_ERROR_RESPONSE),
                       });
    std::uint64_t manifest = 0;
    EXPECT_EQ(b.tester.doRead(MBOX_MANIFEST_LO, &manifest, 8), TLM_OK_RESPONSE);
    EXPECT_EQ(manifest, 0x2'0000'1000ull);
    EXPECT_FALSE(b.irq.level(LLMVP_IRQ_MAILBOX));
    b.tester.write32(MBOX_HOST_IRQ, 1);
    EXPECT_TRUE(b.irq.level(LLMVP_IRQ_MAILBOX));
    b.tester.write32(MBOX_HOST_IRQ, 0);
    EXPECT_FALSE(b.irq.level(LLMVP_IRQ_MAILBOX));
  });
  EXPECT_TRUE(b.calls.empty()) << "only STATUS, STEP and PREFILLED writes are reported";
  EXPECT_EQ(b.irq.edges().size(), 2u);
}

} // namespace
} // namespace llmvp::test
