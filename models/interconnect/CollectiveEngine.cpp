// SPDX-License-Identifier: Apache-2.0
#include "models/interconnect/CollectiveEngine.h"

namespace llmvp::models::interconnect {

CollectiveEngine::CollectiveEngine(const sc_core::sc_module_name& name, const EngineParams& params,
                                   ISemaphoreWait& semaphores, CollectiveGroup& group, std::uint32_t chip,
                                   bool functional)
    : Engine(name, ENG_ID_COLL, params, semaphores, functional), group_(group), chip_(chip),
      networkPs_(statsGroup().add("network_wait", "time from input read to result ready at this chip", Unit::Ps)) {}

Ps CollectiveEngine::execute(const llmvp_desc& d, Ps start, EngineError& err) {
  CollectiveGroup::Request req;
  req.groupFirst = d.k;
  req.groupRanks = d.m;
  switch (d.opcode) {
  case LLMVP_OP_NOP: return start;
  case LLMVP_OP_ALL_REDUCE: req.op = CollectiveOp::AllReduce; break;
  case LLMVP_OP_ALL_GATHER: req.op = CollectiveOp::AllGather; break;
  case LLMVP_OP_REDUCE_SCATTER: req.op = CollectiveOp::ReduceScatter; break;
  case LLMVP_OP_ALL_TO_ALL: req.op = CollectiveOp::AllToAll; break;
  case LLMVP_OP_SEND:
  case LLMVP_OP_RECV: return transfer(d, start, err);
  default: err = {ENG_ERR_BAD_OPCODE, ENG_FIELD_OPCODE}; return start;
  }
  // U32: opaque words (MoE dispatch records), moved by an all-to-all only.
  const bool words = d.dt_in == LLMVP_DT_U32 && req.op == CollectiveOp::AllToAll;
  if (d.dt_in != LLMVP_DT_FP32 && d.dt_in != LLMVP_DT_BF16 && !words) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  if (!group_.validGroup(chip_, req)) {
    err = {ENG_ERR_GROUP, ENG_FIELD_DIMS};
    return start;
  }
  const bool variable = d.src2 != 0;
  if (d.n == 0 || d.arg0 > LLMVP_COLL_ALG_IN_SWITCH || (variable && req.op != CollectiveOp::AllToAll)) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const std::uint64_t ranks = d.m;
  const bool gathered_in = req.op == CollectiveOp::ReduceScatter || req.op == CollectiveOp::AllToAll;
  const bool gathered_out = req.op == CollectiveOp::AllGather || req.op == CollectiveOp::AllToAll;
  const std::uint64_t eb = dtypeBytes(static_cast<DType>(d.dt_in));
  const std::uint64_t inBytes = d.n * eb * (gathered_in ? ranks : 1);
  const std::uint64_t outBytes = d.n * eb * (gathered_out ? ranks : 1);
  // Dispatch records travel in timing-only runs too: their expert ids steer
  // the receivers' expert GEMVs.
  const bool carry = functional() || words;
  if (carry) {
    in_.assign(inBytes, 0);
    out_.assign(outBytes, 0);
  }
  Ps ready = start;
  std::vector<std::uint32_t> sendCounts(variable ? ranks : 0), recvCounts(variable ? ranks : 0);
  if (variable) { // the counts are control data: read in both modes
    ready = access(tlm::TLM_READ_COMMAND, d.src2, reinterpret_cast<std::uint8_t*>(sendCounts.data()), ranks * 4, start,
                   false, ENG_FIELD_SRC2, err);
    if (!err.ok()) return ready;
    for (const std::uint32_t k : sendCounts)
      if (k > d.n) {
        err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC2};
        return ready;
      }
  }
  // A variable all-to-all reads and writes only the blocks' counted parts
  // (the rest of each output block is left as it was).
  auto blocks = [&](tlm::tlm_command cmd, std::uint64_t addr, const std::vector<std::uint32_t>& lens, Ps at,
                    std::uint8_t* data, std::uint32_t field) {
    Ps end = at;
    for (std::uint64_t c = 0; c < ranks && err.ok(); ++c)
      if (lens[c] != 0)
        end = std::max(end, access(cmd, addr + c * d.n * eb, carry ? data + c * d.n * eb : nullptr, lens[c] * eb, at,
                                   !carry, field, err));
    return end;
  };
  if (variable)
    ready = blocks(tlm::TLM_READ_COMMAND, d.src0, sendCounts, ready, in_.data(), ENG_FIELD_SRC0);
  else
    ready = access(tlm::TLM_READ_COMMAND, d.src0, carry ? in_.data() : nullptr, inBytes, start, !carry, ENG_FIELD_SRC0,
                   err);
  if (!err.ok()) return ready;
  req.algorithm = static_cast<Algorithm>(d.arg0);
  req.tag = d.arg1;
  req.dtype = static_cast<DType>(d.dt_in);
  req.elements = d.n;
  req.input = carry ? in_.data() : nullptr;
  req.output = carry ? out_.data() : nullptr;
  req.ready = ready;
  req.sendCounts = sendCounts;
  req.recvCounts = variable ? recvCounts.data() : nullptr;
  syncAt(ready);
  bool ok = true;
  const Ps done = group_.run(chip_, req, ok);
  if (!ok) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return done;
  }
  networkPs_ += static_cast<double>(done - ready);
  Ps end = done;
  if (variable) {
    end = blocks(tlm::TLM_WRITE_COMMAND, d.dst, recvCounts, done, out_.data(), ENG_FIELD_DST);
    if (err.ok() && d.src1 != 0)
      end = std::max(end, access(tlm::TLM_WRITE_COMMAND, d.src1, reinterpret_cast<std::uint8_t*>(recvCounts.data()),
                                 ranks * 4, done, false, ENG_FIELD_SRC1, err));
  } else {
    end = access(tlm::TLM_WRITE_COMMAND, d.dst, carry ? out_.data() : nullptr, outBytes, done, !carry, ENG_FIELD_DST,
                 err);
  }
  accountOp(end - start, 0);
  return end;
}

