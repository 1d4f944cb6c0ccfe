// SPDX-License-Identifier: Apache-2.0
// StatsGroup lookups: a statistic the group does not have is an error that
// names the group and the statistic; optional statistics are read with
// find() or valueOr().
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "models/common/Stats.h"

namespace llmvp::test {
namespace {

using models::StatsGroup;
using models::Unit;

TEST(StatsGroup, ValueReadsAStatistic) {
  StatsGroup g("chip0.tile0");
  g.add("busy", "time busy", Unit::Ps) += 5;
  EXPECT_EQ(g.value("busy"), 5.0);
}

TEST(StatsGroup, UnknownNameIsAnErrorNamingGroupAndStatistic) {
  StatsGroup g("chip0.tile0");
  g.add("busy", "time busy", Unit::Ps) += 5;
  try {
    (void)g.value("bussy");
    FAIL() << "value() of an unknown statistic returned";
  } catch (const std::out_of_range& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("chip0.tile0"), std::string::npos) << what;
    EXPECT_NE(what.find("bussy"), std::string::npos) << what;
  }
}

TEST(StatsGroup, OptionalStatisticsSayWhenAbsent) {
  StatsGroup g("chip0.dma0");
  EXPECT_EQ(g.find("sem.2.wait"), nullptr);
  EXPECT_EQ(g.valueOr("sem.2.wait", 0), 0.0);
  g.add("sem.2.wait", "time blocked waiting on semaphore 2", Unit::Ps) += 7;
  ASSERT_NE(g.find("sem.2.wait"), nullptr);
  EXPECT_EQ(g.find("sem.2.wait")->value, 7.0);
  EXPECT_EQ(g.valueOr("sem.2.wait", 0), 7.0);
}

} // namespace
} // namespace llmvp::test
