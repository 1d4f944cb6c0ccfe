// SPDX-License-Identifier: Apache-2.0
// The compute tile's HBF weight-stream buffer (models/compute/ReadAhead.h)
// against a memory of fixed latency and unlimited bandwidth, and the
// derived latency HbfParams::unloadedReadNs against the model it describes.
// Expectations follow from the parameters (comments show the arithmetic).
#include <gtest/gtest.h>

#include "models/compute/ReadAhead.h"
#include "models/memory/flash/Hbf.h"

namespace llmvp::models::compute {
namespace {

constexpr Ps kUs = 1000000; // ps
constexpr std::uint64_t kChunk = 1024;

struct Outcome {
  Ps end = 0;
  double stallPs = 0;
  int issued = 0;
};

// Two back-to-back streams of 4 chunks each, the second starting where the
// first ends, through a buffer of `depth` chunks; every read takes 10 us,
// every chunk 1 us to consume.
Outcome twoStreams(std::uint32_t depth, bool readAhead, std::uint64_t secondAt = 4 * kChunk) {
  ReadAheadParams p;
  p.base = 0;
  p.size = 1 << 20;
  p.depth = depth;
  p.readAhead = readAhead;
  ReadAhead ra(p, kChunk);
  Outcome r;
  auto issue = [&](std::uint64_t, std::uint64_t, Ps at, bool& ok) {
    ok = true;
    ++r.issued;
    return at + 10 * kUs;
  };
  auto consume = [](std::uint64_t, std::uint64_t) {};
  auto compute = [](std::uint64_t) { return Ps{kUs}; };
  Ps computeTotal = 0;
  bool ok = true;
  const Ps first = ra.stream(0, 4 * kChunk, 0, 0, issue, consume, compute, computeTotal, ok);
  r.end = ra.stream(secondAt, 4 * kChunk, first, first, issue, consume, compute, computeTotal, ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(computeTotal, 8 * kUs);
  r.stallPs = ra.totals().stallPs;
  return r;
}

TEST(ReadAhead, DeepBufferPaysTheLatencyOncePerContiguousRun) {
  // Depth 8, reading ahead: the first stream issues its 4 chunks at 0 and,
  // once it has, the next 4 into the 4 slots never used (free at 0), also at
  // 0. Everything arrives at 10 us: end = 10 + 8 x 1 = 18 us, one stall.
  const Outcome ahead = twoStreams(8, true);
  EXPECT_EQ(ahead.end, 18 * kUs);
  EXPECT_EQ(ahead.stallPs, 10.0 * kUs);
  // Without read-ahead the second stream starts empty at 14 us: 14 + 10 + 4.
  const Outcome plain = twoStreams(8, false);
  EXPECT_EQ(plain.end, 28 * kUs);
  EXPECT_EQ(plain.stallPs, 20.0 * kUs);
  // A second stream elsewhere finds nothing useful: as without read-ahead.
  // Each stream reads its 4 chunks, then plans all 8 slots ahead; the first
  // stream's 8 are issued (and wasted) when the second starts, the second's
  // never (no stream follows): 4 + 8 + 4 reads.
  const Outcome miss = twoStreams(8, true, 64 * kChunk);
  EXPECT_EQ(miss.end, 28 * kUs);
  EXPECT_EQ(miss.issued, 16);
  EXPECT_EQ(twoStreams(8, false).issued, 8);
}

TEST(ReadAhead, ShallowBufferIsLatencyBound) {
  // Depth 1: each chunk waits for the last to be consumed, 11 us per chunk.
  EXPECT_EQ(twoStreams(1, false).end, 8 * 11 * kUs);
  // Depth 2 overlaps one read with the consumption of the previous chunk:
  // chunk i+2 is issued when chunk i is consumed, 10 us before it arrives.
  EXPECT_LT(twoStreams(2, true).end, twoStreams(1, true).end);
}

TEST(ReadAhead, UnloadedReadLatencyMatchesTheFlashModel) {
  flash::HbfParams p;
  p.name = "t";
  p.channelsPerStack = 2;
  p.diesPerStack = 4;
  p.planesPerDie = 2; // 8 plane units, 2 channels
  p.blocksPerPlane = 4;
  p.pagesPerBlock = 4;
  p.pageBytes = 4096;
  p.tRns = 10000;
  p.channelGBps = 4; // 1024 ns per page
  p.commandNs = 40;
  p.multiPlane = 2;
  p.controllerNs = 100;
  p.eccDecodeNs = 500;
  p.codewordBytes = 512;
  for (std::uint64_t pages : {1u, 4u, 8u, 16u}) {
    flash::Hbf f(("hbf" + std::to_string(pages)).c_str(), p);
    const Ps done = f.schedule(false, 0, pages * p.pageBytes, 0).done;
    EXPECT_EQ(done, nsToPs(p.unloadedReadNs(pages * p.pageBytes))) << pages << " pages";
  }
  // 8 pages: 100 + 10000 + 4 pages per channel x 1024 + 2 commands x 40 + 500.
  EXPECT_DOUBLE_EQ(p.unloadedReadNs(8 * 4096), 100 + 10000 + 4 * 1024 + 2 * 40 + 500);
  // 16 pages, two per plane: the planes' second tR ends last (20 us), then one data-out.
  EXPECT_DOUBLE_EQ(p.unloadedReadNs(16 * 4096), 100 + 20000 + 1024 + 500);
}

} // namespace
} // namespace llmvp::models::compute
