// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "models/memory/dram/AddressMapping.h"
#include "tests/models/memory/dram/DramTestSupport.h"

namespace llmvp::test {
namespace {
using namespace models::dram;

TEST(AddressMapping, ReferenceMappingsPutBitsWhereDocumented) {
  // dram-reference-sim.md `brc`: byte 0-2, column 3-9, row 10-24, bank 25-26, bank group 27-28, pc 29, stack 30.
  DramParams p = loadPreset("hbm2", 1, {"controller.address_mapping=By3 Co7 Ro15 Ba Bg Pc Xx1"});
  const AddressMapper brc(p);
  const DramAddress a = brc.decode((5ull << 3) | (1234ull << 10) | (2ull << 25) | (3ull << 27) | (1ull << 29));
  EXPECT_EQ(a.column, 5u);
  EXPECT_EQ(a.row, 1234u);
  EXPECT_EQ(a.bank, 3u * 4 + 2);
  EXPECT_EQ(a.bankGroup, 3u);
  EXPECT_EQ(a.pc, 1u);
  EXPECT_EQ(brc.decode(1ull << 30).row, 0u); // the stack bit aliases
  EXPECT_EQ(brc.limitBytes(), 1ull << 31);
  // `il`: column 3-5 and 11-14, pc 6, bank group 7-8, bank 9-10, stack 15, row 16-30.
  const AddressMapper il(loadPreset("hbm2"));
  const DramAddress b = il.decode((3ull << 3) | (1ull << 6) | (2ull << 7) | (1ull << 9) | (9ull << 11) | (77ull << 16));
  EXPECT_EQ(b.column, 3u + (9u << 3));
  EXPECT_EQ(b.pc, 1u);
  EXPECT_EQ(b.bankGroup, 2u);
  EXPECT_EQ(b.bank, 2u * 4 + 1);
  EXPECT_EQ(b.row, 77u);
  EXPECT_EQ(il.runBytes(), 64u);
}

TEST(AddressMapping, EncodeInvertsDecodeForEveryPreset) {
  for (const auto& name : presetNames()) {
    const DramParams p = loadPreset(name, name == "hbm2" ? 1 : 4);
    const AddressMapper m(p);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 2000; ++i) {
      const std::uint64_t addr = (rng() % p.organisationBytes()) & ~std::uint64_t{p.widthBits / 8 - 1};
      const DramAddress d = m.decode(addr);
      EXPECT_LT(d.channel, p.channels() / p.pseudoChannels) << name;
      EXPECT_LT(d.bank, p.banksPerPc()) << name;
      const DramAddress back = m.decode(m.encode(d));
      EXPECT_TRUE(back.channel == d.channel && back.pc == d.pc && back.bank == d.bank && back.row == d.row &&
                  back.column == d.column)
          << name << " " << addr;
      if (m.ignoredBits() == 0) {
        EXPECT_EQ(m.encode(d), addr) << name << " " << addr;
      }
    }
  }
}

TEST(AddressMapping, BankOfIsTheDecodedBank) {
  // Every preset (SIDs folded into bank groups where a mapping has them), and
  // 5 stacks, where the address is first expanded by the stack digit.
  std::vector<DramParams> specs;
  for (const auto& name : presetNames()) specs.push_back(loadPreset(name, name == "hbm2" ? 1 : 4));
  specs.push_back(loadPreset("hbm3e-8000", 5));
  specs.push_back(loadPreset("hbm3e-8000", 1,
                             {"organisation.stack_ids=2", "controller.address_mapping=By2 Co6 Pc Ch Si Bg Ba Co Ro"}));
  for (const DramParams& p : specs) {
    const AddressMapper m(p);
    std::mt19937_64 rng(11);
    for (int i = 0; i < 4000; ++i) {
      const std::uint64_t addr = rng() % p.organisationBytes();
      ASSERT_EQ(m.bankOf(addr), m.decode(addr).bank) << p.name << " stacks " << p.stacks << " address " << addr;
    }
  }
}

TEST(AddressMapping, StacksSitAboveTheChannelBits) {
  DramParams p = loadPreset("hbm3e-8000", 8);
  const AddressMapper m(p);
  // 256 B per pseudo-channel, 2 pseudo-channels, 16 channels, then 8 stacks.
  EXPECT_EQ(m.decode(256).pc, 1u);
  EXPECT_EQ(m.decode(512).channel, 1u);
  EXPECT_EQ(m.decode(512ull * 16).channel, 16u);
  EXPECT_EQ(m.decode(512ull * 16 * 7).channel, 16u * 7);
}

TEST(AddressMapping, StacksThatAreNotAPowerOfTwoTakeTheAddressModuloTheStacks) {
  // 5 stacks (H100-class): the stack is the address above the channel bits
  // modulo 5; every channel is reached and encode inverts decode.
  const DramParams p = loadPreset("hbm3e-8000", 5);
  const AddressMapper m(p);
  const std::uint64_t stackStride = 512ull * 16; // 2 pseudo-channels x 256 B x 16 channels
  EXPECT_EQ(m.decode(stackStride * 4).channel, 16u * 4);
  const DramAddress wrapped = m.decode(stackStride * 5);
  EXPECT_EQ(wrapped.channel, 0u);
  EXPECT_NE(wrapped.bank, m.decode(0).bank); // the next bank group, as after 8 stacks with a power of two
  std::vector<int> seen(p.channels() / p.pseudoChannels, 0);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 4000; ++i) {
    const std::uint64_t addr = (rng() % p.organisationBytes()) & ~std::uint64_t{p.widthBits / 8 - 1};
    const DramAddress d = m.decode(addr);
    ASSERT_LT(d.channel, seen.size()) << addr;
    ++seen[d.channel];
    EXPECT_EQ(m.encode(d), addr) << addr;
  }
  for (std::size_t c = 0; c < seen.size(); ++c) EXPECT_GT(seen[c], 0) << "channel " << c;
}

TEST(AddressMapping, BadMappingsAreRejectedWithTheReason) {
  DramParams p = loadPreset("hbm2");
  const auto reason = [&](const std::string& text) {
    try {
      p.ctrl.mapping = parseMapping(text);
      (void)AddressMapper(p);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(reason("By3 Co3 Pc Bg Ba Co Qq Ro").find("is not a field"), std::string::npos);
  EXPECT_NE(reason("By3 Co3 Pc Bg Ba Ro").find("column needs 7 bits"), std::string::npos);
  EXPECT_NE(reason("By3 Co9 Pc Bg Ba Ro").find("has only 7 bits"), std::string::npos);
  EXPECT_NE(reason("Co3 By3 Pc Bg Ba Co Ro").find("lowest bits"), std::string::npos);
  EXPECT_NE(reason("By3 Co3 Pc Bg Ba Co Xx Ro").find("Xx needs a bit count"), std::string::npos);
  EXPECT_EQ(reason("By3 Co3 Pc Bg Ba Co Xx1 Ro"), "");
}

} // namespace
} // namespace llmvp::test
