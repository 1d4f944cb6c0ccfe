// SPDX-License-Identifier: Apache-2.0
// Memspec files (configs/memory/*.yaml) -> models::dram::DramParams.
// Key by key in docs/config-reference.md; presets cite their sources.
#include <cmath>
#include <stdexcept>

#include "config/Loaders.h"
#include "models/memory/dram/AddressMapping.h"

namespace llmvp::testbench {

namespace {
using models::dram::DramCycles;
using models::dram::DramParams;
using models::dram::DramTiming;

bool isPow2(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::uint32_t pow2(const ConfigNode& n, const std::string& key, std::uint64_t lo, std::uint64_t hi) {
  const std::uint64_t v = n.integer(key, lo, hi);
  if (!isPow2(v)) n.fail(key, std::to_string(v) + " is not a power of two");
  return static_cast<std::uint32_t>(v);
}

void loadOrganisation(const ConfigNode& org, DramParams& out) {
  out.channelsPerStack = static_cast<std::uint32_t>(org.integer("channels_per_stack", 1, 1024));
  out.pseudoChannels = static_cast<std::uint32_t>(org.integer("pseudo_channels", 1, 8));
  out.widthBits = static_cast<std::uint32_t>(org.integer("width_bits", 8, 1024));
  if (out.widthBits % 8 != 0) org.fail("width_bits", std::to_string(out.widthBits) + " is not a multiple of 8");
  out.dataRateGbps = org.number("data_rate_gbps", 0.1, 100);
  out.bankGroups = static_cast<std::uint32_t>(org.integer("bank_groups", 1, 64));
  out.banksPerGroup = static_cast<std::uint32_t>(org.integer("banks_per_group", 1, 64));
  out.stackIds = pow2(org, "stack_ids", 1, 16);
  out.rows = pow2(org, "rows", 1, 1u << 24);
  out.rowBytes = pow2(org, "row_bytes", 32, 1 << 20);
  out.burstLength = pow2(org, "burst_length", 1, 64);
  if (out.rowBytes < out.burstBytes())
    org.fail("row_bytes", std::to_string(out.rowBytes) + " is smaller than one burst (" +
                              std::to_string(out.burstBytes()) + " bytes)");
  out.commandBus = org.choice("command_bus", {"row_column", "single"}) == "row_column"
                       ? models::dram::CommandBus::RowColumn
                       : models::dram::CommandBus::Single;
  out.c.actCycles = static_cast<std::uint32_t>(org.integer("act_cycles", 1, 4));
  org.finish();
}

void loadTiming(const ConfigNode& t, DramParams& out) {
  auto& c = out.c;
  c.tCKns = t.number("tCK_ns", 0.05, 100);
  // Every timing key is a whole number of tCK, at least 1 except FAW and
  // WTR_S/L (0: no such constraint).
  struct CycleKey {
    const char* key;
    std::uint32_t DramCycles::*field;
    std::uint64_t lo;
  };
  static constexpr CycleKey kKeys[] = {
      {"RCDRD", &DramCycles::RCDRD, 1}, {"RCDWR", &DramCycles::RCDWR, 1}, {"RP", &DramCycles::RP, 1},
      {"RAS", &DramCycles::RAS, 1},     {"RC", &DramCycles::RC, 1},       {"RL", &DramCycles::RL, 1},
      {"WL", &DramCycles::WL, 1},       {"CCD_S", &DramCycles::CCD_S, 1}, {"CCD_L", &DramCycles::CCD_L, 1},
      {"RRD_S", &DramCycles::RRD_S, 1}, {"RRD_L", &DramCycles::RRD_L, 1}, {"FAW", &DramCycles::FAW, 0},
      {"WR", &DramCycles::WR, 1},       {"WTR_S", &DramCycles::WTR_S, 0}, {"WTR_L", &DramCycles::WTR_L, 0},
      {"RTP", &DramCycles::RTP, 1},     {"RTW", &DramCycles::RTW, 1},     {"REFI", &DramCycles::REFI, 1},
      {"RFC", &DramCycles::RFC, 1},     {"RFCpb", &DramCycles::RFCpb, 1}, {"RREFD", &DramCycles::RREFD, 1}};
  for (const CycleKey& k : kKeys) c.*k.field = static_cast<std::uint32_t>(t.integer(k.key, k.lo, 1u << 20));
  // Optional: where the standard has a separate per-bank refresh to activate
  // delay (LPDDR5 tpbR2act); otherwise one tRREFD covers both.
  c.RREFD_ACT = t.has("RREFD_ACT") ? static_cast<std::uint32_t>(t.integer("RREFD_ACT", 1, c.RREFD)) : c.RREFD;
  // One burst takes BL beats at data_rate_gbps per pin: a whole number of tCK.
  const double beatsPerCycle = out.dataRateGbps * c.tCKns;
  const double burst = out.burstLength / beatsPerCycle;
  if (std::fabs(burst - std::round(burst)) > 1e-3 * burst || burst < 0.5)
    t.fail("tCK_ns", "a burst of " + std::to_string(out.burstLength) + " beats at " + std::to_string(out.dataRateGbps) +
                         " Gb/s takes " + std::to_string(burst) + " cycles of tCK; expected a whole number");
  c.burstCycles = static_cast<std::uint32_t>(std::lround(burst));
  if (c.RFC >= c.REFI) t.fail("RFC", "must be below REFI");
  if (c.RFCpb >= c.REFI) t.fail("RFCpb", "must be below REFI");
  if (c.CCD_S < c.burstCycles)
    t.fail("CCD_S", std::to_string(c.CCD_S) + " is below the burst (" + std::to_string(c.burstCycles) +
                        " cycles): bursts would overlap on the data bus");
  if (c.CCD_L < c.CCD_S) t.fail("CCD_L", "must be at least CCD_S");
  if (c.RRD_L < c.RRD_S) t.fail("RRD_L", "must be at least RRD_S");
  if (c.WTR_L < c.WTR_S) t.fail("WTR_L", "must be at least WTR_S");
  if (c.RTW + c.WL < c.RL + c.burstCycles)
    t.fail("RTW", "must be at least RL + burst - WL = " + std::to_string(c.RL + c.burstCycles - c.WL) +
                      " (read data would collide with write data)");
  t.finish();
  // The fast model's nanosecond view of the same numbers.
  struct NsOf {
    double DramTiming::*ns;
    std::uint32_t DramCycles::*cycles;
  };
  static constexpr NsOf kNs[] = {{&DramTiming::tRCD, &DramCycles::RCDRD}, {&DramTiming::tRP, &DramCycles::RP},
                                 {&DramTiming::tCL, &DramCycles::RL},     {&DramTiming::tRAS, &DramCycles::RAS},
                                 {&DramTiming::tRC, &DramCycles::RC},     {&DramTiming::tRRD, &DramCycles::RRD_S},
                                 {&DramTiming::tFAW, &DramCycles::FAW},   {&DramTiming::tREFI, &DramCycles::REFI},
                                 {&DramTiming::tRFC, &DramCycles::RFC},   {&DramTiming::tRFCpb, &DramCycles::RFCpb}};
  out.t.tCK = c.tCKns;
  for (const NsOf& k : kNs) out.t.*k.ns = c.*k.cycles * c.tCKns;
}

void loadController(const ConfigNode& c, DramParams& out) {
  using namespace models::dram;
  out.interleaveBytes = static_cast<std::uint32_t>(c.integer("interleave_bytes", 32, 1 << 20));
  if (out.rowBytes % out.interleaveBytes != 0 && out.interleaveBytes % out.rowBytes != 0)
    c.fail("interleave_bytes", "must divide organisation.row_bytes or be a multiple of it");
  out.controllerLatencyNs = c.number("latency_ns", 0, 1e5);
  out.refresh =
      c.choice("refresh", {"all_bank", "per_bank"}) == "all_bank" ? RefreshMode::AllBank : RefreshMode::PerBank;
  out.ctrl.pagePolicy = c.choice("page_policy", {"open", "closed"}) == "open" ? PagePolicy::Open : PagePolicy::Closed;
  const std::string s = c.choice("scheduler", {"fr_fcfs", "fr_fcfs_grouped", "fifo"});
  out.ctrl.scheduler = s == "fr_fcfs" ? SchedulerKind::FrFcfs
                       : s == "fifo"  ? SchedulerKind::Fifo
                                      : SchedulerKind::FrFcfsGrouped;
  out.ctrl.requestBuffer = static_cast<std::uint32_t>(c.integer("request_buffer", 1, 1024));
  out.ctrl.perBankBuffer = c.choice("request_buffer_scope", {"channel", "bank"}) == "bank";
  out.ctrl.inOrderResponses = c.choice("response_order", {"in_order", "as_completed"}) == "in_order";
  out.ctrl.writeBuffer = static_cast<std::uint32_t>(c.integer("write_buffer", 1, 1024));
  out.ctrl.writeHigh = static_cast<std::uint32_t>(c.integer("write_high_watermark", 1, 1024));
  out.ctrl.writeLow = static_cast<std::uint32_t>(c.integer("write_low_watermark", 0, 1024));
  if (out.ctrl.writeHigh > out.ctrl.writeBuffer) c.fail("write_high_watermark", "must not exceed write_buffer");
  if (out.ctrl.writeLow >= out.ctrl.writeHigh) c.fail("write_low_watermark", "must be below write_high_watermark");
  out.ctrl.mappingText = c.string("address_mapping");
  try {
    out.ctrl.mapping = parseMapping(out.ctrl.mappingText);
    DramParams one = out; // the mapping is checked for one stack; stacks extend the channel bits
    one.stacks = 1;
    (void)AddressMapper(one);
  } catch (const std::invalid_argument& e) {
    c.fail("address_mapping", "\"" + out.ctrl.mappingText + "\": " + e.what());
  }
  c.finish();
}
} // namespace

void loadMemspec(const std::string& path, Overrides& overrides, const std::string& prefix, DramParams& out) {
  // Optional keys, which --set may add to a memspec that leaves them out.
  const ConfigNode root = ConfigNode::load(path, &overrides, prefix, {}, {"timing.RREFD_ACT"});
  if (root.choice("kind", {"platform", "model", "memspec"}) != "memspec") root.fail("kind", "expected \"memspec\"");
  out.name = root.string("name");
  (void)root.choice("standard", {"hbm2", "hbm3", "hbm3e", "hbm4", "lpddr5x", "ddr5"});
  loadOrganisation(root.child("organisation"), out);
  loadTiming(root.child("timing"), out);
  loadController(root.child("controller"), out);
  const ConfigNode e = root.child("energy");
  struct EnergyKey {
    const char* key;
    double DramParams::*field;
    double hi;
  };
  static constexpr EnergyKey kEnergy[] = {{"read_pj_per_bit", &DramParams::readPjPerBit, 1e4},
                                          {"write_pj_per_bit", &DramParams::writePjPerBit, 1e4},
                                          {"activate_pj", &DramParams::activatePj, 1e6},
                                          {"refresh_pj", &DramParams::refreshPj, 1e9},
                                          {"background_mw_per_stack", &DramParams::backgroundMwPerStack, 1e6}};
  for (const EnergyKey& k : kEnergy) out.*k.field = e.number(k.key, 0, k.hi);
  e.finish();
  root.finish();
}

} // namespace llmvp::testbench
