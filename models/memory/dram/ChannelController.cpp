// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/ChannelController.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace llmvp::models::dram {

namespace {
/// "Long ago": every constraint measured from it is already met.
constexpr Cycle kPast = -(Cycle{1} << 40);
} // namespace

ChannelController::ChannelController(const DramParams& p, std::uint32_t channel, ICommandRecorder* recorder)
    : t_(p.c), channel_(channel), pcs_(p.pseudoChannels), banksPerPc_(p.banksPerPc()), banksPerGroup_(p.banksPerGroup),
      groupsPerPc_(p.banksPerPc() / p.banksPerGroup), burstLength_(p.burstLength),
      dualBus_(p.commandBus == CommandBus::RowColumn), closedPage_(p.ctrl.pagePolicy == PagePolicy::Closed),
      perBankRefresh_(p.refresh == RefreshMode::PerBank), grouped_(p.ctrl.scheduler == SchedulerKind::FrFcfsGrouped),
      perBankBuffer_(p.ctrl.perBankBuffer), hitsFirst_(p.ctrl.scheduler != SchedulerKind::Fifo),
      readCap_(p.ctrl.requestBuffer), writeCap_(p.ctrl.writeBuffer),
      refInterval_(perBankRefresh_ ? static_cast<Cycle>(p.c.REFI / p.banksPerPc()) : static_cast<Cycle>(p.c.REFI)),
      recorder_(recorder), scheduler_(makeScheduler(p.ctrl)),
      banks_(std::size_t{pcs_} * banksPerPc_, Bank{kPast, kPast, kPast, kPast}),
      groups_(std::size_t{pcs_} * groupsPerPc_, Group{kPast, kPast, kPast}),
      pcState_(pcs_, PcState{kPast, kPast, kPast, kPast, {kPast, kPast, kPast, kPast}}),
      entries_((perBankBuffer_ ? std::size_t{pcs_} * banksPerPc_ * readCap_ : readCap_) + (grouped_ ? writeCap_ : 0)),
      bankQueue_(std::size_t{pcs_} * banksPerPc_), bankReads_(std::size_t{pcs_} * banksPerPc_, 0),
      activePos_(std::size_t{pcs_} * banksPerPc_, 0), pick_(std::size_t{pcs_} * banksPerPc_), refreshPick_(pcs_),
      pcEpoch_(pcs_, 0), epochs_(std::size_t{pcs_} * kEpochsPerPc, 0) {
  for (std::size_t i = entries_.size(); i > 0; --i) freeEntries_.push_back(static_cast<std::uint32_t>(i - 1));
  for (std::uint32_t bi = 0; bi < pcs_ * banksPerPc_; ++bi) {
    Pick& k = pick_[bi];
    k.pc = bi / banksPerPc_;
    k.bankInPc = bi % banksPerPc_;
    k.group = k.pc * groupsPerPc_ + k.bankInPc / banksPerGroup_;
  }
  for (auto& s : pcState_) {
    s.refDue = refInterval_;
    s.dataBusFree = 0;
  }
  counters_.bankBusyCycles.assign(std::size_t{pcs_} * banksPerPc_, 0);
}

bool ChannelController::hasSpace(const Piece& p) const {
  const std::size_t bi = std::size_t{p.pc} * banksPerPc_ + p.bank;
  if (grouped_ && p.write) return usedWrites_ < writeCap_;
  if (perBankBuffer_) return (grouped_ ? bankReads_[bi] : bankQueue_[bi].size()) < readCap_;
  return (grouped_ ? used_ - usedWrites_ : used_) < readCap_;
}

void ChannelController::place(const Piece& p, Cycle arrival) {
  assert(!freeEntries_.empty() && "request buffer overflow");
  const std::uint32_t slot = freeEntries_.back();
  freeEntries_.pop_back();
  Entry& e = entries_[slot];
  e.p = p;
  e.p.arrival = arrival;
  e.seq = seq_++;
  e.used = true;
  e.hit = true;
  ++used_;
  const std::size_t bi = std::size_t{p.pc} * banksPerPc_ + p.bank;
  if (bankQueue_[bi].empty()) {
    activePos_[bi] = static_cast<std::uint32_t>(activeBanks_.size());
    activeBanks_.push_back(static_cast<std::uint32_t>(bi));
  }
  bankQueue_[bi].push_back(slot);
  invalidate(bi);
  if (p.write)
    ++usedWrites_;
  else
    ++bankReads_[bi];
  decided_ = false;
}

