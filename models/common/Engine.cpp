// SPDX-License-Identifier: Apache-2.0
#include "models/common/Engine.h"

#include "models/common/Extensions.h"
#include "models/common/Numerics.h"

namespace llmvp::models {

Engine::Engine(const sc_core::sc_module_name& name, std::uint32_t engineId, const EngineParams& params,
               ISemaphoreWait& semaphores, bool functional)
    : sc_module(name), regSocket("regSocket"), memSocket("memSocket"), id_(engineId), params_(params),
      functional_(functional), sems_(semaphores), stats_(this->name()),
      descriptors_(stats_.add("descriptors", "descriptors executed", Unit::Count)),
      busyPs_(stats_.add("busy", "time executing operations (compute, dispatch)", Unit::Ps)),
      memWaitPs_(stats_.add("mem_wait", "time within operations waiting on memory or the fabric", Unit::Ps)),
      semWaitPs_(stats_.add("sem_wait", "time blocked on semaphore waits", Unit::Ps)),
      bytesRead_(stats_.add("bytes_read", "bytes read over the memory socket", Unit::Bytes)),
      bytesWritten_(stats_.add("bytes_written", "bytes written over the memory socket", Unit::Bytes)),
      errors_(stats_.add("errors", "descriptors that halted the engine", Unit::Count)) {
  regSocket.register_b_transport(this, &Engine::b_transport);
  regSocket.register_transport_dbg(this, &Engine::transport_dbg);
  SC_THREAD(run);
}

void Engine::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  handle(gp, delay, nsToPs(params_.registerLatencyNs));
}

unsigned Engine::transport_dbg(tlm::tlm_generic_payload& gp) { return handleDebug(gp); }

bool Engine::readReg(std::uint32_t offset, std::uint32_t& v) {
  switch (offset) {
  case ENG_ID: v = id_; return true;
  case ENG_CTRL: v = ctrl_; return true;
  case ENG_STATUS: v = status_ | (head_ != tail_ && !halted() ? ENG_STATUS_BUSY : 0u); return true;
  case ENG_RING_BASE_LO: v = static_cast<std::uint32_t>(ringBase_); return true;
  case ENG_RING_BASE_HI: v = static_cast<std::uint32_t>(ringBase_ >> 32); return true;
  case ENG_RING_SIZE: v = ringSize_; return true;
  case ENG_HEAD: v = head_; return true;
  case ENG_TAIL: v = tail_; return true;
  case ENG_IRQ_STATUS: v = irqStatus_; return true;
  case ENG_IRQ_ENABLE: v = irqEnable_; return true;
  case ENG_ERR_CODE: v = errCode_; return true;
  case ENG_ERR_INDEX: v = errIndex_; return true;
  case ENG_ERR_INFO: v = errInfo_; return true;
  case ENG_COMPLETED: v = completed_; return true;
  default: return false;
  }
}

bool Engine::writeReg(std::uint32_t offset, std::uint32_t v, Ps when) {
  const sc_core::sc_time wake = fromPs(when > nowPs() ? when - nowPs() : 0);
  switch (offset) {
  case ENG_CTRL:
    if (v & ENG_CTRL_RESET) {
      status_ = 0;
      head_ = tail_ = completed_ = 0;
      errCode_ = errIndex_ = errInfo_ = 0;
      irqStatus_ = 0;
      updateIrq();
    }
    ctrl_ = v & ENG_CTRL_ENABLE;
    doorbell_.notify(wake);
    return true;
  case ENG_RING_BASE_LO:
    ringBase_ = (ringBase_ & ~0xffffffffull) | v;
    ++ringEpoch_;
    return true;
  case ENG_RING_BASE_HI: ringBase_ = (ringBase_ & 0xffffffffull) | (std::uint64_t{v} << 32); return true;
  case ENG_RING_SIZE: ringSize_ = v; return true;
  case ENG_TAIL:
    tail_ = v;
    doorbell_.notify(wake);
    return true;
  case ENG_IRQ_STATUS:
    irqStatus_ &= ~v;
    updateIrq();
    return true;
  case ENG_IRQ_ENABLE:
    irqEnable_ = v;
    updateIrq();
    return true;
  default: return false;
  }
}

void Engine::updateIrq() { irq.set((irqStatus_ & irqEnable_) != 0); }

void Engine::advanceTo(Ps t) {
  const Ps now = nowPs();
  qk_.set(fromPs(t > now ? t - now : 0));
  if (qk_.need_sync()) qk_.sync();
}

void Engine::syncNow() { qk_.sync(); }

void Engine::halt(const EngineError& err, std::uint32_t index) {
  syncNow();
  status_ |= ENG_STATUS_ERROR;
  if (errCode_ == ENG_ERR_NONE) {
    errCode_ = err.code;
    errInfo_ = err.field;
    errIndex_ = index;
  }
  errors_ += 1;
  irqStatus_ |= ENG_IRQ_ERROR;
  updateIrq();
}

