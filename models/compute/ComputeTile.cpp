// SPDX-License-Identifier: Apache-2.0
#include "models/compute/ComputeTile.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <utility>

#include "firmware/include/descriptors.h"
#include "models/common/Operands.h"
#include "models/compute/Kernels.h"
#include "models/compute/VectorCost.h"

namespace llmvp::models::compute {

namespace {
constexpr std::uint32_t kSkippedSlot = ~0u; // GEMV_MOE: a slot routed to another chip's expert

/// The matrix engine's type for a descriptor's input (dt_in) and weight or
/// KV-cache (dt_w) operands; integer weights run at the input's type.
DType computeTypeOf(const llmvp_desc& d) {
  const auto in = static_cast<DType>(d.dt_in);
  return isQuantized(d.dt_w) ? in : computeType(static_cast<DType>(d.dt_w), in);
}
} // namespace

ComputeTile::ComputeTile(const sc_core::sc_module_name& name, const TileParams& params, ISemaphoreWait& semaphores,
                         bool functional)
    : Engine(name, ENG_ID_TILE, params.engine, semaphores, functional), tp_(params),
      spad_("scratchpad", params.scratchpad),
      macs_(statsGroup().add("macs", "matrix-engine multiply-accumulates", Unit::Count)),
      flops_(statsGroup().add("flops", "floating-point operations (2 per MAC + vector ops)", Unit::Flop)),
      vectorOps_(statsGroup().add("vector_ops", "vector-engine element-operations", Unit::Count)),
      matrixBusy_(statsGroup().add("matrix_busy", "matrix-engine busy time", Unit::Ps)),
      vectorBusy_(statsGroup().add("vector_busy", "vector-engine busy time", Unit::Ps)),
      energy_(statsGroup().add("energy", "matrix and vector dynamic energy", Unit::Pj)),
      expertsLoaded_(statsGroup().add("experts_loaded", "expert weight matrices streamed by GEMV_MOE", Unit::Count)),
      hbfBuffer_(params.hbfBuffer, params.engine.chunkBytes),
      hbfStall_(statsGroup().add("hbf_stall", "time the tile waited for data from the HBF buffer window", Unit::Ps)),
      hbfReadAheadHit_(statsGroup().add("hbf_readahead_hit_bytes",
                                        "bytes a stream found already requested by the HBF read-ahead", Unit::Bytes)),
      hbfReadAheadWasted_(statsGroup().add("hbf_readahead_wasted_bytes", "bytes read ahead from HBF and dropped unused",
                                           Unit::Bytes)) {}

std::uint32_t ComputeTile::depthFor(std::uint64_t addr) const {
  return hbfBuffer_.covers(addr, 1) ? hbfBuffer_.params().depth : params().maxOutstanding;
}

double ComputeTile::peakFlops(DType t) const {
  return 2.0 * tp_.macsPerCycle.at(static_cast<std::size_t>(t)) * params().clockMhz * 1e6;
}

bool ComputeTile::inScratchpad(std::uint64_t addr, std::uint64_t bytes) const {
  return addr >= tp_.scratchpadBase && addr - tp_.scratchpadBase < tp_.scratchpad.bytes;
}

std::uint8_t* ComputeTile::buffer(std::size_t slot, std::uint64_t bytes) {
  return buffers_.get(functional(), slot, bytes);
}

Ps ComputeTile::read(std::uint64_t addr, std::uint64_t bytes, Ps at, std::uint8_t* dst, std::uint32_t field,
                     EngineError& err) {
  Ps ignored = 0;
  return stream(
      addr, bytes, at, at, dst, [](std::uint64_t) { return Ps{0}; }, field, err, ignored);
}

Ps ComputeTile::write(std::uint64_t addr, std::uint64_t bytes, Ps at, const std::uint8_t* src, std::uint32_t field,
                      EngineError& err) {
  if (inScratchpad(addr, bytes)) {
    bool ok = false;
    const Ps done = spad_.accessLocal(true, addr - tp_.scratchpadBase, const_cast<std::uint8_t*>(src), bytes, at, ok);
    if (!ok) err = {ENG_ERR_BUS, field};
    return done;
  }
  Ps done = at;
  const std::uint64_t chunk = params().chunkBytes;
  for (std::uint64_t off = 0; off < bytes && err.ok(); off += chunk) {
    const std::uint64_t n = std::min(chunk, bytes - off);
    done =
        std::max(done, access(tlm::TLM_WRITE_COMMAND, addr + off, src ? const_cast<std::uint8_t*>(src) + off : nullptr,
                              n, at, src == nullptr, field, err));
  }
  return done;
}

template <typename ComputeFn>
Ps ComputeTile::stream(std::uint64_t addr, std::uint64_t bytes, Ps start, Ps ready, std::uint8_t* dst, ComputeFn&& fn,
                       std::uint32_t field, EngineError& err, Ps& compute) {
  if (inScratchpad(addr, bytes)) {
    bool ok = false;
    const Ps arrived = spad_.accessLocal(false, addr - tp_.scratchpadBase, dst, bytes, start, ok);
    if (!ok) {
      err = {ENG_ERR_BUS, field};
      return arrived;
    }
    const Ps c = fn(bytes);
    compute += c;
    return std::max(arrived, ready) + c;
  }
  if (hbfBuffer_.covers(addr, bytes)) {
    const ReadAhead::Totals before = hbfBuffer_.totals();
    bool ok = true;
    const Ps end = hbfBuffer_.stream(
        addr, bytes, start, ready,
        [&](std::uint64_t a, std::uint64_t n, Ps at, bool& fine) {
          EngineError e;
          const Ps t = access(tlm::TLM_READ_COMMAND, a, nullptr, n, at, true, field, e);
          fine = e.ok();
          return t;
        },
        [&](std::uint64_t a, std::uint64_t n) {
          if (dst != nullptr && !debugRead(a, dst + (a - addr), n)) err = {ENG_ERR_BUS, field};
        },
        fn, compute, ok);
    if (!ok) err = {ENG_ERR_BUS, field};
    const ReadAhead::Totals& after = hbfBuffer_.totals();
    hbfStall_ += after.stallPs - before.stallPs;
    hbfReadAheadHit_ += after.hitBytes - before.hitBytes;
    hbfReadAheadWasted_ += after.wastedBytes - before.wastedBytes;
    energy_ += (after.sramBytes - before.sramBytes) * 8.0 * hbfBuffer_.params().pjPerBit;
    return end;
  }
  return streamRead(addr, bytes, start, ready, dst, fn, field, err, compute);
}

bool ComputeTile::debugRead(std::uint64_t addr, std::uint8_t* dst, std::uint64_t bytes) {
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(addr);
  gp.set_data_ptr(dst);
  gp.set_data_length(static_cast<unsigned>(bytes));
  gp.set_streaming_width(static_cast<unsigned>(bytes));
  return memSocket->transport_dbg(gp) == bytes;
}

template <typename ComputeFn>
Ps ComputeTile::gatherStream(const std::vector<Segment>& segments, Ps start, Ps ready, std::uint8_t* dst,
                             ComputeFn&& fn, std::uint32_t field, EngineError& err, Ps& compute) {
  // Segments (e.g. paged-KV blocks) may be far smaller than a chunk, so what
  // bounds the requests in flight is their bytes, not their number: the same
  // budget as a contiguous stream, chunkBytes x maxOutstanding. A request is
  // issued once the bytes of the requests not yet consumed leave room for it.
  const std::uint64_t chunk = params().chunkBytes;
  const std::uint64_t first = segments.empty() ? 0 : segments.front().addr;
  const std::uint64_t budget = chunk * depthFor(first);
  const bool fromHbf = hbfBuffer_.covers(first, 1);  // its stall counts as the tile's flash stall
  std::deque<std::pair<Ps, std::uint64_t>> inFlight; // consumption end, bytes; in issue order
  std::uint64_t inFlightBytes = 0;
  Ps issue = start, end = std::max(start, ready);
  std::uint64_t at = 0;
  for (const Segment& s : segments) {
    for (std::uint64_t off = 0; off < s.bytes; off += chunk) {
      const std::uint64_t n = std::min(chunk, s.bytes - off);
      while (!inFlight.empty() && inFlightBytes + n > budget) {
        issue = std::max(issue, inFlight.front().first);
        inFlightBytes -= inFlight.front().second;
        inFlight.pop_front();
      }
      std::uint8_t* to = dst ? dst + at + off : nullptr;
      const Ps arrived = access(tlm::TLM_READ_COMMAND, s.addr + off, to, n, issue, to == nullptr, field, err);
      if (!err.ok()) return arrived;
      const Ps c = fn(n);
      if (fromHbf && arrived > end) hbfStall_ += static_cast<double>(arrived - end);
      end = std::max(arrived, end) + c;
      compute += c;
      inFlight.emplace_back(end, n);
      inFlightBytes += n;
    }
    at += s.bytes;
  }
  return end;
}

Ps ComputeTile::matrixPs(double elements, std::uint32_t rows, DType t) const {
  const double padded = std::ceil(static_cast<double>(rows) / tp_.matrixRows) * tp_.matrixRows;
  return cyclesPs(elements * padded / tp_.macsPerCycle.at(static_cast<std::size_t>(t)));
}

Ps ComputeTile::finishVectorOp(double ops, bool arithmetic, Ps compute, Ps start, Ps end) {
  vectorOps_ += ops;
  if (arithmetic) flops_ += ops; // gathers, conversions and compares are not FLOPs
  vectorBusy_ += static_cast<double>(compute);
  energy_ += ops * tp_.pjPerVectorOp;
  accountOp(end - start, compute);
  return end;
}

Ps ComputeTile::vectorPs(double elementOps) const { return cyclesPs(elementOps / tp_.vectorLanes); }

Ps ComputeTile::execute(const llmvp_desc& d, Ps start, EngineError& err) {
  // The HBF buffer's read-ahead, planned when the last operation's stream
  // ended, goes out before this operation's requests.
  hbfBuffer_.issuePlanned([&](std::uint64_t a, std::uint64_t n, Ps at, bool& fine) {
    EngineError e;
    const Ps t = access(tlm::TLM_READ_COMMAND, a, nullptr, n, at, true, 0, e);
    fine = e.ok();
    return t;
  });
  switch (d.opcode) {
  case LLMVP_OP_NOP: return start;
  case LLMVP_OP_GEMV: return opGemv(d, start, err);
  case LLMVP_OP_ATTN: return opAttn(d, start, err);
  case LLMVP_OP_RMSNORM:
  case LLMVP_OP_SWIGLU:
  case LLMVP_OP_ADD: return opElementwise(d, start, err);
  case LLMVP_OP_ROPE: return opRope(d, start, err);
  case LLMVP_OP_EMBED: return opEmbed(d, start, err);
  case LLMVP_OP_ARGMAX: return opArgmax(d, start, err);
  case LLMVP_OP_TOPK: return opTopk(d, start, err);
  case LLMVP_OP_GEMV_MOE: return opGemvMoe(d, start, err);
  case LLMVP_OP_MOE_COMBINE: return opMoeCombine(d, start, err);
  case LLMVP_OP_MOE_DISPATCH: return opMoeDispatch(d, start, err);
  case LLMVP_OP_MOE_GATHER: return opMoeGather(d, start, err);
  case LLMVP_OP_MOE_RETURN: return opMoeReturn(d, start, err);
  case LLMVP_OP_GEMV_HEADS: return opGemvHeads(d, start, err);
  case LLMVP_OP_ATTN_MLA: return opAttnMla(d, start, err);
  case LLMVP_OP_ATTN_PREFILL: return opAttnPrefill(d, start, err);
  default: err = {ENG_ERR_BAD_OPCODE, ENG_FIELD_OPCODE}; return start;
  }
}

Ps ComputeTile::weightChunkPs(std::uint64_t chunkBytes, std::uint64_t wBytes, double elements, std::uint32_t rows,
                              DType rate, double dequantOps) const {
  const double e = elements * static_cast<double>(chunkBytes) / static_cast<double>(wBytes);
  const Ps matrix = matrixPs(e, rows, rate);
  // The vector engine dequantises chunk i while the matrix engine multiplies
  // chunk i-1 (pipelined): the slower of the two sets the pace.
  return dequantOps > 0 ? std::max(matrix, vectorPs(e * dequantOps)) : matrix;
}

double ComputeTile::dequantOpsOf(std::uint8_t dt) const {
  return dt == LLMVP_DT_INT8 ? tp_.dequantOps[0] : dt == LLMVP_DT_INT4 ? tp_.dequantOps[1] : 0.0;
}

Ps ComputeTile::streamShards(const std::vector<WeightShard>& shards, Ps start, Ps ready,
                             const std::function<Ps(std::uint64_t)>& chunkPs, EngineError& err, Ps& compute) {
  // Every shard's partition streams at once: requests of chunkBytes / U go
  // out round robin over the U shards, so that a chunk's worth spans every
  // partition as a chunk of the interleaved view spans every vault (timing
  // only; the functional path reads the bytes).
  const std::uint64_t chunk = std::max<std::uint64_t>(LLMVP_DESC_BYTES, params().chunkBytes / shards.size());
  std::vector<Segment> segments;
  for (std::uint64_t off = 0;; off += chunk) {
    bool any = false;
    for (const WeightShard& s : shards)
      if (off < s.bytes) {
        segments.push_back({s.addr + off, std::min(chunk, s.bytes - off)});
        any = true;
      }
    if (!any) break;
  }
  return gatherStream(segments, start, ready, nullptr, chunkPs, ENG_FIELD_SRC1, err, compute);
}

namespace {
/// The shards of descriptor d's weights (one, the whole matrix, without
/// DESC_F_SHARDS); empty if the shard fields or a shard's shape are invalid.
std::vector<WeightShard> weightShards(const llmvp_desc& d) {
  if ((d.flags & DESC_F_SHARDS) == 0) {
    const std::uint64_t bytes =
        operandBytes(d.n, d.k, 1, LLMVP_DT_FP8_E4M3) == 0 ? 0 : weightMatrixBytes(d.dt_w, d.n, d.k, d.w_group);
    // (the fp8-sized check bounds n * k before the quantised size is computed)
    if (bytes == 0) return {};
    return {{d.src1, bytes, 0, d.n, 0, d.k}};
  }
  const std::uint32_t u = d.arg0 & 0xffu;
  const bool byCols = (d.arg0 >> 8) == 1;
  const std::uint32_t split = byCols ? d.k : d.n;
  if (u == 0 || u > LLMVP_MAX_SHARDS || (d.arg0 >> 8) > 1 || d.arg1 == 0 || split < u || d.n == 0 || d.k == 0)
    return {};
  std::vector<WeightShard> shards(u);
  for (std::uint32_t p = 0; p < u; ++p) {
    WeightShard& s = shards[p];
    const std::uint32_t count = split / u + (p < split % u ? 1 : 0), first = p * (split / u) + std::min(p, split % u);
    s.addr = d.src1 + std::uint64_t{p} * d.arg1 * 4096;
    s.r0 = byCols ? 0 : first;
    s.rows = byCols ? d.n : count;
    s.c0 = byCols ? first : 0;
    s.cols = byCols ? count : d.k;
    s.bytes = operandBytes(s.rows, s.cols, 1, LLMVP_DT_FP8_E4M3) == 0
                  ? 0
                  : weightMatrixBytes(d.dt_w, s.rows, s.cols, d.w_group);
    if (s.bytes == 0) return {};
  }
  return shards;
}
} // namespace

Ps ComputeTile::opGemv(const llmvp_desc& d, Ps start, EngineError& err) {
  const bool quantized = isQuantized(d.dt_w);
  if (!isFloatType(d.dt_in) || !(isFloatType(d.dt_w) || quantized) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint64_t xBytes = operandBytes(d.m, d.k, 1, d.dt_in);
  const std::vector<WeightShard> shards = weightShards(d);
  std::uint64_t wBytes = 0;
  for (const WeightShard& s : shards) wBytes += s.bytes;
  const std::uint64_t yBytes = operandBytes(d.m, d.n, 1, d.dt_out);
  if (xBytes == 0 || wBytes == 0 || yBytes == 0) {
    err = {ENG_ERR_BAD_SHAPE, shards.empty() && (d.flags & DESC_F_SHARDS) != 0 ? ENG_FIELD_SRC1 : ENG_FIELD_DIMS};
    return start;
  }
  const bool accum = (d.flags & DESC_F_ACCUM) != 0;
  const bool bias = (d.flags & DESC_F_BIAS) != 0;
  if (accum && bias) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC2};
    return start;
  }
  const std::uint8_t auxType = quantized ? std::uint8_t{LLMVP_DT_BF16} : d.dt_w; // bias type
  const std::uint64_t bBytes = operandBytes(d.n, 1, 1, auxType);
  const auto dt = computeTypeOf(d);
  std::uint8_t* x = buffer(0, xBytes);
  std::uint8_t* w = buffer(1, wBytes);
  std::uint8_t* acc = accum ? buffer(2, yBytes) : bias ? buffer(2, bBytes) : nullptr;
  std::uint8_t* y = buffer(3, yBytes);
  Ps ready = read(d.src0, xBytes, start, x, ENG_FIELD_SRC0, err);
  if (accum && err.ok()) ready = std::max(ready, read(d.src2, yBytes, start, acc, ENG_FIELD_SRC2, err));
  if (bias && err.ok()) ready = std::max(ready, read(d.src2, bBytes, start, acc, ENG_FIELD_SRC2, err));
  if (!err.ok()) return ready;
  const double elements = static_cast<double>(d.n) * d.k;
  Ps compute = 0;
  const auto chunkPs = [&](std::uint64_t n) {
    return weightChunkPs(n, wBytes, elements, d.m, dt, dequantOpsOf(d.dt_w));
  };
  const Ps computed = shards.size() == 1
                          ? stream(d.src1, wBytes, start, ready, w, chunkPs, ENG_FIELD_SRC1, err, compute)
                          : streamShards(shards, start, ready, chunkPs, err, compute);
  if (!err.ok()) return computed;
  if (functional() && shards.size() > 1) {
    // The whole matrix in fp32 from its shards (each a complete matrix, with
    // its own scales when quantised): the same sums as unsharded weights.
    std::vector<float> whole(static_cast<std::size_t>(elements));
    for (const WeightShard& s : shards) {
      std::vector<std::uint8_t> bytes(s.bytes);
      std::vector<float> part(std::size_t{s.rows} * s.cols);
      if (!debugRead(s.addr, bytes.data(), s.bytes)) {
        err = {ENG_ERR_BUS, ENG_FIELD_SRC1};
        return computed;
      }
      if (quantized)
        dequantize(bytes.data(), d.dt_w, s.rows, s.cols, d.w_group, part.data());
      else
        for (std::size_t i = 0; i < part.size(); ++i)
          part[i] = loadElement(bytes.data(), static_cast<DType>(d.dt_w), i);
      for (std::uint32_t r = 0; r < s.rows; ++r)
        std::copy_n(part.begin() + static_cast<std::ptrdiff_t>(std::size_t{r} * s.cols), s.cols,
                    whole.begin() + static_cast<std::ptrdiff_t>((std::size_t{s.r0} + r) * d.k + s.c0));
    }
    gemv(x, static_cast<DType>(d.dt_in), reinterpret_cast<const std::uint8_t*>(whole.data()), DType::Fp32,
         accum ? acc : nullptr, y, static_cast<DType>(d.dt_out), d.m, d.n, d.k, bias ? acc : nullptr,
         static_cast<DType>(auxType));
  } else if (functional()) {
    if (quantized) {
      std::vector<float> deq(static_cast<std::size_t>(elements));
      dequantize(w, d.dt_w, d.n, d.k, d.w_group, deq.data());
      gemv(x, static_cast<DType>(d.dt_in), reinterpret_cast<const std::uint8_t*>(deq.data()), DType::Fp32,
           accum ? acc : nullptr, y, static_cast<DType>(d.dt_out), d.m, d.n, d.k, bias ? acc : nullptr, DType::Bf16);
    } else {
      gemv(x, static_cast<DType>(d.dt_in), w, static_cast<DType>(d.dt_w), accum ? acc : nullptr, y,
           static_cast<DType>(d.dt_out), d.m, d.n, d.k, bias ? acc : nullptr, static_cast<DType>(d.dt_w));
    }
  }
  if (quantized) {
    vectorOps_ += elements * dequantOpsOf(d.dt_w);
    energy_ += elements * dequantOpsOf(d.dt_w) * tp_.pjPerVectorOp;
  }
  const Ps end = write(d.dst, yBytes, computed, y, ENG_FIELD_DST, err);
  const double macs = static_cast<double>(d.m) * d.n * d.k;
  macs_ += macs;
  flops_ += 2 * macs;
  matrixBusy_ += static_cast<double>(compute);
  energy_ += macs * tp_.pjPerMac.at(static_cast<std::size_t>(dt));
  accountOp(end - start, compute);
  return end;
}