bool ChannelController::submit(const Piece& p, std::vector<PieceAccepted>& accepted) {
  if (backlog_.empty() && hasSpace(p)) {
    place(p, p.arrival);
    accepted.push_back({p.tag, p.arrival});
    return true;
  }
  backlog_.push_back(p);
  return false;
}

void ChannelController::fill(Cycle at, std::vector<PieceAccepted>& accepted) {
  while (!backlog_.empty() && hasSpace(backlog_.front())) {
    const Cycle arrival = std::max(backlog_.front().arrival, at);
    place(backlog_.front(), arrival);
    accepted.push_back({backlog_.front().tag, arrival});
    backlog_.pop_front();
  }
}

Cycle ChannelController::nextCommandCycle() {
  if (!decided_) computeDecision();
  return decisionAt_;
}

void ChannelController::rescan(std::uint32_t bi) {
  Pick& k = pick_[bi];
  const Bank& bk = banks_[bi];
  std::int32_t pick = -1;
  bool hit = false;
  for (const std::uint32_t slot : bankQueue_[bi]) {
    const Entry& en = entries_[slot];
    if (!(en.p.write ? writesEligible_ : readsEligible_)) continue;
    const bool h = bk.open && bk.row == en.p.row;
    if (pick < 0) {
      pick = static_cast<std::int32_t>(slot);
      hit = h;
      if (h || !hitsFirst_ || !bk.open) break;
    } else if (h) {
      pick = static_cast<std::int32_t>(slot);
      hit = true;
      break;
    }
  }
  k.slot = pick;
  k.hit = hit;
  k.epoch = kStale;
  if (pick < 0) return;
  // The command follows from the bank's state, which only changes with a rescan.
  const Entry& en = entries_[static_cast<std::size_t>(pick)];
  k.write = en.p.write;
  k.seq = en.seq;
  k.arrival = en.p.arrival;
  k.cmd = hit ? (k.write ? Command::WR : Command::RD) : bk.open ? Command::PRE : Command::ACT;
  k.epochIdx = epochIndex(k.cmd, k.pc);
  k.rank = scheduler_->rank({static_cast<std::uint32_t>(pick), k.cmd, 0, k.seq, k.write});
}

void ChannelController::refreshReady(std::uint32_t bi) {
  Pick& k = pick_[bi];
  const Bank& bk = banks_[bi];
  const Group& g = groups_[k.group];
  const PcState& s = pcState_[k.pc];
  Cycle eff;
  switch (k.cmd) {
  case Command::WR: eff = std::max({bk.wr, g.wr, s.wr, s.dataBusFree - static_cast<Cycle>(t_.WL)}); break;
  case Command::RD: eff = std::max({bk.rd, g.rd, s.rd, s.dataBusFree - static_cast<Cycle>(t_.RL)}); break;
  case Command::PRE: eff = bk.pre; break;
  default:
    eff = std::max({bk.act, g.act, s.act, s.faw[s.fawHead] + static_cast<Cycle>(t_.FAW)}) -
          static_cast<Cycle>(t_.actCycles - 1);
    break;
  }
  k.ready = std::max(eff, k.arrival);
  k.epoch = epochs_[k.epochIdx];
}

