// SPDX-License-Identifier: Apache-2.0
// The checker itself: every rule at its boundary (one cycle early refused,
// exactly on time accepted), bank-state errors, and a deliberately broken
// log of a real run.
#include <functional>
#include <gtest/gtest.h>
#include <sstream>

#include "tests/models/memory/dram/CommandChecker.h"
#include "tests/models/memory/dram/DramTestSupport.h"

namespace llmvp::test {
namespace {
using namespace models::dram;

CommandRecord cmd(Cycle at, Command c, std::uint32_t bank = 0, std::uint32_t row = 0, std::uint32_t pc = 0,
                  std::uint32_t banksPerGroup = 4) {
  return {at, c, 0, pc, bank / banksPerGroup, bank, row, 0};
}

struct Boundary {
  const char* name;
  /// The commands before the one under test, and the earliest legal start cycle of it.
  std::function<std::vector<CommandRecord>(const DramCycles&)> before;
  std::function<CommandRecord(const DramCycles&, Cycle)> under;
  std::function<Cycle(const DramCycles&)> earliest;
};

// Banks: 0 and 1 share bank group 0; bank 4 is in bank group 1 (4 banks per group).
std::vector<Boundary> boundaries() {
  const auto act0 = [](const DramCycles&) { return std::vector<CommandRecord>{cmd(0, Command::ACT, 0)}; };
  const auto open01 = [](const DramCycles& t) {
    return std::vector<CommandRecord>{cmd(0, Command::ACT, 0), cmd(t.RRD_L, Command::ACT, 1),
                                      cmd(t.RRD_L + t.RRD_S, Command::ACT, 4)};
  };
  const Cycle ready = 400; // every bank open and past tRCD by then
  return {
      {"tRCDRD", act0, [](const DramCycles&, Cycle c) { return cmd(c, Command::RD, 0); },
       [](const DramCycles& t) { return Cycle{1} + t.RCDRD; }},
      {"tRCDWR", act0, [](const DramCycles&, Cycle c) { return cmd(c, Command::WR, 0); },
       [](const DramCycles& t) { return Cycle{1} + t.RCDWR; }},
      {"tRAS", act0, [](const DramCycles&, Cycle c) { return cmd(c, Command::PRE, 0); },
       [](const DramCycles& t) { return Cycle{1} + t.RAS; }},
      {"tRP",
       [](const DramCycles& t) {
         return std::vector<CommandRecord>{cmd(0, Command::ACT, 0), cmd(1 + t.RAS, Command::PRE, 0)};
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::ACT, 0, 1); },
       [](const DramCycles& t) { return std::max<Cycle>(1 + t.RAS + t.RP, 1 + t.RC) - (t.actCycles - 1); }},
      {"tRRD_L", act0, [](const DramCycles&, Cycle c) { return cmd(c, Command::ACT, 1); },
       [](const DramCycles& t) { return Cycle{t.RRD_L}; }},
      {"tRRD_S", act0, [](const DramCycles&, Cycle c) { return cmd(c, Command::ACT, 4); },
       [](const DramCycles& t) { return Cycle{t.RRD_S}; }},
      {"tCCD_L",
       [=](const DramCycles& t) {
         auto v = open01(t);
         v.push_back(cmd(ready, Command::RD, 0));
         return v;
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::RD, 1); },
       [=](const DramCycles& t) { return ready + t.CCD_L; }},
      {"tCCD_S",
       [=](const DramCycles& t) {
         auto v = open01(t);
         v.push_back(cmd(ready, Command::RD, 0));
         return v;
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::RD, 4); },
       [=](const DramCycles& t) { return ready + t.CCD_S; }},
      {"tRTW",
       [=](const DramCycles& t) {
         auto v = open01(t);
         v.push_back(cmd(ready, Command::RD, 0));
         return v;
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::WR, 4); },
       [=](const DramCycles& t) { return ready + t.RTW; }},
      {"tWTR_L",
       [=](const DramCycles& t) {
         auto v = open01(t);
         v.push_back(cmd(ready, Command::WR, 0));
         return v;
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::RD, 1); },
       [=](const DramCycles& t) { return ready + t.WL + t.burstCycles + t.WTR_L; }},
      {"tWTR_S",
       [=](const DramCycles& t) {
         auto v = open01(t);
         v.push_back(cmd(ready, Command::WR, 0));
         return v;
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::RD, 4); },
       [=](const DramCycles& t) { return ready + t.WL + t.burstCycles + t.WTR_S; }},
      {"tRTP",
       [=](const DramCycles& t) {
         auto v = open01(t);
         v.push_back(cmd(ready, Command::RD, 0));
         return v;
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::PRE, 0); },
       [=](const DramCycles& t) { return ready + t.RTP; }},
      {"tWR",
       [=](const DramCycles& t) {
         auto v = open01(t);
         v.push_back(cmd(ready, Command::WR, 0));
         return v;
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::PRE, 0); },
       [=](const DramCycles& t) { return ready + t.WL + t.burstCycles + t.WR; }},
      {"tFAW",
       [](const DramCycles& t) {
         std::vector<CommandRecord> v;
         for (std::uint32_t i = 0; i < 4; ++i) v.push_back(cmd(Cycle{i} * t.RRD_S, Command::ACT, i * 4));
         return v;
       },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::ACT, 1); },
       [](const DramCycles& t) {
         return std::max<Cycle>({Cycle{t.FAW}, Cycle{3} * t.RRD_S + t.RRD_S, Cycle{t.RRD_L}});
       }},
      {"tRFC", [](const DramCycles&) { return std::vector<CommandRecord>{cmd(0, Command::REFab)}; },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::ACT, 3); },
       [](const DramCycles& t) { return Cycle{t.RFC} - 1; }},
      {"tRFCpb", [](const DramCycles&) { return std::vector<CommandRecord>{cmd(0, Command::REFpb, 2)}; },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::ACT, 2); },
       [](const DramCycles& t) { return Cycle{t.RFCpb} - 1; }},
      {"tRREFD_ACT", [](const DramCycles&) { return std::vector<CommandRecord>{cmd(0, Command::REFpb, 2)}; },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::ACT, 5); },
       [](const DramCycles& t) { return Cycle{t.RREFD_ACT} - 1; }},
      {"tRREFD", [](const DramCycles&) { return std::vector<CommandRecord>{cmd(0, Command::REFpb, 2)}; },
       [](const DramCycles&, Cycle c) { return cmd(c, Command::REFpb, 5); },
       [](const DramCycles& t) { return Cycle{t.RREFD}; }},
  };
}

