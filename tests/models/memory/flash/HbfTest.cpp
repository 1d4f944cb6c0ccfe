// SPDX-License-Identifier: Apache-2.0
// High Bandwidth Flash model. Every expectation is derived by hand from the
// parameters of smallFlash() (comments show the arithmetic).
#include <cmath>
#include <gtest/gtest.h>
#include <vector>

#include "models/memory/flash/Hbf.h"
#include "tests/support/ProtocolChecker.h"
#include "tests/support/Tester.h"

namespace llmvp::models::flash {
namespace {

// 1 stack, 2 channels, 4 dies (2 per channel), 2 planes per die: U = 8 planes.
// Page 4 KiB, 4 pages per block, 4 blocks per plane: 8 x 4 x 16 KiB = 512 KiB.
HbfParams smallFlash() {
  HbfParams p;
  p.name = "test";
  p.stacks = 1;
  p.channelsPerStack = 2;
  p.diesPerStack = 4;
  p.planesPerDie = 2;
  p.blocksPerPlane = 4;
  p.pagesPerBlock = 4;
  p.pageBytes = 4096;
  p.tRns = 10000;      // 10 us
  p.tPROGns = 200000;  // 200 us
  p.tBERSns = 3000000; // 3 ms
  p.channelGBps = 4;   // one page out in 4096 / 4 = 1024 ns
  p.commandNs = 0;
  p.multiPlane = 1;
  p.cacheRead = true;
  p.controllerNs = 100;
  p.eccDecodeNs = 500;
  p.codewordBytes = 512;
  p.correctableBits = 0;
  p.rawBitErrorRate = 0;
  p.maxReadRetries = 0;
  p.retryRberScale = 1;
  p.enduranceCycles = 3;
  p.readPjPerBit = 2;
  p.programPjPerBit = 20;
  p.erasePjPerBlock = 1000;
  return p;
}

constexpr double kNs = 1000.0; // ps per ns

TEST(Hbf, GeometryAndPeakBandwidthFollowFromParameters) {
  const HbfParams p = smallFlash();
  EXPECT_EQ(p.capacityBytes(), 8u * 4 * 4 * 4096);
  // Array: 8 planes x 4096 B / 10 us = 3.2768 GB/s; channels: 2 x 4 GB/s = 8 GB/s.
  EXPECT_NEAR(p.arrayLimitGBps(), 3.2768, 1e-9);
  EXPECT_NEAR(p.channelLimitGBps(), 8.0, 1e-9);
  EXPECT_NEAR(p.peakReadGBps(), 3.2768, 1e-9);
  HbfParams noCache = p;
  noCache.cacheRead = false; // a plane holds each page through its data-out: 10 us + 1.024 us
  EXPECT_NEAR(noCache.arrayLimitGBps(), 8 * 4096 / 11024.0, 1e-9);
  HbfParams slowChannel = p;
  slowChannel.channelGBps = 0.5;
  slowChannel.commandNs = 1000; // one command per page: 4096 B per (8192 + 1000) ns per channel
  EXPECT_NEAR(slowChannel.peakReadGBps(), 2 * 4096 / 9192.0, 1e-9);
}

TEST(Hbf, OnePageReadLatencyAndPartialPageCostsAWholePage) {
  Hbf f("hbf", smallFlash());
  // controller 100 ns + tR 10 us + data-out 1024 ns + ECC 500 ns.
  const Hbf::Result r = f.schedule(false, 0, 4096, 0);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.done, static_cast<Ps>(11624 * kNs));
  // 100 bytes of another page: the same latency, one whole page read and charged.
  Hbf g("hbf2", smallFlash());
  EXPECT_EQ(g.schedule(false, 4096 * 3 + 10, 100, 0).done, static_cast<Ps>(11624 * kNs));
  EXPECT_EQ(g.stats().value("page_reads"), 1.0);
  EXPECT_EQ(g.stats().value("energy"), 4096 * 8 * 2.0);
  // A 100-byte read straddling two pages reads two (on two planes, in parallel,
  // the two data-outs on the two channels): same latency, two pages.
  Hbf h("hbf3", smallFlash());
  EXPECT_EQ(h.schedule(false, 4096 - 50, 100, 0).done, static_cast<Ps>(11624 * kNs));
  EXPECT_EQ(h.stats().value("page_reads"), 2.0);
}

TEST(Hbf, SamePlaneQueuesOnItsTimeline) {
  Hbf f("hbf", smallFlash());
  // Pages 0 and 8 are both on plane 0: the second read starts after the first
  // plane occupancy (tR with cache read) ends at 100 + 10000 ns.
  (void)f.schedule(false, 0, 4096, 0);
  const Hbf::Result r = f.schedule(false, 8 * 4096, 4096, 0);
  // starts 10100, page ready 20100, data-out 21124, ECC 21624.
  EXPECT_EQ(r.done, static_cast<Ps>(21624 * kNs));
  EXPECT_EQ(f.stats().value("plane_wait"), 10000 * kNs);
}

TEST(Hbf, SustainedBandwidthIsArrayOrChannelLimited) {
  {
    // 800 pages, 100 per plane: planes busy 100 x tR = 1 ms; each channel moves
    // 400 pages x 1024 ns = 409.6 us meanwhile, so the last page's data-out ends
    // 1024 ns after the last tR: 100 + 1e6 + 1024 + 500 ns.
    Hbf f("hbf", smallFlash());
    const std::uint64_t bytes = 800ull * 4096;
    const Hbf::Result r = f.schedule(false, 0, bytes, 0);
    EXPECT_EQ(r.done, static_cast<Ps>((100 + 1e6 + 1024 + 500) * kNs));
    const double gbps = static_cast<double>(bytes) / (static_cast<double>(r.done) / 1000.0);
    EXPECT_NEAR(gbps / f.peakGBps(), 1.0, 0.01);
  }
  {
    // Channel-limited: 0.5 GB/s per channel (8192 ns per page); 400 pages per
    // channel take 3.2768 ms after the first page is ready at 100 + 10000 ns.
    HbfParams p = smallFlash();
    p.channelGBps = 0.5;
    Hbf f("hbf_slow", p);
    const std::uint64_t bytes = 800ull * 4096;
    const Hbf::Result r = f.schedule(false, 0, bytes, 0);
    EXPECT_EQ(r.done, static_cast<Ps>((100 + 10000 + 400 * 8192 + 500) * kNs));
    const double gbps = static_cast<double>(bytes) / (static_cast<double>(r.done) / 1000.0);
    EXPECT_NEAR(gbps / f.peakGBps(), 1.0, 0.01);
    EXPECT_NEAR(f.peakGBps(), 1.0, 1e-9);
  }
}

TEST(Hbf, SmallRandomReadsGetAFractionOfPeak) {
  // One 512-byte read at a time (each waits for the last): a page read per
  // 512 bytes and the full latency each time.
  Hbf f("hbf", smallFlash());
  Ps t = 0;
  for (int i = 0; i < 16; ++i) t = f.schedule(false, static_cast<std::uint64_t>(i * 5 % 128) * 4096, 512, t).done;
  const double gbps = 16 * 512 / (static_cast<double>(t) / 1000.0);
  EXPECT_NEAR(gbps, 512 / 11624.0, 1e-6);
  EXPECT_LT(gbps, 0.05 * f.peakGBps());
}

TEST(Hbf, WriteProgramsErasesAndFailsPastEndurance) {
  Hbf f("hbf", smallFlash());
  // Block 0 of plane 0 holds global pages 0, 8, 16, 24 (in-plane pages 0-3).
  // A fresh block takes 4 programs: data-in 1024 ns, program 200 us.
  const Hbf::Result w = f.schedule(true, 0, 4096, 0);
  EXPECT_TRUE(w.ok);
  EXPECT_EQ(w.done, static_cast<Ps>((100 + 1024 + 2e5) * kNs));
  Ps t = w.done;
  // A partial page costs a whole page program.
  t = f.schedule(true, 8 * 4096 + 100, 100, t).done;
  t = f.schedule(true, 16 * 4096, 4096, t).done;
  t = f.schedule(true, 0, 4096, t).done; // 4 programs: block 0 is full
  EXPECT_EQ(f.erases(f.blockOf(0)), 0u);
  EXPECT_EQ(f.stats().value("pages_programmed"), 4.0);
  // The 5th program erases first: + tBERS 3 ms.
  const Hbf::Result e = f.schedule(true, 24 * 4096, 4096, t);
  EXPECT_EQ(e.done, t + static_cast<Ps>((100 + 1024 + 3e6 + 2e5) * kNs));
  EXPECT_EQ(f.erases(f.blockOf(0)), 1u);
  EXPECT_EQ(f.stats().value("block_erases"), 1.0);
  t = e.done;
  // Endurance 3: programs 6-16 succeed (erases before 9 and 13) and fill the
  // block; the erase before program 17 would be a 4th cycle.
  for (int i = 0; i < 11; ++i) EXPECT_TRUE(f.schedule(true, 0, 4096, t).ok);
  EXPECT_EQ(f.erases(f.blockOf(0)), 3u);
  EXPECT_EQ(f.stats().value("max_block_erases"), 3.0);
  const double programmed = f.stats().value("pages_programmed");
  // Pages 1 (block 0 of plane 1, fresh) and 8 (block 0 of plane 0, full and worn out).
  const Hbf::Result bad = f.schedule(true, 4096, 8 * 4096, t);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(f.erases(f.blockOf(0)), 3u);
  EXPECT_EQ(f.stats().value("pages_programmed"), programmed); // nothing written
  EXPECT_EQ(f.stats().value("endurance_errors"), 1.0);
  // Plane 1's block was rolled back too: it still takes 4 programs without an erase.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(f.schedule(true, 4096, 4096, t).ok);
  EXPECT_EQ(f.erases(f.blockOf(4096)), 0u);
}

TEST(Hbf, WornOutWriteIsAnErrorResponseThroughTlm) {
  HbfParams p = smallFlash();
  p.enduranceCycles = 1;
  p.pagesPerBlock = 1; // every program after the first erases: the 3rd write needs a 2nd cycle
  p.blocksPerPlane = 16;
  Hbf f("hbf", p);
  test::Tester tester("tester");
  test::ProtocolChecker checker("checker");
  tester.socket.bind(checker.targetSocket);
  checker.initiatorSocket.bind(f.socket);
  std::vector<std::uint8_t> data(4096, 0x5a), back(4096, 0);
  test::runScript([&] {
    EXPECT_EQ(tester.doWrite(0, data.data(), 4096), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(tester.doRead(0, back.data(), 4096), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(back, data);
    std::vector<std::uint8_t> other(4096, 0x11);
    EXPECT_EQ(tester.doWrite(0, data.data(), 4096), tlm::TLM_OK_RESPONSE); // erase 1 of 1
    EXPECT_EQ(tester.doWrite(0, other.data(), 4096), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(tester.doRead(0, back.data(), 4096), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(back, data); // the refused write changed nothing
    EXPECT_EQ(tester.doRead(p.capacityBytes() - 1, back.data(), 2), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  });
}

TEST(Hbf, PageFailProbabilityFromBitErrorRate) {
  HbfParams p = smallFlash();
  p.rawBitErrorRate = 1e-5;
  p.maxReadRetries = 2;
  p.retryRberScale = 0.1;
  Hbf f("hbf", p);
  // t = 0: a codeword fails if it has any error: 1 - exp(-8 x 512 x rber); a
  // page of 8 codewords fails if any does: 1 - exp(-8 x 4096 x rber).
  EXPECT_NEAR(f.pageFailProbability(0), -std::expm1(-8 * 4096 * 1e-5), 1e-12);
  EXPECT_NEAR(f.pageFailProbability(1), -std::expm1(-8 * 4096 * 1e-6), 1e-12);
  EXPECT_NEAR(f.pageFailProbability(2), -std::expm1(-8 * 4096 * 1e-7), 1e-12);
  HbfParams strong = p;
  strong.correctableBits = 40; // a strong ECC: practically never fails
  Hbf g("hbf2", strong);
  EXPECT_LT(g.pageFailProbability(0), 1e-30);
}

TEST(Hbf, ReadRetryCostsAnotherPageReadAndIsDeterministicPerSeed) {
  {
    // Every first read fails, every retry succeeds (rber scaled to 0):
    // plane busy 2 tR, data-out of both copies on the channel.
    HbfParams p = smallFlash();
    p.rawBitErrorRate = 1;
    p.maxReadRetries = 1;
    p.retryRberScale = 0;
    Hbf f("hbf", p);
    const Hbf::Result r = f.schedule(false, 0, 4096, 0);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.retries, 1u);
    EXPECT_EQ(r.done, static_cast<Ps>((100 + 2 * 10000 + 1024 + 500) * kNs));
    EXPECT_EQ(f.stats().value("page_reads"), 2.0);
  }
  {
    // No retries allowed: uncorrectable.
    HbfParams p = smallFlash();
    p.rawBitErrorRate = 1;
    Hbf f("hbf_bad", p);
    EXPECT_FALSE(f.schedule(false, 0, 4096, 0).ok);
    EXPECT_EQ(f.stats().value("uncorrectable_reads"), 1.0);
  }
  // A page fails with probability ~0.28 (rber 1e-5, see above).
  HbfParams p = smallFlash();
  p.rawBitErrorRate = 1e-5;
  p.maxReadRetries = 3;
  p.retryRberScale = 0.1;
  auto run = [&](const char* name, std::uint64_t seed) {
    HbfParams q = p;
    q.seed = seed;
    Hbf f(name, q);
    std::vector<Ps> done;
    Ps t = 0;
    for (int i = 0; i < 200; ++i) {
      const std::uint64_t pages = 1 + static_cast<std::uint64_t>(i % 40) * 3; // 1 .. 118 pages
      t = f.schedule(false, static_cast<std::uint64_t>(i % 7) * 4096, pages * 4096, t).done;
      done.push_back(t);
    }
    return std::make_pair(done, f.stats().value("read_retries") /
                                    (f.stats().value("page_reads") - f.stats().value("read_retries")));
  };
  const auto a = run("seed1a", 1), b = run("seed1b", 1), c = run("seed2", 2);
  EXPECT_EQ(a.first, b.first);
  EXPECT_NE(a.first, c.first);
  // Retries per page read: pf0 (1 + pf1 (1 + pf2)) ~ 0.2794 x 1.0333 ~ 0.289.
  Hbf probe("probe", p);
  const double expected =
      probe.pageFailProbability(0) * (1 + probe.pageFailProbability(1) * (1 + probe.pageFailProbability(2)));
  EXPECT_NEAR(a.second / expected, 1.0, 0.1);
  EXPECT_NEAR(c.second / expected, 1.0, 0.1);
}

} // namespace
} // namespace llmvp::models::flash