void ChannelController::computeDecision() {
  decided_ = true;
  scheduler_->observe(used_ - usedWrites_, usedWrites_);
  if (scheduler_->eligible(false) != readsEligible_ || scheduler_->eligible(true) != writesEligible_) {
    readsEligible_ = scheduler_->eligible(false);
    writesEligible_ = scheduler_->eligible(true);
    for (std::size_t bi = 0; bi < pick_.size(); ++bi) invalidate(bi);
  }
  // One candidate per bank (a bank machine): its oldest eligible row hit,
  // else a precharge or activation for its oldest eligible request; FIFO
  // serves each bank's oldest request whatever it needs. The best of them
  // per bus: earliest start, then lowest rank (ranks are unique).
  const Cycle colBus = dualBus_ ? colBusFree_ : rowBusFree_;
  const Cycle busFree[2] = {std::max(rowBusFree_, floor_), std::max(colBus, floor_)}; // by Pick::hit
  // The hot loop of the detailed model. Branch-free selection (which bus and
  // who wins are data-dependent and mispredict): a loser's fields go to a
  // dummy slot (2 or 3); stale picks are refreshed out of line.
  Cycle bestStart[4] = {kNever, kNever, 0, 0}; // row bus, column bus, dummies
  std::uint64_t bestRank[4] = {~std::uint64_t{0}, ~std::uint64_t{0}, 0, 0};
  std::uint32_t bestBank[4] = {0, 0, 0, 0};
  const std::size_t dual = dualBus_ ? 1 : 0, allBank = perBankRefresh_ ? 0 : 1;
  for (const std::uint32_t bi : activeBanks_) {
    Pick& k = pick_[bi];
    if (k.epoch != epochs_[k.epochIdx]) { // also a stale pick (kStale never matches)
      if (k.slot == -2) rescan(bi);
      if (k.slot < 0) continue;
      refreshReady(bi);
    }
    const std::size_t hit = k.hit ? 1 : 0;
    const Cycle start = std::max(k.ready, busFree[hit]);
    const std::size_t b = hit & dual;
    // A refresh blocks its bank (per-bank mode) or every bank from refDue.
    const PcState& s = pcState_[k.pc];
    const std::size_t blocked =
        static_cast<std::size_t>(start >= s.refDue) & (allBank | static_cast<std::size_t>(k.bankInPc == s.refBank));
    const std::size_t better =
        static_cast<std::size_t>(start < bestStart[b]) |
        (static_cast<std::size_t>(start == bestStart[b]) & static_cast<std::size_t>(k.rank < bestRank[b]));
    const std::size_t w = b | ((blocked | (better ^ 1)) << 1);
    bestStart[w] = start;
    bestRank[w] = k.rank;
    bestBank[w] = bi;
  }
  const auto candidate = [&](std::size_t b) -> Candidate {
    if (bestStart[b] >= kNever) return {0, b == 0 ? Command::ACT : Command::RD, kNever, 0, false};
    const Pick& k = pick_[bestBank[b]];
    return {static_cast<std::uint32_t>(k.slot), k.cmd, bestStart[b], k.seq, k.write};
  };
  Candidate row = candidate(0), col = candidate(1);
  bool rowRefresh = false;
  // Refresh: due commands go first at equal cycles.
  const Cycle horizon = dualBus_ ? row.start : std::min(row.start, col.start);
  for (std::uint32_t pc = 0; pc < pcs_; ++pc) {
    const PcState& s = pcState_[pc];
    if (s.refDue > horizon) continue;
    Candidate c{pc, Command::REFab, 0, 0, false};
    Cycle eff = s.refDue;
    if (!perBankRefresh_) {
      // PREA waits for every bank's precharge constraints, also those of
      // banks already closed or auto-precharging.
      RefreshPick& rp = refreshPick_[pc];
      if (rp.epoch != pcEpoch_[pc]) {
        bool anyOpen = false;
        Cycle ready = kPast;
        for (std::uint32_t b = 0; b < banksPerPc_; ++b) {
          const Bank& bk = banks_[pc * banksPerPc_ + b];
          anyOpen = anyOpen || bk.open;
          ready = std::max(ready, bk.pre);
        }
        if (!anyOpen)
          for (std::uint32_t b = 0; b < banksPerPc_; ++b) ready = std::max(ready, banks_[pc * banksPerPc_ + b].act);
        rp = {anyOpen ? Command::PREA : Command::REFab, ready, pcEpoch_[pc]};
      }
      c.cmd = rp.cmd;
      eff = std::max(eff, rp.ready);
    } else {
      const Bank& bk = banks_[pc * banksPerPc_ + s.refBank];
      if (bk.open) {
        c.cmd = Command::PRE;
        eff = std::max(eff, bk.pre);
      } else {
        c.cmd = Command::REFpb;
        eff = std::max({eff, bk.act, s.refpb});
      }
    }
    c.start = std::max({eff, rowBusFree_, floor_});
    if (c.start < row.start || (c.start == row.start && !rowRefresh)) {
      row = c;
      rowRefresh = true;
    }
  }
  if (!dualBus_) {
    // One bus: the column candidate competes with the row candidate.
    if (col.start < row.start || (col.start == row.start && !rowRefresh && scheduler_->prefer(col, row))) {
      row = col;
      rowRefresh = false;
    }
    col.start = kNever;
  }
  decisionAt_ = std::min(row.start, col.start);
  haveRow_ = row.start == decisionAt_ && decisionAt_ < kNever;
  haveCol_ = col.start == decisionAt_ && decisionAt_ < kNever;
  rowIsRefresh_ = rowRefresh;
  rowPick_ = row;
  colPick_ = col;
}

