// SPDX-License-Identifier: Apache-2.0
#include "models/interconnect/Network.h"

#include <algorithm>
#include <deque>
#include <limits>

namespace llmvp::models::interconnect {

const char* topologyName(TopologyKind k) {
  switch (k) {
  case TopologyKind::Ring: return "ring";
  case TopologyKind::Torus: return "torus";
  case TopologyKind::FullMesh: return "full_mesh";
  case TopologyKind::Switch: return "switch";
  case TopologyKind::SwitchTree: return "switch_tree";
  case TopologyKind::Dragonfly: return "dragonfly";
  case TopologyKind::Custom: return "custom";
  }
  return "?";
}

namespace {
constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

std::uint32_t product(const std::vector<std::uint32_t>& v) {
  std::uint32_t p = 1;
  for (auto d : v) p *= d;
  return p;
}
} // namespace

Network::Network(const sc_core::sc_module_name& name, const TopologyParams& params)
    : sc_module(name), params_(params), stats_(this->name()),
      messages_(stats_.add("messages", "messages delivered chip to chip", Unit::Count)),
      hops_(stats_.add("hops", "links traversed by those messages", Unit::Count)),
      latencyPs_(stats_.add("latency", "latency part of delivery times (hops x per-hop)", Unit::Ps)),
      bytes_(stats_.add("bytes", "payload bytes delivered", Unit::Bytes)) {
  const std::uint32_t n = params.chips;
  if (n == 0) throw TopologyError("chips: must be at least 1");
  if (params.link.lanes == 0 || params.link.laneGbps <= 0)
    throw TopologyError("link: lanes and lane_gbps must be positive");
  if (params.link.flitBytes == 0 || params.link.maxPayloadBytes == 0 || params.link.credits == 0)
    throw TopologyError("link: flit_bytes, max_payload_bytes and credits must be positive");
  std::uint32_t switches = 0;
  switch (params.kind) {
  case TopologyKind::Switch: switches = 1; break;
  case TopologyKind::SwitchTree:
    if (params.chipsPerLeaf == 0 || n % params.chipsPerLeaf != 0)
      throw TopologyError("chips_per_leaf: " + std::to_string(params.chipsPerLeaf) + " does not divide chips " +
                          std::to_string(n));
    switches = n / params.chipsPerLeaf + 1;
    break;
  case TopologyKind::Dragonfly: {
    const std::uint32_t g = params.groups, a = params.switchesPerGroup, c = params.chipsPerLeaf;
    if (g == 0 || a == 0 || c == 0)
      throw TopologyError("groups, switches_per_group and chips_per_switch must be positive");
    if (std::uint64_t{g} * a * c != n)
      throw TopologyError("groups x switches_per_group x chips_per_switch = " +
                          std::to_string(std::uint64_t{g} * a * c) + " does not match chips " + std::to_string(n));
    if (g > 1 && std::uint64_t{a} * params.globalLinks < g - 1)
      throw TopologyError("global_links: a group's " + std::to_string(a) + " x " + std::to_string(params.globalLinks) +
                          " global links cannot reach the other " + std::to_string(g - 1) + " groups");
    switches = g * a;
    break;
  }
  case TopologyKind::Torus:
    if (params.dims.size() != 2 && params.dims.size() != 3)
      throw TopologyError("dims: a torus has 2 or 3 dimensions, got " + std::to_string(params.dims.size()));
    if (product(params.dims) != n)
      throw TopologyError("dims: product " + std::to_string(product(params.dims)) + " does not match chips " +
                          std::to_string(n));
    break;
  default: break;
  }
  nodes_ = n + switches;
  adjacency_.resize(nodes_);
  children_.resize(nodes_);
  for (std::uint32_t s = 0; s < switches; ++s)
    switches_.push_back(std::make_unique<Switch>(("switch" + std::to_string(s)).c_str(), params.switchParams));

  switch (params.kind) {
  case TopologyKind::Ring:
    if (n == 2)
      addLinkPair(0, 1);
    else if (n > 2)
      for (std::uint32_t i = 0; i < n; ++i) addLinkPair(i, (i + 1) % n);
    break;
  case TopologyKind::FullMesh:
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = a + 1; b < n; ++b) addLinkPair(a, b);
    break;
  case TopologyKind::Torus: {
    // Neighbours +1 in every dimension with wrap-around (a dimension of 2
    // has one neighbour, of 1 none); chip id = x + X * (y + Y * z).
    const auto& d = params.dims;
    std::vector<std::uint32_t> stride(d.size(), 1);
    for (std::size_t i = 1; i < d.size(); ++i) stride[i] = stride[i - 1] * d[i - 1];
    for (std::size_t dim = 0; dim < d.size(); ++dim) {
      if (d[dim] < 2) continue;
      for (std::uint32_t c = 0; c < n; ++c) {
        const std::uint32_t x = (c / stride[dim]) % d[dim];
        if (d[dim] == 2 && x == 1) continue;
        const std::uint32_t nb = c - x * stride[dim] + ((x + 1) % d[dim]) * stride[dim];
        addLinkPair(c, nb);
      }
    }
    break;
  }
  case TopologyKind::Switch:
    for (std::uint32_t c = 0; c < n; ++c) {
      addLinkPair(c, n);
      children_[n].push_back(c);
    }
    root_ = static_cast<int>(n);
    break;
  case TopologyKind::SwitchTree: {
    const std::uint32_t leaves = n / params.chipsPerLeaf, spine = n + leaves;
    for (std::uint32_t c = 0; c < n; ++c) {
      const std::uint32_t leaf = n + c / params.chipsPerLeaf;
      addLinkPair(c, leaf);
      children_[leaf].push_back(c);
    }
    for (std::uint32_t l = 0; l < leaves; ++l) {
      addLinkPair(n + l, spine);
      children_[spine].push_back(n + l);
    }
    root_ = static_cast<int>(spine);
    break;
  }
  case TopologyKind::Dragonfly: {
    // Chips hang off their switch; a group's switches are fully connected
    // (local links); every pair of groups shares one global link. Group i's
    // global port q (q = 0 .. g-2, switch q / h of the group) leads to group
    // (i + 1 + q) mod g, so the global links spread evenly over the switches
    // (the "consecutive" arrangement). Minimal routes: local, global, local.
    const std::uint32_t g = params.groups, a = params.switchesPerGroup, h = std::max(1u, params.globalLinks);
    const auto sw = [&](std::uint32_t group, std::uint32_t s) { return n + group * a + s; };
    for (std::uint32_t chip = 0; chip < n; ++chip) addLinkPair(chip, n + chip / params.chipsPerLeaf);
    for (std::uint32_t grp = 0; grp < g; ++grp)
      for (std::uint32_t s = 0; s < a; ++s)
        for (std::uint32_t t = s + 1; t < a; ++t) addLinkPair(sw(grp, s), sw(grp, t));
    for (std::uint32_t i = 0; i < g; ++i)
      for (std::uint32_t j = i + 1; j < g; ++j) {
        const std::uint32_t qi = j - i - 1, qj = g - (j - i) - 1;
        addLinkPair(sw(i, qi / h), sw(j, qj / h));
      }
    break;
  }
  case TopologyKind::Custom:
    for (const auto& [a, b] : params.links) {
      if (a >= n || b >= n || a == b)
        throw TopologyError("links: [" + std::to_string(a) + ", " + std::to_string(b) +
                            "] must name two different chips in [0, " + std::to_string(n - 1) + "]");
      addLinkPair(a, b);
    }
    break;
  }
  for (std::uint32_t s = 0; s < switches; ++s) {
    const std::size_t ports = adjacency_[n + s].size();
    if (ports > params.switchParams.ports)
      throw TopologyError("switch.ports: " + std::to_string(params.switchParams.ports) + " is fewer than the " +
                          std::to_string(ports) + " links attached to " + nodeName(n + s));
  }
  if (!params.switchParams.reduction) root_ = -1;
  buildRoutes();
}