class CheckerBoundary : public testing::TestWithParam<std::string> {};

TEST_P(CheckerBoundary, OneCycleEarlyRefusedOnTimeAccepted) {
  const DramParams p = loadPreset(GetParam());
  if (p.banksPerGroup != 4) GTEST_SKIP() << "the cases assume 4 banks per bank group";
  const CommandChecker checker(p);
  for (const Boundary& b : boundaries()) {
    const Cycle at = b.earliest(p.c);
    auto onTime = b.before(p.c);
    onTime.push_back(b.under(p.c, at));
    EXPECT_TRUE(checker.check(onTime).empty()) << b.name << " at " << at << ": " << checker.check(onTime)[0];
    auto early = b.before(p.c);
    early.push_back(b.under(p.c, at - 1));
    const auto v = checker.check(early);
    ASSERT_FALSE(v.empty()) << b.name << " one cycle early was accepted";
    bool named = false;
    for (const auto& m : v) named = named || m.find(b.name) != std::string::npos;
    EXPECT_TRUE(named) << b.name << ": " << v[0];
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, CheckerBoundary, testing::Values("hbm2", "hbm3e-8000", "lpddr5x-8533"),
                         [](const auto& i) {
                           std::string s = i.param;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

TEST(Checker, BankStateErrors) {
  const DramParams p = loadPreset("hbm3e-8000");
  const CommandChecker checker(p);
  const auto first = [&](std::vector<CommandRecord> log) {
    const auto v = checker.check(log);
    return v.empty() ? std::string() : v[0];
  };
  EXPECT_NE(first({cmd(0, Command::RD, 0)}).find("is not open"), std::string::npos);
  EXPECT_NE(first({cmd(0, Command::ACT, 0, 1), cmd(100, Command::RD, 0, 2)}).find("row 2 is not open (row 1 is)"),
            std::string::npos);
  EXPECT_NE(first({cmd(0, Command::ACT, 0), cmd(200, Command::ACT, 0)}).find("already has row"), std::string::npos);
  EXPECT_NE(first({cmd(0, Command::ACT, 0), cmd(200, Command::REFab)}).find("not precharged"), std::string::npos);
  EXPECT_NE(first({cmd(0, Command::ACT, 0), cmd(1, Command::PRE, 4)}).find("command bus"), std::string::npos);
  // Auto-precharge: the row is closed, and the bank busy until tRP after it.
  const Cycle rda = 1 + p.c.RCDRD;
  const Cycle pre = std::max<Cycle>(rda + p.c.RTP, 1 + p.c.RAS);
  EXPECT_NE(first({cmd(0, Command::ACT, 0), cmd(rda, Command::RDA, 0), cmd(pre + p.c.RP - 2, Command::ACT, 0)})
                .find("auto-precharging"),
            std::string::npos);
  EXPECT_EQ(first({cmd(0, Command::ACT, 0), cmd(rda, Command::RDA, 0),
                   cmd(std::max<Cycle>(pre + p.c.RP, 1 + p.c.RC) - 1, Command::ACT, 0)}),
            "");
}

TEST(Checker, DeliberatelyViolatingLogOfARealRunFails) {
  const DramParams p = loadPreset("hbm3e-8000");
  auto log = drive(p, randomTraffic(p, 3000, 0.3, 1, 5));
  const CommandChecker checker(p);
  ASSERT_TRUE(checker.check(log).empty()) << checker.check(log)[0];
  // Move one column command a cycle earlier than the controller put it.
  std::size_t moved = 0;
  for (std::size_t i = 1; i < log.size() && moved == 0; ++i)
    if (isColumn(log[i].cmd) && log[i - 1].cycle < log[i].cycle - 1 && log[i].cycle - 1 > 0) {
      bool binding = false;
      auto copy = log;
      copy[i].cycle -= 1;
      binding = !checker.check(copy).empty();
      if (binding) {
        log = copy;
        moved = i;
      }
    }
  ASSERT_NE(moved, 0u) << "no command sits exactly on a constraint";
  EXPECT_FALSE(checker.check(log).empty());
  // And the text form round-trips.
  CommandLog text;
  for (const auto& r : log) text.record(r);
  std::stringstream ss;
  text.write(ss);
  EXPECT_FALSE(checker.check(CommandLog::parse(ss)).empty());
}

} // namespace
} // namespace llmvp::test