void ChannelController::record(Command cmd, Cycle start, std::uint32_t pc, std::uint32_t b, std::uint32_t row,
                               std::uint32_t col) {
  ++counters_.commands[static_cast<std::size_t>(cmd)];
  if (recorder_ != nullptr) recorder_->record({start, cmd, channel_, pc, b / banksPerGroup_, b, row, col});
}

void ChannelController::issueAct(std::uint32_t pc, std::uint32_t b, std::uint32_t row, Cycle e) {
  Bank& bk = bank(pc, b);
  Group& g = group(pc, b);
  PcState& s = pcState_[pc];
  bk.open = true;
  bk.row = row;
  bk.openedAt = e;
  invalidate(std::size_t{pc} * banksPerPc_ + b);
  bk.pre = std::max(bk.pre, e + t_.RAS);
  bk.rd = std::max(bk.rd, e + t_.RCDRD);
  bk.wr = std::max(bk.wr, e + t_.RCDWR);
  bk.act = std::max(bk.act, e + t_.RC);
  g.act = std::max(g.act, e + t_.RRD_L);
  s.act = std::max(s.act, e + t_.RRD_S);
  s.refpb = std::max(s.refpb, e + t_.RRD_S);
  s.faw[s.fawHead] = e;
  s.fawHead = (s.fawHead + 1) % 4;
}

void ChannelController::closeBank(std::uint32_t pc, std::uint32_t b, Cycle preEffective) {
  Bank& bk = bank(pc, b);
  bk.open = false;
  invalidate(std::size_t{pc} * banksPerPc_ + b);
  bk.act = std::max(bk.act, preEffective + t_.RP);
  counters_.bankBusyCycles[pc * banksPerPc_ + b] += static_cast<std::uint64_t>(preEffective + t_.RP - bk.openedAt);
}

void ChannelController::closeAccounting(Cycle end) {
  for (std::uint32_t i = 0; i < banks_.size(); ++i) {
    Bank& bk = banks_[i];
    if (bk.open && end > bk.openedAt) {
      counters_.bankBusyCycles[i] += static_cast<std::uint64_t>(end - bk.openedAt);
      bk.openedAt = end;
    }
  }
}

