// SPDX-License-Identifier: Apache-2.0
#include "tests/models/memory/dram/CommandChecker.h"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>

namespace llmvp::test {

using models::dram::Command;
using models::dram::CommandRecord;
using models::dram::Cycle;

namespace {
enum class Scope { Bank, Group, Pc }; ///< the narrowest scope at which a rule applies

struct Rule {
  Command from, to;
  Scope scope;
  Cycle distance; ///< minimum effective-cycle distance
  const char* name;
};

bool isRd(Command c) { return c == Command::RD || c == Command::RDA; }
bool isRow(Command c) { return !models::dram::isColumn(c); }

std::string show(const CommandRecord& r) {
  std::ostringstream s;
  s << commandName(r.cmd) << "@" << r.cycle << "(ch" << r.channel << " pc" << r.pc << " bg" << r.bankGroup << " b"
    << r.bank << " row" << r.row << ")";
  return s.str();
}
} // namespace

CommandChecker::CommandChecker(const models::dram::DramParams& p) : p_(p) {}

std::vector<std::string> CommandChecker::check(const std::vector<CommandRecord>& log, std::size_t maxMessages) const {
  const auto& t = p_.c;
  const Cycle burst = t.burstCycles;
  std::vector<Rule> rules;
  const auto add = [&](Command a, Command b, Scope s, Cycle d, const char* n) { rules.push_back({a, b, s, d, n}); };
  for (Command rd : {Command::RD, Command::RDA})
    for (Command wr : {Command::WR, Command::WRA}) {
      add(Command::ACT, rd, Scope::Bank, t.RCDRD, "tRCDRD");
      add(Command::ACT, wr, Scope::Bank, t.RCDWR, "tRCDWR");
      add(rd, wr, Scope::Pc, t.RTW, "tRTW");
      add(wr, rd, Scope::Group, t.WL + burst + t.WTR_L, "WL+BL+tWTR_L");
      add(wr, rd, Scope::Pc, t.WL + burst + t.WTR_S, "WL+BL+tWTR_S");
    }
  for (Command a : {Command::RD, Command::RDA})
    for (Command b : {Command::RD, Command::RDA}) {
      add(a, b, Scope::Group, t.CCD_L, "tCCD_L");
      add(a, b, Scope::Pc, t.CCD_S, "tCCD_S");
    }
  for (Command a : {Command::WR, Command::WRA})
    for (Command b : {Command::WR, Command::WRA}) {
      add(a, b, Scope::Group, t.CCD_L, "tCCD_L");
      add(a, b, Scope::Pc, t.CCD_S, "tCCD_S");
    }
  add(Command::ACT, Command::ACT, Scope::Bank, t.RC, "tRC");
  add(Command::ACT, Command::ACT, Scope::Group, t.RRD_L, "tRRD_L");
  add(Command::ACT, Command::ACT, Scope::Pc, t.RRD_S, "tRRD_S");
  add(Command::ACT, Command::PRE, Scope::Bank, t.RAS, "tRAS");
  add(Command::ACT, Command::PREA, Scope::Pc, t.RAS, "tRAS");
  add(Command::PRE, Command::ACT, Scope::Bank, t.RP, "tRP");
  add(Command::PREA, Command::ACT, Scope::Pc, t.RP, "tRP");
  add(Command::RD, Command::PRE, Scope::Bank, t.RTP, "tRTP");
  add(Command::RD, Command::PREA, Scope::Pc, t.RTP, "tRTP");
  add(Command::WR, Command::PRE, Scope::Bank, t.WL + burst + t.WR, "WL+BL+tWR");
  add(Command::WR, Command::PREA, Scope::Pc, t.WL + burst + t.WR, "WL+BL+tWR");
  add(Command::REFab, Command::ACT, Scope::Pc, t.RFC, "tRFC");
  add(Command::REFab, Command::REFab, Scope::Pc, t.RFC, "tRFC");
  add(Command::REFab, Command::REFpb, Scope::Pc, t.RFC, "tRFC");
  add(Command::PRE, Command::REFab, Scope::Pc, t.RP, "tRP");
  add(Command::PREA, Command::REFab, Scope::Pc, t.RP, "tRP");
  add(Command::ACT, Command::REFab, Scope::Pc, t.RC, "tRC");
  add(Command::REFpb, Command::ACT, Scope::Bank, t.RFCpb, "tRFCpb");
  add(Command::REFpb, Command::ACT, Scope::Pc, t.RREFD_ACT, "tRREFD_ACT");
  add(Command::REFpb, Command::REFpb, Scope::Bank, t.RFCpb, "tRFCpb");
  add(Command::REFpb, Command::REFpb, Scope::Pc, t.RREFD, "tRREFD");
  add(Command::ACT, Command::REFpb, Scope::Bank, t.RC, "tRC");
  add(Command::ACT, Command::REFpb, Scope::Pc, t.RRD_S, "tRRD_S");
  add(Command::PRE, Command::REFpb, Scope::Bank, t.RP, "tRP");
  add(Command::PREA, Command::REFpb, Scope::Pc, t.RP, "tRP");
  std::map<std::pair<Command, Command>, std::vector<Rule>> byPair;
  std::array<Cycle, models::dram::kCommandKinds> window{};
  for (const Rule& r : rules) {
    byPair[{r.from, r.to}].push_back(r);
    window[static_cast<std::size_t>(r.to)] = std::max(window[static_cast<std::size_t>(r.to)], r.distance);
  }
  // Data-bus overlap needs pairs up to one read latency apart.
  for (Command c : {Command::RD, Command::RDA, Command::WR, Command::WRA})
    window[static_cast<std::size_t>(c)] = std::max<Cycle>(window[static_cast<std::size_t>(c)], t.RL + t.WL + 2 * burst);

  const auto len = [&](Command c) { return c == Command::ACT ? static_cast<Cycle>(t.actCycles) : Cycle{1}; };
  const auto eff = [&](const CommandRecord& r) { return r.cycle + len(r.cmd) - 1; };
  const bool dual = p_.commandBus == models::dram::CommandBus::RowColumn;
  const std::uint32_t banks = p_.banksPerPc();

  std::vector<std::string> out;
  const auto fail = [&](const std::string& m) {
    if (out.size() < maxMessages) out.push_back(m);
  };

  // Split by channel, keeping order.
  std::map<std::uint32_t, std::vector<const CommandRecord*>> channels;
  for (const auto& r : log) channels[r.channel].push_back(&r);
  for (auto& [ch, cmds] : channels) {
    struct BankState {
      bool open = false;
      std::uint32_t row = 0;
      Cycle lastAct = -(Cycle{1} << 40);
      Cycle readyAfterAutoPre = -(Cycle{1} << 40); ///< ACT allowed from here (RDA/WRA)
      bool pendingAutoPre = false;
    };
    std::vector<BankState> bank(std::size_t{p_.pseudoChannels} * banks);
    std::vector<std::vector<Cycle>> acts(p_.pseudoChannels);
    for (std::size_t i = 0; i < cmds.size(); ++i) {
      const CommandRecord& x = *cmds[i];
      const Cycle ex = eff(x);
      if (x.pc >= p_.pseudoChannels || x.bank >= banks || x.bankGroup != x.bank / p_.banksPerGroup) {
        fail(show(x) + ": no such pseudo-channel, bank or bank group");
        continue;
      }
      if (i > 0 && x.cycle < cmds[i - 1]->cycle) fail(show(x) + ": out of time order");
      BankState& b = bank[std::size_t{x.pc} * banks + x.bank];
      // Pairwise rules and bus occupancy against every earlier command in the window.
      const Cycle w = std::max(window[static_cast<std::size_t>(x.cmd)], Cycle{8});
      for (std::size_t j = i; j-- > 0;) {
        const CommandRecord& y = *cmds[j];
        const Cycle ey = eff(y);
        if (ex - ey >= w && x.cycle - y.cycle >= w) break;
        const bool sameBus = !dual || isRow(x.cmd) == isRow(y.cmd);
        if (sameBus && x.cycle < y.cycle + len(y.cmd)) fail(show(x) + " overlaps " + show(y) + " on the command bus");
        if (y.pc != x.pc) continue;
        const bool sameGroup = y.bankGroup == x.bankGroup, sameBank = sameGroup && y.bank == x.bank;
        if (models::dram::isColumn(x.cmd) && models::dram::isColumn(y.cmd)) {
          const Cycle xs = ex + (isRd(x.cmd) ? t.RL : t.WL), ys = ey + (isRd(y.cmd) ? t.RL : t.WL);
          if (xs < ys + burst && ys < xs + burst) fail(show(x) + " and " + show(y) + " overlap on the data bus");
        }
        const auto it = byPair.find({y.cmd, x.cmd});
        if (it == byPair.end()) continue;
        for (const Rule& r : it->second) {
          const bool applies =
              r.scope == Scope::Pc || (r.scope == Scope::Group && sameGroup) || (r.scope == Scope::Bank && sameBank);
          if (applies && ex - ey < r.distance)
            fail(show(x) + " is " + std::to_string(ex - ey) + " cycles after " + show(y) + ", " + r.name + " needs " +
                 std::to_string(r.distance));
        }
      }
      // Auto-precharges that have happened by now close their banks.
      for (auto& s : bank)
        if (s.pendingAutoPre && s.readyAfterAutoPre - static_cast<Cycle>(t.RP) <= ex) {
          s.pendingAutoPre = false;
          s.open = false;
        }
      switch (x.cmd) {
      case Command::ACT: {
        if (b.open) fail(show(x) + ": bank already has row " + std::to_string(b.row) + " open");
        if (ex < b.readyAfterAutoPre)
          fail(show(x) + ": bank is still auto-precharging until " + std::to_string(b.readyAfterAutoPre));
        auto& a = acts[x.pc];
        if (a.size() >= 4 && ex - a[a.size() - 4] < t.FAW)
          fail(show(x) + ": fifth ACT within tFAW = " + std::to_string(t.FAW) + " (4th previous at " +
               std::to_string(a[a.size() - 4]) + ")");
        a.push_back(ex);
        b.open = true;
        b.row = x.row;
        b.lastAct = ex;
        break;
      }
      case Command::PRE:
        if (!b.open) fail(show(x) + ": bank has no open row");
        b.open = false;
        break;
      case Command::PREA:
        for (std::uint32_t k = 0; k < banks; ++k) bank[std::size_t{x.pc} * banks + k].open = false;
        break;
      case Command::RD:
      case Command::RDA:
      case Command::WR:
      case Command::WRA:
        if (!b.open || b.pendingAutoPre || b.row != x.row)
          fail(show(x) + ": row " + std::to_string(x.row) + " is not open" +
               (b.open ? " (row " + std::to_string(b.row) + " is)" : ""));
        if (x.cmd == Command::RDA || x.cmd == Command::WRA) {
          const Cycle pre = std::max(isRd(x.cmd) ? ex + t.RTP : ex + t.WL + burst + t.WR, b.lastAct + t.RAS);
          b.readyAfterAutoPre = pre + t.RP;
          b.pendingAutoPre = true;
        }
        break;
      case Command::REFab:
        for (std::uint32_t k = 0; k < banks; ++k) {
          const BankState& s = bank[std::size_t{x.pc} * banks + k];
          if (s.open || s.pendingAutoPre || ex < s.readyAfterAutoPre)
            fail(show(x) + ": bank " + std::to_string(k) + " is not precharged");
        }
        break;
      case Command::REFpb:
        if (b.open || b.pendingAutoPre || ex < b.readyAfterAutoPre) fail(show(x) + ": bank is not precharged");
        break;
      }
    }
  }
  return out;
}

} // namespace llmvp::test
