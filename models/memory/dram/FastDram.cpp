// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/FastDram.h"

#include <algorithm>
#include <cmath>

#include "models/common/Extensions.h"
#include "models/common/MemoryTarget.h"

namespace llmvp::models::dram {

FastDram::FastDram(const sc_core::sc_module_name& name, const DramParams& params)
    : sc_module(name), socket("socket"), params_(params), nch_(params.channels()),
      rowShift_(static_cast<unsigned>(ceilLog2(params.rowBytes))),
      psPerByteDerated_(1000.0 / params.channelGBps() * params.refreshDerate()),
      actDerated_(1000.0 * std::max({params.t.tRRD, params.t.tFAW / 4.0, params.t.tRC / params.banks()}) *
                  params.refreshDerate()),
      hitLatency_(nsToPs(params.t.tCL)), missLatency_(nsToPs(params.t.tRP + params.t.tRCD + params.t.tCL)),
      ctrlLatency_(nsToPs(params.controllerLatencyNs)),
      readToWrite_(
          nsToPs(std::max(0.0, (static_cast<double>(params.c.RTW) + params.c.WL - params.c.RL - params.c.burstCycles) *
                                   params.c.tCKns))),
      writeToRead_(nsToPs((params.c.WTR_S + params.c.RL) * params.c.tCKns)),
      psPerBurstOneBank_(1000.0 * params.c.CCD_L * params.c.tCKns * params.refreshDerate()),
      oneBlock_(static_cast<Ps>(oneBankPs(params.interleaveBytes) + 0.5)), channels_(nch_),
      bankPrechargeReady_(static_cast<std::size_t>(nch_) * params.banksPerPc(), 0), banks_(params.banksPerPc()),
      mapper_(params.ctrl.mapping.empty() ? nullptr : std::make_unique<AddressMapper>(params)),
      tRP_(nsToPs(params.t.tRP)), tRAS_(nsToPs(params.t.tRAS)),
      refStep_(nsToPs((params.refresh == RefreshMode::PerBank ? params.c.REFI / params.banksPerPc() : params.c.REFI) *
                      params.c.tCKns)),
      refPeriod_(params.refresh == RefreshMode::PerBank ? refStep_ * params.banksPerPc() : refStep_),
      refBlocked_(nsToPs((params.refresh == RefreshMode::PerBank ? params.c.RFCpb : params.c.RFC) * params.c.tCKns)),
      perBankRefresh_(params.refresh == RefreshMode::PerBank), store_(params.capacityBytes), stats_(this->name()),
      reads_(stats_.add("reads", "read requests", Unit::Count)),
      writes_(stats_.add("writes", "write requests", Unit::Count)),
      bytesRead_(stats_.add("bytes_read", "bytes read", Unit::Bytes)),
      bytesWritten_(stats_.add("bytes_written", "bytes written", Unit::Bytes)),
      rowBlocks_(stats_.add("row_accesses", "row-sized blocks accessed per channel", Unit::Count)),
      activations_(stats_.add("activations", "row activations (row-buffer misses)", Unit::Count)),
      channelBusy_(stats_.add("channel_busy", "sum over channels of busy time", Unit::Ps)),
      energy_(stats_.add("energy", "dynamic energy (read, write, activate)", Unit::Pj)) {
  socket.register_b_transport(this, &FastDram::b_transport);
  socket.register_transport_dbg(this, &FastDram::transport_dbg);
}

void FastDram::setTrace(TraceRecorder* recorder, const std::string& process) {
  trace_ = recorder;
  groupTracks_.clear();
  if (recorder == nullptr) return;
  traceTrack_ = recorder->addTrack(process, std::string("memory ") + basename());
  groups_ = traceGroups(nch_);
  groupTracks_ = groups_.addTracks(*recorder, process, basename(), "pc");
  groupSpans_.assign(groups_.groups, GroupSpan{});
}

void FastDram::traceGroup(std::uint32_t channel, Ps begin, Ps end, std::uint64_t bytes) {
  GroupSpan& g = groupSpans_[groups_.groupOf(channel)];
  if (g.bytes == 0) {
    g.begin = begin;
    g.end = end;
  } else {
    g.begin = std::min(g.begin, begin);
    g.end = std::max(g.end, end);
  }
  g.bytes += bytes;
}

void FastDram::flushGroups() {
  for (std::size_t g = 0; g < groupSpans_.size(); ++g) {
    GroupSpan& s = groupSpans_[g];
    if (s.bytes == 0) continue;
    trace_->transfer(groupTracks_[g], s.begin, s.end, s.bytes);
    s.bytes = 0;
  }
}

double FastDram::oneBankPs(std::uint64_t bytes) const {
  // The bursts of one interleave block go to one bank: one per tCCD_L.
  const std::uint64_t burst = params_.burstBytes();
  return static_cast<double>((bytes + burst - 1) / burst) * psPerBurstOneBank_;
}

Ps FastDram::refreshEnd(std::uint32_t bank, Ps t) const {
  if (refPeriod_ == 0) return 0;
  const Ps first = refStep_ * (perBankRefresh_ ? bank + 1 : 1);
  if (t < first) return 0;
  const Ps began = first + (t - first) / refPeriod_ * refPeriod_;
  return t - began < refBlocked_ ? began + refBlocked_ : 0;
}

void FastDram::setBusy(Channel& c, Ps t) {
  c.v = static_cast<std::int64_t>(t) - add_;
  maxV_ = std::max(maxV_, c.v);
}

void FastDram::setRow(Channel& c, std::uint64_t row, bool write) {
  if (c.rowEpoch != epoch_) {
    c.rowEpoch = epoch_;
    explicitRows_.push_back(static_cast<std::uint32_t>(&c - channels_.data()));
  }
  c.row = row;
  c.write = write;
}

Ps FastDram::scheduleEven(bool write, std::uint64_t localBegin, std::uint64_t chBytes, Ps start, bool& even,
                          std::uint64_t& acts, std::uint64_t& rows, double& busy) {
  // Every channel gets the same channel-local range; this is only taken when
  // hit and miss channels have the same service time (transfer-limited), so
  // one lazy update is exact.
  const std::uint64_t rowFirst = localBegin >> rowShift_;
  const std::uint64_t rowLast = (localBegin + chBytes - 1) >> rowShift_;
  const std::uint64_t rowsPerCh = rowLast - rowFirst + 1;
  const double transfer = static_cast<double>(chBytes) * psPerByteDerated_;
  const auto serviceOf = [&](std::uint64_t a) {
    return static_cast<Ps>(std::max(transfer, static_cast<double>(a) * actDerated_) + 0.5);
  };
  // Every channel must also turn around (or none): then one lazy update stays exact.
  std::uint64_t turning = 0;
  for (const std::uint32_t c : explicitRows_) turning += channels_[c].write != write ? 1 : 0;
  if (uniformWrite_ != write) turning += nch_ - explicitRows_.size();
  if (turning != 0 && turning != nch_) {
    even = false;
    return 0;
  }
  const Ps turnPs = turning == 0 ? 0 : (write ? readToWrite_ : writeToRead_);
  const Ps service = serviceOf(rowsPerCh) + turnPs;
  if (service != serviceOf(rowsPerCh - 1) + turnPs) {
    even = false;
    return 0;
  }
  even = true;
  std::uint64_t hits = 0;
  for (const std::uint32_t c : explicitRows_) hits += channels_[c].row == rowFirst ? 1 : 0;
  if (uniformRow_ == rowFirst) hits += nch_ - explicitRows_.size();
  floor_ = std::max(floor_, static_cast<std::int64_t>(start) - add_);
  add_ += static_cast<std::int64_t>(service);
  ++epoch_;
  explicitRows_.clear();
  uniformRow_ = rowLast;
  uniformWrite_ = write;
  acts = rowsPerCh * nch_ - hits;
  rows = rowsPerCh * nch_;
  busy = static_cast<double>(service) * nch_;
  // Data of one bank arrives no faster than a burst per tCCD_L (other banks
  // may use the bus meanwhile, so this delays the answer, not the channel).
  const Ps end = static_cast<Ps>(std::max(floor_, maxV_) + add_);
  if (trace_ != nullptr) {
    // Every channel moved chBytes over its last `service`.
    const Ps begin = std::max(start, end > service ? end - service : 0);
    for (std::uint32_t c = 0; c < nch_; ++c) traceGroup(c, begin, end, chBytes);
    flushGroups();
  }
  const Ps oneBank = chBytes >= params_.interleaveBytes ? oneBlock_ : static_cast<Ps>(oneBankPs(chBytes) + 0.5);
  return std::max(end, end - service + oneBank) + (hits == nch_ ? hitLatency_ : missLatency_);
}

Ps FastDram::schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival) {
  // Hot path of whole-model runs. Block j of the request is on channel
  // (first + j) % n at channel-local block (first + j) / n. A request whose
  // blocks cover whole rounds of all channels is scheduled in O(1).
  const std::uint64_t g = params_.interleaveBytes;
  const std::uint64_t n = nch_;
  const std::uint64_t first = addr / g;              // first interleave block
  const std::uint64_t last = (addr + bytes - 1) / g; // last interleave block
  const std::uint64_t total = last - first + 1;
  const std::uint64_t q = total / n, rem = total % n;
  const std::uint64_t headSkip = addr % g; // bytes of block `first` before addr
  const std::uint64_t tailSkip = g - 1 - (addr + bytes - 1) % g;
  const Ps start = arrival + ctrlLatency_;
  std::uint64_t acts = 0, rows = 0;
  double busy = 0;
  bool even = false;
  Ps done = 0;
  if (rem == 0 && first % n == 0 && headSkip == 0 && tailSkip == 0)
    done = scheduleEven(write, (first / n) * g, q * g, start, even, acts, rows, busy);
  if (!even) {
    const std::uint64_t jLast = (total - 1) % n; // the channel holding block `last`
    const std::uint64_t touched = std::min(n, total);
    std::uint64_t ch = first % n, round = first / n;
    Ps latest = start;
    Ps conflictLatest = 0; // data of blocks whose bank was still busy with another row
    bool allHit = true;    // every channel's first block finds its row open
    for (std::uint64_t j = 0; j < touched; ++j) {
      const std::uint64_t count = q + (j < rem ? 1 : 0);
      const std::uint64_t head = j == 0 ? headSkip : 0;
      const std::uint64_t tail = j == jLast ? tailSkip : 0;
      const std::uint64_t chBytes = count * g - head - tail;
      const std::uint64_t rowFirst = (round * g + head) >> rowShift_;
      const std::uint64_t rowLast = ((round + count) * g - tail - 1) >> rowShift_;
      Channel& c = channels_[ch];
      const bool hit = openRow(c) == rowFirst;
      allHit = allHit && hit;
      const std::uint64_t chActs = rowLast - rowFirst + (hit ? 0 : 1);
      const Ps turn = lastWrite(c) == write ? 0 : (write ? readToWrite_ : writeToRead_);
      setRow(c, rowLast, write);
      const Ps service = static_cast<Ps>(std::max(static_cast<double>(chBytes) * psPerByteDerated_,
                                                  static_cast<double>(chActs) * actDerated_) +
                                         0.5) +
                         turn;
      const Ps begin = std::max(start, busyUntil(c));
      const Ps end = begin + service;
      setBusy(c, end);
      if (trace_ != nullptr) traceGroup(static_cast<std::uint32_t>(ch), begin, end, chBytes);
      const Ps oneBank = chBytes >= g ? oneBlock_ : static_cast<Ps>(oneBankPs(chBytes) + 0.5);
      latest = std::max({latest, end, begin + oneBank});
      // The answer waits (other banks keep the channel busy meanwhile) for a
      // bank being refreshed, which closes its row, or for a bank activated
      // less than tRAS ago, which cannot precharge yet.
      // (bankOf is a bank of the pseudo-channel: below banks_.)
      const std::uint32_t bank =
          mapper_ != nullptr ? mapper_->bankOf((first + j) * g) : static_cast<std::uint32_t>(rowFirst % banks_);
      const Ps refreshed = refreshEnd(bank, begin);
      if (refreshed != 0 || !hit) {
        Ps& ready = bankPrechargeReady_[ch * banks_ + bank];
        // After a refresh the row is closed: the ACT may follow at once (tRP early).
        ready = std::max(ready, refreshed > tRP_ ? refreshed - tRP_ : 0);
        if (ready > begin) conflictLatest = std::max(conflictLatest, ready + oneBank);
        ready = std::max(begin, ready) + tRP_ + tRAS_;
      }
      acts += chActs;
      rows += rowLast - rowFirst + 1;
      busy += static_cast<double>(service);
      if (++ch == n) {
        ch = 0;
        ++round;
      }
    }
    // Latency to the data: a row hit's if every channel's first access
    // hits, else a miss's (the answer waits for the slowest channel).
    done = std::max(latest + (allHit ? hitLatency_ : missLatency_), conflictLatest + missLatency_);
    if (trace_ != nullptr) flushGroups();
  }
  (write ? writes_ : reads_) += 1;
  (write ? bytesWritten_ : bytesRead_) += static_cast<double>(bytes);
  rowBlocks_ += static_cast<double>(rows);
  activations_ += static_cast<double>(acts);
  channelBusy_ += busy;
  energy_ += static_cast<double>(bytes) * 8.0 * (write ? params_.writePjPerBit : params_.readPjPerBit) +
             static_cast<double>(acts) * params_.activatePj;
  return done;
}

void FastDram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t addr = gp.get_address();
  const std::uint64_t len = gp.get_data_length();
  if (!acceptPayload(store_, gp)) return;
  movePayloadData(store_, gp);
  const Ps now = nowPs();
  if (accessRecorder_ != nullptr) accessRecorder_->access(now + toPs(delay), gp.is_write(), addr, len);
  const Ps done = schedule(gp.is_write(), addr, len, now + toPs(delay));
  if (trace_ != nullptr) trace_->transfer(traceTrack_, now + toPs(delay), done, len);
  delay = fromPs(done - now);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned FastDram::transport_dbg(tlm::tlm_generic_payload& gp) {
  return store_.debugAccess(gp.is_write(), gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
}

} // namespace llmvp::models::dram
