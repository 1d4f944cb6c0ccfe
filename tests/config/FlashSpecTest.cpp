// SPDX-License-Identifier: Apache-2.0
// Flash specs (kind: flashspec): every shipped spec loads, emits and
// reloads to the same HbfParams; the presets' derived peak bandwidth and
// capacity are the ones their comments derive.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/Loaders.h"
#include "tests/support/TempDir.h"

namespace llmvp::testbench {
namespace {

namespace fs = std::filesystem;

std::string configDir() {
  const char* d = std::getenv("LLMVP_SOURCE_DIR");
  return std::string(d ? d : LLMVP_SOURCE_DIR_DEFAULT) + "/configs/memory";
}

std::string emitFlash(const models::flash::HbfParams& p) {
  std::ostringstream o;
  o.precision(17);
  const auto kib = [](std::uint64_t b) { return b / 1024; };
  o << "kind: flashspec\nname: " << p.name << "\ndescription: round trip\n"
    << "organisation:\n  channels: " << p.channelsPerStack << "\n  dies: " << p.diesPerStack
    << "\n  planes_per_die: " << p.planesPerDie << "\n  blocks_per_plane: " << p.blocksPerPlane
    << "\n  block_kib: " << kib(p.blockBytes()) << "\n  page_kib: " << kib(p.pageBytes)
    << "\n  capacity_gib: " << static_cast<double>(p.bytesPerStack()) / (1ull << 30)
    << "\ntiming:\n  tR_us: " << p.tRns / 1000 << "\n  tPROG_us: " << p.tPROGns / 1000
    << "\n  tBERS_ms: " << p.tBERSns / 1e6 << "\n  channel_gbps: " << p.channelGBps << "\n  command_ns: " << p.commandNs
    << "\n  multi_plane: " << p.multiPlane << "\n  cache_read: " << (p.cacheRead ? "true" : "false")
    << "\n  controller_ns: " << p.controllerNs << "\nreliability:\n  ecc:\n    codeword_bytes: " << p.codewordBytes
    << "\n    correctable_bits: " << p.correctableBits << "\n    decode_ns: " << p.eccDecodeNs
    << "\n  raw_bit_error_rate: " << p.rawBitErrorRate << "\n  read_retry:\n    max_retries: " << p.maxReadRetries
    << "\n    rber_scale: " << p.retryRberScale << "\n  endurance_cycles: " << p.enduranceCycles
    << "\n  seed: " << p.seed << "\nenergy:\n  read_pj_per_bit: " << p.readPjPerBit
    << "\n  program_pj_per_bit: " << p.programPjPerBit << "\n  erase_pj_per_block: " << p.erasePjPerBlock << "\n";
  return o.str();
}

TEST(FlashSpec, EveryShippedSpecRoundTrips) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(configDir())) {
    if (entry.path().extension() != ".yaml" || configKind(entry.path().string()) != ConfigKind::Flashspec) continue;
    SCOPED_TRACE(entry.path().string());
    Overrides none;
    models::flash::HbfParams a;
    loadFlashSpec(entry.path().string(), none, "chip.hbf.flashspec.", a);
    test::TempDir dir;
    std::ofstream(dir.file("flash.yaml")) << emitFlash(a);
    models::flash::HbfParams b;
    loadFlashSpec(dir.file("flash.yaml"), none, "chip.hbf.flashspec.", b);
    EXPECT_EQ(emitFlash(a), emitFlash(b));
    EXPECT_EQ(a.capacityBytes(), b.capacityBytes());
    EXPECT_DOUBLE_EQ(a.peakReadGBps(), b.peakReadGBps());
    ++n;
  }
  EXPECT_GE(n, 2);
}

TEST(FlashSpec, PresetsDeriveTheirCommentedBandwidthAndCapacity) {
  Overrides none;
  models::flash::HbfParams gen1, slow;
  loadFlashSpec(configDir() + "/hbf-gen1.yaml", none, "chip.hbf.flashspec.", gen1);
  loadFlashSpec(configDir() + "/hbf-gen1-slow-tr.yaml", none, "chip.hbf.flashspec.", slow);
  EXPECT_EQ(gen1.bytesPerStack(), 512ull << 30);
  // 16 x 16384 / (16384 / 102.4 + 20 / 4) ns = 1589 GB/s (channels bound it).
  EXPECT_NEAR(gen1.peakReadGBpsPerStack(), 16 * 16384 / (16384 / 102.4 + 5.0), 1e-6);
  // 2048 planes x 16384 B / 40 us = 839 GB/s (planes bound it).
  EXPECT_NEAR(slow.peakReadGBpsPerStack(), 2048 * 16384 / 40000.0, 1e-6);
  EXPECT_LT(slow.peakReadGBpsPerStack(), gen1.peakReadGBpsPerStack());
}

} // namespace
} // namespace llmvp::testbench
