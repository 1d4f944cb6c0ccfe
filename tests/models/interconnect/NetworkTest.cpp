// SPDX-License-Identifier: Apache-2.0
// Chip-to-chip links, switches, topologies and collective schedules, against
// numbers computed by hand from the parameters below:
//   link: 4 lanes x 25 Gb/s = 12.5 GB/s = 80 ps per byte; flit 64 B (5120 ps);
//   packets of 256 B payload + 16 B header -> 272 B, padded to 320 B (25600 ps);
//   latency SerDes 10 + FEC 20 + flight 5 = 35 ns.
//   switch: 100 ns port to port; endpoint 1 us per message.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <systemc>

#include "models/interconnect/Collectives.h"
#include "models/interconnect/Network.h"

namespace llmvp::test {
namespace {

using namespace models::interconnect;
using models::Ps;

LinkParams testLink() {
  LinkParams p;
  p.lanes = 4;
  p.laneGbps = 25;
  p.serdesNs = 10;
  p.fecNs = 20;
  p.flightNs = 5;
  p.flitBytes = 64;
  p.maxPayloadBytes = 256;
  p.headerBytes = 16;
  p.credits = 64;
  return p;
}

TopologyParams topo(TopologyKind kind, std::uint32_t chips) {
  TopologyParams t;
  t.kind = kind;
  t.chips = chips;
  t.link = testLink();
  t.switchParams.latencyNs = 100;
  t.switchParams.ports = 64;
  return t;
}

CollectiveParams coll() {
  CollectiveParams c;
  c.endpointNs = 1000;
  return c;
}

TEST(Link, WireBytesHeadersAndFlitPadding) {
  Link l("l0", testLink());
  // 1000 B: three full packets of 320 B on the wire and one of 232 + 16 -> 256 B.
  EXPECT_EQ(l.packets(1000), 4u);
  EXPECT_EQ(l.wireBytes(1000), 3u * 320u + 256u);
  EXPECT_EQ(l.serializationPs(1000), 1216u * 80u);
  const LinkHop h = l.send(0, 1000);
  EXPECT_EQ(h.start, 0u);
  EXPECT_EQ(h.headArrival, 5120u + 35000u);
  EXPECT_EQ(h.firstPacket, 25600u + 35000u);
  EXPECT_EQ(h.tail, 97280u + 35000u);
  EXPECT_EQ(l.stats().value("wire_bytes"), 1216.0);
  EXPECT_EQ(l.stats().value("busy"), 97280.0);
}

TEST(Link, BackToBackMessagesQueueOnTheSerializer) {
  Link l("l0", testLink());
  (void)l.send(0, 256);
  const LinkHop second = l.send(0, 256);
  EXPECT_EQ(second.start, 25600u);
  EXPECT_EQ(second.tail, 2u * 25600u + 35000u);
}

TEST(Link, CreditsLimitPacketsInFlight) {
  LinkParams p = testLink();
  p.credits = 2;
  Link l("l0", p);
  // 5 packets in windows of 2; a window lasts max(2 x 25.6, 2 x 35 + 25.6) = 95.6 ns.
  EXPECT_EQ(l.serializationPs(5 * 256), 2u * 95600u + 25600u);
}

TEST(Link, CrcErrorsAreReplayedDeterministically) {
  LinkParams p = testLink();
  p.bitErrorRate = 1e-4; // 2560 bits per packet -> about 23% of packets fail
  p.retryNs = 50;
  p.seed = 7;
  Link a("a", p), b("b", p);
  const LinkHop ha = a.send(0, 64 * 256), hb = b.send(0, 64 * 256);
  EXPECT_GT(ha.retries, 0u);
  EXPECT_EQ(ha.retries, hb.retries);
  EXPECT_EQ(ha.tail, 64u * 25600u + ha.retries * (50000u + 25600u) + 35000u);
  EXPECT_EQ(a.stats().value("retries"), ha.retries);
}

TEST(Network, CutThroughSwitchAddsOneFlitAndTheSwitchLatency) {
  Network net("net", topo(TopologyKind::Switch, 4));
  EXPECT_EQ(net.hops(0, 3), 2u);
  const Delivery d = net.transfer(0, 3, 1000, 0);
  EXPECT_EQ(d.arrival, 97280u + 2u * 35000u + 5120u + 100000u);
  EXPECT_EQ(d.hops, 2u);
  EXPECT_EQ(net.idleTime(0, 3, 1000), d.arrival);
}

TEST(Network, StoreAndForwardWaitsForTheWholePacket) {
  TopologyParams t = topo(TopologyKind::Switch, 4);
  t.switchParams.cutThrough = false;
  Network net("net", t);
  const Delivery d = net.transfer(0, 3, 1000, 0);
  EXPECT_EQ(d.arrival, 97280u + 2u * 35000u + 25600u + 100000u);
  EXPECT_EQ(net.idleTime(0, 3, 1000), d.arrival);
}

TEST(Network, HopCountsOfTopologies) {
  TopologyParams torus = topo(TopologyKind::Torus, 16);
  torus.dims = {4, 4};
  Network t("torus", torus);
  EXPECT_EQ(t.hops(0, 10), 4u); // (0,0) -> (2,2)
  EXPECT_EQ(t.hops(0, 3), 1u);  // wrap-around
  EXPECT_EQ(t.links().size(), 2u * 32u);
  TopologyParams t3 = topo(TopologyKind::Torus, 8);
  t3.dims = {2, 2, 2};
  Network cube("cube", t3);
  EXPECT_EQ(cube.hops(0, 7), 3u);
  EXPECT_EQ(cube.links().size(), 2u * 12u);
  Network ring("ring", topo(TopologyKind::Ring, 8));
  EXPECT_EQ(ring.hops(0, 4), 4u);
  EXPECT_EQ(ring.hops(0, 7), 1u);
  Network mesh("mesh", topo(TopologyKind::FullMesh, 5));
  EXPECT_EQ(mesh.hops(1, 4), 1u);
  TopologyParams tree = topo(TopologyKind::SwitchTree, 8);
  tree.chipsPerLeaf = 4;
  Network tr("tree", tree);
  EXPECT_EQ(tr.hops(0, 3), 2u);
  EXPECT_EQ(tr.hops(0, 4), 4u);
}

TEST(Network, DragonflyRoutesLocalGlobalLocal) {
  // 4 groups of 2 switches with 2 chips each (16 chips); 2 global links per
  // switch, 3 needed per group: every pair of groups is one global hop apart.
  TopologyParams df = topo(TopologyKind::Dragonfly, 16);
  df.groups = 4;
  df.switchesPerGroup = 2;
  df.chipsPerLeaf = 2;
  df.globalLinks = 2;
  df.switchParams.ports = 8;
  Network net("df", df);
  EXPECT_EQ(net.nodeCount(), 16u + 8u);
  // chips 16 + local 4 x 1 + global C(4,2) = 26 bidirectional links.
  EXPECT_EQ(net.links().size(), 2u * (16u + 4u + 6u));
  EXPECT_EQ(net.hops(0, 1), 2u); // same switch
  EXPECT_EQ(net.hops(0, 2), 3u); // same group, other switch
  std::uint32_t longest = 0;
  for (std::uint32_t a = 0; a < 16; ++a)
    for (std::uint32_t b = 0; b < 16; ++b) longest = std::max(longest, net.hops(a, b));
  // chip, local, global, local, chip: at most 5 links on a minimal route.
  EXPECT_EQ(longest, 5u);
  // Chips never forward: every intermediate node of a route is a switch.
  EXPECT_TRUE(net.switched());
  const Delivery d = net.transfer(0, 15, 1000, 0);
  EXPECT_EQ(d.hops, net.hops(0, 15));
  EXPECT_EQ(net.idleTime(0, 15, 1000), d.arrival);

  TopologyParams few = df;
  few.globalLinks = 1; // 2 switches x 1 global link cannot reach 3 other groups
  EXPECT_THROW(Network("few", few), TopologyError);
  TopologyParams wrong = df;
  wrong.groups = 3; // 3 x 2 x 2 != 16
  EXPECT_THROW(Network("wrong", wrong), TopologyError);
}

TEST(Network, BadTopologiesAreClearErrors) {
  TopologyParams custom = topo(TopologyKind::Custom, 4);
  custom.links = {{0, 1}, {2, 3}};
  try {
    Network n("n", custom);
    FAIL() << "disconnected topology accepted";
  } catch (const TopologyError& e) {
    EXPECT_NE(std::string(e.what()).find("disconnected"), std::string::npos) << e.what();
  }
  TopologyParams torus = topo(TopologyKind::Torus, 8);
  torus.dims = {4, 4};
  EXPECT_THROW(Network("t", torus), TopologyError);
  TopologyParams sw = topo(TopologyKind::Switch, 8);
  sw.switchParams.ports = 4;
  EXPECT_THROW(Network("s", sw), TopologyError);
}

// ---- collectives: schedules on an idle network vs alpha-beta by hand ----

TEST(Collectives, RingAllReduceIsTwoNMinusTwoSteps) {
  Network net("net", topo(TopologyKind::Switch, 4));
  // 4096 B -> chunks of 1024 B = 4 packets = 1280 B on the wire = 102.4 ns;
  // per step 1 us + 102.4 + 2 x 35 + 5.12 + 100 ns; 2 (4 - 1) = 6 steps.
  const Ps step = 1000000 + 102400 + 70000 + 5120 + 100000;
  const CollectiveTiming t =
      schedule(net, coll(), CollectiveOp::AllReduce, Algorithm::Ring, std::vector<Ps>(4, 0), 4096);
  EXPECT_EQ(t.steps, 6u);
  for (Ps d : t.done) EXPECT_EQ(d, 6 * step);
  EXPECT_EQ(estimate(net, coll(), CollectiveOp::AllReduce, Algorithm::Ring, 4096), 6 * step);
}

TEST(Collectives, LocalReductionsStreamWithTheArrivingData) {
  // Ring all-reduce of 4096 B on 4 chips: each 1024 B chunk arrives 277.52 ns
  // after its send starts (as above), its first flit after 2 x (5.12 + 35) +
  // 100 = 180.24 ns. Reducing at 6.25 GB/s takes 163.84 ns from that flit:
  // the 3 reduce-scatter steps end at 344.08 ns, the 3 all-gather steps do
  // not reduce. At 100 GB/s the reduction hides behind the transfer.
  Network slowNet("slow", topo(TopologyKind::Switch, 4)), fastNet("fast", topo(TopologyKind::Switch, 4));
  CollectiveParams slow = coll(), fast = coll();
  slow.reduceGBps = 6.25;
  fast.reduceGBps = 100;
  const Ps bound = 6 * 1000000 + 3 * 344080 + 3 * 277520;
  const Ps hidden = 6 * (1000000 + 277520);
  EXPECT_EQ(schedule(slowNet, slow, CollectiveOp::AllReduce, Algorithm::Ring, std::vector<Ps>(4, 0), 4096).done[0],
            bound);
  EXPECT_EQ(estimate(slowNet, slow, CollectiveOp::AllReduce, Algorithm::Ring, 4096), bound);
  EXPECT_EQ(schedule(fastNet, fast, CollectiveOp::AllReduce, Algorithm::Ring, std::vector<Ps>(4, 0), 4096).done[0],
            hidden);
  EXPECT_EQ(estimate(fastNet, fast, CollectiveOp::AllReduce, Algorithm::Ring, 4096), hidden);
}

TEST(Collectives, OneShotDirectSerializesOnTheSendersLink) {
  Network net("net", topo(TopologyKind::Switch, 4));
  // 4096 B = 16 packets = 5120 B = 409.6 ns; three sends leave back to back.
  const Ps expected = 1000000 + 409600 + 70000 + 5120 + 100000 + 2 * 409600;
  const CollectiveTiming t =
      schedule(net, coll(), CollectiveOp::AllReduce, Algorithm::Direct, std::vector<Ps>(4, 0), 4096);
  for (Ps d : t.done) EXPECT_EQ(d, expected);
  EXPECT_EQ(estimate(net, coll(), CollectiveOp::AllReduce, Algorithm::Direct, 4096), expected);
}

TEST(Collectives, InSwitchReductionStreamsThroughTheSwitch) {
  TopologyParams tp = topo(TopologyKind::Switch, 4);
  tp.switchParams.reduction = true;
  tp.switchParams.reductionLatencyNs = 50;
  Network net("net", tp);
  // The result flows down while inputs arrive; it ends one reduction latency,
  // one last packet (16th: 320 B = 25.6 ns) and one link latency after the
  // last input byte reached the switch.
  const Ps expected = 1000000 + (409600 + 35000) + 50000 + 25600 + 35000;
  const CollectiveTiming t =
      schedule(net, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, std::vector<Ps>(4, 0), 4096);
  for (Ps d : t.done) EXPECT_EQ(d, expected);
  EXPECT_EQ(estimate(net, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, 4096), expected);
  EXPECT_EQ(net.switchAt(4).stats().value("reductions"), 1.0);
}

TEST(Collectives, InSwitchPullMovesASharePlusTheMulticastAndReadRequests) {
  // NVLS-like: S = 4096 B on 4 chips, share S/4 = 1024 B. Each link carries
  // S + S/4 = 5120 B = 20 packets = 6400 B on the wire per direction; up,
  // plus the chip's load-reduce requests for its share (4 packets of 16 B,
  // one 64 B flit each: 256 B): 6656 B = 532.48 ns; down, plus the switch's
  // read requests for S (16 x 64 B): 7424 B = 593.92 ns.
  TopologyParams tp = topo(TopologyKind::Switch, 4);
  tp.switchParams.reduction = true;
  tp.switchParams.mode = ReductionMode::Pull;
  tp.switchParams.reductionLatencyNs = 50;
  Network net("net", tp);
  // The result starts down one flit + link latency + reduction latency after
  // the endpoint (first flits of every input at the switch), and the down
  // link is the longer direction.
  const Ps expected = 1000000 + (5120 + 35000) + 50000 + 593920 + 35000;
  const CollectiveTiming t =
      schedule(net, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, std::vector<Ps>(4, 0), 4096);
  for (Ps d : t.done) EXPECT_EQ(d, expected);
  EXPECT_EQ(estimate(net, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, 4096), expected);
  double up = 0, down = 0, upWire = 0, downWire = 0;
  for (const auto& l : net.links()) {
    const bool towardsSwitch = std::string(l->basename()).rfind("link_chip", 0) == 0; // link_chipK_switch0
    (towardsSwitch ? up : down) += l->stats().value("read_requests");
    (towardsSwitch ? upWire : downWire) += l->stats().value("wire_bytes");
  }
  EXPECT_EQ(up, 4.0 * 4);
  EXPECT_EQ(down, 4.0 * 16);
  EXPECT_EQ(upWire, 4.0 * 6656);
  EXPECT_EQ(downWire, 4.0 * 7424);
}

TEST(Collectives, RecursiveDoublingOnAFullMesh) {
  Network net("net", topo(TopologyKind::FullMesh, 4));
  const Ps step = 1000000 + 409600 + 35000;
  const CollectiveTiming t =
      schedule(net, coll(), CollectiveOp::AllReduce, Algorithm::RecursiveDoubling, std::vector<Ps>(4, 0), 4096);
  EXPECT_EQ(t.steps, 2u);
  for (Ps d : t.done) EXPECT_EQ(d, 2 * step);
  EXPECT_FALSE(algorithmApplies(Network("n3", topo(TopologyKind::FullMesh, 3)), CollectiveOp::AllReduce,
                                Algorithm::RecursiveDoubling));
}

TEST(Collectives, RingAllGatherAndDirectAllToAll) {
  Network net("net", topo(TopologyKind::Switch, 4));
  // all-gather: 3 steps of the whole 1024 B contribution.
  const Ps step = 1000000 + 102400 + 70000 + 5120 + 100000;
  const CollectiveTiming ag =
      schedule(net, coll(), CollectiveOp::AllGather, Algorithm::Ring, std::vector<Ps>(4, 0), 1024);
  for (Ps d : ag.done) EXPECT_EQ(d, 3 * step);
  Network net2("net2", topo(TopologyKind::Switch, 4));
  const CollectiveTiming a2a =
      schedule(net2, coll(), CollectiveOp::AllToAll, Algorithm::Direct, std::vector<Ps>(4, 0), 1024);
  for (Ps d : a2a.done) EXPECT_EQ(d, 1000000 + 102400 + 70000 + 5120 + 100000 + 2 * 102400);
}

TEST(Collectives, VariableAllToAllTimesEachPairsOwnMessage) {
  // MoE dispatch: rank 0 sends 1024 B to rank 1, rank 1 sends nothing; both
  // messages carry their count.
  Network net("net", topo(TopologyKind::Switch, 2));
  const std::uint64_t count = CollectiveGroup::kCountBytes;
  const std::vector<std::uint64_t> pairs{0, 1024 + count, count, 0};
  const CollectiveTiming t = schedule(net, allChips(net), coll(), CollectiveOp::AllToAll, Algorithm::Direct,
                                      std::vector<Ps>(2, 0), 1024, &pairs);
  const Network idle("idle", topo(TopologyKind::Switch, 2));
  EXPECT_EQ(t.done[1], 1000000 + idle.idleTime(0, 1, 1024 + count));
  EXPECT_EQ(t.done[0], 1000000 + idle.idleTime(1, 0, count));
  EXPECT_LT(t.done[0], t.done[1]);
  // Uniform sizes: as without pairBytes.
  Network a("a", topo(TopologyKind::Switch, 2)), b("b", topo(TopologyKind::Switch, 2));
  const std::vector<std::uint64_t> same{0, 512, 512, 0};
  EXPECT_EQ(schedule(a, allChips(a), coll(), CollectiveOp::AllToAll, Algorithm::Direct, {0, 0}, 512, &same).done,
            schedule(b, coll(), CollectiveOp::AllToAll, Algorithm::Direct, {0, 0}, 512).done);
}

TEST(Collectives, LateRankDelaysEveryone) {
  Network net("net", topo(TopologyKind::Switch, 4));
  std::vector<Ps> ready(4, 0);
  ready[2] = 5000000;
  const CollectiveTiming t = schedule(net, coll(), CollectiveOp::AllReduce, Algorithm::Ring, ready, 4096);
  for (Ps d : t.done) EXPECT_GT(d, 5000000u);
}

TEST(Collectives, AutomaticChoiceFollowsMessageSize) {
  TopologyParams tp = topo(TopologyKind::Switch, 8);
  Network net("net", tp);
  // Small messages: one step beats 14 ring steps; large: the ring moves 2/8 of the data per link.
  EXPECT_EQ(chooseAlgorithm(net, coll(), CollectiveOp::AllReduce, 256), Algorithm::Direct);
  EXPECT_EQ(chooseAlgorithm(net, coll(), CollectiveOp::AllReduce, 64u << 20), Algorithm::Ring);
  tp.switchParams.reduction = true;
  Network red("red", tp);
  EXPECT_EQ(chooseAlgorithm(red, coll(), CollectiveOp::AllReduce, 256), Algorithm::InSwitch);
  EXPECT_EQ(chooseAlgorithm(red, coll(), CollectiveOp::AllReduce, 64u << 20), Algorithm::InSwitch);
}

TEST(Collectives, SmallMessagesUseTheDirectScratchpadPath) {
  Network net("net", topo(TopologyKind::FullMesh, 2));
  CollectiveParams p = coll();
  p.directMaxBytes = 4096;
  p.directEndpointNs = 200;
  const Ps small = estimate(net, p, CollectiveOp::AllReduce, Algorithm::Direct, 4096);
  const Ps big = estimate(net, p, CollectiveOp::AllReduce, Algorithm::Direct, 4097);
  EXPECT_EQ(small, 200000 + 409600 + 35000);
  EXPECT_GT(big, small + 800000);
}

/// Chip 0 sends two 1 KiB messages to chip 2 of a ring (two hops); chip 2
/// receives them, the second after waiting 3 us.
struct PointToPoint : sc_core::sc_module {
  Network net{"net", topo(TopologyKind::Ring, 4)};
  CollectiveGroup group{"group", net, coll()};
  std::array<Ps, 2> sent{}, received{};
  std::array<std::vector<std::uint8_t>, 2> got;
  bool ok = true;
  SC_HAS_PROCESS(PointToPoint);
  explicit PointToPoint(const sc_core::sc_module_name& n) : sc_module(n) {
    SC_THREAD(sender);
    SC_THREAD(receiver);
  }
  void sender() {
    for (std::uint8_t i = 0; i < 2; ++i) {
      const std::vector<std::uint8_t> data(1024, static_cast<std::uint8_t>(i + 1));
      bool good = true;
      sent[i] = group.send(0, 2, 7, models::DType::U32, 256, data.data(), models::nowPs(), good);
      ok = ok && good;
    }
  }
  void receiver() {
    for (std::size_t i = 0; i < 2; ++i) {
      got[i].assign(1024, 0);
      bool good = true;
      received[i] = group.recv(2, 0, 7, models::DType::U32, 256, got[i].data(), i == 0 ? 0 : 3000000, good);
      ok = ok && good;
    }
    bool bad = true;
    group.send(1, 1, 0, models::DType::U32, 1, nullptr, 0, bad);
    ok = ok && !bad; // a chip cannot send to itself
  }
};

TEST(Collectives, PointToPointTransferCrossesTheRouteOnceAndKeepsOrder) {
  PointToPoint top("top");
  sc_core::sc_start();
  ASSERT_TRUE(top.ok);
  // 1024 B = 4 packets of 320 B on the wire = 102.4 ns per link, two links
  // of 35 ns, cut through (one flit, 5.12 ns, per extra hop), after the
  // 1 us endpoint cost.
  const Ps first = 1000000 + top.net.idleTime(0, 2, 1024);
  EXPECT_EQ(top.sent[0], first);
  EXPECT_EQ(top.received[0], first);
  // The second message queues behind the first on chip 0's link.
  EXPECT_EQ(top.sent[1], first + 102400);
  EXPECT_EQ(top.received[1], 3000000u); // it arrived long before the receiver was ready
  EXPECT_EQ(top.got[0], std::vector<std::uint8_t>(1024, 1));
  EXPECT_EQ(top.got[1], std::vector<std::uint8_t>(1024, 2));
  const auto& s = top.group.stats();
  EXPECT_EQ(s.value("transfers"), 2.0);
  EXPECT_EQ(s.value("transfer_bytes"), 2048.0);
  EXPECT_EQ(s.value("transfer_wait"), static_cast<double>(first));
}

TEST(Collectives, AGroupOfSomeChipsTimesAsANetworkOfThemAndLeavesTheOthersIdle) {
  // Chips 4-7 of 8 on one switch (a pipeline stage's tensor-parallel group)
  // against a network of 4 chips: the same ring and in-switch times, and
  // chips 0-3's links carry nothing.
  TopologyParams tp = topo(TopologyKind::Switch, 8);
  tp.switchParams.reduction = true;
  tp.switchParams.reductionLatencyNs = 50;
  TopologyParams four = tp;
  four.chips = 4;
  const Members stage{4, 5, 6, 7};
  for (const Algorithm a : {Algorithm::Ring, Algorithm::InSwitch, Algorithm::Direct, Algorithm::RecursiveDoubling}) {
    Network whole("whole", tp), alone("alone", four);
    const CollectiveTiming g = schedule(whole, stage, coll(), CollectiveOp::AllReduce, a, std::vector<Ps>(4, 0), 4096);
    const CollectiveTiming r = schedule(alone, coll(), CollectiveOp::AllReduce, a, std::vector<Ps>(4, 0), 4096);
    EXPECT_EQ(g.done, r.done) << algorithmName(a);
    EXPECT_EQ(estimate(whole, stage, coll(), CollectiveOp::AllReduce, a, 4096),
              estimate(alone, coll(), CollectiveOp::AllReduce, a, 4096))
        << algorithmName(a);
    for (const auto& l : whole.links()) {
      const std::string name = l->basename();
      const bool other = name.find("chip0") != std::string::npos || name.find("chip1") != std::string::npos ||
                         name.find("chip2") != std::string::npos || name.find("chip3") != std::string::npos;
      if (other) {
        EXPECT_EQ(l->stats().value("messages"), 0.0) << algorithmName(a) << " " << name;
      }
    }
  }
  EXPECT_FALSE(algorithmApplies(Network("n", tp), CollectiveOp::AllReduce, Algorithm::RecursiveDoubling, 3));
}

TEST(Collectives, AGroupUnderOneLeafReducesInItsLeafSwitch) {
  // Two leaves of 4 chips under a spine: chips 4-7 reduce in their leaf,
  // exactly as 4 chips on one switch, and the spine's links stay idle.
  TopologyParams tree = topo(TopologyKind::SwitchTree, 8);
  tree.chipsPerLeaf = 4;
  tree.switchParams.reduction = true;
  tree.switchParams.reductionLatencyNs = 50;
  TopologyParams one = topo(TopologyKind::Switch, 4);
  one.switchParams = tree.switchParams;
  Network whole("whole", tree), alone("alone", one);
  const Members leaf{4, 5, 6, 7};
  const CollectiveTiming g =
      schedule(whole, leaf, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, std::vector<Ps>(4, 0), 4096);
  const CollectiveTiming r =
      schedule(alone, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, std::vector<Ps>(4, 0), 4096);
  EXPECT_EQ(g.done, r.done);
  EXPECT_EQ(estimate(whole, leaf, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, 4096),
            estimate(alone, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, 4096));
  // Latency part: endpoint + hops x (35 ns link + 5.12 ns flit) + the
  // reduction latency of each switch on the way: 2 hops and the leaf here,
  // 4 hops and leaf + spine for every chip.
  const Ps hop = 35000 + 5120;
  EXPECT_EQ(g.latencyPs, 1000000 + 2 * hop + 50000);
  Network again("again", tree);
  const CollectiveTiming all =
      schedule(again, coll(), CollectiveOp::AllReduce, Algorithm::InSwitch, std::vector<Ps>(8, 0), 4096);
  EXPECT_EQ(all.latencyPs, 1000000 + 4 * hop + 2 * 50000);
  for (const auto& l : whole.links()) {
    const std::string name = l->basename();
    if (name.find("chip") == std::string::npos) {
      EXPECT_EQ(l->stats().value("messages"), 0.0) << name; // switch to switch
    }
  }
}

/// Two groups of two chips (chips 0-1 and 2-3) all-reduce different data at
/// the same time: each group sums its own.
struct TwoGroups : sc_core::sc_module {
  Network net{"net", topo(TopologyKind::Switch, 4)};
  CollectiveGroup group{"group", net, coll()};
  Network two{"two", topo(TopologyKind::Switch, 2)}; ///< the reference: two chips alone
  std::array<float, 4> result{};
  std::array<Ps, 4> done{};
  bool ok = true;
  SC_HAS_PROCESS(TwoGroups);
  explicit TwoGroups(const sc_core::sc_module_name& n) : sc_module(n) {
    SC_THREAD(chip0);
    SC_THREAD(chip1);
    SC_THREAD(chip2);
    SC_THREAD(chip3);
  }
  void chip0() { chip(0); }
  void chip1() { chip(1); }
  void chip2() { chip(2); }
  void chip3() { chip(3); }
  void chip(std::uint32_t c) {
    const float in = static_cast<float>(1u << c); // 1, 2 | 4, 8
    float out = 0;
    CollectiveGroup::Request r;
    r.algorithm = Algorithm::Ring;
    r.elements = 1;
    r.input = reinterpret_cast<const std::uint8_t*>(&in);
    r.output = reinterpret_cast<std::uint8_t*>(&out);
    r.groupFirst = c / 2 * 2;
    r.groupRanks = 2;
    r.ready = c < 2 ? 0 : 500000; // the second group starts later
    sc_core::wait(sc_core::sc_time::from_value(r.ready));
    bool good = true;
    done[c] = group.run(c, r, good);
    ok = ok && good;
    result[c] = out;
  }
};

/// Two chips exchange dispatch records (U32 words) by a variable all-to-all:
/// chip 0 sends 3 words to chip 1 and 1 to itself, chip 1 sends 0 and 2.
struct VariableExchange : sc_core::sc_module {
  Network net{"net", topo(TopologyKind::Switch, 2)};
  CollectiveGroup group{"group", net, coll()};
  std::array<std::array<std::uint32_t, 8>, 2> out{}; ///< [chip][2 blocks of 4 words]
  std::array<std::array<std::uint32_t, 2>, 2> received{};
  bool ok = true;
  SC_HAS_PROCESS(VariableExchange);
  explicit VariableExchange(const sc_core::sc_module_name& n) : sc_module(n) {
    SC_THREAD(chip0);
    SC_THREAD(chip1);
    for (auto& o : out) o.fill(0xdeadu); // what a block's uncounted part must keep
  }
  void chip0() { chip(0); }
  void chip1() { chip(1); }
  void chip(std::uint32_t c) {
    std::array<std::uint32_t, 8> in{};
    for (std::uint32_t i = 0; i < 8; ++i) in[i] = 100 * (c + 1) + i; // block d = words [4d, 4d + 4)
    CollectiveGroup::Request r;
    r.op = CollectiveOp::AllToAll;
    r.dtype = models::DType::U32;
    r.elements = 4;
    r.input = reinterpret_cast<const std::uint8_t*>(in.data());
    r.output = reinterpret_cast<std::uint8_t*>(out[c].data());
    r.groupRanks = 2;
    r.sendCounts = c == 0 ? std::vector<std::uint32_t>{1, 3} : std::vector<std::uint32_t>{0, 2};
    r.recvCounts = received[c].data();
    bool good = true;
    (void)group.run(c, r, good);
    ok = ok && good;
  }
};

TEST(Collectives, VariableAllToAllMovesTheCountedWordsAndReportsCounts) {
  VariableExchange top("top");
  sc_core::sc_start();
  ASSERT_TRUE(top.ok);
  constexpr std::uint32_t keep = 0xdeadu;
  // Chip 0: block 0 from itself (1 word), block 1 from chip 1 (none).
  EXPECT_EQ(top.out[0], (std::array<std::uint32_t, 8>{100, keep, keep, keep, keep, keep, keep, keep}));
  // Chip 1: block 0 from chip 0 (its block 1: 3 words), block 1 from itself (2).
  EXPECT_EQ(top.out[1], (std::array<std::uint32_t, 8>{104, 105, 106, keep, 204, 205, keep, keep}));
  EXPECT_EQ(top.received[0], (std::array<std::uint32_t, 2>{1, 0}));
  EXPECT_EQ(top.received[1], (std::array<std::uint32_t, 2>{3, 2}));
  EXPECT_EQ(top.group.stats().value("algorithm.direct"), 1.0);
}

TEST(Collectives, AGroupMustHoldTheChipAndLieInTheNetwork) {
  Network net("net", topo(TopologyKind::Switch, 4));
  CollectiveGroup group("group", net, coll());
  CollectiveGroup::Request r;
  r.groupFirst = 2;
  r.groupRanks = 2;
  EXPECT_TRUE(group.validGroup(3, r));
  EXPECT_FALSE(group.validGroup(1, r)) << "chip 1 is not in [2, 4)";
  r.groupRanks = 3;
  EXPECT_FALSE(group.validGroup(3, r)) << "[2, 5) is beyond 4 chips";
  r.groupRanks = 0;
  EXPECT_FALSE(group.validGroup(2, r)) << "no group programmed";
  // run() refuses such a request at once, without waiting for other chips.
  bool ok = true;
  r.ready = 1234;
  EXPECT_EQ(group.run(2, r, ok), 1234u);
  EXPECT_FALSE(ok);
}

TEST(Collectives, GroupsOfChipsReduceTheirOwnData) {
  TwoGroups top("top");
  sc_core::sc_start();
  ASSERT_TRUE(top.ok);
  EXPECT_EQ(top.group.chips(), 4u);
  EXPECT_EQ(top.result, (std::array<float, 4>{3, 3, 12, 12}));
  // Each group times as two chips alone: 2 ring steps of 4 B (2 B each).
  const Ps alone = schedule(top.two, coll(), CollectiveOp::AllReduce, Algorithm::Ring, {0, 0}, 4).done[0];
  EXPECT_EQ(top.done[0], alone);
  EXPECT_EQ(top.done[2], 500000 + alone);
  EXPECT_EQ(top.group.stats().value("calls"), 2.0);
}

} // namespace
} // namespace llmvp::test