void ChannelController::issue(const Candidate& c, bool refresh, std::vector<PieceAccepted>& accepted,
                              std::vector<PieceDone>& done) {
  const Cycle start = c.start;
  // A command changes state of its own pseudo-channel only (Pick).
  const std::uint32_t cpc = refresh ? c.slot : entries_[c.slot].p.pc;
  ++pcEpoch_[cpc];
  if (refresh || c.cmd == Command::ACT) ++epochs_[epochIndex(Command::ACT, cpc)];
  if (isColumn(c.cmd)) ++epochs_[epochIndex(Command::RD, cpc)];
  if (!refresh) pick_[std::size_t{cpc} * banksPerPc_ + entries_[c.slot].p.bank].epoch = kStale;
  if (refresh) {
    const std::uint32_t pc = c.slot;
    PcState& s = pcState_[pc];
    switch (c.cmd) {
    case Command::PREA:
      for (std::uint32_t b = 0; b < banksPerPc_; ++b)
        if (bank(pc, b).open) closeBank(pc, b, start);
      record(Command::PREA, start, pc, 0, 0, 0);
      break;
    case Command::REFab:
      for (std::uint32_t b = 0; b < banksPerPc_; ++b) {
        bank(pc, b).act = std::max(bank(pc, b).act, start + t_.RFC);
        counters_.bankBusyCycles[pc * banksPerPc_ + b] += t_.RFC;
      }
      s.refDue += refInterval_;
      record(Command::REFab, start, pc, 0, 0, 0);
      break;
    case Command::PRE:
      closeBank(pc, s.refBank, start);
      record(Command::PRE, start, pc, s.refBank, bank(pc, s.refBank).row, 0);
      break;
    default: { // REFpb
      Bank& bk = bank(pc, s.refBank);
      bk.act = std::max(bk.act, start + t_.RFCpb);
      s.act = std::max(s.act, start + t_.RREFD_ACT);
      s.refpb = std::max(s.refpb, start + t_.RREFD);
      counters_.bankBusyCycles[pc * banksPerPc_ + s.refBank] += t_.RFCpb;
      record(Command::REFpb, start, pc, s.refBank, 0, 0);
      s.refBank = (s.refBank + 1) % banksPerPc_;
      s.refDue += refInterval_;
      break;
    }
    }
    rowBusFree_ = start + 1;
    return;
  }
  Entry& en = entries_[c.slot];
  Piece& p = en.p;
  Bank& bk = bank(p.pc, p.bank);
  switch (c.cmd) {
  case Command::ACT: {
    const Cycle e = start + t_.actCycles - 1;
    issueAct(p.pc, p.bank, p.row, e);
    en.hit = false;
    record(Command::ACT, start, p.pc, p.bank, p.row, 0);
    rowBusFree_ = start + t_.actCycles;
    return;
  }
  case Command::PRE:
    closeBank(p.pc, p.bank, start);
    en.hit = false;
    record(Command::PRE, start, p.pc, p.bank, bk.row, 0);
    rowBusFree_ = start + 1;
    return;
  default: break;
  }
  // Column command.
  Group& g = group(p.pc, p.bank);
  PcState& s = pcState_[p.pc];
  const bool last = p.bursts == 1;
  bool autoPre = false;
  if (last && closedPage_) {
    autoPre = true;
    for (const std::uint32_t i : bankQueue_[std::size_t{p.pc} * banksPerPc_ + p.bank])
      if (i != c.slot && entries_[i].p.row == p.row) autoPre = false;
  }
  const Cycle e = start;
  const Cycle burst = t_.burstCycles;
  Command cmd;
  Cycle preAt = 0;
  if (!p.write) {
    cmd = autoPre ? Command::RDA : Command::RD;
    g.rd = std::max(g.rd, e + t_.CCD_L);
    s.rd = std::max(s.rd, e + t_.CCD_S);
    s.wr = std::max(s.wr, e + t_.RTW);
    bk.pre = std::max(bk.pre, e + t_.RTP);
    s.dataBusFree = e + t_.RL + burst;
    preAt = e + t_.RTP;
  } else {
    cmd = autoPre ? Command::WRA : Command::WR;
    g.wr = std::max(g.wr, e + t_.CCD_L);
    s.wr = std::max(s.wr, e + t_.CCD_S);
    g.rd = std::max(g.rd, e + t_.WL + burst + t_.WTR_L);
    s.rd = std::max(s.rd, e + t_.WL + burst + t_.WTR_S);
    bk.pre = std::max(bk.pre, e + t_.WL + burst + t_.WR);
    s.dataBusFree = e + t_.WL + burst;
    preAt = e + t_.WL + burst + t_.WR;
  }
  counters_.dataCycles += static_cast<std::uint64_t>(burst);
  record(cmd, start, p.pc, p.bank, p.row, p.column);
  if (dualBus_)
    colBusFree_ = start + 1;
  else
    rowBusFree_ = start + 1;
  if (autoPre) closeBank(p.pc, p.bank, std::max(preAt, bk.openedAt + static_cast<Cycle>(t_.RAS)));
  p.column += burstLength_;
  if (--p.bursts > 0) return;
  const Cycle dataEnd = e + (p.write ? t_.WL : t_.RL) + burst;
  done.push_back({p.tag, dataEnd, p.write, en.hit});
  (p.write ? counters_.writes : counters_.reads) += 1;
  if (en.hit) ++counters_.rowHits;
  en.used = false;
  --used_;
  const std::size_t bi = std::size_t{p.pc} * banksPerPc_ + p.bank;
  auto& q = bankQueue_[bi];
  q.erase(std::find(q.begin(), q.end(), c.slot));
  invalidate(bi);
  if (q.empty()) {
    const std::uint32_t moved = activeBanks_.back();
    activeBanks_[activePos_[bi]] = moved;
    activePos_[moved] = activePos_[bi];
    activeBanks_.pop_back();
  }
  if (p.write)
    --usedWrites_;
  else
    --bankReads_[bi];
  freeEntries_.push_back(c.slot);
  fill(start + 1, accepted);
}

