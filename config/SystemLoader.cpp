// SPDX-License-Identifier: Apache-2.0
// configs/systems/*.yaml: a platform for every chip plus the chip-to-chip
// network and the collectives (docs/config-reference.md, "System files").
#include <algorithm>
#include <filesystem>

#include "config/Loaders.h"
#include "models/interconnect/Collectives.h"
#include "models/interconnect/Network.h"

namespace llmvp::testbench {

namespace {
using models::interconnect::Algorithm;
using models::interconnect::SubstitutePolicy;
using models::interconnect::TopologyKind;

models::interconnect::LinkParams linkParams(const ConfigNode& n) {
  models::interconnect::LinkParams p;
  p.lanes = static_cast<std::uint32_t>(n.integer("lanes", 1, 4096));
  p.laneGbps = n.number("lane_gbps", 1e-3, 1e6);
  p.serdesNs = n.number("serdes_ns", 0, 1e6);
  p.fecNs = n.number("fec_ns", 0, 1e6);
  p.flightNs = n.number("flight_ns", 0, 1e6);
  p.flitBytes = static_cast<std::uint32_t>(n.integer("flit_bytes", 1, 1 << 16));
  p.maxPayloadBytes = static_cast<std::uint32_t>(n.integer("max_payload_bytes", 1, 1 << 20));
  p.headerBytes = static_cast<std::uint32_t>(n.integer("header_bytes", 0, 1 << 16));
  // Optional: a read request is a packet without payload, by default one header.
  p.readRequestBytes = n.has("read_request_bytes")
                           ? static_cast<std::uint32_t>(n.integer("read_request_bytes", 1, 1 << 16))
                           : std::max<std::uint32_t>(p.headerBytes, 1);
  p.credits = static_cast<std::uint32_t>(n.integer("credits", 1, 1 << 20));
  p.bitErrorRate = n.number("bit_error_rate", 0, 1e-2);
  p.retryNs = n.number("retry_ns", 0, 1e6);
  p.pjPerBit = n.number("pj_per_bit", 0, 1e4);
  n.finish();
  return p;
}
} // namespace

PlatformConfig loadSystem(const std::string& path, Overrides& overrides) {
  const ConfigNode root =
      ConfigNode::load(path, &overrides, "", {"model.", "chip.", "sim.", "economics.", "memory."},
                       {"system.parallel.pipeline", "system.parallel.attention",
                        "system.topology.link.read_request_bytes", "system.topology.switch.reduction_mode"});
  if (root.choice("kind", {"platform", "model", "memspec", "system"}) != "system")
    root.fail("kind", "expected \"system\"");
  const std::string platformFile = root.path("platform");
  if (!std::filesystem::exists(platformFile)) root.fail("platform", "cannot open file " + platformFile);
  if (configKind(platformFile) != ConfigKind::Platform)
    root.fail("platform", platformFile + " is not a platform file (kind: platform)");
  PlatformConfig pc = loadPlatform(platformFile, overrides);
  pc.systemFile = path;
  platform::SystemParams& s = pc.system;
  s.name = root.string("name");
  (void)root.string("description");
  const ConfigNode sys = root.child("system");
  s.chips = static_cast<std::uint32_t>(sys.integer("chips", 1, 4096));
  {
    const ConfigNode p = sys.child("parallel");
    ParallelMapping& m = pc.parallel;
    m.tensor = static_cast<std::uint32_t>(p.integer("tensor", 1, 4096));
    m.pipeline = p.has("pipeline") ? static_cast<std::uint32_t>(p.integer("pipeline", 1, 4096)) : 1;
    // Optional: how the tensor group runs the attention (default tensor parallel).
    m.dataAttention = p.has("attention") && p.choice("attention", {"tensor", "data"}) == "data";
    if (m.dataAttention && m.pipeline > 1)
      p.fail("attention", "data-parallel attention with pipeline stages is not supported yet (pipeline " +
                              std::to_string(m.pipeline) + ")");
    if (m.tensor * m.pipeline != s.chips)
      p.fail(m.pipeline > 1 ? "pipeline" : "tensor", "tensor " + std::to_string(m.tensor) + " x pipeline " +
                                                         std::to_string(m.pipeline) + " must equal system.chips (" +
                                                         std::to_string(s.chips) + "): every chip holds one shard");
    p.finish();
  }
  {
    auto& t = s.topology;
    t.chips = s.chips;
    const ConfigNode n = sys.child("topology");
    const std::string kind =
        n.choice("kind", {"ring", "torus", "full_mesh", "switch", "switch_tree", "dragonfly", "custom"});
    t.kind = kind == "ring"          ? TopologyKind::Ring
             : kind == "torus"       ? TopologyKind::Torus
             : kind == "full_mesh"   ? TopologyKind::FullMesh
             : kind == "switch"      ? TopologyKind::Switch
             : kind == "switch_tree" ? TopologyKind::SwitchTree
             : kind == "dragonfly"   ? TopologyKind::Dragonfly
                                     : TopologyKind::Custom;
    if (t.kind == TopologyKind::Torus) {
      for (auto d : n.integers("dims", 1, 4096)) t.dims.push_back(static_cast<std::uint32_t>(d));
      std::uint64_t prod = 1;
      for (auto d : t.dims) prod *= d;
      if (t.dims.size() != 2 && t.dims.size() != 3) n.fail("dims", "a torus has 2 or 3 dimensions");
      if (prod != s.chips)
        n.fail("dims",
               "product " + std::to_string(prod) + " does not match system.chips (" + std::to_string(s.chips) + ")");
    }
    if (t.kind == TopologyKind::SwitchTree) {
      t.chipsPerLeaf = static_cast<std::uint32_t>(n.integer("chips_per_leaf", 1, 4096));
      t.uplinks = static_cast<std::uint32_t>(n.integer("uplinks", 1, 4096));
      if (s.chips % t.chipsPerLeaf != 0)
        n.fail("chips_per_leaf",
               std::to_string(t.chipsPerLeaf) + " does not divide system.chips (" + std::to_string(s.chips) + ")");
    }
    if (t.kind == TopologyKind::Dragonfly) {
      t.groups = static_cast<std::uint32_t>(n.integer("groups", 1, 4096));
      t.switchesPerGroup = static_cast<std::uint32_t>(n.integer("switches_per_group", 1, 4096));
      t.chipsPerLeaf = static_cast<std::uint32_t>(n.integer("chips_per_switch", 1, 4096));
      t.globalLinks = static_cast<std::uint32_t>(n.integer("global_links", 1, 4096));
      const std::uint64_t total = std::uint64_t{t.groups} * t.switchesPerGroup * t.chipsPerLeaf;
      if (total != s.chips)
        n.fail("groups", "groups x switches_per_group x chips_per_switch = " + std::to_string(total) +
                             " does not match system.chips (" + std::to_string(s.chips) + ")");
      if (t.groups > 1 && std::uint64_t{t.switchesPerGroup} * t.globalLinks < t.groups - 1)
        n.fail("global_links",
               "switches_per_group x global_links must reach the other " + std::to_string(t.groups - 1) + " groups");
    }
    if (t.kind == TopologyKind::Custom) {
      const auto flat = n.integers("links", 0, s.chips - 1);
      if (flat.size() % 2 != 0) n.fail("links", "expected pairs of chip ids: [a0, b0, a1, b1, ...]");
      for (std::size_t i = 0; i < flat.size(); i += 2)
        t.links.emplace_back(static_cast<std::uint32_t>(flat[i]), static_cast<std::uint32_t>(flat[i + 1]));
    }
    t.link = linkParams(n.child("link"));
    t.link.seed = 0; // error draws: a run seeds them with its --seed
    // A switch section is required by the switched topologies and ignored
    // (but allowed, so one file can be re-shaped with --set) by the others.
    if (t.kind == TopologyKind::Switch || t.kind == TopologyKind::SwitchTree || t.kind == TopologyKind::Dragonfly ||
        n.has("switch")) {
      const ConfigNode w = n.child("switch");
      t.switchParams.ports = static_cast<std::uint32_t>(w.integer("ports", 1, 1 << 16));
      t.switchParams.latencyNs = w.number("latency_ns", 0, 1e6);
      t.switchParams.cutThrough = w.choice("forwarding", {"cut_through", "store_and_forward"}) == "cut_through";
      t.switchParams.reduction = w.boolean("reduction");
      if (w.has("reduction_mode"))
        t.switchParams.mode = w.choice("reduction_mode", {"push", "pull"}) == "pull"
                                  ? models::interconnect::ReductionMode::Pull
                                  : models::interconnect::ReductionMode::Push;
      t.switchParams.reductionGBps = w.number("reduction_gbps", 0, 1e6);
      t.switchParams.reductionLatencyNs = w.number("reduction_latency_ns", 0, 1e6);
      w.finish();
    }
    n.finish();
  }
  {
    auto& c = s.collectives;
    const ConfigNode n = sys.child("collectives");
    const std::string a = n.choice("algorithm", {"auto", "ring", "recursive_doubling", "direct", "in_switch"});
    c.algorithm = a == "auto"                 ? Algorithm::Auto
                  : a == "ring"               ? Algorithm::Ring
                  : a == "recursive_doubling" ? Algorithm::RecursiveDoubling
                  : a == "direct"             ? Algorithm::Direct
                                              : Algorithm::InSwitch;
    c.launchNs = n.number("launch_ns", 0, 1e6);
    c.endpointNs = n.number("endpoint_ns", 0, 1e6);
    c.directMaxBytes = n.integer("direct_max_bytes", 0, 1ull << 32);
    c.directEndpointNs = n.number("direct_endpoint_ns", 0, 1e6);
    c.reduceGBps = n.number("reduce_gbps", 0, 1e6);
    s.collEngine = pc.chip.dma;
    const ConfigNode r = n.child("reliability");
    const std::string pol = r.choice("policy", {"off", "previous", "zeros"});
    c.policy = pol == "off"        ? SubstitutePolicy::Off
               : pol == "previous" ? SubstitutePolicy::Previous
                                   : SubstitutePolicy::Zeros;
    c.timeoutNs = r.number("timeout_ns", 0, 1e9);
    c.stragglerProbability = r.number("straggler_probability", 0, 1);
    c.stragglerNs = r.number("straggler_ns", 0, 1e9);
    if (c.policy != SubstitutePolicy::Off && c.timeoutNs <= 0)
      r.fail("timeout_ns", "must be positive when policy is not off");
    c.seed = 0; // straggler draws: a run seeds them with its --seed
    r.finish();
    n.finish();
  }
  sys.finish();
  root.finish();
  // The algorithm named in the config must be able to run on this network.
  if (s.chips > 1) {
    try {
      models::interconnect::Network probe("topology_check", s.topology);
      if (!models::interconnect::algorithmApplies(probe, models::interconnect::CollectiveOp::AllReduce,
                                                  s.collectives.algorithm))
        throw ConfigError(
            path + ": system.collectives.algorithm: " + models::interconnect::algorithmName(s.collectives.algorithm) +
            " cannot run on this topology (in_switch needs a switch with reduction: true; "
            "recursive_doubling a power-of-two chip count)");
    } catch (const models::interconnect::TopologyError& e) {
      throw ConfigError(path + ": system.topology: " + e.what());
    }
  }
  return pc;
}

} // namespace llmvp::testbench