Ps ComputeTile::opAttn(const llmvp_desc& d, Ps start, EngineError& err) {
  if ((d.flags & DESC_F_ROWS) != 0) {
    // One descriptor for m sequences: the row table is control data (always
    // read); each row then runs as a single-sequence ATTN, one after another.
    const std::uint32_t rows = d.m;
    const std::uint64_t qRow = operandBytes(d.n, d.k, 1, d.dt_in), outRow = operandBytes(d.n, d.k, 1, d.dt_out);
    if (rows == 0 || qRow == 0 || outRow == 0) {
      err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
      return start;
    }
    std::vector<llmvp_attn_row> table(rows);
    Ps at = read(d.w_group, std::uint64_t{rows} * LLMVP_ATTN_ROW_BYTES, start,
                 reinterpret_cast<std::uint8_t*>(table.data()), ENG_FIELD_SRC1, err);
    for (std::uint32_t r = 0; r < rows && err.ok(); ++r) {
      llmvp_desc one = d;
      one.flags = static_cast<std::uint8_t>(d.flags & ~DESC_F_ROWS);
      one.m = table[r].ctx;
      one.src0 = d.src0 + r * qRow;
      one.dst = d.dst + r * outRow;
      one.src1 = d.src1 + table[r].cache_offset;
      one.src2 = d.src2 + table[r].cache_offset;
      one.w_group = table[r].block_table;
      at = opAttn(one, at, err);
    }
    return at;
  }
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_w) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint32_t ctx = d.m, heads = d.n, hd = d.k, kvh = d.arg0;
  const std::uint64_t qBytes = operandBytes(heads, hd, 1, d.dt_in);
  const std::uint64_t kvBytes = operandBytes(ctx, kvh, hd, d.dt_w);
  if (qBytes == 0 || kvBytes == 0 || heads % kvh != 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const std::uint32_t group = heads / kvh;
  const auto dt = computeTypeOf(d);
  const double kvElt = static_cast<double>(dtypeBytes(static_cast<DType>(d.dt_w)));
  std::uint8_t* q = buffer(0, qBytes);
  std::uint8_t* kc = buffer(1, kvBytes);
  std::uint8_t* vc = buffer(2, kvBytes);
  std::uint8_t* out = buffer(3, qBytes);
  Ps qReady = read(d.src0, qBytes, start, q, ENG_FIELD_SRC0, err);
  if (!err.ok()) return qReady;
  // Scores: each cached K element meets `group` query heads (matrix rows).
  auto dotPs = [&](std::uint64_t n) { return matrixPs(static_cast<double>(n) / kvElt, group, dt); };
  Ps compute = 0;
  const double scores = static_cast<double>(heads) * ctx;
  const Ps softmax = vectorPs(scores * kSoftmaxOps);
  Ps valued = 0;
  if ((d.flags & DESC_F_PAGED) != 0) {
    // Paged cache: the row's block table (control data, always read) names
    // the block of every run of arg1 positions; K and V stream block by block.
    const std::uint32_t blockTokens = d.arg1;
    if (blockTokens == 0) {
      err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
      return start;
    }
    const std::uint32_t blocks = (ctx + blockTokens - 1) / blockTokens;
    std::vector<std::uint32_t> table(blocks);
    qReady = std::max(qReady, read(d.w_group, std::uint64_t{blocks} * 4, start,
                                   reinterpret_cast<std::uint8_t*>(table.data()), ENG_FIELD_SRC1, err));
    if (!err.ok()) return qReady;
    const std::uint64_t row = kvBytes / ctx, blockBytes = row * blockTokens;
    std::vector<Segment> kSegs, vSegs;
    for (std::uint32_t b = 0; b < blocks; ++b) {
      const std::uint64_t n = std::min<std::uint64_t>(blockTokens, ctx - std::uint64_t{b} * blockTokens) * row;
      kSegs.push_back({d.src1 + std::uint64_t{table[b]} * blockBytes, n});
      vSegs.push_back({d.src2 + std::uint64_t{table[b]} * blockBytes, n});
    }
    const Ps scored = gatherStream(kSegs, start, qReady, kc, dotPs, ENG_FIELD_SRC1, err, compute);
    if (!err.ok()) return scored;
    valued = gatherStream(vSegs, start, scored + softmax, vc, dotPs, ENG_FIELD_SRC2, err, compute);
  } else {
    const Ps scored = stream(d.src1, kvBytes, start, qReady, kc, dotPs, ENG_FIELD_SRC1, err, compute);
    if (!err.ok()) return scored;
    // V streams while scores are computed; its consumption follows softmax.
    valued = stream(d.src2, kvBytes, start, scored + softmax, vc, dotPs, ENG_FIELD_SRC2, err, compute);
  }
  if (!err.ok()) return valued;
  if (functional())
    attention(q, static_cast<DType>(d.dt_in), kc, vc, static_cast<DType>(d.dt_w), out, static_cast<DType>(d.dt_out),
              ctx, heads, kvh, hd);
  const Ps end = write(d.dst, qBytes, valued, out, ENG_FIELD_DST, err);
  const double macs = 2.0 * scores * hd;
  macs_ += macs;
  flops_ += 2 * macs + scores * kSoftmaxOps;
  vectorOps_ += scores * kSoftmaxOps;
  matrixBusy_ += static_cast<double>(compute);
  vectorBusy_ += static_cast<double>(softmax);
  energy_ += macs * tp_.pjPerMac.at(static_cast<std::size_t>(dt)) + scores * kSoftmaxOps * tp_.pjPerVectorOp;
  accountOp(end - start, compute + softmax);
  return end;
}

