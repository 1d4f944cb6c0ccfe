// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Round-trip support for the config tests: emitters that write loaded
/// parameter structs back out in the file schemas of configs/ (platform,
/// memspec, model, system), and comparisons of every field. Numbers are written with
/// 17 significant digits, so every double survives the trip exactly.
///
/// When a loader gains a key, the emitter here must gain it too (the reload
/// then fails with "missing required key" until it does), and the comparison
/// must gain the field.

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "config/Loaders.h"
#include "models/interconnect/Collectives.h"
#include "models/memory/dram/DramParams.h"
#include "workload/ModelSpec.h"

namespace llmvp::testbench {

/// A YAML number with round-trip precision.
inline std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
inline std::string num(std::uint64_t v) { return std::to_string(v); }
inline std::string num(std::uint32_t v) { return std::to_string(v); }
/// A double-quoted YAML string.
inline std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}
inline const char* dtypeKey(models::DType t) {
  switch (t) {
  case models::DType::Fp32: return "fp32";
  case models::DType::Bf16: return "bf16";
  case models::DType::Fp8E4M3: return "fp8";
  case models::DType::U32: return "u32";
  }
  return "?";
}

// ---- memspec ----------------------------------------------------------------------------

inline std::string emitMemspec(const models::dram::DramParams& p) {
  using namespace models::dram;
  const DramCycles& c = p.c;
  std::ostringstream y;
  y << "kind: memspec\n"
    << "name: " << quoted(p.name) << "\n"
    << "standard: hbm3e\n" // not kept by the loader
    << "organisation:\n"
    << "  channels_per_stack: " << num(p.channelsPerStack) << "\n"
    << "  pseudo_channels: " << num(p.pseudoChannels) << "\n"
    << "  width_bits: " << num(p.widthBits) << "\n"
    << "  data_rate_gbps: " << num(p.dataRateGbps) << "\n"
    << "  bank_groups: " << num(p.bankGroups) << "\n"
    << "  banks_per_group: " << num(p.banksPerGroup) << "\n"
    << "  stack_ids: " << num(p.stackIds) << "\n"
    << "  rows: " << num(p.rows) << "\n"
    << "  row_bytes: " << num(p.rowBytes) << "\n"
    << "  burst_length: " << num(p.burstLength) << "\n"
    << "  command_bus: " << (p.commandBus == CommandBus::RowColumn ? "row_column" : "single") << "\n"
    << "  act_cycles: " << num(c.actCycles) << "\n"
    << "timing:\n"
    << "  tCK_ns: " << num(c.tCKns) << "\n";
  const std::pair<const char*, std::uint32_t> cycles[] = {{"RCDRD", c.RCDRD}, {"RCDWR", c.RCDWR},
                                                          {"RP", c.RP},       {"RAS", c.RAS},
                                                          {"RC", c.RC},       {"RL", c.RL},
                                                          {"WL", c.WL},       {"CCD_S", c.CCD_S},
                                                          {"CCD_L", c.CCD_L}, {"RRD_S", c.RRD_S},
                                                          {"RRD_L", c.RRD_L}, {"FAW", c.FAW},
                                                          {"WR", c.WR},       {"WTR_S", c.WTR_S},
                                                          {"WTR_L", c.WTR_L}, {"RTP", c.RTP},
                                                          {"RTW", c.RTW},     {"REFI", c.REFI},
                                                          {"RFC", c.RFC},     {"RFCpb", c.RFCpb},
                                                          {"RREFD", c.RREFD}, {"RREFD_ACT", c.RREFD_ACT}};
  for (const auto& [key, v] : cycles) y << "  " << key << ": " << num(v) << "\n";
  const char* scheduler = p.ctrl.scheduler == SchedulerKind::FrFcfs ? "fr_fcfs"
                          : p.ctrl.scheduler == SchedulerKind::Fifo ? "fifo"
                                                                    : "fr_fcfs_grouped";
  y << "controller:\n"
    << "  interleave_bytes: " << num(p.interleaveBytes) << "\n"
    << "  latency_ns: " << num(p.controllerLatencyNs) << "\n"
    << "  refresh: " << (p.refresh == RefreshMode::AllBank ? "all_bank" : "per_bank") << "\n"
    << "  page_policy: " << (p.ctrl.pagePolicy == PagePolicy::Open ? "open" : "closed") << "\n"
    << "  scheduler: " << scheduler << "\n"
    << "  request_buffer: " << num(p.ctrl.requestBuffer) << "\n"
    << "  request_buffer_scope: " << (p.ctrl.perBankBuffer ? "bank" : "channel") << "\n"
    << "  response_order: " << (p.ctrl.inOrderResponses ? "in_order" : "as_completed") << "\n"
    << "  write_buffer: " << num(p.ctrl.writeBuffer) << "\n"
    << "  write_high_watermark: " << num(p.ctrl.writeHigh) << "\n"
    << "  write_low_watermark: " << num(p.ctrl.writeLow) << "\n"
    << "  address_mapping: " << quoted(p.ctrl.mappingText) << "\n"
    << "energy:\n"
    << "  read_pj_per_bit: " << num(p.readPjPerBit) << "\n"
    << "  write_pj_per_bit: " << num(p.writePjPerBit) << "\n"
    << "  activate_pj: " << num(p.activatePj) << "\n"
    << "  refresh_pj: " << num(p.refreshPj) << "\n"
    << "  background_mw_per_stack: " << num(p.backgroundMwPerStack) << "\n";
  return y.str();
}