EngineError Engine::validateCommon(const llmvp_desc& d) const {
  if (d.wait_sem > LLMVP_SEM_COUNT || d.signal_sem > LLMVP_SEM_COUNT) return {ENG_ERR_BAD_SEM, ENG_FIELD_SEM};
  if (!isValidDType(d.dt_in) || !isValidDType(d.dt_w) || !isValidDType(d.dt_out))
    return {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
  return {};
}

std::string opcodeName(std::uint8_t opcode) {
  switch (opcode) {
  case LLMVP_OP_NOP: return "nop";
  case LLMVP_OP_COPY: return "copy";
  case LLMVP_OP_GEMV: return "gemv";
  case LLMVP_OP_GEMV_MOE: return "gemv_moe";
  case LLMVP_OP_ATTN: return "attn";
  case LLMVP_OP_RMSNORM: return "rmsnorm";
  case LLMVP_OP_ROPE: return "rope";
  case LLMVP_OP_SWIGLU: return "swiglu";
  case LLMVP_OP_ADD: return "add";
  case LLMVP_OP_EMBED: return "embed";
  case LLMVP_OP_ARGMAX: return "argmax";
  case LLMVP_OP_TOPK: return "topk";
  case LLMVP_OP_MOE_COMBINE: return "moe_combine";
  case LLMVP_OP_MOE_DISPATCH: return "moe_dispatch";
  case LLMVP_OP_MOE_GATHER: return "moe_gather";
  case LLMVP_OP_MOE_RETURN: return "moe_return";
  case LLMVP_OP_GEMV_HEADS: return "gemv_heads";
  case LLMVP_OP_ATTN_MLA: return "attn_mla";
  case LLMVP_OP_ATTN_PREFILL: return "attn_prefill";
  case LLMVP_OP_PNM_GEMV: return "pnm_gemv";
  case LLMVP_OP_PNM_ATTN: return "pnm_attn";
  case LLMVP_OP_PNM_ATTN_APPEND: return "pnm_attn_append";
  case LLMVP_OP_PNM_REDUCE: return "pnm_reduce";
  case LLMVP_OP_ALL_REDUCE: return "all_reduce";
  case LLMVP_OP_ALL_GATHER: return "all_gather";
  case LLMVP_OP_REDUCE_SCATTER: return "reduce_scatter";
  case LLMVP_OP_ALL_TO_ALL: return "all_to_all";
  case LLMVP_OP_SEND: return "send";
  case LLMVP_OP_RECV: return "recv";
  default: {
    static const char* digits = "0123456789abcdef";
    return std::string("op0x") + digits[opcode >> 4] + digits[opcode & 15];
  }
  }
}

void Engine::recordOp(const llmvp_desc& d, std::uint32_t index, Ps start, Ps end, double read0, double written0,
                      double flops0) {
  if (opStats_.empty()) opStats_.resize(256);
  OpStats& o = opStats_[d.opcode];
  if (o.count == nullptr) {
    const std::string p = "op." + opcodeName(d.opcode) + ".";
    o.count = &stats_.add(p + "count", "descriptors of this opcode", Unit::Count);
    o.time = &stats_.add(p + "time", "time from dispatch to completion", Unit::Ps);
    o.bytes = &stats_.add(p + "bytes", "bytes read and written", Unit::Bytes);
    o.flops = &stats_.add(p + "flops", "floating-point operations", Unit::Flop);
  }
  const double bytes = bytesRead_.value - read0 + bytesWritten_.value - written0;
  const double flops = flopsSoFar() - flops0;
  *o.count += 1;
  *o.time += static_cast<double>(end - start);
  *o.bytes += bytes;
  *o.flops += flops;
  if (trace_ == nullptr) return;
  if (!trace_->wants(start, end)) {
    trace_->skip();
    return;
  }
  trace_->span(traceTrack_, opcodeName(d.opcode), "descriptor", start, end,
               {{"index", std::to_string(index)},
                {"bytes", std::to_string(static_cast<std::uint64_t>(bytes))},
                {"flops", std::to_string(static_cast<std::uint64_t>(flops))},
                {"src0", TraceRecorder::hex(d.src0)},
                {"src1", TraceRecorder::hex(d.src1)},
                {"src2", TraceRecorder::hex(d.src2)},
                {"dst", TraceRecorder::hex(d.dst)},
                {"m", std::to_string(d.m)},
                {"n", std::to_string(d.n)},
                {"k", std::to_string(d.k)},
                {"wait_sem", std::to_string(d.wait_sem)},
                {"signal_sem", std::to_string(d.signal_sem)}});
}

Ps Engine::access(tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data, std::uint64_t bytes, Ps at,
                  bool timingOnly, std::uint32_t field, EngineError& err) {
  static std::uint8_t dummy = 0;
  tlm::tlm_generic_payload gp;
  TimingOnlyExtension timingOnlyExt;
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(data ? data : &dummy);
  gp.set_data_length(static_cast<unsigned>(bytes));
  gp.set_streaming_width(static_cast<unsigned>(bytes));
  gp.set_byte_enable_ptr(nullptr);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  if (timingOnly) gp.set_extension(&timingOnlyExt);
  sc_core::sc_time delay = fromPs(at > nowPs() ? at - nowPs() : 0);
  memSocket->b_transport(gp, delay);
  if (timingOnly) gp.clear_extension(&timingOnlyExt);
  if (gp.get_response_status() != tlm::TLM_OK_RESPONSE) err = {ENG_ERR_BUS, field};
  (cmd == tlm::TLM_READ_COMMAND ? bytesRead_ : bytesWritten_) += static_cast<double>(bytes);
  return nowPs() + toPs(delay);
}

void Engine::accountOp(Ps span, Ps compute) {
  busyPs_ += static_cast<double>(compute);
  memWaitPs_ += static_cast<double>(span > compute ? span - compute : 0);
}

void Engine::run() {
  const Ps dispatch = cyclesPs(params_.dispatchCycles);
  Ps fetchIssue = 0; // descriptor fetch i+1 is issued when operation i starts
  // Derived engines add their statistics after this base was constructed.
  for (const Stat& s : stats_.stats())
    if (s.name == "flops") flopsStat_ = &s;
  for (;;) {
    if (!(ctrl_ & ENG_CTRL_ENABLE) || halted() || head_ == tail_) {
      syncNow();
      sc_core::wait(doorbell_);
      fetchIssue = nowPs();
      continue;
    }
    const std::uint32_t index = head_;
    if (ringSize_ == 0 || tail_ - head_ > ringSize_ || (ringBase_ % LLMVP_DESC_BYTES) != 0) {
      halt({ENG_ERR_RING, 0}, index);
      continue;
    }
    llmvp_desc d;
    EngineError err;
    const std::uint64_t slotAddr = ringBase_ + std::uint64_t{index % ringSize_} * LLMVP_DESC_BYTES;
    const Ps fetched = access(tlm::TLM_READ_COMMAND, slotAddr, reinterpret_cast<std::uint8_t*>(&d), LLMVP_DESC_BYTES,
                              std::max(fetchIssue, nowPs()), false, 0, err);
    advanceTo(std::max(localNow(), fetched)); // nothing about the descriptor is known before it arrives
    if (!err.ok()) {
      halt({ENG_ERR_FETCH, 0}, index);
      continue;
    }
    err = validateCommon(d);
    if (!err.ok()) {
      halt(err, index);
      continue;
    }
    Ps semWait = 0;
    if (d.wait_sem != 0) {
      syncNow();
      const Ps before = nowPs();
      sems_.waitAndDecrement(d.wait_sem - 1u);
      semWaitPs_ += static_cast<double>(nowPs() - before);
      semWait = nowPs() - before;
      // Per semaphore, created on first wait: "sem.<index>.wait" (e.g. the
      // HBF prefetch's weights-staged semaphore, for the flash stall figure).
      const std::uint32_t si = d.wait_sem - 1u;
      if (semWaitBy_.size() <= si) semWaitBy_.resize(si + 1u, nullptr);
      if (semWaitBy_[si] == nullptr)
        semWaitBy_[si] = &stats_.add("sem." + std::to_string(si) + ".wait",
                                     "time blocked waiting on semaphore " + std::to_string(si), Unit::Ps);
      *semWaitBy_[si] += static_cast<double>(nowPs() - before);
      semWaitFor_[sems_.signaller(si)] += nowPs() - before;
      if (trace_ != nullptr && nowPs() > before)
        trace_->span(traceTrack_, "wait sem " + std::to_string(d.wait_sem - 1u), "semaphore", before, nowPs());
    }
    const Ps start = localNow();
    fetchIssue = start;
    busyPs_ += static_cast<double>(dispatch);
    const double read0 = bytesRead_.value, written0 = bytesWritten_.value, flops0 = flopsSoFar();
    const double busy0 = busyPs_.value;
    const Ps end = execute(d, start + dispatch, err);
    advanceTo(end);
    if (!err.ok()) {
      halt(err, index);
      continue;
    }
    descriptors_ += 1;
    recordOp(d, index, start, end, read0, written0, flops0);
    if (observer_ != nullptr)
      observer_->onOp(*this, {d, ringBase_, ringEpoch_, start, end, static_cast<Ps>(busyPs_.value - busy0), semWait,
                              bytesRead_.value - read0 + bytesWritten_.value - written0, flopsSoFar() - flops0});
    if (d.signal_sem != 0) {
      syncNow();
      sems_.noteSignaller(d.signal_sem - 1u, name());
      std::uint32_t one = 1;
      EngineError sigErr;
      const Ps done = access(tlm::TLM_WRITE_COMMAND, params_.semSignalAddress + std::uint64_t{4} * (d.signal_sem - 1u),
                             reinterpret_cast<std::uint8_t*>(&one), 4, nowPs(), false, ENG_FIELD_SEM, sigErr);
      advanceTo(done);
      if (!sigErr.ok()) {
        halt(sigErr, index);
        continue;
      }
    }
    ++head_;
    ++completed_;
    if (d.flags & DESC_F_IRQ) {
      syncNow();
      irqStatus_ |= ENG_IRQ_DONE;
      updateIrq();
    }
  }
}

} // namespace llmvp::models
