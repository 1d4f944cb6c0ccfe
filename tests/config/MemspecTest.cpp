// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "tests/models/memory/dram/DramTestSupport.h"

namespace llmvp::test {
namespace {

TEST(Memspec, PeakBandwidthIsDerivedFromTheOrganisation) {
  // devices.md: HBM3 819 GB/s, HBM3E ~1.2 TB/s at 9.6, HBM4 2 TB/s; dram-reference-sim.md: HBM2 32 GB/s.
  EXPECT_DOUBLE_EQ(loadPreset("hbm2").peakGBps(), 32.0);
  EXPECT_DOUBLE_EQ(loadPreset("hbm3-6400").peakGBps(), 819.2);
  EXPECT_DOUBLE_EQ(loadPreset("hbm3e-8000").peakGBps(), 1024.0);
  EXPECT_NEAR(loadPreset("hbm3e-9600").peakGBps(), 1228.8, 1e-9);
  EXPECT_DOUBLE_EQ(loadPreset("hbm4-8000").peakGBps(), 2048.0);
  EXPECT_NEAR(loadPreset("lpddr5x-8533").peakGBps(), 68.27, 0.01);
  EXPECT_DOUBLE_EQ(loadPreset("ddr5-6400").peakGBps(), 51.2);
}

TEST(Memspec, FastModelTimingIsDerivedFromCycles) {
  const auto p = loadPreset("hbm3e-8000");
  EXPECT_DOUBLE_EQ(p.t.tRCD, 29 * 0.5);
  EXPECT_DOUBLE_EQ(p.t.tRFCpb, 266.0);
  EXPECT_DOUBLE_EQ(p.t.tREFI, 3900.0);
  EXPECT_EQ(p.c.burstCycles, 2u);
  EXPECT_EQ(loadPreset("ddr5-6400").c.burstCycles, 8u);
  EXPECT_EQ(loadPreset("lpddr5x-8533").c.burstCycles, 2u);
}

std::string loadError(const std::string& name, const std::vector<std::string>& sets) {
  try {
    (void)loadPreset(name, 1, sets);
  } catch (const testbench::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Memspec, BadValuesNameKeyAndReason) {
  EXPECT_NE(loadError("hbm3e-8000", {"timing.CCD_S=1"}).find("timing.CCD_S: 1 is below the burst"), std::string::npos);
  EXPECT_NE(loadError("hbm3e-8000", {"organisation.data_rate_gbps=7.0"}).find("expected a whole number"),
            std::string::npos);
  EXPECT_NE(
      loadError("hbm3e-8000", {"controller.address_mapping=By2 Co6 Pc Ch Bg Ro"}).find("controller.address_mapping"),
      std::string::npos);
  EXPECT_NE(loadError("hbm3e-8000", {"controller.scheduler=lottery"}).find("is not one of"), std::string::npos);
  EXPECT_NE(loadError("hbm3e-8000", {"controller.write_low_watermark=30"}).find("below write_high_watermark"),
            std::string::npos);
  EXPECT_NE(loadError("hbm3e-8000", {"organisation.rows=1000"}).find("not a power of two"), std::string::npos);
  EXPECT_NE(loadError("hbm3e-8000", {"timing.RFC=9000"}).find("must be below REFI"), std::string::npos);
  EXPECT_NE(loadError("hbm3e-8000", {"timing.tRFC=9000"}).find("no key"), std::string::npos);
}

TEST(Memspec, UnknownAndMissingKeysAreErrors) {
  ScratchDir dir("memspec-keys");
  const std::string good = slurp(config("memory/hbm2.yaml"));
  dir.write("unknown.yaml", good + "extra: 1\n");
  dir.write("missing.yaml", std::string(good).replace(good.find("  RTW: 18"), 10, ""));
  for (const auto& [file, expect] : std::vector<std::pair<std::string, std::string>>{
           {"unknown.yaml", "extra: unknown key"}, {"missing.yaml", "timing.RTW: missing required key"}}) {
    testbench::Overrides o;
    models::dram::DramParams p;
    try {
      testbench::loadMemspec(dir.file(file), o, "", p);
      ADD_FAILURE() << file << " loaded";
    } catch (const testbench::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
    }
  }
}

} // namespace
} // namespace llmvp::test