Ps ComputeTile::opElementwise(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_w) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const bool norm = d.opcode == LLMVP_OP_RMSNORM;
  const std::uint64_t count = static_cast<std::uint64_t>(d.m) * d.n;
  const std::uint64_t aBytes = operandBytes(d.m, d.n, 1, d.dt_in);
  const std::uint64_t bBytes = norm ? operandBytes(d.n, 1, 1, d.dt_w) : operandBytes(d.m, d.n, 1, d.dt_w);
  const std::uint64_t yBytes = operandBytes(d.m, d.n, 1, d.dt_out);
  if (aBytes == 0 || bBytes == 0 || yBytes == 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  std::uint8_t* a = buffer(0, aBytes);
  std::uint8_t* b = buffer(1, bBytes);
  std::uint8_t* y = buffer(3, yBytes);
  Ps ready = read(d.src0, aBytes, start, a, ENG_FIELD_SRC0, err);
  if (err.ok()) ready = std::max(ready, read(d.src1, bBytes, start, b, ENG_FIELD_SRC1, err));
  if (!err.ok()) return ready;
  const double opsPer = norm ? kRmsnormOps : d.opcode == LLMVP_OP_SWIGLU ? kSwigluOps : kAddOps;
  const double ops = static_cast<double>(count) * opsPer;
  const Ps compute = vectorPs(ops);
  if (functional()) {
    const auto ta = static_cast<DType>(d.dt_in), tb = static_cast<DType>(d.dt_w), ty = static_cast<DType>(d.dt_out);
    if (norm)
      rmsnorm(a, ta, b, tb, y, ty, d.m, d.n, bitsFloat(d.arg0));
    else if (d.opcode == LLMVP_OP_SWIGLU)
      swiglu(a, ta, b, tb, y, ty, count);
    else
      add(a, ta, b, tb, y, ty, count);
  }
  const Ps end = write(d.dst, yBytes, ready + compute, y, ENG_FIELD_DST, err);
  return finishVectorOp(ops, true, compute, start, end);
}