inline void expectSameDram(const models::dram::DramParams& a, const models::dram::DramParams& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.stacks, b.stacks);
  EXPECT_EQ(a.channelsPerStack, b.channelsPerStack);
  EXPECT_EQ(a.pseudoChannels, b.pseudoChannels);
  EXPECT_EQ(a.widthBits, b.widthBits);
  EXPECT_EQ(a.dataRateGbps, b.dataRateGbps);
  EXPECT_EQ(a.bankGroups, b.bankGroups);
  EXPECT_EQ(a.banksPerGroup, b.banksPerGroup);
  EXPECT_EQ(a.rowBytes, b.rowBytes);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.stackIds, b.stackIds);
  EXPECT_EQ(a.burstLength, b.burstLength);
  EXPECT_EQ(a.capacityBytes, b.capacityBytes);
  EXPECT_EQ(a.t.tCK, b.t.tCK);
  EXPECT_EQ(a.t.tRCD, b.t.tRCD);
  EXPECT_EQ(a.t.tRP, b.t.tRP);
  EXPECT_EQ(a.t.tCL, b.t.tCL);
  EXPECT_EQ(a.t.tRAS, b.t.tRAS);
  EXPECT_EQ(a.t.tRC, b.t.tRC);
  EXPECT_EQ(a.t.tRRD, b.t.tRRD);
  EXPECT_EQ(a.t.tFAW, b.t.tFAW);
  EXPECT_EQ(a.t.tREFI, b.t.tREFI);
  EXPECT_EQ(a.t.tRFC, b.t.tRFC);
  EXPECT_EQ(a.t.tRFCpb, b.t.tRFCpb);
  EXPECT_EQ(a.c.tCKns, b.c.tCKns);
  EXPECT_EQ(a.c.RCDRD, b.c.RCDRD);
  EXPECT_EQ(a.c.RCDWR, b.c.RCDWR);
  EXPECT_EQ(a.c.RP, b.c.RP);
  EXPECT_EQ(a.c.RAS, b.c.RAS);
  EXPECT_EQ(a.c.RC, b.c.RC);
  EXPECT_EQ(a.c.RL, b.c.RL);
  EXPECT_EQ(a.c.WL, b.c.WL);
  EXPECT_EQ(a.c.CCD_S, b.c.CCD_S);
  EXPECT_EQ(a.c.CCD_L, b.c.CCD_L);
  EXPECT_EQ(a.c.RRD_S, b.c.RRD_S);
  EXPECT_EQ(a.c.RRD_L, b.c.RRD_L);
  EXPECT_EQ(a.c.FAW, b.c.FAW);
  EXPECT_EQ(a.c.WR, b.c.WR);
  EXPECT_EQ(a.c.WTR_S, b.c.WTR_S);
  EXPECT_EQ(a.c.WTR_L, b.c.WTR_L);
  EXPECT_EQ(a.c.RTP, b.c.RTP);
  EXPECT_EQ(a.c.RTW, b.c.RTW);
  EXPECT_EQ(a.c.REFI, b.c.REFI);
  EXPECT_EQ(a.c.RFC, b.c.RFC);
  EXPECT_EQ(a.c.RFCpb, b.c.RFCpb);
  EXPECT_EQ(a.c.RREFD, b.c.RREFD);
  EXPECT_EQ(a.c.RREFD_ACT, b.c.RREFD_ACT);
  EXPECT_EQ(a.c.actCycles, b.c.actCycles);
  EXPECT_EQ(a.c.burstCycles, b.c.burstCycles);
  EXPECT_EQ(a.commandBus, b.commandBus);
  EXPECT_EQ(a.ctrl.pagePolicy, b.ctrl.pagePolicy);
  EXPECT_EQ(a.ctrl.scheduler, b.ctrl.scheduler);
  EXPECT_EQ(a.ctrl.requestBuffer, b.ctrl.requestBuffer);
  EXPECT_EQ(a.ctrl.perBankBuffer, b.ctrl.perBankBuffer);
  EXPECT_EQ(a.ctrl.inOrderResponses, b.ctrl.inOrderResponses);
  EXPECT_EQ(a.ctrl.writeBuffer, b.ctrl.writeBuffer);
  EXPECT_EQ(a.ctrl.writeHigh, b.ctrl.writeHigh);
  EXPECT_EQ(a.ctrl.writeLow, b.ctrl.writeLow);
  EXPECT_EQ(a.ctrl.mappingText, b.ctrl.mappingText);
  ASSERT_EQ(a.ctrl.mapping.size(), b.ctrl.mapping.size());
  for (std::size_t i = 0; i < a.ctrl.mapping.size(); ++i) {
    EXPECT_EQ(a.ctrl.mapping[i].field, b.ctrl.mapping[i].field) << "mapping slice " << i;
    EXPECT_EQ(a.ctrl.mapping[i].bits, b.ctrl.mapping[i].bits) << "mapping slice " << i;
  }
  EXPECT_EQ(a.interleaveBytes, b.interleaveBytes);
  EXPECT_EQ(a.controllerLatencyNs, b.controllerLatencyNs);
  EXPECT_EQ(a.refresh, b.refresh);
  EXPECT_EQ(a.readPjPerBit, b.readPjPerBit);
  EXPECT_EQ(a.writePjPerBit, b.writePjPerBit);
  EXPECT_EQ(a.activatePj, b.activatePj);
  EXPECT_EQ(a.refreshPj, b.refreshPj);
  EXPECT_EQ(a.backgroundMwPerStack, b.backgroundMwPerStack);
}

