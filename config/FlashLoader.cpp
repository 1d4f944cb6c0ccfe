// SPDX-License-Identifier: Apache-2.0
// Flash specs (configs/memory/hbf-*.yaml, kind: flashspec) into HbfParams,
// with the geometry checked for consistency.
#include <cmath>

#include "config/Loaders.h"

namespace llmvp::testbench {

void loadFlashSpec(const std::string& path, Overrides& overrides, const std::string& prefix,
                   models::flash::HbfParams& out) {
  const ConfigNode root = ConfigNode::load(path, &overrides, prefix);
  if (root.choice("kind", {"platform", "model", "memspec", "flashspec"}) != "flashspec")
    root.fail("kind", "expected \"flashspec\"");
  out.name = root.string("name");
  (void)root.string("description");
  {
    const ConfigNode o = root.child("organisation");
    out.channelsPerStack = static_cast<std::uint32_t>(o.integer("channels", 1, 1024));
    out.diesPerStack = static_cast<std::uint32_t>(o.integer("dies", 1, 1024));
    if (out.diesPerStack % out.channelsPerStack != 0)
      o.fail("dies", std::to_string(out.diesPerStack) + " is not a multiple of organisation.channels (" +
                         std::to_string(out.channelsPerStack) + "): every channel serves the same number of dies");
    out.planesPerDie = static_cast<std::uint32_t>(o.integer("planes_per_die", 1, 65536));
    out.blocksPerPlane = static_cast<std::uint32_t>(o.integer("blocks_per_plane", 1, 1u << 24));
    const std::uint64_t pageKib = o.integer("page_kib", 1, 1024);
    const std::uint64_t blockKib = o.integer("block_kib", 1, 1u << 20);
    if (blockKib % pageKib != 0)
      o.fail("block_kib", std::to_string(blockKib) + " is not a multiple of organisation.page_kib (" +
                              std::to_string(pageKib) + ")");
    out.pageBytes = pageKib * 1024;
    out.pagesPerBlock = static_cast<std::uint32_t>(blockKib / pageKib);
    const double gib = o.number("capacity_gib", 1e-6, 1e6);
    const std::uint64_t stated = static_cast<std::uint64_t>(std::llround(gib * 1024 * 1024 * 1024));
    if (stated != out.bytesPerStack())
      o.fail("capacity_gib", std::to_string(gib) + " does not match the geometry: dies x planes_per_die x " +
                                 "blocks_per_plane x block_kib = " + std::to_string(out.diesPerStack) + " x " +
                                 std::to_string(out.planesPerDie) + " x " + std::to_string(out.blocksPerPlane) + " x " +
                                 std::to_string(blockKib) + " KiB = " +
                                 std::to_string(static_cast<double>(out.bytesPerStack()) / (1u << 30)) + " GiB");
    o.finish();
  }
  {
    const ConfigNode t = root.child("timing");
    out.tRns = t.number("tR_us", 0.01, 1e5) * 1000;
    out.tPROGns = t.number("tPROG_us", 0.01, 1e6) * 1000;
    out.tBERSns = t.number("tBERS_ms", 1e-4, 1e4) * 1e6;
    out.channelGBps = t.number("channel_gbps", 1e-3, 1e6);
    out.commandNs = t.number("command_ns", 0, 1e6);
    out.multiPlane = static_cast<std::uint32_t>(t.integer("multi_plane", 1, 65536));
    if (out.multiPlane > out.planesPerDie)
      t.fail("multi_plane", std::to_string(out.multiPlane) + " exceeds organisation.planes_per_die (" +
                                std::to_string(out.planesPerDie) + ")");
    out.cacheRead = t.boolean("cache_read");
    out.controllerNs = t.number("controller_ns", 0, 1e6);
    t.finish();
  }
  {
    const ConfigNode r = root.child("reliability");
    const ConfigNode e = r.child("ecc");
    out.codewordBytes = static_cast<std::uint32_t>(e.integer("codeword_bytes", 1, 1u << 20));
    if (out.pageBytes % out.codewordBytes != 0)
      e.fail("codeword_bytes", std::to_string(out.codewordBytes) + " does not divide the page (" +
                                   std::to_string(out.pageBytes) + " bytes)");
    out.correctableBits = static_cast<std::uint32_t>(e.integer("correctable_bits", 0, 1u << 16));
    out.eccDecodeNs = e.number("decode_ns", 0, 1e6);
    e.finish();
    out.rawBitErrorRate = r.number("raw_bit_error_rate", 0, 1);
    const ConfigNode rr = r.child("read_retry");
    out.maxReadRetries = static_cast<std::uint32_t>(rr.integer("max_retries", 0, 64));
    out.retryRberScale = rr.number("rber_scale", 0, 1);
    rr.finish();
    out.enduranceCycles = static_cast<std::uint32_t>(r.integer("endurance_cycles", 1, 100000000));
    out.seed = r.integer("seed", 0, ~0ull);
    r.finish();
  }
  {
    const ConfigNode e = root.child("energy");
    out.readPjPerBit = e.number("read_pj_per_bit", 0, 1e4);
    out.programPjPerBit = e.number("program_pj_per_bit", 0, 1e5);
    out.erasePjPerBlock = e.number("erase_pj_per_block", 0, 1e12);
    e.finish();
  }
  root.finish();
}

} // namespace llmvp::testbench