Ps ComputeTile::opRope(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint64_t xBytes = operandBytes(d.m, d.n, d.k, d.dt_out);
  if (xBytes == 0 || d.k % 2 != 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  std::vector<std::uint32_t> pos(d.m);
  std::uint8_t* x = buffer(0, xBytes);
  Ps ready =
      read(d.src0, std::uint64_t{d.m} * 4, start, reinterpret_cast<std::uint8_t*>(pos.data()), ENG_FIELD_SRC0, err);
  if (err.ok()) ready = std::max(ready, read(d.dst, xBytes, start, x, ENG_FIELD_DST, err));
  if (!err.ok()) return ready;
  const double ops = static_cast<double>(d.m) * d.n * d.k * kRopeOps;
  const Ps compute = vectorPs(ops);
  if (functional()) rope(x, static_cast<DType>(d.dt_out), pos.data(), d.m, d.n, d.k, bitsFloat(d.arg0));
  const Ps end = write(d.dst, xBytes, ready + compute, x, ENG_FIELD_DST, err);
  return finishVectorOp(ops, true, compute, start, end);
}

Ps ComputeTile::opEmbed(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_w) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint64_t rowBytes = operandBytes(d.n, 1, 1, d.dt_w);
  const std::uint64_t yBytes = operandBytes(d.m, d.n, 1, d.dt_out);
  if (rowBytes == 0 || yBytes == 0 || d.k == 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  // Token ids are control data: always read, in both modes.
  std::vector<std::uint32_t> ids(d.m);
  const Ps idsReady =
      read(d.src0, std::uint64_t{d.m} * 4, start, reinterpret_cast<std::uint8_t*>(ids.data()), ENG_FIELD_SRC0, err);
  if (!err.ok()) return idsReady;
  std::uint8_t* rows = buffer(1, rowBytes * d.m);
  std::uint8_t* y = buffer(3, yBytes);
  Ps ready = idsReady;
  for (std::uint32_t r = 0; r < d.m; ++r) {
    if (ids[r] >= d.k) {
      err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC0};
      return ready;
    }
    ready = std::max(ready, read(d.src1 + std::uint64_t{ids[r]} * rowBytes, rowBytes, idsReady,
                                 rows ? rows + r * rowBytes : nullptr, ENG_FIELD_SRC1, err));
    if (!err.ok()) return ready;
  }
  const double ops = static_cast<double>(d.m) * d.n * kConvertOps;
  const Ps compute = vectorPs(ops);
  if (functional())
    convert(rows, static_cast<DType>(d.dt_w), y, static_cast<DType>(d.dt_out), std::uint64_t{d.m} * d.n);
  const Ps end = write(d.dst, yBytes, ready + compute, y, ENG_FIELD_DST, err);
  return finishVectorOp(ops, false, compute, start, end);
}