// ---- platform ---------------------------------------------------------------------------

inline std::string emitPlatform(const PlatformConfig& pc, const std::string& memspecPath) {
  const platform::ChipParams& c = pc.chip;
  auto port = [](const platform::PortTiming& t) {
    return "{latency_ns: " + num(t.latencyNs) + ", bandwidth_gbps: " + num(t.bandwidthGBps) + "}";
  };
  auto sram = [](const models::soc::SramParams& s, const char* sizeKey, std::uint64_t unit, const char* indent) {
    return std::string(indent) + sizeKey + ": " + num(s.bytes / unit) + "\n" + indent +
           "latency_ns: " + num(s.latencyNs) + "\n" + indent + "bandwidth_gbps: " + num(s.bandwidthGBps) + "\n" +
           indent + "pj_per_bit: " + num(s.pjPerBit) + "\n";
  };
  auto engine = [](const models::EngineParams& e) {
    return "    clock_mhz: " + num(e.clockMhz) + "\n    dispatch_cycles: " + num(e.dispatchCycles) +
           "\n    chunk_kib: " + num(e.chunkBytes / 1024) + "\n    max_outstanding: " + num(e.maxOutstanding) + "\n";
  };
  auto perDtype = [](const std::array<double, 3>& a) {
    return "{fp32: " + num(a[0]) + ", bf16: " + num(a[1]) + ", fp8: " + num(a[2]) + "}";
  };
  const double gibPerStack = static_cast<double>(c.hbm.capacityBytes / c.hbm.stacks) / (1024.0 * 1024 * 1024);
  std::ostringstream y;
  y << "kind: platform\n"
    << "name: " << quoted(pc.name) << "\n"
    << "description: written by the round-trip test\n"
    << "sim:\n"
    << "  quantum_ns: " << num(pc.sim.quantumNs) << "\n"
    << "  max_simulated_ms: " << num(pc.sim.maxSimulatedMs) << "\n"
    << "economics:\n"
    << "  price_usd: " << num(pc.economics.priceUsd) << "\n"
    << "  lifetime_years: " << num(pc.economics.lifetimeYears) << "\n"
    << "  electricity_usd_per_kwh: " << num(pc.economics.electricityUsdPerKwh) << "\n"
    << "  pue: " << num(pc.economics.pue) << "\n"
    << "  grid_gco2e_per_kwh: " << num(pc.economics.gridGco2ePerKwh) << "\n"
    << "  embodied_kgco2e: " << num(pc.economics.embodiedKgco2e) << "\n"
    << "chip:\n"
    << "  register_latency_ns: " << num(c.registerLatencyNs) << "\n"
    << "  energy:\n    static_w: " << num(c.energy.staticW) << "\n"
    << "  cpu:\n    clock_mhz: " << num(c.cpu.clockMhz) << "\n    access_cycles: " << num(c.cpu.accessCycles) << "\n"
    << "  ctrl_sram:\n"
    << sram(c.ctrlSram, "kib", 1024, "    ") << "  fabric:\n    pj_per_bit: " << num(c.fabric.pjPerBit)
    << "\n    ports:\n"
    << "      ctrl_sram: " << port(c.ctrlSramPort) << "\n"
    << "      mmio: " << port(c.mmioPort) << "\n"
    << "      scratchpad: " << port(c.scratchpadPort) << "\n"
    << "      hbm: " << port(c.hbmPort) << "\n"
    << "  dma:\n    count: " << num(c.dmaCount) << "\n"
    << engine(c.dma) << "  tile:\n    count: " << num(c.tileCount) << "\n"
    << engine(c.tile.engine) << "    matrix:\n      rows: " << num(c.tile.matrixRows) << "\n"
    << "      macs_per_cycle: " << perDtype(c.tile.macsPerCycle) << "\n"
    << "      pj_per_mac: " << perDtype(c.tile.pjPerMac) << "\n"
    << "    vector:\n      lanes: " << num(c.tile.vectorLanes) << "\n      pj_per_op: " << num(c.tile.pjPerVectorOp)
    << "\n      dequant_ops: {int8: " << num(c.tile.dequantOps[0]) << ", int4: " << num(c.tile.dequantOps[1]) << "}"
    << "\n    scratchpad:\n"
    << sram(c.tile.scratchpad, "mib", 1024 * 1024, "      ") << "  hbm:\n"
    << "    memspec: " << quoted(memspecPath) << "\n"
    << "    stacks: " << num(c.hbm.stacks) << "\n"
    << "    capacity_gib_per_stack: " << num(gibPerStack) << "\n";
  return y.str();
}

