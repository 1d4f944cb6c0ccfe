// SPDX-License-Identifier: Apache-2.0
// Sram: latency plus a bandwidth timeline (queueing at the boundary), data,
// timing-only payloads, range checks, byte enables and streaming, debug
// access, local access and statistics.
#include <gtest/gtest.h>

#include <numeric>
#include <tlm>
#include <vector>

#include "models/common/Extensions.h"
#include "models/soc/Sram.h"
#include "tests/support/ProtocolChecker.h"
#include "tests/support/Tester.h"

namespace llmvp::test {
namespace {

using tlm::TLM_ADDRESS_ERROR_RESPONSE;
using tlm::TLM_OK_RESPONSE;

constexpr std::uint64_t kBytes = 4096;

models::soc::SramParams params() {
  models::soc::SramParams p;
  p.bytes = kBytes;
  p.latencyNs = 10.0;
  p.bandwidthGBps = 2.0; // 0.5 ns per byte
  p.pjPerBit = 0.5;
  return p;
}

struct SramBench {
  SramBench() {
    tester.socket.bind(checker.targetSocket);
    checker.initiatorSocket.bind(sram.socket);
  }
  ~SramBench() { EXPECT_TRUE(checker.violations().empty()) << checker.report(); }
  /// Read of `len` bytes at `addr` issued `at` ahead of the caller; returns the delay.
  sc_core::sc_time readAhead(std::uint64_t addr, unsigned len, sc_core::sc_time at,
                             tlm::tlm_response_status expect = TLM_OK_RESPONSE) {
    buf.resize(len);
    EXPECT_EQ(tester.transport(tlm::TLM_READ_COMMAND, addr, buf.data(), len, at), expect);
    return at;
  }
  models::soc::Sram sram{"sram", params()};
  ProtocolChecker checker{"checker"};
  Tester tester{"tester"};
  std::vector<std::uint8_t> buf;
};

TEST(Sram, LatencyAndBandwidthTimeline) {
  SramBench b;
  runScript([&] {
    // 1000 bytes take 500 ns on the array, then 10 ns latency.
    EXPECT_EQ(b.readAhead(0, 1000, sc_core::SC_ZERO_TIME), ns(510));
    EXPECT_EQ(b.readAhead(0, 1000, sc_core::SC_ZERO_TIME), ns(1010)) << "queued behind the first";
    // The array is busy until 1000 ns: one ps earlier waits one ps ...
    EXPECT_EQ(b.readAhead(0, 1000, ns(1000) - ps(1)), ns(1510));
    // ... exactly on time does not wait (busy until 1500 ns now).
    EXPECT_EQ(b.readAhead(0, 1000, ns(1500)), ns(2010));
    // An idle gap is not reused later: a request at 2500 ns starts at 2500 ns.
    EXPECT_EQ(b.readAhead(0, 1000, ns(2500)), ns(3010));
  });
  const auto& s = b.sram.stats();
  EXPECT_EQ(s.value("bytes_read"), 5000.0);
  EXPECT_EQ(s.value("busy"), 5 * 500'000.0);
  EXPECT_EQ(s.value("energy"), 5000.0 * 8 * 0.5);
}

TEST(Sram, WritesAndReadsDataBothTimedAndDebug) {
  SramBench b;
  std::vector<std::uint8_t> data(64), back(64), dbg(64);
  std::iota(data.begin(), data.end(), std::uint8_t{1});
  runScript([&] {
    EXPECT_EQ(b.tester.doWrite(100, data.data(), 64), TLM_OK_RESPONSE);
    EXPECT_EQ(b.tester.lastDelay(), ns(10 + 32));
    EXPECT_EQ(b.tester.doRead(100, back.data(), 64), TLM_OK_RESPONSE);
  });
  EXPECT_EQ(back, data);
  EXPECT_EQ(b.tester.debug(tlm::TLM_READ_COMMAND, 100, dbg.data(), 64), 64u);
  EXPECT_EQ(dbg, data);
  // Debug access costs no time and is not counted.
  const double busy = b.sram.stats().value("busy");
  std::uint32_t word = 0xcafef00d;
  EXPECT_EQ(b.tester.debug(tlm::TLM_WRITE_COMMAND, kBytes - 4, &word, 4), 4u);
  EXPECT_EQ(b.tester.debug(tlm::TLM_READ_COMMAND, kBytes - 2, &word, 4), 0u);
  EXPECT_EQ(b.sram.stats().value("busy"), busy);
  EXPECT_EQ(b.sram.stats().value("bytes_written"), 64.0);
  std::uint32_t got = 0;
  b.sram.store().read(kBytes - 4, reinterpret_cast<std::uint8_t*>(&got), 4);
  EXPECT_EQ(got, 0xcafef00du);
}

TEST(Sram, TimingOnlyPayloadsAreTimedButMoveNoData) {
  SramBench b;
  std::vector<std::uint8_t> ones(32, 1), buf(32, 0xee);
  b.sram.store().write(0, ones.data(), 32);
  runScript([&] {
    models::TimingOnlyExtension ext;
    std::vector<std::uint8_t> zeros(32, 0);
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_WRITE_COMMAND);
    gp.set_address(0);
    gp.set_data_ptr(zeros.data());
    gp.set_data_length(32);
    gp.set_streaming_width(32);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    gp.set_extension(&ext);
    sc_core::sc_time delay;
    EXPECT_EQ(b.tester.send(gp, delay), TLM_OK_RESPONSE);
    EXPECT_EQ(delay, ns(10 + 16));
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_data_ptr(buf.data());
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    delay = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(b.tester.send(gp, delay), TLM_OK_RESPONSE);
    gp.clear_extension(&ext);
  });
  std::vector<std::uint8_t> stored(32);
  b.sram.store().read(0, stored.data(), 32);
  EXPECT_EQ(stored, ones) << "timing-only write changed the array";
  EXPECT_EQ(buf, std::vector<std::uint8_t>(32, 0xee)) << "timing-only read wrote the initiator's buffer";
  EXPECT_EQ(b.sram.stats().value("bytes_written"), 32.0);
  EXPECT_EQ(b.sram.stats().value("bytes_read"), 32.0);
}

TEST(Sram, RangeByteEnablesAndStreaming) {
  SramBench b;
  runScript([&] {
    std::uint32_t w = 0;
    sc_core::sc_time delay = ns(7);
    EXPECT_EQ(b.tester.transport(tlm::TLM_READ_COMMAND, kBytes - 4, &w, 4, delay), TLM_OK_RESPONSE);
    delay = ns(7);
    EXPECT_EQ(b.tester.transport(tlm::TLM_READ_COMMAND, kBytes - 3, &w, 4, delay), TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(delay, ns(7)) << "an error response adds no time";
    EXPECT_EQ(b.tester.transport(tlm::TLM_WRITE_COMMAND, kBytes, &w, 1, delay), TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(b.tester.transport(tlm::TLM_READ_COMMAND, ~0ull - 2, &w, 4, delay), TLM_ADDRESS_ERROR_RESPONSE);
    unsigned char be[4] = {0xff, 0, 0xff, 0};
    EXPECT_EQ(b.tester.transport(tlm::TLM_WRITE_COMMAND, 0, &w, 4, delay, be, 4), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    // A streaming burst (8 bytes through a 4-byte window) is not supported.
    std::uint32_t two[2] = {1, 2};
    EXPECT_EQ(b.tester.transport(tlm::TLM_WRITE_COMMAND, 64, two, 8, delay, nullptr, 0, 4),
              tlm::TLM_BURST_ERROR_RESPONSE);
  });
  std::uint32_t at68 = 0;
  b.sram.store().read(68, reinterpret_cast<std::uint8_t*>(&at68), 4);
  EXPECT_EQ(at68, 0u);
}

TEST(Sram, LocalAccessSharesTheTimeline) {
  SramBench b;
  bool ok = false;
  std::vector<std::uint8_t> data(200, 3);
  EXPECT_EQ(b.sram.accessLocal(true, 0, data.data(), 200, 1'000'000, ok), 1'000'000u + 100'000 + 10'000);
  EXPECT_TRUE(ok);
  // Timing only (null data), queued behind the first.
  EXPECT_EQ(b.sram.accessLocal(false, 0, nullptr, 200, 1'000'000, ok), 1'000'000u + 200'000 + 10'000);
  EXPECT_TRUE(ok);
  (void)b.sram.accessLocal(false, kBytes - 10, nullptr, 20, 0, ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(b.sram.stats().value("bytes_written"), 200.0);
  EXPECT_EQ(b.sram.stats().value("bytes_read"), 200.0);
}

} // namespace
} // namespace llmvp::test
