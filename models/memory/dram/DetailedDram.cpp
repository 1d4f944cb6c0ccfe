// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/DetailedDram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/common/Extensions.h"

namespace llmvp::models::dram {

namespace {
/// Tags of loosely-timed pieces (AT pieces are tagged with their transaction index).
constexpr std::uint64_t kLtTagBit = std::uint64_t{1} << 63;
} // namespace

DetailedDram::DetailedDram(const sc_core::sc_module_name& name, const DramParams& params, ICommandRecorder* recorder)
    : sc_module(name), socket("socket"), params_(params), tckPs_(params.c.tCKns * kPsPerNs),
      ctrlLatency_(nsToPs(params.controllerLatencyNs)),
      minDataLatency_(static_cast<Cycle>(std::min(params.c.RL, params.c.WL) + params.c.burstCycles)),
      burstShift_(ceilLog2(params.burstBytes())), mapper_(params), store_(params.capacityBytes),
      peq_(this, &DetailedDram::peqCallback), stats_(this->name()),
      reads_(stats_.add("reads", "read requests", Unit::Count)),
      writes_(stats_.add("writes", "write requests", Unit::Count)),
      bytesRead_(stats_.add("bytes_read", "bytes read", Unit::Bytes)),
      bytesWritten_(stats_.add("bytes_written", "bytes written", Unit::Bytes)),
      activations_(stats_.add("activations", "ACT commands", Unit::Count)),
      precharges_(stats_.add("precharges", "PRE and PREA commands and auto-precharges", Unit::Count)),
      refreshes_(stats_.add("refreshes", "all-bank and per-bank REF commands", Unit::Count)),
      rowHits_(stats_.add("row_hits", "pieces served without an activation of their own", Unit::Count)),
      pieces_(stats_.add("pieces", "row-sized pieces the requests were split into", Unit::Count)),
      readLatency_(stats_.add("read_latency", "sum over reads of request to response", Unit::Ps)),
      energy_(stats_.add("energy", "dynamic energy (ACT/PRE, RD, WR, REF commands)", Unit::Pj)) {
  const std::uint32_t n = params.channels() / params.pseudoChannels;
  for (std::uint32_t c = 0; c < n; ++c) channels_.push_back(std::make_unique<ChannelController>(params, c, recorder));
  socket.register_nb_transport_fw(this, &DetailedDram::nb_transport_fw);
  socket.register_b_transport(this, &DetailedDram::b_transport);
  socket.register_transport_dbg(this, &DetailedDram::transport_dbg);
  SC_HAS_PROCESS(DetailedDram);
  SC_METHOD(wakeUp);
  sensitive << wake_;
  dont_initialize();
}

Cycle DetailedDram::cycleAt(Ps ps) const {
  auto c = static_cast<Cycle>(std::floor(static_cast<double>(ps) / tckPs_));
  while (cycleStart(c) < ps) ++c;
  while (c > 0 && cycleStart(c - 1) >= ps) --c;
  return c;
}

bool DetailedDram::access(tlm::tlm_generic_payload& gp) {
  const std::uint64_t addr = gp.get_address();
  const std::uint64_t len = gp.get_data_length();
  if (len == 0 || !store_.contains(addr, len) ||
      (mapper_.limitBytes() != 0 && (addr >= mapper_.limitBytes() || len > mapper_.limitBytes() - addr))) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (gp.is_write()) {
    if (carriesData(gp)) store_.write(addr, gp.get_data_ptr(), len);
    writes_ += 1;
    bytesWritten_ += static_cast<double>(len);
  } else {
    if (carriesData(gp)) store_.read(addr, gp.get_data_ptr(), len);
    reads_ += 1;
    bytesRead_ += static_cast<double>(len);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void DetailedDram::advanceAll(Cycle limit) {
  for (auto& ch : channels_)
    if (!ch->idle()) ch->advance(limit, accepted_, done_);
}

template <typename BeforeSubmit>
std::uint32_t DetailedDram::submitPieces(std::uint64_t tag, bool write, std::uint64_t addr, std::uint64_t len,
                                         Cycle arrival, BeforeSubmit&& beforeSubmit) {
  // One piece per run of the mapping (consecutive bytes of one row of one
  // bank), a few bursts long.
  const std::uint64_t run = mapper_.runBytes();
  const std::uint32_t beatsPerBurst = params_.burstLength;
  std::uint32_t pieces = 0;
  for (std::uint64_t a = addr, end = addr + len; a < end;) {
    const std::uint64_t runEnd = std::min(end, (a & ~(run - 1)) + run);
    const DramAddress d = mapper_.decode(a);
    beforeSubmit(d.channel, runEnd - a);
    Piece p;
    p.tag = tag;
    p.arrival = arrival;
    p.pc = d.pc;
    p.bank = d.bank;
    p.row = d.row;
    p.column = d.column & ~(beatsPerBurst - 1);
    p.bursts = static_cast<std::uint32_t>(((runEnd - 1) >> burstShift_) - (a >> burstShift_) + 1);
    p.write = write;
    (void)channels_[d.channel]->submit(p, accepted_);
    ++pieces;
    a = runEnd;
  }
  pieces_ += pieces;
  return pieces;
}

std::uint32_t DetailedDram::start(tlm::tlm_generic_payload* gp, sc_core::sc_event* ev, bool write, std::uint64_t addr,
                                  std::uint64_t len) {
  std::uint32_t id;
  if (freeTxns_.empty()) {
    id = static_cast<std::uint32_t>(txns_.size());
    txns_.emplace_back();
  } else {
    id = freeTxns_.back();
    freeTxns_.pop_back();
  }
  txns_[id] = Txn{gp, ev, 0, 0, 0, 0, nowPs(), false, true, false, false};
  if (gp != nullptr && params_.ctrl.inOrderResponses) order_.push_back(id);
  const Cycle arrival = cycleAt(nowPs());
  const std::uint32_t pieces = submitPieces(id, write, addr, len, arrival, [&](std::uint32_t c, std::uint64_t) {
    channels_[c]->advance(arrival, accepted_, done_);
  });
  txns_[id].pieces = pieces;
  return id;
}

void DetailedDram::collect() {
  std::vector<tlm::tlm_generic_payload*> endReqs;
  for (const PieceAccepted& a : accepted_) {
    if ((a.tag & kLtTagBit) != 0) continue;
    Txn& t = txns_[a.tag];
    if (++t.accepted == t.pieces && t.gp != nullptr && !t.endReqSent) {
      t.endReqSent = true;
      if (blocked_ == static_cast<std::int64_t>(a.tag)) {
        blocked_ = -1;
        endReqs.push_back(t.gp);
      }
    }
  }
  accepted_.clear();
  const Ps now = nowPs();
  for (const PieceDone& d : done_) {
    if (d.rowHit) rowHits_ += 1;
    if ((d.tag & kLtTagBit) != 0) continue; // loosely timed: answered when scheduled
    Txn& t = txns_[d.tag];
    t.dataEnd = std::max(t.dataEnd, d.dataEnd);
    if (++t.done < t.pieces) continue;
    const Ps at = std::max(now, cycleStart(t.dataEnd) + ctrlLatency_);
    if (t.gp != nullptr) {
      if (t.gp->is_read()) readLatencySum_ += static_cast<double>(at - t.begin);
      peq_.notify(*t.gp, tlm::BEGIN_RESP, fromPs(at - now));
    } else {
      t.doneEvent->notify(fromPs(at - now));
    }
  }
  done_.clear();
  for (tlm::tlm_generic_payload* gp : endReqs) {
    tlm::tlm_phase phase = tlm::END_REQ;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    (void)socket->nb_transport_bw(*gp, phase, delay);
  }
}

void DetailedDram::scheduleWake() {
  Cycle w = kNever;
  for (auto& ch : channels_) {
    if (ch->idle()) continue;
    const Cycle n = ch->nextCommandCycle();
    if (n >= kNever) continue;
    const bool exact = blocked_ >= 0 && ch->backlogged();
    w = std::min(w, exact ? n : n + minDataLatency_);
  }
  if (w >= kNever) return;
  const Ps at = cycleStart(w), now = nowPs();
  wake_.notify(fromPs(at > now ? at - now : 0));
}

void DetailedDram::wakeUp() {
  advanceAll(cycleAt(nowPs()) + 1);
  collect();
  scheduleWake();
}

void DetailedDram::releaseTxn(std::uint32_t id) {
  txns_[id].inUse = false;
  txns_[id].responding = false;
  txns_[id].gp = nullptr;
  freeTxns_.push_back(id);
}

tlm::tlm_sync_enum DetailedDram::nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                                 sc_core::sc_time& delay) {
  if (phase == tlm::BEGIN_REQ && delay == sc_core::SC_ZERO_TIME) {
    // Fast path of the same handling as the queue's: accept at once if there is room.
    if (!access(gp)) {
      phase = tlm::END_REQ;
      peq_.notify(gp, tlm::BEGIN_RESP, sc_core::SC_ZERO_TIME);
      return tlm::TLM_UPDATED;
    }
    advanceAll(cycleAt(nowPs()));
    const std::uint32_t id = start(&gp, nullptr, gp.is_write(), gp.get_address(), gp.get_data_length());
    collect();
    const bool acceptedNow = txns_[id].accepted == txns_[id].pieces;
    txns_[id].endReqSent = acceptedNow;
    if (!acceptedNow) blocked_ = id;
    scheduleWake();
    if (!acceptedNow) return tlm::TLM_ACCEPTED;
    phase = tlm::END_REQ;
    return tlm::TLM_UPDATED;
  }
  peq_.notify(gp, phase, delay);
  return tlm::TLM_ACCEPTED;
}

void DetailedDram::peqCallback(tlm::tlm_generic_payload& gp, const tlm::tlm_phase& phase) {
  if (phase == tlm::BEGIN_REQ) {
    tlm::tlm_phase p = tlm::BEGIN_REQ;
    sc_core::sc_time zero = sc_core::SC_ZERO_TIME;
    if (nb_transport_fw(gp, p, zero) == tlm::TLM_UPDATED) {
      tlm::tlm_phase endReq = tlm::END_REQ;
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      (void)socket->nb_transport_bw(gp, endReq, d);
    }
  } else if (phase == tlm::BEGIN_RESP) {
    if (!params_.ctrl.inOrderResponses) {
      sendResponse(gp);
      return;
    }
    const std::int64_t id = txnOf(gp, false);
    if (id >= 0) txns_[id].ready = true;
    while (!order_.empty() && txns_[order_.front()].ready) {
      tlm::tlm_generic_payload* next = txns_[order_.front()].gp;
      txns_[order_.front()].ready = false;
      order_.pop_front();
      sendResponse(*next);
    }
  } else if (phase == tlm::END_RESP) {
    responseBusy_ = false;
    const std::int64_t id = txnOf(gp, true);
    if (id >= 0) releaseTxn(static_cast<std::uint32_t>(id));
    if (!responses_.empty()) {
      tlm::tlm_generic_payload* next = responses_.front();
      responses_.pop_front();
      sendResponse(*next);
    }
  }
}

std::int64_t DetailedDram::txnOf(const tlm::tlm_generic_payload& gp, bool responding) const {
  for (std::uint32_t i = 0; i < txns_.size(); ++i)
    if (txns_[i].inUse && txns_[i].gp == &gp && txns_[i].responding == responding) return i;
  return -1;
}

void DetailedDram::sendResponse(tlm::tlm_generic_payload& gp) {
  if (responseBusy_) {
    responses_.push_back(&gp);
    return;
  }
  tlm::tlm_generic_payload* cur = &gp;
  while (cur != nullptr) {
    // The initiator may reuse the payload for a new request inside the
    // backward call: the transaction is identified before it.
    const std::int64_t id = txnOf(*cur, false);
    if (id >= 0) txns_[id].responding = true;
    tlm::tlm_phase phase = tlm::BEGIN_RESP;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const tlm::tlm_sync_enum r = socket->nb_transport_bw(*cur, phase, delay);
    if (r == tlm::TLM_ACCEPTED || (r == tlm::TLM_UPDATED && phase != tlm::END_RESP)) {
      responseBusy_ = true;
      return;
    }
    if (id >= 0) releaseTxn(static_cast<std::uint32_t>(id));
    cur = nullptr;
    if (!responses_.empty()) {
      cur = responses_.front();
      responses_.pop_front();
    }
  }
}

void DetailedDram::setTrace(TraceRecorder* recorder, const std::string& process) {
  trace_ = recorder;
  groupTracks_.clear();
  if (recorder == nullptr) return;
  traceTrack_ = recorder->addTrack(process, std::string("memory ") + basename());
  groups_ = traceGroups(static_cast<std::uint32_t>(channels_.size()));
  groupTracks_ = groups_.addTracks(*recorder, process, basename(), "ch");
}

Ps DetailedDram::schedule(bool write, std::uint64_t addr, std::uint64_t len, Ps arrivalPs) {
  // Each touched channel is advanced until the request's pieces are all in
  // its request buffer: up to there, requests arriving later cannot change
  // what it does (they would queue behind these pieces), so those commands
  // are final. The request's completion is then found on a copy of the
  // channel run until idle, as if nothing else arrived; the channel itself
  // keeps the buffered pieces, so the next request's pieces are scheduled
  // together with them, as in the controller's buffer of the 4-phase path.
  if (ltPieces_.empty()) {
    ltPieces_.assign(channels_.size(), 0);
    ltBytes_.assign(channels_.size(), 0);
    ltFirst_.assign(channels_.size(), 0);
    ltSpec_.resize(channels_.size());
  }
  const std::uint64_t tag = kLtTagBit | ltSeq_++;
  const Cycle arrival = cycleAt(arrivalPs);
  (void)submitPieces(tag, write, addr, len, arrival, [&](std::uint32_t c, std::uint64_t bytes) {
    if (ltPieces_[c]++ == 0) {
      ltTouched_.push_back(c);
      ltFirst_[c] = arrival;
      channels_[c]->advance(arrival, accepted_, done_);
    }
    ltBytes_[c] += bytes;
  });
  Cycle dataEnd = arrival;
  std::uint32_t group = ~0u;
  Ps groupBegin = 0, groupEnd = 0;
  std::uint64_t groupBytes = 0;
  for (const std::uint32_t c : ltTouched_) {
    ChannelController& ch = *channels_[c];
    ch.advanceUntilAccepted(accepted_, done_);
    Cycle chEnd = ltFirst_[c];
    for (const PieceDone& d : done_) {
      if (d.tag == tag) chEnd = std::max(chEnd, d.dataEnd);
      if (d.rowHit) rowHits_ += 1;
    }
    done_.clear();
    if (!ch.idle()) {
      if (!ltSpec_[c]) ltSpec_[c] = std::make_unique<ChannelController>(params_, c, nullptr);
      ChannelController& spec = *ltSpec_[c];
      spec.copyStateFrom(ch);
      spec.advanceUntilIdle(accepted_, specDone_);
      for (const PieceDone& d : specDone_) {
        if (d.tag == tag) chEnd = std::max(chEnd, d.dataEnd);
        ltHorizon_ = std::max(ltHorizon_, d.dataEnd);
      }
      specDone_.clear();
    }
    accepted_.clear();
    dataEnd = std::max(dataEnd, chEnd);
    if (trace_ != nullptr) {
      // One transfer per channel group: the touched channels come in address
      // order, so a group's channels are usually adjacent in this list.
      const std::uint32_t g = groups_.groupOf(c);
      if (g != group && groupBytes > 0) trace_->transfer(groupTracks_[group], groupBegin, groupEnd, groupBytes);
      if (g != group || groupBytes == 0) {
        group = g;
        groupBegin = cycleStart(ltFirst_[c]);
        groupEnd = cycleStart(chEnd);
        groupBytes = 0;
      }
      groupBegin = std::min(groupBegin, cycleStart(ltFirst_[c]));
      groupEnd = std::max(groupEnd, cycleStart(chEnd));
      groupBytes += ltBytes_[c];
    }
    ltPieces_[c] = 0;
    ltBytes_[c] = 0;
  }
  if (trace_ != nullptr && groupBytes > 0) trace_->transfer(groupTracks_[group], groupBegin, groupEnd, groupBytes);
  ltTouched_.clear();
  ltHorizon_ = std::max(ltHorizon_, dataEnd);
  const Ps at = std::max(arrivalPs, cycleStart(dataEnd) + ctrlLatency_);
  if (!write) readLatencySum_ += static_cast<double>(at - arrivalPs);
  return at;
}

void DetailedDram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (!access(gp)) return;
  const Ps now = nowPs();
  const Ps arrival = now + toPs(delay);
  if (accessRecorder_ != nullptr)
    accessRecorder_->access(arrival, gp.is_write(), gp.get_address(), gp.get_data_length());
  const Ps done = schedule(gp.is_write(), gp.get_address(), gp.get_data_length(), arrival);
  if (trace_ != nullptr) trace_->transfer(traceTrack_, arrival, done, gp.get_data_length());
  delay = fromPs(done - now);
}

unsigned DetailedDram::transport_dbg(tlm::tlm_generic_payload& gp) {
  return store_.debugAccess(gp.is_write(), gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
}

void DetailedDram::finish() { finishAt(nowPs()); }

void DetailedDram::finishAt(Ps end) {
  const Cycle c = std::max(cycleAt(end), ltHorizon_);
  for (auto& ch : channels_) {
    ch->advance(c, accepted_, done_);
    ch->closeAccounting(c);
  }
  collect();
}

double DetailedDram::energyPj() const {
  double pj = 0;
  const double burstBits = params_.burstBytes() * 8.0;
  for (const auto& ch : channels_) {
    const auto& n = ch->counters().commands;
    const auto count = [&](Command c) { return static_cast<double>(n[static_cast<std::size_t>(c)]); };
    pj += count(Command::ACT) * params_.activatePj;
    pj += (count(Command::RD) + count(Command::RDA)) * burstBits * params_.readPjPerBit;
    pj += (count(Command::WR) + count(Command::WRA)) * burstBits * params_.writePjPerBit;
    pj += count(Command::REFab) * params_.refreshPj + count(Command::REFpb) * params_.refreshPj / params_.banksPerPc();
  }
  return pj;
}

const StatsGroup& DetailedDram::stats() const {
  double act = 0, pre = 0, ref = 0;
  for (const auto& ch : channels_) {
    const auto& n = ch->counters().commands;
    const auto count = [&](Command c) { return static_cast<double>(n[static_cast<std::size_t>(c)]); };
    act += count(Command::ACT);
    pre += count(Command::PRE) + count(Command::PREA) + count(Command::RDA) + count(Command::WRA);
    ref += count(Command::REFab) + count(Command::REFpb);
  }
  activations_.value = act;
  precharges_.value = pre;
  refreshes_.value = ref;
  readLatency_.value = readLatencySum_;
  energy_.value = energyPj();
  return stats_;
}

} // namespace llmvp::models::dram