inline void expectSameEngine(const models::EngineParams& a, const models::EngineParams& b, const char* what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.clockMhz, b.clockMhz);
  EXPECT_EQ(a.dispatchCycles, b.dispatchCycles);
  EXPECT_EQ(a.chunkBytes, b.chunkBytes);
  EXPECT_EQ(a.maxOutstanding, b.maxOutstanding);
  EXPECT_EQ(a.registerLatencyNs, b.registerLatencyNs);
  EXPECT_EQ(a.semSignalAddress, b.semSignalAddress);
}
inline void expectSameSram(const models::soc::SramParams& a, const models::soc::SramParams& b, const char* what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.latencyNs, b.latencyNs);
  EXPECT_EQ(a.bandwidthGBps, b.bandwidthGBps);
  EXPECT_EQ(a.pjPerBit, b.pjPerBit);
}
inline void expectSamePort(const platform::PortTiming& a, const platform::PortTiming& b, const char* what) {
  EXPECT_EQ(a.latencyNs, b.latencyNs) << what;
  EXPECT_EQ(a.bandwidthGBps, b.bandwidthGBps) << what;
}

inline void expectSamePlatform(const PlatformConfig& a, const PlatformConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.sim.quantumNs, b.sim.quantumNs);
  EXPECT_EQ(a.sim.maxSimulatedMs, b.sim.maxSimulatedMs);
  EXPECT_EQ(a.economics.priceUsd, b.economics.priceUsd);
  EXPECT_EQ(a.economics.lifetimeYears, b.economics.lifetimeYears);
  EXPECT_EQ(a.economics.electricityUsdPerKwh, b.economics.electricityUsdPerKwh);
  EXPECT_EQ(a.economics.pue, b.economics.pue);
  EXPECT_EQ(a.economics.gridGco2ePerKwh, b.economics.gridGco2ePerKwh);
  EXPECT_EQ(a.economics.embodiedKgco2e, b.economics.embodiedKgco2e);
  const platform::ChipParams &x = a.chip, &y = b.chip;
  EXPECT_EQ(x.name, y.name);
  EXPECT_EQ(x.cpu.clockMhz, y.cpu.clockMhz);
  EXPECT_EQ(x.cpu.accessCycles, y.cpu.accessCycles);
  EXPECT_EQ(x.cpu.stackBytes, y.cpu.stackBytes);
  EXPECT_EQ(x.registerLatencyNs, y.registerLatencyNs);
  expectSameSram(x.ctrlSram, y.ctrlSram, "ctrl_sram");
  EXPECT_EQ(x.fabric.pjPerBit, y.fabric.pjPerBit);
  expectSamePort(x.ctrlSramPort, y.ctrlSramPort, "ctrl_sram port");
  expectSamePort(x.mmioPort, y.mmioPort, "mmio port");
  expectSamePort(x.scratchpadPort, y.scratchpadPort, "scratchpad port");
  expectSamePort(x.hbmPort, y.hbmPort, "hbm port");
  EXPECT_EQ(x.dmaCount, y.dmaCount);
  expectSameEngine(x.dma, y.dma, "dma");
  EXPECT_EQ(x.tileCount, y.tileCount);
  expectSameEngine(x.tile.engine, y.tile.engine, "tile");
  EXPECT_EQ(x.tile.macsPerCycle, y.tile.macsPerCycle);
  EXPECT_EQ(x.tile.matrixRows, y.tile.matrixRows);
  EXPECT_EQ(x.tile.vectorLanes, y.tile.vectorLanes);
  EXPECT_EQ(x.tile.pjPerMac, y.tile.pjPerMac);
  EXPECT_EQ(x.tile.pjPerVectorOp, y.tile.pjPerVectorOp);
  EXPECT_EQ(x.tile.dequantOps, y.tile.dequantOps);
  expectSameSram(x.tile.scratchpad, y.tile.scratchpad, "scratchpad");
  EXPECT_EQ(x.tile.scratchpadBase, y.tile.scratchpadBase);
  expectSameDram(x.hbm, y.hbm);
  EXPECT_EQ(x.energy.staticW, y.energy.staticW);
}

