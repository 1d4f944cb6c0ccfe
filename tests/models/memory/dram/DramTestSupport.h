// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Helpers of the DRAM tests: presets from configs/memory, traffic patterns,
/// and a driver that feeds the channel controllers directly (no kernel).

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "config/Loaders.h"
#include "models/memory/dram/AddressMapping.h"
#include "models/memory/dram/ChannelController.h"
#include "models/memory/dram/Command.h"
#include "tests/support/Cli.h"

namespace llmvp::test {

using models::dram::Cycle;
using models::dram::DramParams;

inline const std::vector<std::string>& presetNames() {
  static const std::vector<std::string> names{"hbm2",      "hbm3-6400",    "hbm3e-8000", "hbm3e-9600",
                                              "hbm4-8000", "lpddr5x-8533", "ddr5-6400"};
  return names;
}

inline DramParams loadPreset(const std::string& name, std::uint32_t stacks = 1,
                             const std::vector<std::string>& sets = {}) {
  testbench::Overrides o;
  for (const auto& s : sets) o.add(s);
  DramParams p;
  p.stacks = stacks;
  testbench::loadMemspec(config("memory/" + name + ".yaml"), o, "", p);
  p.capacityBytes = p.organisationBytes() << models::dram::AddressMapper(p).ignoredBits();
  return p;
}

struct Access {
  Cycle at = 0;
  bool write = false;
  std::uint64_t addr = 0;
  std::uint32_t bytes = 64;
};

/// Feeds `traffic` (in time order) to one controller per channel and runs
/// them until idle, plus `tailCycles` of refresh. Returns the command log.
inline std::vector<models::dram::CommandRecord> drive(const DramParams& p, const std::vector<Access>& traffic,
                                                      Cycle tailCycles = 0, std::uint64_t* completed = nullptr) {
  using namespace models::dram;
  const AddressMapper m(p);
  CommandLog log;
  std::vector<std::unique_ptr<ChannelController>> ch;
  for (std::uint32_t c = 0; c < p.channels() / p.pseudoChannels; ++c)
    ch.push_back(std::make_unique<ChannelController>(p, c, &log));
  std::vector<PieceAccepted> acc;
  std::vector<PieceDone> done;
  const std::uint64_t run = m.runBytes();
  const std::uint64_t burstBytes = p.burstBytes();
  Cycle last = 0;
  for (const Access& a : traffic) {
    for (std::uint64_t x = a.addr, end = a.addr + a.bytes; x < end;) {
      const std::uint64_t runEnd = std::min(end, (x & ~(run - 1)) + run);
      const DramAddress d = m.decode(x);
      Piece pc;
      pc.arrival = a.at;
      pc.pc = d.pc;
      pc.bank = d.bank;
      pc.row = d.row;
      pc.column = d.column & ~(p.burstLength - 1);
      pc.bursts = static_cast<std::uint32_t>((runEnd - 1) / burstBytes - x / burstBytes + 1);
      pc.write = a.write;
      ch[d.channel]->advance(a.at, acc, done);
      (void)ch[d.channel]->submit(pc, acc);
      x = runEnd;
    }
    last = a.at;
  }
  for (auto& c : ch) {
    while (!c->idle()) c->advance(c->nextCommandCycle() + 1, acc, done);
  }
  Cycle end = last;
  for (const auto& r : log.records()) end = std::max(end, r.cycle);
  for (auto& c : ch) c->advance(end + tailCycles, acc, done);
  if (completed != nullptr) *completed = done.size();
  auto out = log.records();
  std::stable_sort(out.begin(), out.end(), [](const CommandRecord& a, const CommandRecord& b) {
    return a.channel != b.channel ? a.channel < b.channel : a.cycle < b.cycle;
  });
  return out;
}

/// Uniformly random 64-byte reads and writes over the memory, `gap` cycles apart.
inline std::vector<Access> randomTraffic(const DramParams& p, std::size_t n, double writeShare, Cycle gap,
                                         std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  const std::uint64_t lines = p.organisationBytes() / 64;
  std::vector<Access> v;
  for (std::size_t i = 0; i < n; ++i)
    v.push_back({static_cast<Cycle>(i) * gap, std::uniform_real_distribution<>(0, 1)(rng) < writeShare,
                 (rng() % lines) * 64, 64});
  return v;
}

/// Adversarial: row conflicts in one bank, every bank of one bank group
/// (tRRD_L, tFAW), read/write turnarounds on one row, all at full rate.
inline std::vector<Access> adversarialTraffic(const DramParams& p, std::size_t n, std::uint32_t seed) {
  using namespace models::dram;
  const AddressMapper m(p);
  std::mt19937_64 rng(seed);
  std::vector<Access> v;
  const std::uint32_t cols = p.rowBytes / (p.widthBits / 8);
  for (std::size_t i = 0; i < n; ++i) {
    DramAddress d;
    const std::size_t phase = (i / 64) % 4;
    if (phase == 0) { // two rows of one bank, alternately
      d.row = static_cast<std::uint32_t>(i % 2);
    } else if (phase == 1) { // every bank of bank group 0, a new row each time
      d.bank = static_cast<std::uint32_t>(i % p.banksPerGroup);
      d.row = static_cast<std::uint32_t>(i % 7);
    } else if (phase == 2) { // every bank group, new rows: tRRD_S and tFAW
      d.bankGroup = static_cast<std::uint32_t>(i % (p.bankGroups * p.stackIds));
      d.bank = d.bankGroup * p.banksPerGroup;
      d.row = static_cast<std::uint32_t>(rng() % 64);
    } else { // one row, reads and writes alternating, both pseudo-channels
      d.pc = static_cast<std::uint32_t>(i % p.pseudoChannels);
      d.bankGroup = static_cast<std::uint32_t>((i / 2) % 2);
      d.bank = d.bankGroup * p.banksPerGroup;
    }
    d.column = static_cast<std::uint32_t>((i * p.burstLength) % cols);
    v.push_back({0, phase == 3 ? (i % 2 == 1) : (rng() % 5 == 0), m.encode(d), p.burstBytes()});
  }
  return v;
}

} // namespace llmvp::test
