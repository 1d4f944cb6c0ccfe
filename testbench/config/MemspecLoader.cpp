// SPDX-License-Identifier: Apache-2.0
// Memspec files (configs/memory/*.yaml) -> models::dram::DramParams.
#include "testbench/config/Loaders.h"

namespace llmvp::testbench {

void loadMemspec(const std::string& path, Overrides& overrides, const std::string& prefix,
                 models::dram::DramParams& out) {
  const ConfigNode root = ConfigNode::load(path, &overrides, prefix);
  if (root.choice("kind", {"platform", "model", "memspec"}) != "memspec") root.fail("kind", "expected \"memspec\"");
  out.name = root.string("name");
  (void)root.choice("standard", {"hbm2", "hbm3", "hbm3e", "hbm4", "lpddr5x", "ddr5"});
  const ConfigNode org = root.child("organisation");
  out.channelsPerStack = static_cast<std::uint32_t>(org.integer("channels_per_stack", 1, 1024));
  out.pseudoChannels = static_cast<std::uint32_t>(org.integer("pseudo_channels", 1, 8));
  out.widthBits = static_cast<std::uint32_t>(org.integer("width_bits", 1, 1024));
  out.dataRateGbps = org.number("data_rate_gbps", 0.1, 100);
  out.bankGroups = static_cast<std::uint32_t>(org.integer("bank_groups", 1, 64));
  out.banksPerGroup = static_cast<std::uint32_t>(org.integer("banks_per_group", 1, 64));
  out.rowBytes = static_cast<std::uint32_t>(org.integer("row_bytes", 32, 1 << 20));
  if ((out.rowBytes & (out.rowBytes - 1)) != 0) org.fail("row_bytes", std::to_string(out.rowBytes) + " is not a power of two");
  org.finish();
  const ConfigNode t = root.child("timing_ns");
  out.t.tCK = t.number("tCK", 0.01, 100);
  out.t.tRCD = t.number("tRCD", 0, 1000);
  out.t.tRP = t.number("tRP", 0, 1000);
  out.t.tCL = t.number("tCL", 0, 1000);
  out.t.tRAS = t.number("tRAS", 0, 1000);
  out.t.tRC = t.number("tRC", 0, 1000);
  out.t.tRRD = t.number("tRRD", 0, 1000);
  out.t.tFAW = t.number("tFAW", 0, 1000);
  out.t.tREFI = t.number("tREFI", 1, 1e6);
  out.t.tRFC = t.number("tRFC", 0, 1e5);
  out.t.tRFCpb = t.number("tRFCpb", 0, 1e5);
  if (out.t.tRFC >= out.t.tREFI) t.fail("tRFC", "must be below tREFI");
  if (out.t.tRFCpb >= out.t.tREFI) t.fail("tRFCpb", "must be below tREFI");
  t.finish();
  const ConfigNode c = root.child("controller");
  out.interleaveBytes = static_cast<std::uint32_t>(c.integer("interleave_bytes", 32, 1 << 20));
  if (out.rowBytes % out.interleaveBytes != 0 && out.interleaveBytes % out.rowBytes != 0)
    c.fail("interleave_bytes", "must divide organisation.row_bytes or be a multiple of it");
  out.controllerLatencyNs = c.number("latency_ns", 0, 1e5);
  out.refresh = c.choice("refresh", {"all_bank", "per_bank"}) == "all_bank" ? models::dram::RefreshMode::AllBank
                                                                            : models::dram::RefreshMode::PerBank;
  c.finish();
  const ConfigNode e = root.child("energy");
  out.readPjPerBit = e.number("read_pj_per_bit", 0, 1e4);
  out.writePjPerBit = e.number("write_pj_per_bit", 0, 1e4);
  out.activatePj = e.number("activate_pj", 0, 1e6);
  out.backgroundMwPerStack = e.number("background_mw_per_stack", 0, 1e6);
  e.finish();
  root.finish();
}

} // namespace llmvp::testbench