// ---- model ------------------------------------------------------------------------------

inline std::string emitModel(const ModelSpec& s) {
  std::ostringstream y;
  y << "kind: model\n"
    << "name: " << quoted(s.name) << "\n"
    << "source: written by the round-trip test\n"
    << "architecture: llama\n"
    << "layers: " << num(s.layers) << "\n"
    << "hidden: " << num(s.hidden) << "\n"
    << "heads: " << num(s.heads) << "\n"
    << "kv_heads: " << num(s.kvHeads) << "\n"
    << "head_dim: " << num(s.headDim) << "\n"
    << "ffn: " << num(s.ffn) << "\n"
    << "vocab: " << num(s.vocab) << "\n"
    << "rms_eps: " << num(static_cast<double>(s.rmsEps)) << "\n"
    << "rope_theta: " << num(static_cast<double>(s.ropeTheta)) << "\n"
    << "tie_embeddings: " << (s.tieEmbeddings ? "true" : "false") << "\n"
    << "attention_bias: " << (s.qkvBias ? "true" : "false") << "\n";
  if (s.moe.enabled()) {
    const MoeSpec& m = s.moe;
    y << "moe:\n"
      << "  experts: " << num(m.experts) << "\n"
      << "  top_k: " << num(m.topK) << "\n"
      << "  expert_ffn: " << num(m.expertFfn) << "\n"
      << "  shared_experts: " << num(m.sharedExperts) << "\n"
      << "  dense_layers: " << num(m.denseLayers) << "\n"
      << "  scoring: " << (m.scoring == RouterScoring::Softmax ? "softmax" : "sigmoid") << "\n"
      << "  routed_scale: " << num(static_cast<double>(m.routedScale)) << "\n"
      << "  timing_routing:\n";
    switch (m.distribution) {
    case RoutingDistribution::Uniform: y << "    distribution: uniform\n"; break;
    case RoutingDistribution::Zipf:
      y << "    distribution: zipf\n    zipf_exponent: " << num(m.zipfExponent) << "\n";
      break;
    case RoutingDistribution::Trace: y << "    distribution: trace\n    trace: " << quoted(m.traceFile) << "\n"; break;
    }
  }
  if (s.mla.enabled) {
    y << "mla:\n"
      << "  q_lora_rank: " << num(s.mla.qLoraRank) << "\n"
      << "  kv_lora_rank: " << num(s.mla.kvLoraRank) << "\n"
      << "  qk_nope_head_dim: " << num(s.mla.qkNopeDim) << "\n"
      << "  qk_rope_head_dim: " << num(s.mla.qkRopeDim) << "\n"
      << "  v_head_dim: " << num(s.mla.vHeadDim) << "\n";
  }
  y << "dtypes:\n"
    << "  weights: " << dtypeKey(s.weightDtype) << "\n"
    << "  kv: " << dtypeKey(s.kvDtype) << "\n"
    << "  activations: " << dtypeKey(s.actDtype) << "\n"
    << "weights:\n";
  if (s.weightSource == WeightSource::Random)
    y << "  source: random\n  init_std: " << num(static_cast<double>(s.initStd)) << "\n";
  else
    y << "  source: safetensors\n  path: " << quoted(s.safetensorsPath) << "\n";
  return y.str();
}

