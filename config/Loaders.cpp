// SPDX-License-Identifier: Apache-2.0
#include "config/Loaders.h"

#include <filesystem>

#include "firmware/include/memmap.h"

#include "workload/Weights.h"

namespace llmvp::testbench {

namespace {
constexpr double kBig = 1e12;

models::DType dtypeOf(const ConfigNode& n, const std::string& key) {
  return *models::parseFloatDType(n.choice(key, {"fp32", "bf16", "fp8"}));
}

models::EngineParams engineParams(const ConfigNode& n) {
  models::EngineParams p;
  p.clockMhz = n.number("clock_mhz", 1, 1e5);
  p.dispatchCycles = n.number("dispatch_cycles", 0, 1e9);
  p.chunkBytes = n.integer("chunk_kib", 1, 1 << 20) * 1024;
  p.maxOutstanding = static_cast<std::uint32_t>(n.integer("max_outstanding", 1, 1024));
  return p;
}

platform::PortTiming portTiming(const ConfigNode& ports, const std::string& key) {
  const ConfigNode n = ports.child(key);
  platform::PortTiming t{n.number("latency_ns", 0, 1e6), n.number("bandwidth_gbps", 1e-3, kBig)};
  n.finish();
  return t;
}

models::soc::SramParams sramParams(const ConfigNode& n, const std::string& sizeKey, std::uint64_t unit) {
  models::soc::SramParams p;
  p.bytes = n.integer(sizeKey, 1, 1ull << 32) * unit;
  p.latencyNs = n.number("latency_ns", 0, 1e6);
  p.bandwidthGBps = n.number("bandwidth_gbps", 1e-3, kBig);
  p.pjPerBit = n.number("pj_per_bit", 0, 1e6);
  n.finish();
  return p;
}

std::array<double, 3> perDtype(const ConfigNode& n, double lo, double hi) {
  std::array<double, 3> a{n.number("fp32", lo, hi), n.number("bf16", lo, hi), n.number("fp8", lo, hi)};
  n.finish();
  return a;
}
/// chip.stacked (3D-stacked main memory) and chip.pnm (near-memory engines).
void loadStacked(const ConfigNode& c, platform::ChipParams& chip, PnmMapping& mapping) {
  namespace st = models::stacked;
  chip.stackedMemory = true;
  st::StackedParams& p = chip.stacked;
  const ConfigNode n = c.child("stacked");
  p.stacks = static_cast<std::uint32_t>(n.integer("stacks", 1, 64));
  p.vaultsPerStack = static_cast<std::uint32_t>(n.integer("vaults_per_stack", 1, 1024));
  const double gib = n.number("capacity_gib_per_stack", 0.001, 1e5);
  p.interleaveBytes = n.integer("interleave_bytes", 32, 1 << 20);
  const std::string part = n.choice("partition", {"none", "stack", "vault"});
  p.partition = part == "none" ? st::Partition::None : part == "stack" ? st::Partition::Stack : st::Partition::Vault;
  // Capacity rounded down to whole interleave blocks of every vault.
  const std::uint64_t unit = std::uint64_t{p.vaults()} * p.interleaveBytes;
  p.capacityBytes = static_cast<std::uint64_t>(gib * 1024 * 1024 * 1024) * p.stacks / unit * unit;
  p.vaultGBps = n.number("vault_gbps", 1e-3, kBig);
  p.vaultLatencyNs = n.number("vault_latency_ns", 0, 1e6);
  p.internalPjPerBit = n.number("internal_pj_per_bit", 0, 1e4);
  p.interfaceGBpsPerStack = n.number("interface_gbps_per_stack", 1e-3, kBig);
  p.interfaceLatencyNs = n.number("interface_latency_ns", 0, 1e6);
  p.interfacePjPerBit = n.number("interface_pj_per_bit", 0, 1e4);
  p.staticWPerStack = n.number("static_w_per_stack", 0, 1e6);
  p.powerBudgetWPerStack = n.number("power_budget_w_per_stack", 1e-3, 1e6);
  n.finish();
  if (c.has("pnm")) {
    const ConfigNode e = c.child("pnm");
    st::PnmParams& q = chip.pnm;
    q.inDram = e.choice("placement", {"logic_die", "dram_die"}) == "dram_die";
    chip.pnmCount = static_cast<std::uint32_t>(e.integer("count", 1, LLMVP_MAX_PNM));
    if (p.partition == st::Partition::None)
      n.fail("partition", "must be stack or vault with chip.pnm (each engine owns one partition)");
    if (chip.pnmCount != p.partitions())
      e.fail("count", std::to_string(chip.pnmCount) + " must equal the number of memory partitions (" +
                          std::to_string(p.partitions()) + ", chip.stacked.partition: " + part + ")");
    q.engine = engineParams(e);
    q.units = static_cast<std::uint32_t>(e.integer("units", 1, 1u << 20));
    q.macsPerCyclePerUnit = e.number("macs_per_cycle_per_unit", 1e-3, 1e9);
    q.vectorOpsPerCyclePerUnit = e.number("vector_ops_per_cycle_per_unit", 1e-3, 1e9);
    q.pjPerMac = e.number("pj_per_mac", 0, 1e4);
    q.pjPerVectorOp = e.number("pj_per_vector_op", 0, 1e4);
    q.unitShardBytes = static_cast<std::uint64_t>(e.number("unit_shard_mib", 0, 1e9) * 1024 * 1024);
    if (q.inDram && q.unitShardBytes == 0)
      e.fail("unit_shard_mib", "must be > 0 with placement: dram_die (a unit sees only its bank)");
    if (e.has("offload")) {
      const std::string o = e.choice("offload", {"auto", "pnm", "tile"});
      mapping.offload = o == "auto"  ? PnmMapping::Offload::Auto
                        : o == "pnm" ? PnmMapping::Offload::Pnm
                                     : PnmMapping::Offload::Tile;
    }
    if (e.has("combine")) mapping.reduceOnEngines = e.choice("combine", {"tile", "pnm"}) == "pnm";
    e.finish();
    p.logicPeakWPerStack = q.peakW() * chip.pnmCount / p.stacks;
  }
  const std::string why = p.check();
  if (!why.empty()) n.fail(why.rfind("power_budget", 0) == 0 ? "power_budget_w_per_stack" : "stacks", why);
  if (2 * p.capacityBytes > LLMVP_HBM_WINDOW)
    n.fail("capacity_gib_per_stack",
           "the partitioned and interleaved views (2 x capacity) exceed the 1 TiB main-memory "
           "window (memmap.h LLMVP_HBM_WINDOW)");
}

/// chip.hbf: High Bandwidth Flash stacks, their fabric port, placement and prefetch.
void loadHbf(const ConfigNode& h, Overrides& overrides, PlatformConfig& pc) {
  platform::ChipParams& chip = pc.chip;
  chip.hasHbf = true;
  pc.flashspecFile = h.path("flashspec");
  if (!std::filesystem::exists(pc.flashspecFile)) h.fail("flashspec", "cannot open file " + pc.flashspecFile);
  chip.hbf.stacks = static_cast<std::uint32_t>(h.integer("stacks", 1, 64));
  {
    const ConfigNode p = h.child("port");
    chip.hbfPort = {p.number("latency_ns", 0, 1e6), p.number("bandwidth_gbps", 1e-3, kBig)};
    p.finish();
  }
  {
    const ConfigNode p = h.child("placement");
    pc.hbf.weightsInHbf = p.choice("weights", {"hbf", "hbm"}) == "hbf";
    pc.hbf.kvInHbf = p.choice("kv_cache", {"hbm", "hbf"}) == "hbf";
    pc.hbf.kvPrefixTokens = static_cast<std::uint32_t>(p.integer("kv_prefix_tokens", 0, 1u << 24));
    // Optional (default hbf): where that prefix lives; hbm for the HBM-only baseline.
    pc.hbf.prefixInHbm = p.has("kv_prefix") && p.choice("kv_prefix", {"hbf", "hbm"}) == "hbm";
    p.finish();
  }
  {
    // mode sram: the tile streams weights from HBF through a buffer of
    // buffer_factor x bandwidth x latency (platform/HbfBuffer.h), reading
    // ahead across descriptors unless read_ahead is false; hbm: DMA 1 stages
    // `depth` whole layers in HBM (firmware/src/prefetch.h); none: the tile
    // streams with its own max_outstanding. A mode's keys are required with
    // it and checked (but unused) with the others, so a platform file can
    // hold all of them and `--set chip.hbf.prefetch.mode=...` switch.
    const ConfigNode p = h.child("prefetch");
    pc.hbf.prefetchMode = p.choice("mode", {"sram", "hbm", "none"});
    const bool hbm = pc.hbf.prefetchMode == "hbm", sram = pc.hbf.prefetchMode == "sram";
    if (hbm || p.has("depth")) {
      const auto depth = static_cast<std::uint32_t>(p.integer("depth", 1, 64));
      if (hbm) pc.hbf.prefetchDepth = depth;
    }
    if (sram || p.has("buffer_factor")) {
      const double factor = p.number("buffer_factor", 0.01, 64);
      if (sram) chip.hbfBufferFactor = factor;
    }
    if (sram || p.has("read_ahead")) {
      const bool ahead = p.boolean("read_ahead");
      if (sram) chip.hbfReadAhead = ahead;
    }
    p.finish();
  }
  h.finish();
  loadFlashSpec(pc.flashspecFile, overrides, "chip.hbf.flashspec.", chip.hbf);
  if (chip.hbf.capacityBytes() > LLMVP_HBF_WINDOW)
    h.fail("stacks", std::to_string(chip.hbf.stacks) + " stacks of " + std::to_string(chip.hbf.bytesPerStack() >> 30) +
                         " GiB exceed the 2 TiB HBF window (memmap.h LLMVP_HBF_WINDOW)");
}
} // namespace

ConfigKind configKind(const std::string& path) {
  const ConfigNode root = ConfigNode::load(path, nullptr, "");
  const std::string k = root.choice("kind", {"platform", "model", "memspec", "system", "flashspec", "scenario"});
  if (k == "flashspec") return ConfigKind::Flashspec;
  if (k == "scenario") return ConfigKind::Scenario;
  return k == "platform" ? ConfigKind::Platform
         : k == "model"  ? ConfigKind::Model
         : k == "system" ? ConfigKind::System
                         : ConfigKind::Memspec;
}

PlatformConfig loadPlatform(const std::string& path, Overrides& overrides) {
  if (configKind(path) == ConfigKind::System) return loadSystem(path, overrides);
  PlatformConfig pc;
  pc.file = path;
  // memory.model is optional (default fast), also when set with --set.
  const ConfigNode root = ConfigNode::load(
      path, &overrides, "", {"model.", "chip.hbm.memspec.", "chip.hbf.flashspec.", "system."}, {"memory.model"});
  // --set keys for this file start with sim., chip. or economics.
  if (root.choice("kind", {"platform", "model", "memspec", "system"}) != "platform")
    root.fail("kind", "expected \"platform\"");
  pc.name = root.string("name");
  (void)root.string("description");
  const ConfigNode sim = root.child("sim");
  pc.sim.quantumNs = sim.number("quantum_ns", 1, 1e9);
  pc.sim.maxSimulatedMs = sim.number("max_simulated_ms", 1e-3, 1e9);
  sim.finish();

  {
    const ConfigNode e = root.child("economics");
    pc.economics.priceUsd = e.number("price_usd", 0, 1e9);
    pc.economics.lifetimeYears = e.number("lifetime_years", 0.1, 100);
    pc.economics.electricityUsdPerKwh = e.number("electricity_usd_per_kwh", 0, 100);
    pc.economics.pue = e.number("pue", 1, 10);
    pc.economics.gridGco2ePerKwh = e.number("grid_gco2e_per_kwh", 0, 1e4);
    pc.economics.embodiedKgco2e = e.number("embodied_kgco2e", 0, 1e7);
    e.finish();
  }
  platform::ChipParams& chip = pc.chip;
  chip.name = pc.name;
  const ConfigNode c = root.child("chip");
  chip.registerLatencyNs = c.number("register_latency_ns", 0, 1e6);
  {
    const ConfigNode e = c.child("energy");
    chip.energy.staticW = e.number("static_w", 0, 1e6);
    e.finish();
  }
  {
    const ConfigNode n = c.child("cpu");
    chip.cpu.clockMhz = n.number("clock_mhz", 1, 1e5);
    chip.cpu.accessCycles = n.number("access_cycles", 0, 1e6);
    n.finish();
  }
  chip.ctrlSram = sramParams(c.child("ctrl_sram"), "kib", 1024);
  if (chip.ctrlSram.bytes > (1ull << 28)) c.fail("ctrl_sram.kib", "exceeds the 256 MiB control SRAM window");
  {
    const ConfigNode f = c.child("fabric");
    chip.fabric.pjPerBit = f.number("pj_per_bit", 0, 1e4);
    const ConfigNode ports = f.child("ports");
    chip.ctrlSramPort = portTiming(ports, "ctrl_sram");
    chip.mmioPort = portTiming(ports, "mmio");
    chip.scratchpadPort = portTiming(ports, "scratchpad");
    // Main memory port: "stacked" with a 3D-stacked main memory, else "hbm".
    if (c.has("stacked"))
      chip.stackedPort = portTiming(ports, "stacked");
    else
      chip.hbmPort = portTiming(ports, "hbm");
    ports.finish();
    f.finish();
  }
  {
    const ConfigNode n = c.child("dma");
    chip.dmaCount = static_cast<std::uint32_t>(n.integer("count", 1, 8));
    chip.dma = engineParams(n);
    n.finish();
  }
  {
    const ConfigNode n = c.child("tile");
    chip.tileCount = static_cast<std::uint32_t>(n.integer("count", 1, 4));
    chip.tile.engine = engineParams(n);
    const ConfigNode m = n.child("matrix");
    chip.tile.matrixRows = static_cast<std::uint32_t>(m.integer("rows", 1, 4096));
    chip.tile.macsPerCycle = perDtype(m.child("macs_per_cycle"), 1, 1e9);
    chip.tile.pjPerMac = perDtype(m.child("pj_per_mac"), 0, 1e4);
    m.finish();
    const ConfigNode v = n.child("vector");
    chip.tile.vectorLanes = v.number("lanes", 1, 1e9);
    chip.tile.pjPerVectorOp = v.number("pj_per_op", 0, 1e4);
    if (v.has("dequant_ops")) { // optional: default 2 per weight (TileParams)
      const ConfigNode q = v.child("dequant_ops");
      chip.tile.dequantOps = {q.number("int8", 0, 1e4), q.number("int4", 0, 1e4)};
      q.finish();
    }
    v.finish();
    chip.tile.scratchpad = sramParams(n.child("scratchpad"), "mib", std::uint64_t{1024} * 1024);
    if (chip.tile.scratchpad.bytes > (1ull << 30)) n.fail("scratchpad.mib", "exceeds the 1 GiB scratchpad window");
    n.finish();
  }
  if (c.has("stacked")) {
    if (c.has("hbm")) c.fail("hbm", "not allowed with chip.stacked (the 3D stack is the main memory)");
    loadStacked(c, chip, pc.pnm);
  } else {
    const ConfigNode h = c.child("hbm");
    pc.memspecFile = h.path("memspec");
    if (!std::filesystem::exists(pc.memspecFile)) h.fail("memspec", "cannot open file " + pc.memspecFile);
    chip.hbm.stacks = static_cast<std::uint32_t>(h.integer("stacks", 1, 64));
    const double gib = h.number("capacity_gib_per_stack", 0.001, 1e5);
    chip.hbm.capacityBytes = static_cast<std::uint64_t>(gib * 1024 * 1024 * 1024) * chip.hbm.stacks;
    h.finish();
    loadMemspec(pc.memspecFile, overrides, "chip.hbm.memspec.", chip.hbm);
  }
  if (c.has("hbf")) loadHbf(c.child("hbf"), overrides, pc);
  c.finish();
  if (root.has("memory")) {
    // Optional (default fast): which model times the HBM.
    const ConfigNode m = root.child("memory");
    chip.hbm.model = m.choice("model", {"fast", "detailed"}) == "detailed" ? models::dram::DramModel::Detailed
                                                                           : models::dram::DramModel::Fast;
    if (chip.hbm.model == models::dram::DramModel::Detailed && c.has("stacked"))
      m.fail("model", "\"detailed\" needs a DRAM main memory (chip.hbm); this platform's main memory is the "
                      "3D stack of chip.stacked, which has no command-level model");
    m.finish();
  }
  root.finish();
  return pc;
}

ModelSpec loadModel(const std::string& path, Overrides& overrides) {
  namespace fs = std::filesystem;
  // A Hugging Face checkpoint: folder with config.json + model.safetensors.
  const fs::path p(path);
  if (fs::is_directory(p) || p.extension() == ".json") {
    const fs::path dir = fs::is_directory(p) ? p : p.parent_path();
    ModelSpec spec = specFromHfConfig((dir / "config.json").string());
    spec.weightSource = WeightSource::Safetensors;
    spec.safetensorsPath = (dir / "model.safetensors").string();
    if (!fs::exists(spec.safetensorsPath))
      throw ConfigError(spec.safetensorsPath +
                        ": missing (a checkpoint folder needs config.json and model.safetensors)");
    return spec;
  }
  const ConfigNode root = ConfigNode::load(path, &overrides, "model.");
  if (root.choice("kind", {"platform", "model", "memspec", "system"}) != "model")
    root.fail("kind", "expected \"model\"");
  ModelSpec s;
  s.name = root.string("name");
  (void)root.string("source");
  (void)root.choice("architecture", {"llama"});
  s.layers = static_cast<std::uint32_t>(root.integer("layers", 1, 1024));
  s.hidden = static_cast<std::uint32_t>(root.integer("hidden", 1, 1 << 20));
  s.heads = static_cast<std::uint32_t>(root.integer("heads", 1, 4096));
  s.kvHeads = static_cast<std::uint32_t>(root.integer("kv_heads", 1, 4096));
  s.headDim = static_cast<std::uint32_t>(root.integer("head_dim", 2, 4096));
  s.ffn = static_cast<std::uint32_t>(root.integer("ffn", 1, 1 << 22));
  s.vocab = static_cast<std::uint32_t>(root.integer("vocab", 2, 1 << 24));
  s.rmsEps = static_cast<float>(root.number("rms_eps", 1e-12, 1));
  s.ropeTheta = static_cast<float>(root.number("rope_theta", 1, 1e9));
  s.tieEmbeddings = root.boolean("tie_embeddings");
  s.qkvBias = root.boolean("attention_bias");
  if (root.has("moe")) {
    // Mixture of experts (Mixtral, DeepSeek-V3): layers >= dense_layers route
    // each token to top_k of `experts` FFNs plus the shared experts.
    const ConfigNode m = root.child("moe");
    s.moe.experts = static_cast<std::uint32_t>(m.integer("experts", 1, 65535));
    s.moe.topK = static_cast<std::uint32_t>(m.integer("top_k", 1, 64));
    if (s.moe.topK > s.moe.experts) m.fail("top_k", "exceeds experts (" + std::to_string(s.moe.experts) + ")");
    s.moe.expertFfn = static_cast<std::uint32_t>(m.integer("expert_ffn", 1, 1 << 22));
    s.moe.sharedExperts = static_cast<std::uint32_t>(m.integer("shared_experts", 0, 64));
    s.moe.denseLayers = static_cast<std::uint32_t>(m.integer("dense_layers", 0, s.layers));
    s.moe.scoring =
        m.choice("scoring", {"softmax", "sigmoid"}) == "softmax" ? RouterScoring::Softmax : RouterScoring::Sigmoid;
    s.moe.routedScale = static_cast<float>(m.number("routed_scale", 1e-6, 1e6));
    const ConfigNode r = m.child("timing_routing");
    const std::string dist = r.choice("distribution", {"uniform", "zipf", "trace"});
    if (dist == "uniform") {
      s.moe.distribution = RoutingDistribution::Uniform;
    } else if (dist == "zipf") {
      s.moe.distribution = RoutingDistribution::Zipf;
      s.moe.zipfExponent = r.number("zipf_exponent", 0, 10);
    } else {
      s.moe.distribution = RoutingDistribution::Trace;
      s.moe.traceFile = r.path("trace");
      if (!std::filesystem::exists(s.moe.traceFile)) r.fail("trace", "cannot open file " + s.moe.traceFile);
    }
    r.finish();
    m.finish();
  }
  if (root.has("mla")) {
    // Multi-head latent attention (DeepSeek-V2/V3).
    const ConfigNode a = root.child("mla");
    s.mla.enabled = true;
    s.mla.qLoraRank = static_cast<std::uint32_t>(a.integer("q_lora_rank", 0, 1 << 20));
    s.mla.kvLoraRank = static_cast<std::uint32_t>(a.integer("kv_lora_rank", 1, 1 << 20));
    s.mla.qkNopeDim = static_cast<std::uint32_t>(a.integer("qk_nope_head_dim", 1, 4096));
    s.mla.qkRopeDim = static_cast<std::uint32_t>(a.integer("qk_rope_head_dim", 2, 4096));
    s.mla.vHeadDim = static_cast<std::uint32_t>(a.integer("v_head_dim", 1, 4096));
    if (s.mla.qkRopeDim % 2 != 0) a.fail("qk_rope_head_dim", "must be even (RoPE rotates pairs)");
    if (s.headDim != s.mla.qkNopeDim + s.mla.qkRopeDim)
      root.fail("head_dim", "must equal mla.qk_nope_head_dim + mla.qk_rope_head_dim (" +
                                std::to_string(s.mla.qkNopeDim + s.mla.qkRopeDim) + ")");
    if (s.kvHeads != s.heads) root.fail("kv_heads", "must equal heads with mla");
    if (s.qkvBias) root.fail("attention_bias", "must be false with mla");
    a.finish();
  }
  if (s.heads % s.kvHeads != 0)
    root.fail("kv_heads", std::to_string(s.kvHeads) + " does not divide heads (" + std::to_string(s.heads) + ")");
  if (s.headDim % 2 != 0) root.fail("head_dim", "must be even (RoPE rotates pairs)");
  const ConfigNode dt = root.child("dtypes");
  s.weightDtype = dtypeOf(dt, "weights");
  s.kvDtype = dtypeOf(dt, "kv");
  s.actDtype = dtypeOf(dt, "activations");
  dt.finish();
  if (root.has("quantization")) {
    // Weight-only group quantisation of the linear projections.
    const ConfigNode q = root.child("quantization");
    s.quant = q.choice("weights", {"int8", "int4"}) == "int8" ? WeightQuant::Int8 : WeightQuant::Int4;
    s.quantGroup = static_cast<std::uint32_t>(q.integer("group_size", 2, 1 << 20));
    const std::pair<const char*, std::uint32_t> dims[] = {
        {"hidden", s.hidden}, {"heads * head_dim", s.qDim()}, {"ffn", s.ffn}, {"moe.expert_ffn", s.moe.expertFfn}};
    for (const auto& [what, v] : dims)
      if (v != 0 && v % s.quantGroup != 0)
        q.fail("group_size",
               std::to_string(s.quantGroup) + " does not divide " + what + " (" + std::to_string(v) + ")");
    if (s.quantGroup % 2 != 0) q.fail("group_size", "must be even");
    if (s.weightDtype != models::DType::Bf16)
      root.fail("dtypes.weights", "must be bf16 with quantization (it types the scales and unquantised weights)");
    q.finish();
  }
  const ConfigNode w = root.child("weights");
  if (w.choice("source", {"random", "safetensors"}) == "random") {
    s.weightSource = WeightSource::Random;
    s.initStd = static_cast<float>(w.number("init_std", 0, 10));
  } else {
    s.weightSource = WeightSource::Safetensors;
    s.safetensorsPath = w.path("path");
  }
  w.finish();
  root.finish();
  return s;
}

} // namespace llmvp::testbench