Ps ComputeTile::opArgmax(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint64_t xBytes = operandBytes(d.m, d.n, 1, d.dt_in);
  if (xBytes == 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  std::uint8_t* x = buffer(0, xBytes);
  const Ps ready = read(d.src0, xBytes, start, x, ENG_FIELD_SRC0, err);
  if (!err.ok()) return ready;
  const double ops = static_cast<double>(d.m) * d.n * kArgmaxOps;
  const Ps compute = vectorPs(ops);
  std::vector<std::uint32_t> ids(d.m);
  if (functional()) {
    argmax(x, static_cast<DType>(d.dt_in), ids.data(), d.m, d.n);
  } else {
    // Timing-only: no logits exist; draw ids so later gathers touch varied rows.
    RoutingOracle& o = oracle("ARGMAX");
    for (auto& id : ids) id = o.token(d.n);
  }
  // Token ids are control data: always written.
  const Ps end = write(d.dst, std::uint64_t{d.m} * 4, ready + compute, reinterpret_cast<std::uint8_t*>(ids.data()),
                       ENG_FIELD_DST, err);
  return finishVectorOp(ops, false, compute, start, end);
}

RoutingOracle& ComputeTile::oracle(const char* op) {
  if (oracle_ == nullptr)
    throw std::logic_error(std::string(name()) + ": timing-only " + op +
                           " needs a routing oracle for its ids (ComputeTile::setRoutingOracle)");
  return *oracle_;
}

Ps ComputeTile::opTopk(const llmvp_desc& d, Ps start, EngineError& err) {
  if (d.dt_in != LLMVP_DT_FP32) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint64_t xBytes = operandBytes(d.m, d.n, 1, d.dt_in);
  if (xBytes == 0 || d.k == 0 || d.k > d.n || d.arg0 > LLMVP_ROUTER_SIGMOID) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const std::uint64_t slots = std::uint64_t{d.m} * d.k;
  std::uint8_t* x = buffer(0, xBytes);
  const Ps ready = read(d.src0, xBytes, start, x, ENG_FIELD_SRC0, err);
  if (!err.ok()) return ready;
  const double ops = static_cast<double>(d.m) * d.n * kTopkSelectOps + static_cast<double>(slots) * kTopkWeightOps;
  const Ps compute = vectorPs(ops);
  // The routing record is control data (ids steer later gathers): always written.
  std::vector<std::uint32_t> record(slots * 2);
  std::uint32_t* ids = record.data();
  auto* weights = reinterpret_cast<float*>(record.data() + slots);
  if (functional()) {
    std::vector<float> logits(d.n);
    for (std::uint32_t r = 0; r < d.m; ++r) {
      for (std::uint32_t i = 0; i < d.n; ++i) logits[i] = loadElement(x, DType::Fp32, std::size_t{r} * d.n + i);
      topk(logits.data(), d.n, d.k, d.arg0, bitsFloat(d.arg1), ids + std::size_t{r} * d.k,
           weights + std::size_t{r} * d.k);
    }
  } else {
    RoutingOracle& o = oracle("TOPK");
    for (std::uint32_t r = 0; r < d.m; ++r) {
      o.choose(d.n, d.k, ids + std::size_t{r} * d.k);
      for (std::uint32_t j = 0; j < d.k; ++j)
        weights[std::size_t{r} * d.k + j] = bitsFloat(d.arg1) / static_cast<float>(d.k);
    }
  }
  const Ps end =
      write(d.dst, slots * 8, ready + compute, reinterpret_cast<std::uint8_t*>(record.data()), ENG_FIELD_DST, err);
  return finishVectorOp(ops, true, compute, start, end);
}

Ps ComputeTile::opGemvMoe(const llmvp_desc& d, Ps start, EngineError& err) {
  const bool quantized = isQuantized(d.dt_w);
  if (!isFloatType(d.dt_in) || !(isFloatType(d.dt_w) || quantized) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint32_t topK = d.arg0 & 0xffu, experts = d.arg0 >> 16;
  const bool slotInput = (d.flags & DESC_F_SLOT_INPUT) != 0;
  // Expert parallel: this chip holds experts [window * experts, +experts).
  const bool windowed = (d.flags & DESC_F_EXPERT_WINDOW) != 0;
  const std::uint32_t window = d.arg0 >> 8 & 0xffu, first = windowed ? window * experts : 0;
  const std::uint64_t slots = std::uint64_t{d.m} * topK;
  const std::uint64_t xBytes = operandBytes(slotInput ? slots : d.m, d.k, 1, d.dt_in);
  const std::uint64_t wBytes =
      operandBytes(d.n, d.k, 1, LLMVP_DT_FP8_E4M3) == 0 ? 0 : weightMatrixBytes(d.dt_w, d.n, d.k, d.w_group);
  const std::uint64_t yBytes = operandBytes(slots, d.n, 1, d.dt_out);
  const std::uint64_t stride = std::uint64_t{d.arg1} * 64;
  if (xBytes == 0 || wBytes == 0 || yBytes == 0 || topK == 0 || experts == 0 || stride < wBytes ||
      (!windowed && (topK > experts || window != 0))) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  // Expert ids are control data: always read.
  std::vector<std::uint32_t> ids(slots);
  const Ps idsReady = read(d.src2, slots * 4, start, reinterpret_cast<std::uint8_t*>(ids.data()), ENG_FIELD_SRC2, err);
  if (!err.ok()) return idsReady;
  // Distinct local experts in order of first use, and how many slots use
  // each; a slot routed to another chip's expert is skipped.
  std::vector<std::uint32_t> order, uses;
  std::uint64_t localSlots = 0;
  for (std::uint32_t& e : ids) {
    if (windowed && (e < first || e - first >= experts)) {
      e = kSkippedSlot;
      continue;
    }
    e -= first;
    if (e >= experts) {
      err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC2};
      return idsReady;
    }
    ++localSlots;
    const auto it = std::find(order.begin(), order.end(), e);
    if (it == order.end()) {
      order.push_back(e);
      uses.push_back(1);
    } else {
      ++uses[static_cast<std::size_t>(it - order.begin())];
    }
  }
  const auto dt = computeTypeOf(d);
  std::uint8_t* x = buffer(0, xBytes);
  std::uint8_t* w = buffer(1, wBytes * order.size());
  std::uint8_t* y = buffer(3, yBytes);
  const Ps ready = std::max(idsReady, read(d.src0, xBytes, start, x, ENG_FIELD_SRC0, err));
  if (!err.ok()) return ready;
  // One gather stream over the chosen experts' weights, bounded like every
  // gather by the bytes in flight (chunkBytes x maxOutstanding), across
  // expert boundaries: small experts are not limited by their count.
  const double elements = static_cast<double>(d.n) * d.k;
  std::vector<Segment> segments;
  segments.reserve(order.size());
  for (const std::uint32_t e : order) segments.push_back({d.src1 + std::uint64_t{e} * stride, wBytes});
  std::uint64_t consumed = 0; // bytes handed to the matrix engine; chunks never straddle experts
  auto chunkPs = [&](std::uint64_t n) {
    const std::size_t x_ = static_cast<std::size_t>(consumed / wBytes);
    consumed += n;
    return weightChunkPs(n, wBytes, elements, uses[x_], dt, dequantOpsOf(d.dt_w));
  };
  Ps compute = 0;
  const Ps computeEnd =
      order.empty() ? ready : gatherStream(segments, start, ready, w, chunkPs, ENG_FIELD_SRC1, err, compute);
  if (!err.ok()) return computeEnd;
  if (functional()) {
    const std::uint64_t xRow = operandBytes(d.k, 1, 1, d.dt_in), yRow = operandBytes(d.n, 1, 1, d.dt_out);
    std::vector<float> deq(quantized ? static_cast<std::size_t>(elements) * order.size() : 0);
    for (std::size_t e = 0; quantized && e < order.size(); ++e)
      dequantize(w + e * wBytes, d.dt_w, d.n, d.k, d.w_group, deq.data() + e * static_cast<std::size_t>(elements));
    for (std::uint64_t s = 0; s < slots; ++s) {
      if (ids[s] == kSkippedSlot) {
        std::fill_n(y + s * yRow, yRow, std::uint8_t{0});
        continue;
      }
      const auto x_ = static_cast<std::size_t>(std::find(order.begin(), order.end(), ids[s]) - order.begin());
      const std::uint8_t* in = x + (slotInput ? s : s / topK) * xRow;
      const std::uint8_t* we =
          quantized ? reinterpret_cast<const std::uint8_t*>(deq.data() + x_ * static_cast<std::size_t>(elements))
                    : w + x_ * wBytes;
      gemv(in, static_cast<DType>(d.dt_in), we, quantized ? DType::Fp32 : static_cast<DType>(d.dt_w), nullptr,
           y + s * yRow, static_cast<DType>(d.dt_out), 1, d.n, d.k);
    }
  }
  if (quantized) {
    vectorOps_ += elements * static_cast<double>(order.size()) * dequantOpsOf(d.dt_w);
    energy_ += elements * static_cast<double>(order.size()) * dequantOpsOf(d.dt_w) * tp_.pjPerVectorOp;
  }
  const Ps end = write(d.dst, yBytes, computeEnd, y, ENG_FIELD_DST, err);
  const double macs = static_cast<double>(localSlots) * d.n * d.k;
  macs_ += macs;
  flops_ += 2 * macs;
  matrixBusy_ += static_cast<double>(compute);
  energy_ += macs * tp_.pjPerMac.at(static_cast<std::size_t>(dt));
  expertsLoaded_ += static_cast<double>(order.size());
  accountOp(end - start, compute);
  return end;
}

Ps ComputeTile::opMoeCombine(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint64_t slots = std::uint64_t{d.m} * d.k;
  const std::uint64_t eBytes = operandBytes(slots, d.n, 1, d.dt_in);
  const std::uint64_t yBytes = operandBytes(d.m, d.n, 1, d.dt_out);
  if (eBytes == 0 || yBytes == 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  std::uint8_t* e = buffer(0, eBytes);
  std::uint8_t* acc = buffer(2, yBytes);
  std::uint8_t* y = buffer(3, yBytes);
  std::vector<float> weights(functional() ? slots : 0);
  Ps ready = read(d.src0, eBytes, start, e, ENG_FIELD_SRC0, err);
  if (err.ok())
    ready = std::max(ready, read(d.src1 + slots * 4, slots * 4, start,
                                 functional() ? reinterpret_cast<std::uint8_t*>(weights.data()) : nullptr,
                                 ENG_FIELD_SRC1, err));
  // Without DESC_F_ACCUM the sum starts from zero (an expert-parallel
  // partial for the all-reduce) and src2 is not read.
  if ((d.flags & DESC_F_ACCUM) == 0) {
    if (functional()) std::fill_n(acc, yBytes, std::uint8_t{0});
  } else if (err.ok()) {
    ready = std::max(ready, read(d.src2, yBytes, start, acc, ENG_FIELD_SRC2, err));
  }
  if (!err.ok()) return ready;
  const double ops = static_cast<double>(d.m) * d.n * (d.k * kCombineOps + kCombineFixedOps);
  const Ps compute = vectorPs(ops);
  if (functional())
    moeCombine(e, static_cast<DType>(d.dt_in), weights.data(), acc, y, static_cast<DType>(d.dt_out), d.m, d.n, d.k);
  const Ps end = write(d.dst, yBytes, ready + compute, y, ENG_FIELD_DST, err);
  return finishVectorOp(ops, true, compute, start, end);
}

// ---- expert parallel with data-parallel attention (descriptors.h) ---------

namespace {
/// Shape of a dispatch: rows, hidden, top_k, experts, chips; false if bad.
struct DispatchShape {
  std::uint32_t m = 0, n = 0, k = 0, experts = 0, ranks = 0;
  std::uint64_t words = 0; ///< u32 words of one record
  std::uint64_t actWords = 0;
  [[nodiscard]] std::uint64_t blockWords() const { return std::uint64_t{m} * words; }
};
bool dispatchShape(const llmvp_desc& d, std::uint8_t act, DispatchShape& s) {
  s.m = d.m;
  s.n = d.n;
  s.k = d.k;
  s.experts = d.arg0;
  s.ranks = d.arg1;
  if (s.m == 0 || s.n == 0 || s.k == 0 || s.k > LLMVP_MAX_TOP_K || s.ranks == 0 || s.ranks > LLMVP_MAX_EP ||
      s.experts == 0 || s.experts % s.ranks != 0 || !isFloatType(act))
    return false;
  const auto eb = static_cast<std::uint32_t>(dtypeBytes(static_cast<DType>(act)));
  s.words = llmvp_moe_record_words(s.n, s.k, eb);
  s.actWords = s.words - std::uint64_t{2} * s.k;
  return true;
}
} // namespace

Ps ComputeTile::opMoeDispatch(const llmvp_desc& d, Ps start, EngineError& err) {
  DispatchShape sh;
  if (!isFloatType(d.dt_in)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  if (!dispatchShape(d, d.dt_in, sh)) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const std::uint64_t xBytes = operandBytes(sh.m, sh.n, 1, d.dt_in), slots = std::uint64_t{sh.m} * sh.k;
  std::uint8_t* x = buffer(0, xBytes);
  // The routing record is control data: read in both modes.
  std::vector<std::uint32_t> route(slots * 2);
  Ps ready = read(d.src0, xBytes, start, x, ENG_FIELD_SRC0, err);
  if (err.ok())
    ready = std::max(
        ready, read(d.src1, slots * 8, start, reinterpret_cast<std::uint8_t*>(route.data()), ENG_FIELD_SRC1, err));
  if (!err.ok()) return ready;
  const std::uint32_t perChip = sh.experts / sh.ranks;
  std::vector<std::uint32_t> send(std::size_t{sh.ranks} * sh.blockWords(), 0);
  std::vector<std::uint32_t> map(sh.ranks + std::size_t{sh.m} * sh.ranks, LLMVP_MOE_NO_EXPERT); // counts, then map
  std::uint64_t records = 0;
  for (std::uint32_t c = 0; c < sh.ranks; ++c) {
    std::uint32_t used = 0;
    for (std::uint32_t r = 0; r < sh.m; ++r) {
      const std::uint32_t* ids = route.data() + std::size_t{r} * sh.k;
      bool here = false;
      for (std::uint32_t j = 0; j < sh.k; ++j) {
        if (ids[j] >= sh.experts) {
          err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC1};
          return ready;
        }
        here = here || ids[j] / perChip == c;
      }
      if (!here) continue;
      std::uint32_t* rec = send.data() + c * sh.blockWords() + std::uint64_t{used} * sh.words;
      if (x != nullptr) std::memcpy(rec, x + std::uint64_t{r} * (xBytes / sh.m), xBytes / sh.m);
      for (std::uint32_t j = 0; j < sh.k; ++j) {
        const bool mine = ids[j] / perChip == c;
        rec[sh.actWords + j] = mine ? ids[j] : LLMVP_MOE_NO_EXPERT;
        const float w = mine ? bitsFloat(route[slots + std::size_t{r} * sh.k + j]) : 0.0f;
        std::memcpy(rec + sh.actWords + sh.k + j, &w, 4);
      }
      map[sh.ranks + std::size_t{r} * sh.ranks + c] = used++;
    }
    map[c] = static_cast<std::uint32_t>(used * sh.words);
    records += used;
  }
  // Copying the records' activations: one element operation each.
  const double ops = static_cast<double>(records) * (sh.n + 2.0 * sh.k) * kConvertOps;
  const Ps compute = vectorPs(ops);
  Ps end = ready + compute;
  for (std::uint32_t c = 0; c < sh.ranks && err.ok(); ++c)
    if (map[c] != 0)
      end = std::max(end, write(d.dst + c * sh.blockWords() * 4, std::uint64_t{map[c]} * 4, ready + compute,
                                reinterpret_cast<const std::uint8_t*>(send.data() + c * sh.blockWords()), ENG_FIELD_DST,
                                err));
  if (err.ok())
    end = std::max(end, write(d.src2, map.size() * 4, ready + compute,
                              reinterpret_cast<const std::uint8_t*>(map.data()), ENG_FIELD_SRC2, err));
  return finishVectorOp(ops, false, compute, start, end);
}

Ps ComputeTile::opMoeGather(const llmvp_desc& d, Ps start, EngineError& err) {
  DispatchShape sh;
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  if (!dispatchShape(d, d.dt_in, sh)) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  // Counts and records are control data: read in both modes.
  std::vector<std::uint32_t> counts(sh.ranks);
  Ps ready = read(d.src1, std::uint64_t{sh.ranks} * 4, start, reinterpret_cast<std::uint8_t*>(counts.data()),
                  ENG_FIELD_SRC1, err);
  if (!err.ok()) return ready;
  for (const std::uint32_t c : counts)
    if (c % sh.words != 0 || c / sh.words > sh.m) {
      err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC1};
      return ready;
    }
  std::vector<std::uint32_t> recv(std::size_t{sh.ranks} * sh.blockWords());
  Ps got = ready;
  for (std::uint32_t c = 0; c < sh.ranks && err.ok(); ++c)
    if (counts[c] != 0)
      got =
          std::max(got, read(d.src0 + c * sh.blockWords() * 4, std::uint64_t{counts[c]} * 4, ready,
                             reinterpret_cast<std::uint8_t*>(recv.data() + c * sh.blockWords()), ENG_FIELD_SRC0, err));
  if (!err.ok()) return got;
  const std::uint64_t rows = std::uint64_t{sh.ranks} * sh.m, slots = rows * sh.k;
  const std::uint64_t yBytes = operandBytes(rows, sh.n, 1, d.dt_out);
  std::uint8_t* y = buffer(3, yBytes);
  if (y != nullptr) std::fill_n(y, yBytes, std::uint8_t{0});
  std::vector<std::uint32_t> route(slots * 2 + sh.ranks, 0); // ids, weights, return counts
  std::fill_n(route.begin(), slots, LLMVP_MOE_NO_EXPERT);
  std::uint64_t records = 0;
  for (std::uint32_t c = 0; c < sh.ranks; ++c) {
    const std::uint32_t used = counts[c] / static_cast<std::uint32_t>(sh.words);
    for (std::uint32_t i = 0; i < used; ++i) {
      const std::uint32_t* rec = recv.data() + c * sh.blockWords() + std::uint64_t{i} * sh.words;
      const std::uint64_t row = std::uint64_t{c} * sh.m + i;
      for (std::uint32_t j = 0; j < sh.k; ++j) {
        const std::uint32_t id = rec[sh.actWords + j];
        if (id != LLMVP_MOE_NO_EXPERT && id >= sh.experts) {
          err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC0};
          return got;
        }
        route[row * sh.k + j] = id;
        route[slots + row * sh.k + j] = rec[sh.actWords + sh.k + j];
      }
      if (y != nullptr)
        for (std::uint32_t o = 0; o < sh.n; ++o)
          storeElement(y, static_cast<DType>(d.dt_out), row * sh.n + o,
                       loadElement(reinterpret_cast<const std::uint8_t*>(rec), static_cast<DType>(d.dt_in), o));
    }
    route[slots * 2 + c] = used * sh.n;
    records += used;
  }
  const double ops = static_cast<double>(records) * (sh.n + 2.0 * sh.k) * kConvertOps;
  const Ps compute = vectorPs(ops);
  Ps end = write(d.dst, yBytes, got + compute, y, ENG_FIELD_DST, err);
  if (err.ok())
    end = std::max(end, write(d.src2, route.size() * 4, got + compute,
                              reinterpret_cast<const std::uint8_t*>(route.data()), ENG_FIELD_SRC2, err));
  return finishVectorOp(ops, false, compute, start, end);
}