inline void expectSameModel(const ModelSpec& a, const ModelSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.layers, b.layers);
  EXPECT_EQ(a.hidden, b.hidden);
  EXPECT_EQ(a.heads, b.heads);
  EXPECT_EQ(a.kvHeads, b.kvHeads);
  EXPECT_EQ(a.headDim, b.headDim);
  EXPECT_EQ(a.ffn, b.ffn);
  EXPECT_EQ(a.vocab, b.vocab);
  EXPECT_EQ(a.rmsEps, b.rmsEps);
  EXPECT_EQ(a.ropeTheta, b.ropeTheta);
  EXPECT_EQ(a.tieEmbeddings, b.tieEmbeddings);
  EXPECT_EQ(a.qkvBias, b.qkvBias);
  EXPECT_EQ(a.moe.experts, b.moe.experts);
  EXPECT_EQ(a.moe.topK, b.moe.topK);
  EXPECT_EQ(a.moe.expertFfn, b.moe.expertFfn);
  EXPECT_EQ(a.moe.sharedExperts, b.moe.sharedExperts);
  EXPECT_EQ(a.moe.denseLayers, b.moe.denseLayers);
  EXPECT_EQ(a.moe.scoring, b.moe.scoring);
  EXPECT_EQ(a.moe.routedScale, b.moe.routedScale);
  EXPECT_EQ(a.moe.distribution, b.moe.distribution);
  EXPECT_EQ(a.moe.zipfExponent, b.moe.zipfExponent);
  EXPECT_EQ(a.moe.traceFile, b.moe.traceFile);
  EXPECT_EQ(a.mla.enabled, b.mla.enabled);
  EXPECT_EQ(a.mla.qLoraRank, b.mla.qLoraRank);
  EXPECT_EQ(a.mla.kvLoraRank, b.mla.kvLoraRank);
  EXPECT_EQ(a.mla.qkNopeDim, b.mla.qkNopeDim);
  EXPECT_EQ(a.mla.qkRopeDim, b.mla.qkRopeDim);
  EXPECT_EQ(a.mla.vHeadDim, b.mla.vHeadDim);
  EXPECT_EQ(a.weightDtype, b.weightDtype);
  EXPECT_EQ(a.kvDtype, b.kvDtype);
  EXPECT_EQ(a.actDtype, b.actDtype);
  EXPECT_EQ(a.weightSource, b.weightSource);
  EXPECT_EQ(a.safetensorsPath, b.safetensorsPath);
  EXPECT_EQ(a.initStd, b.initStd);
}

// ---- system ------------------------------------------------------------------------------

