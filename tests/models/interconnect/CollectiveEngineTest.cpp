// SPDX-License-Identifier: Apache-2.0
// CollectiveEngine on the engine bench: a collective runs among the group
// its descriptor names (m chips from chip k, descriptors.h); without a valid
// group it is a device error, not a simulator failure.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "models/interconnect/CollectiveEngine.h"
#include "tests/support/EngineBench.h"

namespace llmvp::test {
namespace {

using namespace models::interconnect;

TopologyParams twoChips() {
  TopologyParams t;
  t.kind = TopologyKind::FullMesh;
  t.chips = 2;
  return t;
}

/// The collectives engine of chip 0 of a two-chip system (chip 1 never calls).
struct CollBench {
  Network net{"net", twoChips()};
  CollectiveGroup group{"group", net, CollectiveParams{}};
  EngineBench b{[this](models::ISemaphoreWait& s) {
                  return std::make_unique<CollectiveEngine>("coll", defaultEngineParams(), s, group, 0, false);
                },
                BenchTiming{}};
};

/// An all-reduce among chips [first, first + ranks).
llmvp_desc allReduce(std::uint32_t first, std::uint32_t ranks) {
  llmvp_desc d = makeDesc(LLMVP_OP_ALL_REDUCE);
  d.dt_in = d.dt_w = d.dt_out = LLMVP_DT_FP32;
  d.src0 = kCtrl + 0x1000;
  d.dst = kCtrl + 0x2000;
  d.n = 16;
  d.m = ranks;
  d.k = first;
  return d;
}

struct BadGroup {
  const char* name;
  std::uint32_t first, ranks;
};

void PrintTo(const BadGroup& g, std::ostream* os) { *os << g.name; }

class CollectiveEngineGroup : public testing::TestWithParam<BadGroup> {};

TEST_P(CollectiveEngineGroup, AnInvalidGroupIsADeviceError) {
  CollBench t;
  t.b.runDescs({allReduce(GetParam().first, GetParam().ranks)});
  EXPECT_EQ(t.b.reg(ENG_STATUS), ENG_STATUS_ERROR);
  EXPECT_EQ(t.b.reg(ENG_ERR_CODE), ENG_ERR_GROUP);
  EXPECT_EQ(t.b.reg(ENG_ERR_INDEX), 0u);
  EXPECT_EQ(t.b.reg(ENG_ERR_INFO), ENG_FIELD_DIMS);
  EXPECT_EQ(t.b.reg(ENG_IRQ_STATUS) & ENG_IRQ_ERROR, ENG_IRQ_ERROR);
  EXPECT_EQ(t.b.reg(ENG_COMPLETED), 0u);
  EXPECT_EQ(t.group.stats().value("calls"), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Groups, CollectiveEngineGroup,
                         testing::Values(BadGroup{"NotProgrammed", 0, 0}, BadGroup{"WithoutThisChip", 1, 1},
                                         BadGroup{"BeyondTheSystem", 0, 3}),
                         [](const testing::TestParamInfo<BadGroup>& i) { return std::string(i.param.name); });

} // namespace
} // namespace llmvp::test