Ps ComputeTile::opMoeReturn(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint32_t ranks = d.arg1;
  const std::uint64_t yBytes = operandBytes(d.m, d.n, 1, d.dt_out), rowBytes = operandBytes(d.n, 1, 1, d.dt_in);
  if (yBytes == 0 || rowBytes == 0 || ranks == 0 || ranks > LLMVP_MAX_EP) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  // The dispatch map is control data: read in both modes.
  std::vector<std::uint32_t> map(ranks + std::size_t{d.m} * ranks);
  Ps ready = read(d.src1, map.size() * 4, start, reinterpret_cast<std::uint8_t*>(map.data()), ENG_FIELD_SRC1, err);
  if (!err.ok()) return ready;
  // Each block's returned rows are its first `used` ones.
  std::vector<std::uint32_t> used(ranks, 0);
  std::uint64_t terms = 0;
  for (std::uint32_t r = 0; r < d.m; ++r)
    for (std::uint32_t c = 0; c < ranks; ++c) {
      const std::uint32_t i = map[ranks + std::size_t{r} * ranks + c];
      if (i == LLMVP_MOE_NO_EXPERT) continue;
      if (i >= d.m) {
        err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC1};
        return ready;
      }
      used[c] = std::max(used[c], i + 1);
      ++terms;
    }
  const std::uint64_t block = std::uint64_t{d.m} * rowBytes;
  std::uint8_t* back = buffer(0, ranks * block);
  std::uint8_t* acc = buffer(2, yBytes);
  std::uint8_t* y = buffer(3, yBytes);
  Ps got = ready;
  for (std::uint32_t c = 0; c < ranks && err.ok(); ++c)
    if (used[c] != 0)
      got = std::max(got, read(d.src0 + c * block, used[c] * rowBytes, ready, back ? back + c * block : nullptr,
                               ENG_FIELD_SRC0, err));
  const bool accum = (d.flags & DESC_F_ACCUM) != 0;
  if (err.ok() && accum) got = std::max(got, read(d.src2, yBytes, ready, acc, ENG_FIELD_SRC2, err));
  if (!err.ok()) return got;
  const double ops = static_cast<double>(terms) * d.n + static_cast<double>(d.m) * d.n * kCombineFixedOps;
  const Ps compute = vectorPs(ops);
  if (functional())
    for (std::uint32_t r = 0; r < d.m; ++r)
      for (std::uint32_t o = 0; o < d.n; ++o) {
        // The chips' partials from 0 in chip order, then the residual.
        float sum = 0.0f;
        for (std::uint32_t c = 0; c < ranks; ++c) {
          const std::uint32_t i = map[ranks + std::size_t{r} * ranks + c];
          if (i != LLMVP_MOE_NO_EXPERT)
            sum += loadElement(back, static_cast<DType>(d.dt_in), (std::uint64_t{c} * d.m + i) * d.n + o);
        }
        const std::uint64_t at = std::uint64_t{r} * d.n + o;
        if (accum) sum += loadElement(acc, static_cast<DType>(d.dt_out), at);
        storeElement(y, static_cast<DType>(d.dt_out), at, sum);
      }
  const Ps end = write(d.dst, yBytes, got + compute, y, ENG_FIELD_DST, err);
  return finishVectorOp(ops, true, compute, start, end);
}

