// SPDX-License-Identifier: Apache-2.0
// Fabric: address decode (unmapped, straddling), translation to port-local
// addresses, latency both ways, port bandwidth contention, cut-through
// completion, debug routing, port map validation, statistics.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <tlm>
#include <vector>

#include "models/interconnect/Fabric.h"
#include "tests/support/FakeTarget.h"
#include "tests/support/ProtocolChecker.h"
#include "tests/support/Tester.h"

namespace llmvp::test {
namespace {

using models::interconnect::Fabric;
using models::interconnect::FabricPortParams;
using tlm::TLM_ADDRESS_ERROR_RESPONSE;
using tlm::TLM_OK_RESPONSE;

struct TargetTiming {
  std::uint64_t latencyPs = 0;
  std::uint64_t psPerByte = 0;
  std::uint64_t bytes = 0; ///< 0: the port's size
};

/// Tester -> checker -> fabric -> checker -> fake target per port.
class FabricBench {
public:
  explicit FabricBench(double pjPerBit = 0.5) : fabric("fabric", models::interconnect::FabricParams{pjPerBit}) {
    tester.socket.bind(inChecker.targetSocket);
    inChecker.initiatorSocket.bind(fabric.initiatorSocket);
  }
  ~FabricBench() {
    EXPECT_TRUE(inChecker.violations().empty()) << inChecker.report();
    for (const auto& c : checkers) EXPECT_TRUE(c->violations().empty()) << c->report();
  }
  FakeTarget& addPort(const std::string& name, std::uint64_t base, std::uint64_t size, double latencyNs,
                      double bandwidthGBps, TargetTiming t = {}) {
    fabric.addPort(FabricPortParams{name, base, size, latencyNs, bandwidthGBps});
    const std::uint64_t bytes = t.bytes != 0 ? t.bytes : size;
    targets.push_back(std::make_unique<FakeTarget>(("t_" + name).c_str(), bytes));
    targets.back()->addRegion(0, bytes, t.latencyPs, t.psPerByte);
    checkers.push_back(std::make_unique<ProtocolChecker>(("c_" + name).c_str()));
    fabric.targetSocket.bind(checkers.back()->targetSocket);
    checkers.back()->initiatorSocket.bind(targets.back()->socket);
    return *targets.back();
  }
  /// Read of `len` bytes issued `delay` ahead of the caller, no wait; returns the status.
  tlm::tlm_response_status read(std::uint64_t addr, unsigned len, sc_core::sc_time& delay) {
    buf.resize(len);
    return tester.transport(tlm::TLM_READ_COMMAND, addr, buf.data(), len, delay);
  }
  double stat(const std::string& name) const { return fabric.stats().value(name); }