void ChannelController::advanceUntilAccepted(std::vector<PieceAccepted>& accepted, std::vector<PieceDone>& done) {
  while (!backlog_.empty()) {
    const Cycle next = nextCommandCycle();
    if (next >= kNever) throw std::logic_error("ChannelController: requests wait but no command can be issued");
    advance(next + 1, accepted, done);
  }
}

void ChannelController::advanceUntilIdle(std::vector<PieceAccepted>& accepted, std::vector<PieceDone>& done) {
  while (!idle()) {
    const Cycle next = nextCommandCycle();
    if (next >= kNever) throw std::logic_error("ChannelController: requests wait but no command can be issued");
    advance(next + 1, accepted, done);
  }
}

void ChannelController::copyStateFrom(const ChannelController& o) {
  banks_ = o.banks_;
  groups_ = o.groups_;
  pcState_ = o.pcState_;
  entries_ = o.entries_;
  freeEntries_ = o.freeEntries_;
  bankQueue_ = o.bankQueue_;
  bankReads_ = o.bankReads_;
  activeBanks_ = o.activeBanks_;
  activePos_ = o.activePos_;
  pick_ = o.pick_;
  refreshPick_ = o.refreshPick_;
  pcEpoch_ = o.pcEpoch_;
  epochs_ = o.epochs_;
  readsEligible_ = o.readsEligible_;
  writesEligible_ = o.writesEligible_;
  backlog_ = o.backlog_;
  used_ = o.used_;
  usedWrites_ = o.usedWrites_;
  seq_ = o.seq_;
  floor_ = o.floor_;
  rowBusFree_ = o.rowBusFree_;
  colBusFree_ = o.colBusFree_;
  decided_ = o.decided_;
  decisionAt_ = o.decisionAt_;
  haveRow_ = o.haveRow_;
  haveCol_ = o.haveCol_;
  rowIsRefresh_ = o.rowIsRefresh_;
  rowPick_ = o.rowPick_;
  colPick_ = o.colPick_;
  scheduler_->copyStateFrom(*o.scheduler_);
}

void ChannelController::advance(Cycle limit, std::vector<PieceAccepted>& accepted, std::vector<PieceDone>& done) {
  for (;;) {
    if (!decided_) computeDecision();
    if (decisionAt_ >= limit) return;
    const Cycle at = decisionAt_;
    const bool haveRow = haveRow_, haveCol = haveCol_, rowRefresh = rowIsRefresh_;
    const Candidate rowPick = rowPick_, colPick = colPick_;
    decided_ = false;
    if (haveCol) issue(colPick, false, accepted, done);
    if (haveRow) issue(rowPick, rowRefresh, accepted, done);
    floor_ = at;
  }
}

} // namespace llmvp::models::dram