Ps ComputeTile::opGemvHeads(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_w) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint32_t heads = d.arg0;
  const std::uint64_t xBytes = operandBytes(d.m, heads, d.k, d.dt_in);
  const std::uint64_t wBytes = operandBytes(heads, d.n, d.k, d.dt_w);
  const std::uint64_t yBytes = operandBytes(d.m, heads, d.n, d.dt_out);
  if (xBytes == 0 || wBytes == 0 || yBytes == 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const auto dt = computeTypeOf(d);
  std::uint8_t* x = buffer(0, xBytes);
  std::uint8_t* w = buffer(1, wBytes);
  std::uint8_t* y = buffer(3, yBytes);
  const Ps ready = read(d.src0, xBytes, start, x, ENG_FIELD_SRC0, err);
  if (!err.ok()) return ready;
  // Each head's matrix meets the m rows of that head: a GEMV of m rows over
  // heads * n * k weight elements.
  const double elements = static_cast<double>(heads) * d.n * d.k;
  Ps compute = 0;
  const Ps computed = stream(
      d.src1, wBytes, start, ready, w,
      [&](std::uint64_t n) { return weightChunkPs(n, wBytes, elements, d.m, dt, false); }, ENG_FIELD_SRC1, err,
      compute);
  if (!err.ok()) return computed;
  if (functional())
    gemvHeads(x, static_cast<DType>(d.dt_in), w, static_cast<DType>(d.dt_w), y, static_cast<DType>(d.dt_out), d.m,
              heads, d.n, d.k);
  const Ps end = write(d.dst, yBytes, computed, y, ENG_FIELD_DST, err);
  const double macs = static_cast<double>(d.m) * elements;
  macs_ += macs;
  flops_ += 2 * macs;
  matrixBusy_ += static_cast<double>(compute);
  energy_ += macs * tp_.pjPerMac.at(static_cast<std::size_t>(dt));
  accountOp(end - start, compute);
  return end;
}

