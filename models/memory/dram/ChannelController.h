// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Command-level controller of one DRAM channel (all its pseudo-channels):
/// request buffer, per-bank state machines (closed / open row), every
/// timing constraint of DramCycles, all-bank or per-bank refresh, open or
/// closed page, and a pluggable request scheduler. Pure C++ in integer
/// cycles, event driven: advance(limit) issues every command whose first
/// command-bus cycle is below `limit`, jumping over idle cycles, so the cost
/// is per command, not per cycle. DetailedDram wraps channels in TLM.
///
/// Order of calls a driver may rely on: advance(t) to the current cycle t,
/// then submit() requests arriving at t; results (acceptances, completions)
/// are appended to the vectors given to advance()/submit().

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "models/memory/dram/Command.h"
#include "models/memory/dram/DramParams.h"
#include "models/memory/dram/IScheduler.h"

namespace llmvp::models::dram {

inline constexpr Cycle kNever = INT64_MAX / 4;

/// A request to one row of one bank, at most a few bursts long (the front
/// end splits transfers into such pieces).
struct Piece {
  std::uint64_t tag = 0; ///< owner, echoed in results
  Cycle arrival = 0;
  std::uint32_t pc = 0, bank = 0, row = 0, column = 0; ///< column of the first beat
  std::uint32_t bursts = 1;
  bool write = false;
};

struct PieceAccepted {
  std::uint64_t tag;
  Cycle cycle; ///< entered the request buffer
};
struct PieceDone {
  std::uint64_t tag;
  Cycle dataEnd; ///< last data beat transferred
  bool write;
  bool rowHit; ///< served without an activation of its own
};

/// Counters of one channel; energy and utilisation derive from them.
struct ChannelCounters {
  std::array<std::uint64_t, kCommandKinds> commands{};
  std::uint64_t reads = 0, writes = 0, rowHits = 0;
  std::uint64_t dataCycles = 0;              ///< data-bus busy cycles, summed over pseudo-channels
  std::vector<std::uint64_t> bankBusyCycles; ///< per (pc, bank): row open, precharging or refreshing
};

class ChannelController {
public:
  ChannelController(const DramParams& p, std::uint32_t channel, ICommandRecorder* recorder);
  ChannelController(const ChannelController&) = delete;
  ChannelController& operator=(const ChannelController&) = delete;

  /// Queues a piece arriving at p.arrival (>= the last advance limit).
  /// Returns true and appends to `accepted` if it entered the buffer at once.
  bool submit(const Piece& p, std::vector<PieceAccepted>& accepted);
  /// Issues every command whose first bus cycle is below `limit`.
  void advance(Cycle limit, std::vector<PieceAccepted>& accepted, std::vector<PieceDone>& done);
  /// First bus cycle of the next command, given no new arrivals (kNever if idle).
  [[nodiscard]] Cycle nextCommandCycle();
  /// True if nothing is buffered or waiting.
  [[nodiscard]] bool idle() const { return used_ == 0 && backlog_.empty(); }
  [[nodiscard]] bool backlogged() const { return !backlog_.empty(); }
  [[nodiscard]] const ChannelCounters& counters() const { return counters_; }
  /// Adds the busy time of rows still open at `end` to the bank counters (once, at the end).
  void closeAccounting(Cycle end);
  /// Issues commands until every submitted piece is in the request buffer
  /// (nothing waits in front of it): from there on, pieces submitted later
  /// would be accepted in the same order whenever they arrived.
  void advanceUntilAccepted(std::vector<PieceAccepted>& accepted, std::vector<PieceDone>& done);
  /// Issues commands until nothing is buffered or waiting.
  void advanceUntilIdle(std::vector<PieceAccepted>& accepted, std::vector<PieceDone>& done);
  /// Takes over the scheduling state (banks, buffers, buses, refresh) of
  /// `other`, a controller of the same memspec; counters and recorder stay.
  /// Reuses this controller's storage, so copying is cheap when repeated.
  void copyStateFrom(const ChannelController& other);

private:
  struct Bank {
    Cycle act, pre, rd, wr; ///< earliest effective cycle of each command
    Cycle openedAt = 0;
    std::uint32_t row = 0;
    bool open = false;
  };
  struct Group {
    Cycle act, rd, wr;
  };
  struct PcState {
    Cycle act, rd, wr, refpb;
    std::array<Cycle, 4> faw; ///< effective cycles of the last four ACTs (ring)
    std::uint32_t fawHead = 0;
    Cycle refDue = 0;          ///< next refresh (all-bank) or next per-bank refresh
    std::uint32_t refBank = 0; ///< per-bank: the bank refreshed next
    Cycle dataBusFree = 0;
  };
  struct Entry {
    Piece p;
    std::uint64_t seq = 0;
    bool used = false;
    bool hit = true;
  };