/// A system file for `pc.system` whose chips are the platform `platformPath`.
inline std::string emitSystem(const PlatformConfig& pc, const std::string& platformPath) {
  using namespace models::interconnect;
  const platform::SystemParams& s = pc.system;
  const TopologyParams& t = s.topology;
  const LinkParams& l = t.link;
  const SwitchParams& w = t.switchParams;
  const CollectiveParams& c = s.collectives;
  const auto flag = [](bool b) { return b ? "true" : "false"; };
  std::ostringstream y;
  y << "kind: system\n"
    << "name: " << quoted(s.name) << "\n"
    << "description: \"round trip\"\n"
    << "platform: " << quoted(platformPath) << "\n"
    << "system:\n"
    << "  chips: " << num(s.chips) << "\n"
    << "  parallel:\n"
    << "    tensor: " << num(pc.parallel.tensor) << "\n"
    << "    pipeline: " << num(pc.parallel.pipeline) << "\n"
    << "    attention: " << (pc.parallel.dataAttention ? "data" : "tensor") << "\n"
    << "  topology:\n"
    << "    kind: " << topologyName(t.kind) << "\n";
  if (t.kind == TopologyKind::Torus) {
    y << "    dims: [";
    for (std::size_t i = 0; i < t.dims.size(); ++i) y << (i == 0 ? "" : ", ") << num(t.dims[i]);
    y << "]\n";
  }
  if (t.kind == TopologyKind::SwitchTree)
    y << "    chips_per_leaf: " << num(t.chipsPerLeaf) << "\n    uplinks: " << num(t.uplinks) << "\n";
  if (t.kind == TopologyKind::Dragonfly)
    y << "    groups: " << num(t.groups) << "\n    switches_per_group: " << num(t.switchesPerGroup)
      << "\n    chips_per_switch: " << num(t.chipsPerLeaf) << "\n    global_links: " << num(t.globalLinks) << "\n";
  if (t.kind == TopologyKind::Custom) {
    y << "    links: [";
    for (std::size_t i = 0; i < t.links.size(); ++i)
      y << (i == 0 ? "" : ", ") << num(t.links[i].first) << ", " << num(t.links[i].second);
    y << "]\n";
  }
  y << "    link:\n"
    << "      lanes: " << num(l.lanes) << "\n"
    << "      lane_gbps: " << num(l.laneGbps) << "\n"
    << "      serdes_ns: " << num(l.serdesNs) << "\n"
    << "      fec_ns: " << num(l.fecNs) << "\n"
    << "      flight_ns: " << num(l.flightNs) << "\n"
    << "      flit_bytes: " << num(l.flitBytes) << "\n"
    << "      max_payload_bytes: " << num(l.maxPayloadBytes) << "\n"
    << "      header_bytes: " << num(l.headerBytes) << "\n"
    << "      read_request_bytes: " << num(l.readRequestBytes) << "\n"
    << "      credits: " << num(l.credits) << "\n"
    << "      bit_error_rate: " << num(l.bitErrorRate) << "\n"
    << "      retry_ns: " << num(l.retryNs) << "\n"
    << "      pj_per_bit: " << num(l.pjPerBit) << "\n"
    << "    switch:\n" // allowed on every topology
    << "      ports: " << num(w.ports) << "\n"
    << "      latency_ns: " << num(w.latencyNs) << "\n"
    << "      forwarding: " << (w.cutThrough ? "cut_through" : "store_and_forward") << "\n"
    << "      reduction: " << flag(w.reduction) << "\n"
    << "      reduction_mode: " << (w.mode == ReductionMode::Pull ? "pull" : "push") << "\n"
    << "      reduction_gbps: " << num(w.reductionGBps) << "\n"
    << "      reduction_latency_ns: " << num(w.reductionLatencyNs) << "\n"
    << "  collectives:\n"
    << "    algorithm: " << algorithmName(c.algorithm) << "\n"
    << "    launch_ns: " << num(c.launchNs) << "\n"
    << "    endpoint_ns: " << num(c.endpointNs) << "\n"
    << "    direct_max_bytes: " << num(c.directMaxBytes) << "\n"
    << "    direct_endpoint_ns: " << num(c.directEndpointNs) << "\n"
    << "    reduce_gbps: " << num(c.reduceGBps) << "\n"
    << "    reliability:\n"
    << "      policy: "
    << (c.policy == SubstitutePolicy::Off     ? "off"
        : c.policy == SubstitutePolicy::Zeros ? "zeros"
                                              : "previous")
    << "\n"
    << "      timeout_ns: " << num(c.timeoutNs) << "\n"
    << "      straggler_probability: " << num(c.stragglerProbability) << "\n"
    << "      straggler_ns: " << num(c.stragglerNs) << "\n";
  return y.str();
}