std::string Network::nodeName(std::uint32_t node) const {
  return node < params_.chips ? "chip" + std::to_string(node) : "switch" + std::to_string(node - params_.chips);
}

void Network::addLinkPair(std::uint32_t a, std::uint32_t b) {
  for (const auto& [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
    LinkParams p = params_.link;
    // Leaf-spine links aggregate `uplinks` links; every link draws its own errors.
    if (params_.kind == TopologyKind::SwitchTree && isSwitch(from) && isSwitch(to)) p.lanes *= params_.uplinks;
    p.seed = params_.link.seed * 1000003u + links_.size();
    const std::string name = "link_" + nodeName(from) + "_" + nodeName(to);
    links_.push_back(std::make_unique<Link>(name.c_str(), p));
    adjacency_[from].emplace_back(to, links_.size() - 1);
  }
}

void Network::buildRoutes() {
  // Breadth-first search from every destination over reversed links gives,
  // for every source, the first link of a shortest path (ties: link order).
  nextLink_.assign(nodes_, std::vector<std::size_t>(nodes_, kNone));
  std::vector<std::vector<std::pair<std::uint32_t, std::size_t>>> reverse(nodes_);
  for (std::uint32_t from = 0; from < nodes_; ++from)
    for (const auto& [to, li] : adjacency_[from]) reverse[to].emplace_back(from, li);
  const bool direct = !switched();
  for (std::uint32_t dst = 0; dst < nodes_; ++dst) {
    std::vector<bool> seen(nodes_, false);
    std::deque<std::uint32_t> q{dst};
    seen[dst] = true;
    while (!q.empty()) {
      const std::uint32_t v = q.front();
      q.pop_front();
      for (const auto& [from, li] : reverse[v]) {
        if (seen[from]) continue;
        seen[from] = true;
        nextLink_[from][dst] = li;
        // Chips forward only in direct topologies; routes through switches
        // never pass through a chip.
        if (isSwitch(from) || direct) q.push_back(from);
      }
    }
  }
  for (std::uint32_t a = 0; a < params_.chips; ++a)
    for (std::uint32_t b = 0; b < params_.chips; ++b)
      if (a != b && nextLink_[a][b] == kNone)
        throw TopologyError("topology is disconnected: no route from chip " + std::to_string(a) + " to chip " +
                            std::to_string(b));
  // Routes per link, in units of a base link's bandwidth (a leaf-spine link
  // of `uplinks` links carries that many times more).
  std::vector<std::uint32_t> load(links_.size(), 0);
  for (std::uint32_t a = 0; a < params_.chips; ++a)
    for (std::uint32_t b = 0; b < params_.chips; ++b)
      for (std::uint32_t v = a; v != b;) {
        const std::size_t li = nextLink_[v][b];
        const std::uint32_t width = links_[li]->params().lanes / params_.link.lanes;
        allPairsLoad_ = std::max(allPairsLoad_, (++load[li] + width - 1) / width);
        for (const auto& [to, l] : adjacency_[v])
          if (l == li) v = to;
      }
}

const Link& Network::linkOn(std::uint32_t from, std::uint32_t to) const { return *links_.at(nextLink_[from][to]); }

std::uint32_t Network::hops(std::uint32_t src, std::uint32_t dst) const {
  std::uint32_t h = 0;
  for (std::uint32_t v = src; v != dst; ++h) {
    const std::size_t li = nextLink_[v][dst];
    for (const auto& [to, l] : adjacency_[v])
      if (l == li) {
        v = to;
        break;
      }
  }
  return h;
}

namespace {
/// Forwarding at an intermediate node: when the next link may start.
Ps forwardPoint(const LinkHop& h, bool cutThrough) { return cutThrough ? h.headArrival : h.firstPacket; }
} // namespace

Delivery Network::transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes, Ps ready,
                           std::uint64_t requests) {
  Delivery d;
  d.arrival = ready;
  if (src == dst) return d;
  std::uint32_t v = src;
  LinkHop prev;
  bool first = true;
  while (v != dst) {
    const std::size_t li = nextLink_[v][dst];
    std::uint32_t next = v;
    for (const auto& [to, l] : adjacency_[v])
      if (l == li) next = to;
    Link& link = *links_[li];
    LinkHop hop;
    if (first) {
      hop = link.send(ready, bytes, requests);
    } else {
      // v is a switch (or a forwarding chip, cut-through with no extra latency).
      const bool sw = isSwitch(v);
      const bool cut = !sw || params_.switchParams.cutThrough;
      const Ps fwd = sw ? switchAt(v).latency() : 0;
      if (sw) switchAt(v).countForward(bytes);
      hop = link.send(forwardPoint(prev, cut) + fwd, bytes, requests);
      // The last packet cannot leave before it arrived (and its header, or
      // whole packet, was seen): the tail follows the previous tail.
      const std::uint64_t lastPayload =
          bytes == 0 ? 0 : bytes - (link.packets(bytes) - 1) * link.params().maxPayloadBytes;
      const Ps lastPs = bytesToPs(static_cast<double>(link.wireBytes(lastPayload)), link.gbps());
      const Ps seen = cut ? bytesToPs(link.params().flitBytes, link.gbps()) : lastPs;
      hop.tail = std::max(hop.tail, prev.tail - std::min(prev.tail, lastPs) + seen + fwd + lastPs + link.latency());
      d.latencyPs += fwd;
    }
    d.latencyPs += link.latency() + bytesToPs(link.params().flitBytes, link.gbps());
    d.retries += hop.retries;
    ++d.hops;
    prev = hop;
    first = false;
    v = next;
  }
  d.arrival = prev.tail;
  d.head = prev.headArrival;
  messages_ += 1;
  hops_ += d.hops;
  latencyPs_ += static_cast<double>(d.latencyPs);
  bytes_ += static_cast<double>(bytes);
  return d;
}

