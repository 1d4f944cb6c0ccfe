// SPDX-License-Identifier: Apache-2.0
#include "models/interconnect/Collectives.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

namespace llmvp::models::interconnect {

const char* algorithmName(Algorithm a) {
  switch (a) {
  case Algorithm::Auto: return "auto";
  case Algorithm::Ring: return "ring";
  case Algorithm::RecursiveDoubling: return "recursive_doubling";
  case Algorithm::Direct: return "direct";
  case Algorithm::InSwitch: return "in_switch";
  }
  return "?";
}

const char* collectiveName(CollectiveOp op) {
  switch (op) {
  case CollectiveOp::AllReduce: return "all_reduce";
  case CollectiveOp::AllGather: return "all_gather";
  case CollectiveOp::ReduceScatter: return "reduce_scatter";
  case CollectiveOp::AllToAll: return "all_to_all";
  }
  return "?";
}

namespace {
bool powerOfTwo(std::uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }
std::uint32_t log2u(std::uint32_t n) {
  std::uint32_t k = 0;
  while ((1u << k) < n) ++k;
  return k;
}
Ps endpoint(const CollectiveParams& p, std::uint64_t bytes) {
  return nsToPs(bytes <= p.directMaxBytes ? p.directEndpointNs : p.endpointNs);
}
Ps reducePs(const CollectiveParams& p, std::uint64_t bytes) {
  return p.reduceGBps > 0 ? bytesToPs(static_cast<double>(bytes), p.reduceGBps) : 0;
}
/// When a chip has added `bytes` that arrive as a message (first flit at
/// `head`, last byte at `arrival`) into its own data: the reduction streams
/// with the message at reduce_gbps, so it ends no earlier than the last
/// byte, nor before the first one plus the reduction of all of it.
Ps reducedAt(const CollectiveParams& p, Ps head, Ps arrival, std::uint64_t bytes) {
  return std::max(arrival, head + reducePs(p, bytes));
}

/// What an in-switch all-reduce of `bytes` moves on each link, per
/// direction (SwitchParams::mode): payload, and read-request packets.
struct InSwitchVolume {
  std::uint64_t up = 0, down = 0; ///< towards the reducing switch, and back
  std::uint64_t upRequests = 0, downRequests = 0;
};
InSwitchVolume inSwitchVolume(const Network& net, std::uint64_t bytes, std::uint32_t ranks) {
  InSwitchVolume v{bytes, bytes, 0, 0};
  if (net.params().switchParams.mode != ReductionMode::Pull) return v;
  // Up: the switch's reads of this chip's copy of every share (S) and the
  // multicast store of its own reduced share (S/N), with the load-reduce
  // requests for that share. Down: the reduced share (S/N) and every
  // share's multicast store (S), with the switch's read requests for S.
  const Link& l = *net.links().front();
  const std::uint64_t share = (bytes + ranks - 1) / ranks;
  v.up = v.down = bytes + share;
  v.upRequests = l.packets(share);
  v.downRequests = l.packets(bytes);
  return v;
}
/// Where a group's in-switch reduction turns around: the lowest switch of the
/// reduction tree with every member below it (the root for every chip; a
/// leaf switch for a group under one leaf).
std::uint32_t groupRoot(const Network& net, const Members& m) {
  std::vector<char> member(net.chips(), 0);
  for (const std::uint32_t c : m) member[c] = 1;
  std::function<std::size_t(std::uint32_t)> below = [&](std::uint32_t node) -> std::size_t {
    if (!net.isSwitch(node)) return member[node];
    std::size_t n = 0;
    for (const std::uint32_t c : net.children(node)) n += below(c);
    return n;
  };
  auto root = static_cast<std::uint32_t>(net.reductionRoot());
  for (bool lower = true; lower;) {
    lower = false;
    for (const std::uint32_t c : net.children(root))
      if (net.isSwitch(c) && below(c) == m.size()) {
        root = c;
        lower = true;
        break;
      }
  }
  return root;
}
} // namespace

Members allChips(const Network& net) {
  Members m(net.chips());
  for (std::uint32_t i = 0; i < net.chips(); ++i) m[i] = i;
  return m;
}

bool algorithmApplies(const Network& net, CollectiveOp op, Algorithm a, std::uint32_t ranks) {
  switch (a) {
  case Algorithm::Auto: return true;
  case Algorithm::Ring: return op != CollectiveOp::AllToAll;
  case Algorithm::Direct: return true;
  case Algorithm::RecursiveDoubling: return op == CollectiveOp::AllReduce && powerOfTwo(ranks);
  case Algorithm::InSwitch: return op == CollectiveOp::AllReduce && net.reductionRoot() >= 0;
  }
  return false;
}

bool algorithmApplies(const Network& net, CollectiveOp op, Algorithm a) {
  return algorithmApplies(net, op, a, net.chips());
}

Ps estimate(const Network& net, const Members& m, const CollectiveParams& p, CollectiveOp op, Algorithm a,
            std::uint64_t bytes) {
  const auto n = static_cast<std::uint32_t>(m.size());
  if (n <= 1) return 0;
  auto worst = [&](auto partner, std::uint64_t b) {
    Ps w = 0;
    for (std::uint32_t r = 0; r < n; ++r) w = std::max(w, net.idleTime(m[r], m[partner(r)], b));
    return w;
  };
  auto worstHead = [&](auto partner) {
    Ps w = 0;
    for (std::uint32_t r = 0; r < n; ++r) w = std::max(w, net.idleHeadTime(m[r], m[partner(r)]));
    return w;
  };
  auto next = [n](std::uint32_t r) { return (r + 1) % n; };
  switch (a) {
  case Algorithm::Ring: {
    const bool ar = op == CollectiveOp::AllReduce;
    const std::uint64_t c = op == CollectiveOp::AllGather ? bytes : (ar ? (bytes + n - 1) / n : bytes);
    const std::uint32_t steps = ar ? 2 * (n - 1) : n - 1;
    const std::uint32_t reducing = op == CollectiveOp::AllGather ? 0 : n - 1;
    const Ps move = worst(next, c), reduce = std::max(move, worstHead(next) + reducePs(p, c));
    return steps * endpoint(p, c) + reducing * reduce + (steps - reducing) * move;
  }
  case Algorithm::RecursiveDoubling: {
    Ps t = 0;
    for (std::uint32_t k = 0; k < log2u(n); ++k) {
      const auto partner = [k](std::uint32_t r) { return r ^ (1u << k); };
      t += endpoint(p, bytes) + std::max(worst(partner, bytes), worstHead(partner) + reducePs(p, bytes));
    }
    return t;
  }
  case Algorithm::Direct: {
    // Every rank injects n-1 messages over its links; beyond one per link
    // they serialize, and so do the messages whose routes share a link
    // inside the network (a torus's rings, a dragonfly's global links). A
    // group of some of the chips (a pipeline stage) counts its own
    // injection only: the network's sharing is known for all chips.
    Ps far = 0;
    for (std::uint32_t r = 1; r < n; ++r) far = std::max(far, net.idleTime(m[0], m[r], bytes));
    const Link& l = *net.links().front();
    const std::size_t links = std::max<std::size_t>(1, net.degree(m[0]));
    const std::uint64_t routes = n == net.chips() ? net.allPairsLinkLoad() : 1;
    const std::uint64_t shared = std::max<std::uint64_t>((n - 1 + links - 1) / links, routes);
    const Ps queue = (shared - 1) * l.serializationPs(bytes);
    const Ps red = op == CollectiveOp::AllReduce ? reducePs(p, bytes * (n - 1)) : 0;
    Ps head = 0;
    for (std::uint32_t r = 1; r < n; ++r) head = std::max(head, net.idleHeadTime(m[0], m[r]));
    return endpoint(p, bytes) + std::max(far + queue, head + red);
  }
  case Algorithm::InSwitch: {
    // Streaming through the group's root: up to it, reduce, down again; the
    // result flows out while inputs still arrive (see schedule()).
    const std::uint32_t root = groupRoot(net, m);
    const auto& sp = net.params().switchParams;
    const InSwitchVolume v = inSwitchVolume(net, bytes, n);
    const Ps redLat = nsToPs(sp.reductionLatencyNs);
    const Ps redSer = sp.reductionGBps > 0 ? bytesToPs(static_cast<double>(bytes), sp.reductionGBps) : 0;
    const Ps upTail = net.idleTime(m[0], root, v.up, v.upRequests);
    const Ps downTail = net.idleTime(root, m[0], v.down, v.downRequests);
    const Ps upHead = net.idleHeadTime(m[0], root);
    const Ps lat = net.links().front()->latency();
    const Ps viaHead = upHead + redLat + std::max(downTail, redSer + lat);
    const Ps viaTail = upTail + redLat + net.lastPacketPs(v.down) + lat;
    return endpoint(p, bytes) + std::max(viaHead, viaTail);
  }
  case Algorithm::Auto: break;
  }
  return std::numeric_limits<Ps>::max();
}

Ps estimate(const Network& net, const CollectiveParams& p, CollectiveOp op, Algorithm a, std::uint64_t bytes) {
  return estimate(net, allChips(net), p, op, a, bytes);
}

Ps estimateWithLaunch(const Network& net, const CollectiveParams& p, CollectiveOp op, Algorithm a,
                      std::uint64_t bytes) {
  return nsToPs(p.launchNs) + estimate(net, p, op, a, bytes);
}

Algorithm chooseAlgorithm(const Network& net, const Members& m, const CollectiveParams& p, CollectiveOp op,
                          std::uint64_t bytes) {
  Algorithm best = op == CollectiveOp::AllToAll ? Algorithm::Direct : Algorithm::Ring;
  Ps bestPs = std::numeric_limits<Ps>::max();
  for (Algorithm a : {Algorithm::Ring, Algorithm::RecursiveDoubling, Algorithm::Direct, Algorithm::InSwitch}) {
    if (!algorithmApplies(net, op, a, static_cast<std::uint32_t>(m.size()))) continue;
    const Ps e = estimate(net, m, p, op, a, bytes);
    if (e < bestPs) {
      bestPs = e;
      best = a;
    }
  }
  return best;
}

Algorithm chooseAlgorithm(const Network& net, const CollectiveParams& p, CollectiveOp op, std::uint64_t bytes) {
  return chooseAlgorithm(net, allChips(net), p, op, bytes);
}

CollectiveTiming schedule(Network& net, const CollectiveParams& p, CollectiveOp op, Algorithm a,
                          const std::vector<Ps>& ready, std::uint64_t bytes) {
  return schedule(net, allChips(net), p, op, a, ready, bytes);
}

CollectiveTiming schedule(Network& net, const Members& m, const CollectiveParams& p, CollectiveOp op, Algorithm a,
                          const std::vector<Ps>& ready, std::uint64_t bytes,
                          const std::vector<std::uint64_t>* pairBytes) {
  const auto n = static_cast<std::uint32_t>(m.size());
  CollectiveTiming t;
  t.algorithm = a;
  t.done = ready;
  t.retriedFrom.assign(n, false);
  if (n <= 1) return t;
  std::vector<Ps> T = ready;
  // Latency part along the critical path: per step the largest of the
  // messages' (endpoint + network latency).
  auto stepLatency = [&](Ps endpointPs, Ps worstNet) { t.latencyPs += endpointPs + worstNet; };

  switch (a) {
  case Algorithm::Ring: {
    const bool ar = op == CollectiveOp::AllReduce;
    const bool reduce = op != CollectiveOp::AllGather;
    const std::uint64_t c = ar ? (bytes + n - 1) / n : bytes;
    const std::uint32_t steps = ar ? 2 * (n - 1) : n - 1;
    for (std::uint32_t s = 0; s < steps; ++s) {
      std::vector<Ps> nt = T;
      Ps worst = 0;
      for (std::uint32_t r = 0; r < n; ++r) {
        const std::uint32_t to = (r + 1) % n;
        const Delivery d = net.transfer(m[r], m[to], c, T[r] + endpoint(p, c));
        worst = std::max(worst, d.latencyPs);
        t.retries += d.retries;
        if (d.retries > 0) t.retriedFrom[r] = true;
        const bool reducing = reduce && (!ar || s < n - 1);
        nt[to] = std::max(nt[to], reducing ? reducedAt(p, d.head, d.arrival, c) : d.arrival);
      }
      T = nt;
      stepLatency(endpoint(p, c), worst);
      ++t.steps;
    }
    break;
  }
  case Algorithm::RecursiveDoubling: {
    for (std::uint32_t k = 0; k < log2u(n); ++k) {
      std::vector<Ps> nt = T;
      Ps worst = 0;
      for (std::uint32_t r = 0; r < n; ++r) {
        const std::uint32_t partner = r ^ (1u << k);
        const Delivery d = net.transfer(m[partner], m[r], bytes, T[partner] + endpoint(p, bytes));
        worst = std::max(worst, d.latencyPs);
        t.retries += d.retries;
        if (d.retries > 0) t.retriedFrom[partner] = true;
        nt[r] = std::max(nt[r], reducedAt(p, d.head, d.arrival, bytes));
      }
      T = nt;
      stepLatency(endpoint(p, bytes), worst);
      ++t.steps;
    }
    break;
  }
  case Algorithm::Direct: {
    // Each rank sends to every other (destinations in rotating order so the
    // receivers' links share the load); receivers reduce what arrived.
    std::vector<Ps> last = T;
    std::vector<Ps> firstHead(n, std::numeric_limits<Ps>::max());
    Ps worst = 0;
    // Rounds in time order (timelines must be reserved in arrival order):
    // in round i every rank j sends to j + i.
    // A variable all-to-all's messages have their own sizes (pairBytes).
    Ps worstEndpoint = 0;
    for (std::uint32_t i = 1; i < n; ++i)
      for (std::uint32_t j = 0; j < n; ++j) {
        const std::uint32_t r = (j + i) % n;
        const std::uint64_t b = pairBytes != nullptr ? (*pairBytes)[std::size_t{j} * n + r] : bytes;
        const Delivery d = net.transfer(m[j], m[r], b, T[j] + endpoint(p, b));
        worst = std::max(worst, d.latencyPs);
        worstEndpoint = std::max(worstEndpoint, endpoint(p, b));
        t.retries += d.retries;
        if (d.retries > 0) t.retriedFrom[j] = true;
        last[r] = std::max(last[r], d.arrival);
        firstHead[r] = std::min(firstHead[r], d.head);
      }
    // Receivers reduce the n - 1 messages as they stream in.
    for (std::uint32_t r = 0; r < n; ++r)
      T[r] = op == CollectiveOp::AllReduce ? reducedAt(p, firstHead[r], last[r], bytes * (n - 1)) : last[r];
    stepLatency(worstEndpoint, worst);
    t.steps = 1;
    break;
  }
  case Algorithm::InSwitch: {
    // Streaming reduction: a switch starts reducing (and sending the result
    // on) when the first flits of every input arrived, after its reduction
    // latency; its output cannot end before the last input packet arrived
    // and was reduced, nor before `bytes` went through its reduction unit.
    // Each link carries the volumes of the switch's mode (inSwitchVolume).
    // Only the group's chips take part, and the switches with one of them
    // below (a pipeline stage's group leaves the others' links idle).
    const auto& sp = net.params().switchParams;
    const InSwitchVolume v = inSwitchVolume(net, bytes, n);
    const Ps redLat = nsToPs(sp.reductionLatencyNs);
    const Ps redSer = sp.reductionGBps > 0 ? bytesToPs(static_cast<double>(bytes), sp.reductionGBps) : 0;
    const Ps lastPkt = net.lastPacketPs(v.down);
    std::vector<std::int64_t> rankOf(net.nodeCount(), -1); // a member chip's rank
    for (std::uint32_t r = 0; r < n; ++r) rankOf[m[r]] = r;
    std::vector<char> active(net.nodeCount(), 0); // a switch with members below
    struct Flow {
      Ps head = 0, tail = 0; ///< reduced data available at a switch: first flit, last byte
      Ps latency = 0;        ///< latency part from the chips to here (hops, switch and reduction latencies)
      std::uint32_t inputs = 0;
    };
    // Each child's link latency is added to the tail bound when the result goes on.
    std::function<Flow(std::uint32_t)> up = [&](std::uint32_t sw) {
      Flow in;
      for (std::uint32_t c : net.children(sw)) {
        Delivery d;
        Ps below = 0; // latency part up to child c
        if (net.isSwitch(c)) {
          const Flow f = up(c);
          if (f.inputs == 0) continue;
          d = net.transfer(c, sw, v.up, f.head, v.upRequests);
          d.arrival = std::max(d.arrival, f.tail + lastPkt + net.links().front()->latency());
          below = f.latency;
        } else {
          if (rankOf[c] < 0) continue;
          const auto r = static_cast<std::size_t>(rankOf[c]);
          d = net.transfer(c, sw, v.up, T[r] + endpoint(p, bytes), v.upRequests);
          if (d.retries > 0) t.retriedFrom[r] = true;
        }
        t.retries += d.retries;
        in.head = std::max(in.head, d.head);
        in.tail = std::max(in.tail, d.arrival);
        in.latency = std::max(in.latency, below + d.latencyPs);
        ++in.inputs;
      }
      if (in.inputs == 0) return in;
      active[sw] = 1;
      net.switchAt(sw).countReduction(bytes, in.inputs);
      Flow out;
      out.head = in.head + redLat;
      out.tail = std::max(in.tail + redLat, out.head + redSer);
      out.latency = in.latency + redLat;
      out.inputs = in.inputs;
      return out;
    };
    Ps worst = 0; // latency part to the last chip: up, reductions, down
    std::function<void(std::uint32_t, Flow)> down = [&](std::uint32_t sw, Flow f) {
      for (std::uint32_t c : net.children(sw)) {
        if (net.isSwitch(c) ? active[c] == 0 : rankOf[c] < 0) continue;
        Delivery d = net.transfer(sw, c, v.down, f.head, v.downRequests);
        d.arrival = std::max(d.arrival, f.tail + lastPkt + net.links().front()->latency());
        t.retries += d.retries;
        if (net.isSwitch(c)) {
          down(c, Flow{d.head, d.arrival, f.latency + d.latencyPs, 0});
        } else {
          worst = std::max(worst, f.latency + d.latencyPs);
          T[static_cast<std::size_t>(rankOf[c])] = std::max(T[static_cast<std::size_t>(rankOf[c])], d.arrival);
        }
      }
    };
    const std::uint32_t root = groupRoot(net, m);
    down(root, up(root));
    stepLatency(endpoint(p, bytes), worst);
    t.steps = 2;
    break;
  }
  case Algorithm::Auto: break;
  }
  t.done = T;
  return t;
}

// ---- CollectiveGroup --------------------------------------------------------

CollectiveGroup::CollectiveGroup(const char* name, Network& net, const CollectiveParams& params)
    : sc_object(name), net_(net), params_(params), seq_(net.chips(), 0), rng_(params.seed), stats_(this->name()),
      calls_count_(stats_.add("calls", "collectives completed", Unit::Count)),
      time_(
          stats_.add("time", "sum over collectives of the ranks' mean time from input ready to result done", Unit::Ps)),
      latency_(stats_.add("latency_part", "latency part of that time (steps x (endpoint + hops x per-hop))", Unit::Ps)),
      skew_(stats_.add("skew_wait",
                       "part of that time the ranks waited for the last contribution (mean over ranks of last "
                       "arrival - own arrival: load imbalance, stragglers)",
                       Unit::Ps)),
      bytes_(stats_.add("bytes", "per-rank message bytes", Unit::Bytes)),
      substitutions_(stats_.add("substitutions", "late contributions replaced by previous data or zeros", Unit::Count)),
      stragglers_(stats_.add("stragglers", "contributions delayed by straggler injection", Unit::Count)),
      retries_(stats_.add("retries", "link-level packet retries during collectives and point-to-point transfers",
                          Unit::Count)),
      retryTimeouts_(stats_.add("retry_timeouts",
                                "collectives that ran past their timeout on a retrying link (policy on)", Unit::Count)),
      transfers_(stats_.add("transfers", "point-to-point messages (pipeline parallel SEND)", Unit::Count)),
      transferTime_(stats_.add("transfer_time", "sum over messages of send ready to arrival", Unit::Ps)),
      transferLatency_(stats_.add("transfer_latency_part",
                                  "latency part of that time (launch + endpoint + hops x per-hop)", Unit::Ps)),
      transferBytes_(stats_.add("transfer_bytes", "point-to-point message bytes", Unit::Bytes)),
      transferWait_(stats_.add("transfer_wait",
                               "sum over RECVs of the time from the receiver ready to the message there (waiting "
                               "for the previous stage included)",
                               Unit::Ps)) {
  for (Algorithm a : {Algorithm::Ring, Algorithm::RecursiveDoubling, Algorithm::Direct, Algorithm::InSwitch})
    perAlgorithm_.push_back(
        &stats_.add(std::string("algorithm.") + algorithmName(a), "collectives run with it", Unit::Count));
}

Ps CollectiveGroup::send(std::uint32_t from, std::uint32_t to, std::uint32_t tag, DType dtype, std::uint64_t elements,
                         const std::uint8_t* data, Ps ready, bool& ok) {
  ok = from < net_.chips() && to < net_.chips() && from != to;
  if (!ok) return ready;
  const std::uint64_t bytes = elements * dtypeBytes(dtype);
  const Ps launch = nsToPs(params_.launchNs), ep = endpoint(params_, bytes);
  const Delivery d = net_.transfer(from, to, bytes, ready + launch + ep);
  Message msg{dtype, elements, {}, d.arrival};
  if (data != nullptr) msg.data.assign(data, data + bytes);
  mailbox_[{from, to, tag}].push_back(std::move(msg));
  delivered_.notify(sc_core::SC_ZERO_TIME);
  transfers_ += 1;
  transferTime_ += static_cast<double>(d.arrival - ready);
  transferLatency_ += static_cast<double>(launch + ep + d.latencyPs);
  transferBytes_ += static_cast<double>(bytes);
  retries_ += d.retries;
  return d.arrival;
}

Ps CollectiveGroup::recv(std::uint32_t to, std::uint32_t from, std::uint32_t tag, DType dtype, std::uint64_t elements,
                         std::uint8_t* out, Ps ready, bool& ok) {
  ok = from < net_.chips() && to < net_.chips() && from != to;
  if (!ok) return ready;
  auto& queue = mailbox_[{from, to, tag}];
  while (queue.empty()) sc_core::wait(delivered_);
  Message msg = std::move(queue.front());
  queue.pop_front();
  ok = msg.dtype == dtype && msg.elements == elements;
  if (ok && out != nullptr && !msg.data.empty()) std::copy(msg.data.begin(), msg.data.end(), out);
  const Ps done = std::max(ready, msg.arrival);
  transferWait_ += static_cast<double>(done - ready);
  return done;
}

std::uint64_t CollectiveGroup::inputElements(const Request& r) {
  const std::uint64_t n = r.groupRanks;
  switch (r.op) {
  case CollectiveOp::AllReduce:
  case CollectiveOp::AllGather: return r.elements;
  case CollectiveOp::ReduceScatter:
  case CollectiveOp::AllToAll: return r.elements * n;
  }
  return 0;
}

std::uint64_t CollectiveGroup::outputElements(const Request& r) {
  const std::uint64_t n = r.groupRanks;
  switch (r.op) {
  case CollectiveOp::AllReduce:
  case CollectiveOp::ReduceScatter: return r.elements;
  case CollectiveOp::AllGather:
  case CollectiveOp::AllToAll: return r.elements * n;
  }
  return 0;
}

bool CollectiveGroup::validGroup(std::uint32_t chip, const Request& req) const {
  const std::uint64_t end = std::uint64_t{req.groupFirst} + req.groupRanks;
  return req.groupRanks != 0 && end <= net_.chips() && chip >= req.groupFirst && chip < end;
}

Ps CollectiveGroup::run(std::uint32_t chip, const Request& req, bool& ok) {
  ok = validGroup(chip, req);
  if (!ok) return req.ready;
  // The chips of one group make the same calls in the same order: their
  // k-th calls meet.
  const std::uint32_t n = req.groupRanks, rank = chip - req.groupFirst;
  const auto id = std::make_tuple(seq_.at(chip)++, req.groupFirst, n);
  Call& c = calls_[id];
  if (c.req.empty()) {
    c.req.resize(n);
    c.arrived.assign(n, false);
    for (std::uint32_t r = 0; r < n; ++r) c.members.push_back(req.groupFirst + r);
  }
  c.req[rank] = req;
  c.arrived[rank] = true;
  if (++c.count == n) {
    complete(c);
    completed_.notify(sc_core::SC_ZERO_TIME);
  }
  while (!c.complete) sc_core::wait(completed_);
  ok = c.ok;
  const Ps done = c.done.empty() ? req.ready : c.done[rank];
  if (++c.taken == n) calls_.erase(id);
  return done;
}

void CollectiveGroup::complete(Call& c) {
  const auto n = static_cast<std::uint32_t>(c.members.size());
  c.complete = true;
  const Request& r0 = c.req[0];
  // A variable all-to-all (MoE dispatch and combine): every rank gives a
  // count per destination, at most the block.
  const bool variable = !r0.sendCounts.empty();
  for (const Request& r : c.req) {
    if (r.op != r0.op || r.elements != r0.elements || r.dtype != r0.dtype || r.tag != r0.tag ||
        r.algorithm != r0.algorithm || (r.input == nullptr) != (r0.input == nullptr) ||
        r.sendCounts.size() != (variable ? n : 0))
      c.ok = false;
    for (const std::uint32_t k : r.sendCounts)
      if (k > r0.elements) c.ok = false;
  }
  if (variable && r0.op != CollectiveOp::AllToAll) c.ok = false;
  const std::uint64_t eb = dtypeBytes(r0.dtype);
  std::uint64_t bytes = r0.elements * eb;
  std::vector<std::uint64_t> pairBytes;
  if (c.ok && variable) {
    // Each message carries its count; the mean over the pairs is the
    // collective's per-rank message in the stats.
    pairBytes.assign(std::size_t{n} * n, 0);
    std::uint64_t sum = 0;
    for (std::uint32_t s = 0; s < n; ++s)
      for (std::uint32_t d = 0; d < n; ++d) {
        pairBytes[std::size_t{s} * n + d] = c.req[s].sendCounts[d] * eb + kCountBytes;
        if (s != d) sum += pairBytes[std::size_t{s} * n + d];
      }
    bytes = n > 1 ? sum / (std::uint64_t{n} * (n - 1)) : 0;
  }
  Algorithm a = r0.algorithm == Algorithm::Auto ? params_.algorithm : r0.algorithm;
  if (variable)
    a = Algorithm::Direct; // per-pair sizes: only the direct schedule has them
  else if (a == Algorithm::Auto)
    a = chooseAlgorithm(net_, c.members, params_, r0.op, bytes);
  if (!algorithmApplies(net_, r0.op, a, n)) c.ok = false;
  if (!c.ok) return;
  // The reliability policy stands in for late reductions and gathers; a
  // dispatch's records (variable, or opaque U32 words) cannot be replaced.
  const SubstitutePolicy policy = variable || r0.dtype == DType::U32 ? SubstitutePolicy::Off : params_.policy;

  // Ready times, with injected stragglers; the reliability policy replaces
  // contributions later than the first one + timeout.
  std::vector<Ps> ready(n);
  for (std::uint32_t r = 0; r < n; ++r) {
    ready[r] = c.req[r].ready + nsToPs(params_.launchNs);
    if (params_.stragglerProbability > 0 &&
        std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < params_.stragglerProbability) {
      ready[r] += nsToPs(params_.stragglerNs);
      stragglers_ += 1;
    }
  }
  const Ps first = *std::min_element(ready.begin(), ready.end());
  std::vector<bool> late(n, false);
  std::vector<Ps> scheduled = ready;
  if (policy != SubstitutePolicy::Off) {
    const Ps deadline = first + nsToPs(params_.timeoutNs);
    for (std::uint32_t r = 0; r < n; ++r)
      if (ready[r] > deadline) {
        late[r] = true;
        scheduled[r] = deadline; // the others stop waiting and use a stand-in
        substitutions_ += 1;
      }
  }
  CollectiveTiming t = schedule(net_, c.members, params_, r0.op, a, scheduled, bytes, variable ? &pairBytes : nullptr);
  // A retrying link: when the collective runs past its idle-network time +
  // timeout, the ranks stop waiting at that deadline and use stand-ins for
  // the contributions whose messages were being retried (the link itself
  // stays busy with the replay, so later traffic still sees it).
  if (policy != SubstitutePolicy::Off && t.retries > 0) {
    const Ps deadline = *std::max_element(scheduled.begin(), scheduled.end()) +
                        estimate(net_, c.members, params_, r0.op, a, bytes) + nsToPs(params_.timeoutNs);
    if (*std::max_element(t.done.begin(), t.done.end()) > deadline) {
      bool substituted = false;
      for (std::uint32_t r = 0; r < n; ++r)
        if (t.retriedFrom[r] && !late[r]) {
          late[r] = true;
          substitutions_ += 1;
          substituted = true;
        }
      if (substituted) {
        retryTimeouts_ += 1;
        for (std::uint32_t r = 0; r < n; ++r) t.done[r] = std::min(t.done[r], std::max(deadline, scheduled[r]));
      }
    }
  }
  for (std::uint32_t r = 0; r < n; ++r) t.done[r] = std::max(t.done[r], ready[r]);
  c.done = t.done;
  calls_count_ += 1;
  // Each chip's view: from its input ready (before launch) to its result,
  // waiting for the others included. Summing a first-ready-to-last-done span
  // instead would count the same wall time twice when chips drift apart.
  double spent = 0;
  for (std::uint32_t r = 0; r < n; ++r) spent += static_cast<double>(t.done[r] - c.req[r].ready);
  time_ += spent / n;
  latency_ += static_cast<double>(t.latencyPs);
  const Ps last = *std::max_element(scheduled.begin(), scheduled.end());
  double skew = 0;
  for (std::uint32_t r = 0; r < n; ++r) skew += static_cast<double>(last - scheduled[r]);
  skew_ += skew / n;
  bytes_ += static_cast<double>(bytes);
  retries_ += t.retries;
  *perAlgorithm_[static_cast<std::size_t>(a) - 1] += 1;

  if (variable)
    for (std::uint32_t r = 0; r < n; ++r)
      if (c.req[r].recvCounts != nullptr)
        for (std::uint32_t s = 0; s < n; ++s) c.req[r].recvCounts[s] = c.req[s].sendCounts[r];
  if (r0.input == nullptr) return;
  if (r0.op == CollectiveOp::AllToAll && policy == SubstitutePolicy::Off) {
    // Moved, not summed: block r of rank s's input goes to block s of rank
    // r's output bit for bit (a variable one's first count elements; the
    // rest of that block is left as it was).
    const std::uint64_t block = r0.elements * eb;
    for (std::uint32_t r = 0; r < n; ++r)
      for (std::uint32_t s = 0; s < n; ++s) {
        const std::uint8_t* from = c.req[s].input + r * block;
        std::copy(from, from + (variable ? c.req[s].sendCounts[r] * eb : block), c.req[r].output + s * block);
      }
    return;
  }
  // Functional data: inputs widened to fp32, late ones substituted, sums in
  // rank order (the same on every rank whatever the algorithm).
  const std::uint64_t inN = inputElements(r0), outN = outputElements(r0);
  std::vector<std::vector<float>> in(n, std::vector<float>(inN));
  for (std::uint32_t r = 0; r < n; ++r) {
    for (std::uint64_t i = 0; i < inN; ++i) in[r][i] = loadElement(c.req[r].input, r0.dtype, i);
    const std::uint64_t key = (std::uint64_t{r0.tag} << 32) | c.members[r];
    if (late[r]) {
      const auto prev = previous_.find(key);
      if (policy == SubstitutePolicy::Previous && prev != previous_.end())
        in[r] = prev->second;
      else
        std::fill(in[r].begin(), in[r].end(), 0.0f);
    }
    if (policy != SubstitutePolicy::Off && !late[r]) previous_[key] = in[r];
  }
  const std::uint64_t e = r0.elements;
  for (std::uint32_t r = 0; r < n; ++r) {
    std::uint8_t* out = c.req[r].output;
    for (std::uint64_t i = 0; i < outN; ++i) {
      float v = 0.0f;
      switch (r0.op) {
      case CollectiveOp::AllReduce:
        for (std::uint32_t j = 0; j < n; ++j) v += in[j][i];
        break;
      case CollectiveOp::ReduceScatter:
        for (std::uint32_t j = 0; j < n; ++j) v += in[j][r * e + i];
        break;
      case CollectiveOp::AllGather: v = in[i / e][i % e]; break;
      case CollectiveOp::AllToAll: v = in[i / e][r * e + i % e]; break;
      }
      storeElement(out, r0.dtype, i, v);
    }
  }
}

} // namespace llmvp::models::interconnect