inline void expectSameSystem(const PlatformConfig& pa, const PlatformConfig& pb) {
  EXPECT_EQ(pa.parallel.tensor, pb.parallel.tensor);
  EXPECT_EQ(pa.parallel.pipeline, pb.parallel.pipeline);
  EXPECT_EQ(pa.parallel.dataAttention, pb.parallel.dataAttention);
  const platform::SystemParams& a = pa.system;
  const platform::SystemParams& b = pb.system;
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.chips, b.chips);
  const auto& ta = a.topology;
  const auto& tb = b.topology;
  EXPECT_EQ(ta.kind, tb.kind);
  EXPECT_EQ(ta.chips, tb.chips);
  EXPECT_EQ(ta.dims, tb.dims);
  EXPECT_EQ(ta.chipsPerLeaf, tb.chipsPerLeaf);
  EXPECT_EQ(ta.uplinks, tb.uplinks);
  EXPECT_EQ(ta.groups, tb.groups);
  EXPECT_EQ(ta.switchesPerGroup, tb.switchesPerGroup);
  EXPECT_EQ(ta.globalLinks, tb.globalLinks);
  EXPECT_EQ(ta.links, tb.links);
  EXPECT_EQ(ta.link.lanes, tb.link.lanes);
  EXPECT_EQ(ta.link.laneGbps, tb.link.laneGbps);
  EXPECT_EQ(ta.link.serdesNs, tb.link.serdesNs);
  EXPECT_EQ(ta.link.fecNs, tb.link.fecNs);
  EXPECT_EQ(ta.link.flightNs, tb.link.flightNs);
  EXPECT_EQ(ta.link.flitBytes, tb.link.flitBytes);
  EXPECT_EQ(ta.link.maxPayloadBytes, tb.link.maxPayloadBytes);
  EXPECT_EQ(ta.link.headerBytes, tb.link.headerBytes);
  EXPECT_EQ(ta.link.readRequestBytes, tb.link.readRequestBytes);
  EXPECT_EQ(ta.link.credits, tb.link.credits);
  EXPECT_EQ(ta.link.bitErrorRate, tb.link.bitErrorRate);
  EXPECT_EQ(ta.link.retryNs, tb.link.retryNs);
  EXPECT_EQ(ta.link.pjPerBit, tb.link.pjPerBit);
  EXPECT_EQ(ta.link.seed, tb.link.seed);
  EXPECT_EQ(ta.switchParams.ports, tb.switchParams.ports);
  EXPECT_EQ(ta.switchParams.latencyNs, tb.switchParams.latencyNs);
  EXPECT_EQ(ta.switchParams.cutThrough, tb.switchParams.cutThrough);
  EXPECT_EQ(ta.switchParams.reduction, tb.switchParams.reduction);
  EXPECT_EQ(ta.switchParams.mode, tb.switchParams.mode);
  EXPECT_EQ(ta.switchParams.reductionGBps, tb.switchParams.reductionGBps);
  EXPECT_EQ(ta.switchParams.reductionLatencyNs, tb.switchParams.reductionLatencyNs);
  const auto& ca = a.collectives;
  const auto& cb = b.collectives;
  EXPECT_EQ(ca.algorithm, cb.algorithm);
  EXPECT_EQ(ca.launchNs, cb.launchNs);
  EXPECT_EQ(ca.endpointNs, cb.endpointNs);
  EXPECT_EQ(ca.directMaxBytes, cb.directMaxBytes);
  EXPECT_EQ(ca.directEndpointNs, cb.directEndpointNs);
  EXPECT_EQ(ca.reduceGBps, cb.reduceGBps);
  EXPECT_EQ(ca.policy, cb.policy);
  EXPECT_EQ(ca.timeoutNs, cb.timeoutNs);
  EXPECT_EQ(ca.stragglerProbability, cb.stragglerProbability);
  EXPECT_EQ(ca.stragglerNs, cb.stragglerNs);
  EXPECT_EQ(ca.seed, cb.seed);
}

} // namespace llmvp::testbench