Ps Network::idleTime(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes, std::uint64_t requests) const {
  if (src == dst) return 0;
  const std::uint32_t h = hops(src, dst);
  const Link& l = *links_.front();
  const bool cut = params_.switchParams.cutThrough;
  const Ps fwdSwitch = nsToPs(params_.switchParams.latencyNs);
  const Ps flit = bytesToPs(l.params().flitBytes, l.gbps());
  const Ps pkt =
      bytesToPs(static_cast<double>(l.wireBytes(std::min<std::uint64_t>(bytes, l.params().maxPayloadBytes))), l.gbps());
  const Ps perForward = switched() ? fwdSwitch + (cut ? flit : pkt) : flit;
  return l.serializationPs(bytes, requests) + h * l.latency() + (h - 1) * perForward;
}

Ps Network::idleHeadTime(std::uint32_t src, std::uint32_t dst) const {
  const Link& l = *links_.front();
  return idleTime(src, dst, 0) - lastPacketPs(0) + bytesToPs(l.params().flitBytes, l.gbps());
}

int Network::reductionRoot() const { return root_; }

Ps Network::lastPacketPs(std::uint64_t bytes) const {
  const Link& l = *links_.front();
  const std::uint64_t last = bytes == 0 ? 0 : bytes - (l.packets(bytes) - 1) * l.params().maxPayloadBytes;
  return bytesToPs(static_cast<double>(l.wireBytes(last)), l.gbps());
}

void Network::attachTrace(TraceRecorder& recorder, const std::string& process) {
  for (auto& l : links_) l->setTrace(&recorder, recorder.addTrack(process, l->basename()));
}

} // namespace llmvp::models::interconnect
