// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The chip-to-chip network of a system: chips and switches (nodes) joined
/// by pairs of directed Links, built from a topology description (ring,
/// 2D/3D torus, full mesh, single switch, two-level switch tree, dragonfly,
/// or an explicit link list), with shortest-path routing (deterministic: breadth
/// first in link order). transfer() moves one message along its route with
/// cut-through or store-and-forward at each switch.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "models/interconnect/Link.h"
#include "models/interconnect/NetworkParams.h"
#include "models/interconnect/Switch.h"

namespace llmvp::models::interconnect {

/// A topology that cannot be built (bad sizes, disconnected). The message
/// names the parameter; the loader adds the file and key.
struct TopologyError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// One message's path through the network.
struct Delivery {
  Ps arrival = 0;         ///< last byte at the destination
  Ps head = 0;            ///< first flit at the destination
  Ps latencyPs = 0;       ///< the latency part: hops x (link latency + flit) + switch latencies
  std::uint32_t hops = 0; ///< links traversed
  std::uint32_t retries = 0;
};

class Network : public sc_core::sc_module, public IHasStats {
public:
  Network(const sc_core::sc_module_name& name, const TopologyParams& params);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  [[nodiscard]] std::uint32_t chips() const { return params_.chips; }
  [[nodiscard]] std::size_t nodeCount() const { return nodes_; }
  [[nodiscard]] bool isSwitch(std::uint32_t node) const { return node >= params_.chips; }
  /// Whether messages travel through switches (chips never forward).
  [[nodiscard]] bool switched() const {
    return params_.kind == TopologyKind::Switch || params_.kind == TopologyKind::SwitchTree ||
           params_.kind == TopologyKind::Dragonfly;
  }
  [[nodiscard]] const TopologyParams& params() const { return params_; }
  /// Sends `bytes` from node `src` to node `dst`, injected at `ready`, with
  /// `requests` read-request packets on every hop (Link::send).
  Delivery transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes, Ps ready, std::uint64_t requests = 0);
  /// Links leaving node `node`.
  [[nodiscard]] std::size_t degree(std::uint32_t node) const { return adjacency_.at(node).size(); }
  /// Number of links on the route from `src` to `dst`.
  [[nodiscard]] std::uint32_t hops(std::uint32_t src, std::uint32_t dst) const;
  /// The most chip-to-chip routes that share one link when every chip sends
  /// to every other (the all-to-all pattern): 1 on a full mesh, chips - 1 on
  /// a single switch's ports, more on the shared links of a torus or the
  /// global links of a dragonfly.
  [[nodiscard]] std::uint32_t allPairsLinkLoad() const { return allPairsLoad_; }
  /// Idle-network time to the first flit of a message from src to dst at
  /// dst (its latency, without the body).
  [[nodiscard]] Ps idleHeadTime(std::uint32_t src, std::uint32_t dst) const;
  /// Idle-network latency of a message of `bytes` (and `requests` read
  /// requests) from src to dst (no queueing).
  [[nodiscard]] Ps idleTime(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                            std::uint64_t requests = 0) const;
  /// Switches able to reduce, arranged as a tree that reaches every chip:
  /// the root switch, or -1 if the topology has none.
  [[nodiscard]] int reductionRoot() const;
  /// Chips and child switches directly below switch `node` (tree topologies).
  [[nodiscard]] const std::vector<std::uint32_t>& children(std::uint32_t node) const { return children_.at(node); }
  [[nodiscard]] Switch& switchAt(std::uint32_t node) { return *switches_.at(node - params_.chips); }
  [[nodiscard]] const std::vector<std::unique_ptr<Link>>& links() const { return links_; }
  /// Serialization time of the last packet of a `bytes` message on a link.
  [[nodiscard]] Ps lastPacketPs(std::uint64_t bytes) const;
  /// Payload bandwidth of one link, GB/s.
  [[nodiscard]] double linkGBps() const { return links_.empty() ? 0.0 : links_.front()->gbps(); }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Fabric; }
  /// One trace track per link (process `process`). Call before the simulation starts.
  void attachTrace(TraceRecorder& recorder, const std::string& process);
  [[nodiscard]] std::string nodeName(std::uint32_t node) const;

private:
  void addLinkPair(std::uint32_t a, std::uint32_t b);
  void buildRoutes();
  [[nodiscard]] const Link& linkOn(std::uint32_t from, std::uint32_t to) const;

  const TopologyParams params_;
  std::size_t nodes_ = 0;
  std::vector<std::unique_ptr<Switch>> switches_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<std::vector<std::pair<std::uint32_t, std::size_t>>> adjacency_; ///< node -> (neighbour, link index)
  std::vector<std::vector<std::size_t>> nextLink_;                            ///< [src][dst] -> link index
  std::vector<std::vector<std::uint32_t>> children_;
  int root_ = -1;
  std::uint32_t allPairsLoad_ = 0;
  StatsGroup stats_;
  Stat &messages_, &hops_, &latencyPs_, &bytes_;
};

} // namespace llmvp::models::interconnect