Ps CollectiveEngine::transfer(const llmvp_desc& d, Ps start, EngineError& err) {
  if (d.dt_in != LLMVP_DT_FP32 && d.dt_in != LLMVP_DT_BF16 && d.dt_in != LLMVP_DT_U32) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  if (d.n == 0 || d.arg0 >= group_.chips() || d.arg0 == chip_) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const auto dtype = static_cast<DType>(d.dt_in);
  const std::uint64_t bytes = d.n * dtypeBytes(dtype);
  // Token ids travel in timing-only runs too: the next stage embeds them.
  const bool carry = functional() || dtype == DType::U32;
  in_.assign(carry ? bytes : 0, 0);
  bool ok = true;
  Ps end = start;
  if (d.opcode == LLMVP_OP_SEND) {
    const Ps ready =
        access(tlm::TLM_READ_COMMAND, d.src0, carry ? in_.data() : nullptr, bytes, start, !carry, ENG_FIELD_SRC0, err);
    if (!err.ok()) return ready;
    syncAt(ready);
    end = group_.send(chip_, d.arg0, d.arg1, dtype, d.n, carry ? in_.data() : nullptr, ready, ok);
    networkPs_ += static_cast<double>(end - ready);
  } else {
    syncAt(start);
    const Ps arrived = group_.recv(chip_, d.arg0, d.arg1, dtype, d.n, carry ? in_.data() : nullptr, start, ok);
    if (ok)
      end = access(tlm::TLM_WRITE_COMMAND, d.dst, carry ? in_.data() : nullptr, bytes, arrived, !carry, ENG_FIELD_DST,
                   err);
    networkPs_ += static_cast<double>(arrived - start);
  }
  if (!ok) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return end;
  }
  accountOp(end - start, 0);
  return end;
}

} // namespace llmvp::models::interconnect
