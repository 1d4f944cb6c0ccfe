// SPDX-License-Identifier: Apache-2.0
// platform::System: one chip is that chip alone (a platform file); several
// share a network and collectives inside the module "system".
#include <gtest/gtest.h>
#include <stdexcept>

#include "config/Loaders.h"
#include "platform/System.h"
#include "tests/support/Cli.h"

namespace llmvp::platform {
namespace {

int noFirmware() { return 0; }

testbench::PlatformConfig load(const std::string& file, const std::vector<std::string>& sets = {}) {
  testbench::Overrides overrides;
  for (const auto& s : sets) overrides.add(s);
  return testbench::loadPlatform(test::config(file), overrides);
}

TEST(System, OneChipIsThatChipAlone) {
  const testbench::PlatformConfig pc = load("platforms/baseline.yaml");
  ASSERT_EQ(pc.system.chips, 1u);
  System system(pc.chip, pc.system, &noFirmware);
  ASSERT_EQ(system.chipCount(), 1u);
  EXPECT_FALSE(system.networked());
  EXPECT_STREQ(system.chip(0).name(), "chip0"); // a top-level module, as a chip on its own
  EXPECT_EQ(system.chip(0).collectives(), nullptr);
  EXPECT_EQ(sc_core::sc_find_object("system"), nullptr);
  EXPECT_THROW((void)system.network(), std::logic_error);
  EXPECT_THROW((void)system.group(), std::logic_error);
}

TEST(System, SeveralChipsShareANetwork) {
  const testbench::PlatformConfig pc = load("systems/lowlat8.yaml", {"system.chips=2", "system.parallel.tensor=2"});
  System system(pc.chip, pc.system, &noFirmware);
  ASSERT_EQ(system.chipCount(), 2u);
  EXPECT_TRUE(system.networked());
  EXPECT_STREQ(system.chip(1).name(), "system.chip1");
  EXPECT_NE(system.chip(1).collectives(), nullptr);
  EXPECT_STREQ(system.network().name(), "system.network");
  EXPECT_FALSE(system.network().links().empty());
}

} // namespace
} // namespace llmvp::platform