  Fabric fabric;
  Tester tester{"tester"};
  ProtocolChecker inChecker{"inChecker"};
  std::vector<std::unique_ptr<FakeTarget>> targets;
  std::vector<std::unique_ptr<ProtocolChecker>> checkers;
  std::vector<std::uint8_t> buf;
};

TEST(FabricDecode, UnmappedAndStraddlingAccessesAreAddressErrors) {
  FabricBench b;
  FakeTarget& a = b.addPort("a", 0x1000, 0x1000, 1.0, 100.0);
  FakeTarget& c = b.addPort("b", 0x2000, 0x1000, 1.0, 100.0); // adjacent to a
  runScript([&] {
    for (std::uint64_t addr : {0x0ull, 0xffcull, 0x3000ull, 0x1'0000'1000ull}) {
      sc_core::sc_time delay = ns(3);
      EXPECT_EQ(b.read(addr, 4, delay), TLM_ADDRESS_ERROR_RESPONSE) << std::hex << addr;
      EXPECT_EQ(delay, ns(3)) << "a decode error adds no time";
    }
    sc_core::sc_time delay;
    EXPECT_EQ(b.read(0x1ffc, 8, delay), TLM_ADDRESS_ERROR_RESPONSE) << "straddles a and b";
    EXPECT_EQ(b.read(0x2ffc, 8, delay), TLM_ADDRESS_ERROR_RESPONSE) << "runs off b";
    EXPECT_TRUE(a.log().empty());
    EXPECT_TRUE(c.log().empty());
    // The last word of a and the first of b are mapped.
    EXPECT_EQ(b.read(0x1ffc, 4, delay), TLM_OK_RESPONSE);
    EXPECT_EQ(b.read(0x2000, 4, delay), TLM_OK_RESPONSE);
  });
  ASSERT_EQ(a.log().size(), 1u);
  EXPECT_EQ(a.log()[0].addr, 0xffcu);
  ASSERT_EQ(c.log().size(), 1u);
  EXPECT_EQ(c.log()[0].addr, 0x0u);
  EXPECT_EQ(b.stat("decode_errors"), 6.0);
  EXPECT_EQ(b.stat("transactions"), 2.0);
}

TEST(FabricDecode, TranslatesToPortLocalAddressesAndRestoresTheOriginal) {
  FabricBench b;
  b.addPort("low", 0x0, 0x1000, 1.0, 100.0);
  FakeTarget& high = b.addPort("high", 0x10'0000'0000ull, 0x1000, 1.0, 100.0);
  std::uint64_t value = 0x0102030405060708ull;
  runScript([&] {
    EXPECT_EQ(b.tester.doWrite(0x10'0000'0010ull, &value, 8), TLM_OK_RESPONSE);
    std::uint64_t back = 0;
    EXPECT_EQ(b.tester.doRead(0x10'0000'0010ull, &back, 8), TLM_OK_RESPONSE);
    EXPECT_EQ(back, value);
  });
  ASSERT_EQ(high.log().size(), 2u);
  EXPECT_EQ(high.log()[0].addr, 0x10u);
  EXPECT_EQ(high.get<std::uint64_t>(0x10), value);
  // The initiator-side checker verified the address was restored on return.
  EXPECT_EQ(b.inChecker.transactions(), 2u);
}

TEST(FabricTiming, PortLatencyAppliesBothWays) {
  FabricBench b;
  // 20 ns each way; 4 bytes at 1000 GB/s take 4 ps on the port; target 30 ns.
  FakeTarget& t = b.addPort("p", 0x0, 0x1000, 20.0, 1000.0, {30'000, 0});
  runScript([&] {
    sc_core::sc_time delay;
    EXPECT_EQ(b.read(0x40, 4, delay), TLM_OK_RESPONSE);
    EXPECT_EQ(delay, ns(20 + 30 + 20));
    delay = ns(100); // issued 100 ns ahead of the kernel
    EXPECT_EQ(b.read(0x40, 4, delay), TLM_OK_RESPONSE);
    EXPECT_EQ(delay, ns(100 + 20 + 30 + 20));
  });
  ASSERT_EQ(t.log().size(), 2u);
  EXPECT_EQ(t.log()[0].arrival, 20'000u) << "the request reaches the target after one traversal";
  EXPECT_EQ(t.log()[1].arrival, 120'000u);
}

TEST(FabricTiming, BackToBackTransfersQueueOnTheirPortOnly) {
  FabricBench b;
  // 1000 bytes at 1 GB/s: 1000 ns on the port; 10 ns latency each way.
  b.addPort("p", 0x0, 0x10000, 10.0, 1.0);
  b.addPort("q", 0x10000, 0x10000, 10.0, 1.0);
  runScript([&] {
    sc_core::sc_time d1, d2, d3, d4;
    EXPECT_EQ(b.read(0x0, 1000, d1), TLM_OK_RESPONSE);
    EXPECT_EQ(b.read(0x1000, 1000, d2), TLM_OK_RESPONSE);
    EXPECT_EQ(b.read(0x10000, 1000, d3), TLM_OK_RESPONSE);
    EXPECT_EQ(d1, ns(10 + 1000 + 10));
    EXPECT_EQ(d2, ns(10 + 2000 + 10)) << "waits for the first transfer on port p";
    EXPECT_EQ(d3, ns(10 + 1000 + 10)) << "port q is independent";
    // Arriving exactly when p frees (annotated 2000 ns ahead, +10 ns latency
    // = 2010 ns) does not wait; one ps earlier waits one ps.
    d4 = ns(2000) - ps(1);
    EXPECT_EQ(b.read(0x0, 1000, d4), TLM_OK_RESPONSE);
    EXPECT_EQ(d4, ns(2010 + 1000 + 10));
    d4 = ns(3000);
    EXPECT_EQ(b.read(0x0, 1000, d4), TLM_OK_RESPONSE);
    EXPECT_EQ(d4, ns(3010 + 1000 + 10));
  });
  EXPECT_EQ(b.stat("port.p.bytes"), 4000.0);
  EXPECT_EQ(b.stat("port.p.busy"), 4'000'000.0);
  EXPECT_EQ(b.stat("port.q.busy"), 1'000'000.0);
  EXPECT_EQ(b.stat("energy"), 5000.0 * 8 * 0.5);
}

TEST(FabricTiming, CutThroughCompletionIsTheLaterOfPortAndTarget) {
  FabricBench b;
  // Port: 10 ns each way, 1000 bytes = 1000 ns. Targets differ.
  b.addPort("fast", 0x0, 0x10000, 10.0, 1.0, {500'000, 0});
  b.addPort("slow", 0x10000, 0x10000, 10.0, 1.0, {2'000'000, 0});
  b.addPort("stream", 0x20000, 0x10000, 10.0, 1.0, {0, 1000}); // the target streams at 1 GB/s too
  runScript([&] {
    sc_core::sc_time d;
    EXPECT_EQ(b.read(0x0, 1000, d), TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(10 + 1000 + 10)) << "target (500 ns) hidden under the port transfer";
    d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(b.read(0x10000, 1000, d), TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(10 + 2000 + 10)) << "port transfer hidden under the target";
    d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(b.read(0x20000, 1000, d), TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(10 + 1000 + 10)) << "both stream concurrently, not one after the other";
  });
}

TEST(FabricDebug, RoutesAndTranslatesWithoutTimeOrStatistics) {
  FabricBench b;
  b.addPort("a", 0x1000, 0x1000, 5.0, 1.0);
  FakeTarget& c = b.addPort("b", 0x2000, 0x1000, 5.0, 1.0);
  std::uint64_t v = 0xfeedfacecafebeefull, back = 0;
  // Multi-sockets complete their binding at the end of elaboration.
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  EXPECT_EQ(b.tester.debug(tlm::TLM_WRITE_COMMAND, 0x2010, &v, 8), 8u);
  EXPECT_EQ(c.get<std::uint64_t>(0x10), v);
  EXPECT_EQ(b.tester.debug(tlm::TLM_READ_COMMAND, 0x2010, &back, 8), 8u);
  EXPECT_EQ(back, v);
  EXPECT_EQ(b.tester.debug(tlm::TLM_READ_COMMAND, 0x5000, &back, 8), 0u) << "unmapped";
  EXPECT_EQ(b.tester.debug(tlm::TLM_READ_COMMAND, 0x1ffc, &back, 8), 0u) << "straddling";
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
  EXPECT_TRUE(c.log().empty());
  EXPECT_EQ(b.stat("transactions"), 0.0);
  EXPECT_EQ(b.stat("port.b.busy"), 0.0);
  EXPECT_EQ(b.inChecker.debugTransactions(), 4u);
  // The port timeline was not touched: a timed 1000-byte read is not delayed.
  runScript([&] {
    sc_core::sc_time d;
    EXPECT_EQ(b.read(0x2000, 1000, d), TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(5 + 1000 + 5));
  });
}

TEST(FabricDecode, TargetErrorsPropagate) {
  FabricBench b;
  b.addPort("small", 0x0, 0x1000, 1.0, 100.0, {0, 0, 0x800}); // window larger than the device
  runScript([&] {
    sc_core::sc_time d;
    EXPECT_EQ(b.read(0x7fc, 4, d), TLM_OK_RESPONSE);
    EXPECT_EQ(b.read(0x900, 4, d), TLM_ADDRESS_ERROR_RESPONSE);
  });
}

TEST(FabricPorts, OverlappingPortsAreRejected) {
  Fabric f("fabric", {});
  f.addPort({"a", 0x1000, 0x1000, 0, 1});
  f.addPort({"b", 0x2000, 0x1000, 0, 1}); // adjacent is fine
  f.addPort({"c", 0x0, 0x1000, 0, 1});
  auto rejects = [&](std::uint64_t base, std::uint64_t size, const std::string& other) {
    try {
      f.addPort({"x", base, size, 0, 1});
      ADD_FAILURE() << "accepted [" << std::hex << base << ", +" << size << ")";
    } catch (const std::logic_error& e) {
      EXPECT_EQ(std::string(e.what()), "fabric port x overlaps " + other);
    }
  };
  rejects(0x1800, 0x1000, "a"); // tail overlap
  rejects(0x1100, 0x100, "a");  // contained
  rejects(0x0fff, 0x2, "a");    // overlaps c and a; a was added first
  rejects(0x2fff, 0x10, "b");
  rejects(0x0, 0x10000, "a"); // contains several
}

TEST(FabricPorts, MoreThanSixteenPortsRoute) {
  // A full chip has up to 4 + 8 DMA + 2 x 4 tile + 1 HBM = 21 ports.
  FabricBench b;
  constexpr int kPorts = 24;
  for (int i = 0; i < kPorts; ++i) b.addPort("p" + std::to_string(i), 0x1000ull * i, 0x1000, 1.0, 100.0);
  runScript([&] {
    sc_core::sc_time d;
    EXPECT_EQ(b.read(0x1000ull * (kPorts - 1) + 8, 4, d), TLM_OK_RESPONSE);
  });
  ASSERT_EQ(b.targets.back()->log().size(), 1u);
  EXPECT_EQ(b.targets.back()->log()[0].addr, 8u);
}

} // namespace
} // namespace llmvp::test
