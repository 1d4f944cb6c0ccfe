// SPDX-License-Identifier: Apache-2.0
// SemaphoreBlock: timed SIGNAL writes take effect at their annotated time
// (not earlier), SET, register access rules, waitAndDecrement blocking.
#include <gtest/gtest.h>

#include <tlm>
#include <vector>

#include "firmware/include/regs.h"
#include "models/soc/SemaphoreBlock.h"
#include "tests/support/ProtocolChecker.h"
#include "tests/support/Tester.h"

namespace llmvp::test {
namespace {

using tlm::TLM_ADDRESS_ERROR_RESPONSE;
using tlm::TLM_OK_RESPONSE;

struct SemBench {
  explicit SemBench(double latencyNs = 5.0) : sems("sems", latencyNs) {
    tester.socket.bind(checker.targetSocket);
    checker.initiatorSocket.bind(sems.regSocket);
  }
  ~SemBench() { EXPECT_TRUE(checker.violations().empty()) << checker.report(); }
  /// SIGNAL(index) += value, annotated `delay` ahead of the caller; no wait.
  void signalAhead(std::uint32_t index, std::uint32_t value, sc_core::sc_time delay) {
    EXPECT_EQ(tester.transport(tlm::TLM_WRITE_COMMAND, SEM_SIGNAL(index), &value, 4, delay), TLM_OK_RESPONSE);
  }
  models::soc::SemaphoreBlock sems;
  ProtocolChecker checker{"checker"};
  Tester tester{"tester"};
};

TEST(SemaphoreBlock, RegisterMapAndSet) {
  SemBench b;
  EXPECT_EQ(b.sems.count(), LLMVP_SEM_COUNT);
  runScript([&] {
    runSteps(b.tester, {
                           rd(SEM_VALUE(0), 0),
                           rd(SEM_VALUE(LLMVP_SEM_COUNT - 1), 0),
                           wr(SEM_SET(4), 7),
                           rd(SEM_VALUE(4), 7),
                           wr(SEM_SET(LLMVP_SEM_COUNT - 1), 1),
                           rd(SEM_VALUE(LLMVP_SEM_COUNT - 1), 1),
                           wr(SEM_SET(4), 0),
                           rd(SEM_VALUE(4), 0),
                           // VALUE is read-only, SIGNAL and SET write-only, nothing past index 31
                           wr(SEM_VALUE(4), 1, TLM_ADDRESS_ERROR_RESPONSE),
                           rd(SEM_SIGNAL(4), 0, TLM_ADDRESS_ERROR_RESPONSE),
                           rd(SEM_SET(4), 0, TLM_ADDRESS_ERROR_RESPONSE),
                           rd(SEM_VALUE(LLMVP_SEM_COUNT), 0, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(SEM_SIGNAL(LLMVP_SEM_COUNT), 1, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(SEM_SET(LLMVP_SEM_COUNT), 1, TLM_ADDRESS_ERROR_RESPONSE),
                           rd(0x300, 0, TLM_ADDRESS_ERROR_RESPONSE),
                       });
    EXPECT_EQ(b.tester.lastDelay(), ns(5));
  });
  EXPECT_EQ(b.sems.value(LLMVP_SEM_COUNT - 1), 1u);
}

TEST(SemaphoreBlock, TimedSignalIsNotVisibleOnePicosecondEarly) {
  SemBench b;
  runScript([&] {
    // Issued at 0, annotated 1000 ns ahead, plus 5 ns register latency: due at 1005 ns.
    b.signalAhead(2, 3, ns(1000));
    EXPECT_EQ(b.sems.value(2), 0u);
    sc_core::wait(ns(1005) - ps(1));
    EXPECT_EQ(b.sems.value(2), 0u) << "signal applied before its annotated time";
    EXPECT_EQ(b.tester.debugRead32(SEM_VALUE(2)), 0u);
    sc_core::wait(ps(2));
    EXPECT_EQ(b.sems.value(2), 3u) << "the written value is added";
  });
}

TEST(SemaphoreBlock, WaiterWakesExactlyAtTheAnnotatedTime) {
  SemBench b;
  std::vector<std::uint64_t> woke;
  runScript([&] {
    sc_core::sc_spawn([&] {
      for (int i = 0; i < 2; ++i) {
        b.sems.waitAndDecrement(6);
        woke.push_back(nowPsTest());
      }
    });
    // Written out of time order: the later one first.
    b.signalAhead(6, 1, ns(3000));
    b.signalAhead(6, 1, ns(2000));
  });
  EXPECT_EQ(woke, (std::vector<std::uint64_t>{2'005'000, 3'005'000}));
  EXPECT_EQ(b.sems.value(6), 0u);
}

TEST(SemaphoreBlock, WaitAndDecrementBlocksUntilValueAtLeastOne) {
  SemBench b;
  std::uint64_t woke = 0;
  runScript([&] {
    b.tester.write32(SEM_SET(9), 2);
    // Two units available: two waits pass at once, the third blocks.
    b.sems.waitAndDecrement(9);
    b.sems.waitAndDecrement(9);
    EXPECT_EQ(b.sems.value(9), 0u);
    sc_core::sc_spawn([&] {
      b.sems.waitAndDecrement(9);
      woke = nowPsTest();
    });
    sc_core::wait(ns(500));
    EXPECT_EQ(woke, 0u);
    const std::uint64_t setAt = nowPsTest();
    b.tester.write32(SEM_SET(9), 1); // SET also wakes waiters
    sc_core::wait(ns(100));
    EXPECT_EQ(woke, setAt);
  });
  EXPECT_EQ(b.sems.value(9), 0u);
}

TEST(SemaphoreBlock, SignalWithoutLatencyIsImmediate) {
  SemBench b(0.0);
  runScript([&] {
    b.signalAhead(1, 4, sc_core::SC_ZERO_TIME);
    EXPECT_EQ(b.sems.value(1), 4u);
    b.signalAhead(1, 1, ns(10)); // still timed when annotated
    EXPECT_EQ(b.sems.value(1), 4u);
    sc_core::wait(ns(10));
    sc_core::wait(sc_core::SC_ZERO_TIME);
    EXPECT_EQ(b.sems.value(1), 5u);
  });
}

} // namespace
} // namespace llmvp::test