  [[nodiscard]] Bank& bank(std::uint32_t pc, std::uint32_t b) { return banks_[pc * banksPerPc_ + b]; }
  [[nodiscard]] Group& group(std::uint32_t pc, std::uint32_t b) {
    return groups_[pc * groupsPerPc_ + b / banksPerGroup_];
  }
  void computeDecision();
  void rescan(std::uint32_t bi);       ///< a bank's pick from its queue and state
  void refreshReady(std::uint32_t bi); ///< a pick's ready cycle from the constraints
  void issue(const Candidate& c, bool refresh, std::vector<PieceAccepted>& accepted, std::vector<PieceDone>& done);
  void issueAct(std::uint32_t pc, std::uint32_t b, std::uint32_t row, Cycle e);
  void closeBank(std::uint32_t pc, std::uint32_t b, Cycle preEffective);
  void record(Command cmd, Cycle start, std::uint32_t pc, std::uint32_t b, std::uint32_t row, std::uint32_t col);
  void fill(Cycle at, std::vector<PieceAccepted>& accepted);
  [[nodiscard]] bool hasSpace(const Piece& p) const;
  void place(const Piece& p, Cycle arrival);

  const DramCycles t_;
  const std::uint32_t channel_, pcs_, banksPerPc_, banksPerGroup_, groupsPerPc_;
  const std::uint32_t burstLength_;
  const bool dualBus_, closedPage_, perBankRefresh_, grouped_, perBankBuffer_, hitsFirst_;
  const std::uint32_t readCap_, writeCap_;
  const Cycle refInterval_;
  ICommandRecorder* recorder_;
  std::unique_ptr<IScheduler> scheduler_;

  std::vector<Bank> banks_;
  std::vector<Group> groups_;
  std::vector<PcState> pcState_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> freeEntries_;
  std::vector<std::vector<std::uint32_t>> bankQueue_; ///< per (pc, bank): entries in arrival order
  std::vector<std::uint32_t> bankReads_;              ///< per (pc, bank): buffered reads
  std::vector<std::uint32_t> activeBanks_;            ///< banks with a non-empty queue (any order)
  std::vector<std::uint32_t> activePos_;              ///< per bank: index in activeBanks_
  /// Per bank: the entry its bank machine serves next (-1: none, -2: to be
  /// recomputed), whether it is a row hit, and the entry's fields the
  /// decision reads (kept here so the per-bank loop touches one array);
  /// recomputed only when the bank's queue or state changes.
  /// Also the pick's next command and its earliest cycle from the bank's,
  /// its group's and its pseudo-channel's constraints and its arrival
  /// (without the command buses and floor_, which every command moves).
  /// The ready cycle stays valid until a command changes what it depends
  /// on: a command on the bank (epoch reset to stale), or on its
  /// pseudo-channel, an activation or refresh for an ACT, a column
  /// command for a RD or WR (epochs_); a PRE depends on its bank
  /// alone.
  struct Pick {
    // Read by every decision.
    std::int32_t slot = -2;
    std::uint32_t epochIdx = 0; ///< index into epochs_ of the epoch `ready` depends on
    Cycle ready = 0;
    std::uint64_t rank = 0;                  ///< scheduler's order among candidates ready at the same cycle
    std::uint64_t epoch = ~std::uint64_t{0}; ///< kStale: recompute
    std::uint32_t pc = 0, bankInPc = 0;      ///< fixed: the bank's place
    bool hit = false, write = false;
    Command cmd = Command::ACT;
    // Read when the pick changes.
    std::uint32_t group = 0; ///< fixed: index into groups_
    Cycle arrival = 0;
    std::uint64_t seq = 0;
  };
  std::vector<Pick> pick_;
  /// Per pseudo-channel: the all-bank refresh's first command (PREA while a
  /// bank is open, else REFab) and the cycle the banks allow it, valid while
  /// the pseudo-channel's epoch is unchanged.
  struct RefreshPick {
    Command cmd = Command::REFab;
    Cycle ready = 0;
    std::uint64_t epoch = ~std::uint64_t{0};
  };
  std::vector<RefreshPick> refreshPick_;
  std::vector<std::uint64_t> pcEpoch_; ///< per pseudo-channel: commands issued on it
  /// Per pseudo-channel, three epochs: 0 (never changes), activations and
  /// refreshes issued on it, column commands issued on it.
  std::vector<std::uint64_t> epochs_;
  static constexpr std::uint32_t kEpochsPerPc = 3;
  static constexpr std::uint64_t kStale = ~std::uint64_t{0};
  /// The epoch a pick's ready cycle is computed against (PRE: its bank only).
  [[nodiscard]] static std::uint32_t epochIndex(Command cmd, std::uint32_t pc) {
    return kEpochsPerPc * pc + (isColumn(cmd) ? 2 : cmd == Command::ACT ? 1 : 0);
  }
  bool readsEligible_ = true, writesEligible_ = true;
  void invalidate(std::size_t bi) {
    pick_[bi].slot = -2;
    pick_[bi].epoch = kStale;
  }
  std::deque<Piece> backlog_;
  std::uint32_t used_ = 0, usedWrites_ = 0;
  std::uint64_t seq_ = 0;
  Cycle floor_ = 0; ///< no command before this cycle
  Cycle rowBusFree_ = 0, colBusFree_ = 0;

  // The cached decision: when, and which commands (row bus, column bus).
  bool decided_ = false;
  Cycle decisionAt_ = kNever;
  bool haveRow_ = false, haveCol_ = false, rowIsRefresh_ = false;
  Candidate rowPick_, colPick_;

  ChannelCounters counters_;
};

} // namespace llmvp::models::dram