Ps ComputeTile::opAttnMla(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_w) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint32_t ctx = d.m, heads = d.n, latent = d.k, rope = d.arg0 & 0xffffu, scaleDim = d.arg0 >> 16;
  const std::uint64_t qBytes = operandBytes(heads, latent, 1, d.dt_in);
  const std::uint64_t qrBytes = operandBytes(heads, rope, 1, d.dt_in);
  const std::uint64_t cacheBytes = operandBytes(ctx, std::uint64_t{latent} + rope, 1, d.dt_w);
  const std::uint64_t outBytes = operandBytes(heads, latent, 1, d.dt_out);
  if (qBytes == 0 || qrBytes == 0 || cacheBytes == 0 || outBytes == 0 || rope % 2 != 0 || scaleDim == 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const auto dt = computeTypeOf(d);
  const double rowElems = static_cast<double>(latent) + rope;
  const double kvElt = static_cast<double>(dtypeBytes(static_cast<DType>(d.dt_w)));
  std::uint8_t* q = buffer(0, qBytes);
  std::uint8_t* cache = buffer(1, cacheBytes);
  std::uint8_t* out = buffer(3, outBytes);
  std::vector<std::uint8_t> qr(functional() ? qrBytes : 0);
  Ps qReady = read(d.src0, qBytes, start, q, ENG_FIELD_SRC0, err);
  if (err.ok())
    qReady = std::max(qReady, read(d.src2, qrBytes, start, qr.empty() ? nullptr : qr.data(), ENG_FIELD_SRC2, err));
  if (!err.ok()) return qReady;
  // One pass over the latent cache (online softmax): every cached row meets
  // the `heads` query rows twice, for its L + R score elements and for its L
  // value elements.
  const double perRow = (rowElems + latent) / rowElems;
  auto rowPs = [&](std::uint64_t n) { return matrixPs(static_cast<double>(n) / kvElt * perRow, heads, dt); };
  Ps compute = 0;
  const double scores = static_cast<double>(heads) * ctx;
  const Ps softmax = vectorPs(scores * kSoftmaxOps);
  Ps streamed = 0;
  if ((d.flags & DESC_F_PAGED) != 0) {
    const std::uint32_t blockTokens = d.arg1;
    if (blockTokens == 0) {
      err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
      return start;
    }
    const std::uint32_t blocks = (ctx + blockTokens - 1) / blockTokens;
    std::vector<std::uint32_t> table(blocks);
    qReady = std::max(qReady, read(d.w_group, std::uint64_t{blocks} * 4, start,
                                   reinterpret_cast<std::uint8_t*>(table.data()), ENG_FIELD_SRC1, err));
    if (!err.ok()) return qReady;
    const std::uint64_t row = cacheBytes / ctx, blockBytes = row * blockTokens;
    std::vector<Segment> segs;
    for (std::uint32_t b = 0; b < blocks; ++b) {
      const std::uint64_t n = std::min<std::uint64_t>(blockTokens, ctx - std::uint64_t{b} * blockTokens) * row;
      segs.push_back({d.src1 + std::uint64_t{table[b]} * blockBytes, n});
    }
    streamed = gatherStream(segs, start, qReady, cache, rowPs, ENG_FIELD_SRC1, err, compute);
  } else {
    streamed = stream(d.src1, cacheBytes, start, qReady, cache, rowPs, ENG_FIELD_SRC1, err, compute);
  }
  if (!err.ok()) return streamed;
  if (functional())
    attentionMla(q, qr.data(), static_cast<DType>(d.dt_in), cache, static_cast<DType>(d.dt_w), out,
                 static_cast<DType>(d.dt_out), ctx, heads, latent, rope, scaleDim);
  const Ps end = write(d.dst, outBytes, streamed + softmax, out, ENG_FIELD_DST, err);
  const double macs = scores * (rowElems + latent);
  macs_ += macs;
  flops_ += 2 * macs + scores * kSoftmaxOps;
  vectorOps_ += scores * kSoftmaxOps;
  matrixBusy_ += static_cast<double>(compute);
  vectorBusy_ += static_cast<double>(softmax);
  energy_ += macs * tp_.pjPerMac.at(static_cast<std::size_t>(dt)) + scores * kSoftmaxOps * tp_.pjPerVectorOp;
  accountOp(end - start, compute + softmax);
  return end;
}

Ps ComputeTile::opAttnPrefill(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_w) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint32_t rows = d.m, heads = d.n, hd = d.k, kvh = d.arg0, first = d.arg1;
  const std::uint64_t ctx = std::uint64_t{first} + rows; // positions read
  const std::uint64_t qBytes = operandBytes(rows, heads, hd, d.dt_in);
  const std::uint64_t kvBytes = operandBytes(ctx, kvh, hd, d.dt_w);
  const std::uint64_t outBytes = operandBytes(rows, heads, hd, d.dt_out);
  if (qBytes == 0 || kvBytes == 0 || outBytes == 0 || kvh == 0 || heads % kvh != 0 || ctx > UINT32_MAX ||
      (d.flags & DESC_F_PAGED) != 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const std::uint32_t group = heads / kvh;
  const auto dt = computeTypeOf(d);
  const double kvElt = static_cast<double>(dtypeBytes(static_cast<DType>(d.dt_w)));
  std::uint8_t* q = buffer(0, qBytes);
  std::uint8_t* kc = buffer(1, kvBytes);
  std::uint8_t* vc = buffer(2, kvBytes);
  std::uint8_t* out = buffer(3, outBytes);
  const Ps qReady = read(d.src0, qBytes, start, q, ENG_FIELD_SRC0, err);
  if (!err.ok()) return qReady;
  // Causal block: query row i scores first + i + 1 positions. Each cached K
  // (V) element meets group x rows query rows (matrix rows), of which the
  // causal mask keeps the fraction `useful`; the matrix engine is charged for
  // the useful products only.
  double scores = 0; // per head
  for (std::uint32_t i = 0; i < rows; ++i) scores += static_cast<double>(first) + i + 1;
  const double useful = scores / (static_cast<double>(rows) * static_cast<double>(ctx));
  auto dotPs = [&](std::uint64_t n) { return matrixPs(static_cast<double>(n) / kvElt * useful, group * rows, dt); };
  Ps compute = 0;
  const double allScores = scores * heads;
  const Ps softmax = vectorPs(allScores * kSoftmaxOps);
  const Ps scored = stream(d.src1, kvBytes, start, qReady, kc, dotPs, ENG_FIELD_SRC1, err, compute);
  if (!err.ok()) return scored;
  const Ps valued = stream(d.src2, kvBytes, start, scored + softmax, vc, dotPs, ENG_FIELD_SRC2, err, compute);
  if (!err.ok()) return valued;
  if (functional()) {
    const std::uint64_t row = operandBytes(heads, hd, 1, d.dt_in), orow = operandBytes(heads, hd, 1, d.dt_out);
    for (std::uint32_t i = 0; i < rows; ++i)
      attention(q + i * row, static_cast<DType>(d.dt_in), kc, vc, static_cast<DType>(d.dt_w), out + i * orow,
                static_cast<DType>(d.dt_out), first + i + 1, heads, kvh, hd);
  }
  const Ps end = write(d.dst, outBytes, valued, out, ENG_FIELD_DST, err);
  const double macs = 2.0 * allScores * hd;
  macs_ += macs;
  flops_ += 2 * macs + allScores * kSoftmaxOps;
  vectorOps_ += allScores * kSoftmaxOps;
  matrixBusy_ += static_cast<double>(compute);
  vectorBusy_ += static_cast<double>(softmax);
  energy_ += macs * tp_.pjPerMac.at(static_cast<std::size_t>(dt)) + allScores * kSoftmaxOps * tp_.pjPerVectorOp;
  accountOp(end - start, compute + softmax);
  return end;
}

} // namespace llmvp::models::compute
