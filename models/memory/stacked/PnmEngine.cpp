// SPDX-License-Identifier: Apache-2.0
#include "models/memory/stacked/PnmEngine.h"

#include <algorithm>
#include <cmath>

#include "models/common/Numerics.h"
#include "models/common/Operands.h"
#include "models/compute/Kernels.h"
#include "models/compute/VectorCost.h"

namespace llmvp::models::stacked {

using compute::kPnmDequantOps;
using compute::kSoftmaxOps;

PnmEngine::PnmEngine(const sc_core::sc_module_name& name, const PnmParams& params, ISemaphoreWait& semaphores,
                     bool functional)
    : Engine(name, params.inDram ? ENG_ID_PIM : ENG_ID_PNM, params.engine, semaphores, functional), pp_(params),
      macs_(statsGroup().add("macs", "multiply-accumulates", Unit::Count)),
      flops_(statsGroup().add("flops", "floating-point operations (2 per MAC + vector ops)", Unit::Flop)),
      vectorOps_(
          statsGroup().add("vector_ops", "vector element-operations (softmax, dequantisation, sums)", Unit::Count)),
      energy_(statsGroup().add("energy", "logic dynamic energy (MACs and vector ops)", Unit::Pj)),
      unitActivePs_(statsGroup().add("unit_active",
                                     "compute time weighted by the fraction of units with work (utilisation = "
                                     "unit_active / busy)",
                                     Unit::Ps)) {}

std::uint8_t* PnmEngine::buffer(std::size_t slot, std::uint64_t bytes) {
  return buffers_.get(functional(), slot, bytes);
}

Ps PnmEngine::macPs(double macs, double active) const { return cyclesPs(macs / (active * pp_.macsPerCyclePerUnit)); }

Ps PnmEngine::vectorPs(double ops, double active) const {
  return cyclesPs(ops / (active * pp_.vectorOpsPerCyclePerUnit));
}

Ps PnmEngine::read(std::uint64_t addr, std::uint64_t bytes, Ps at, std::uint8_t* dst, std::uint32_t field,
                   EngineError& err) {
  Ps ignored = 0;
  return streamRead(
      addr, bytes, at, at, dst, [](std::uint64_t) { return Ps{0}; }, field, err, ignored);
}

Ps PnmEngine::rows(bool write, std::uint64_t addr, std::uint32_t count, std::uint64_t rowBytes,
                   std::uint64_t strideBytes, std::uint8_t* data, Ps at, std::uint32_t field, EngineError& err) {
  Ps done = at;
  if (strideBytes == rowBytes) {
    // Contiguous: one stream (reads) or chunked writes.
    if (!write) return read(addr, rowBytes * count, at, data, field, err);
    const std::uint64_t bytes = rowBytes * count, chunk = params().chunkBytes;
    for (std::uint64_t off = 0; off < bytes && err.ok(); off += chunk)
      done = std::max(done, access(tlm::TLM_WRITE_COMMAND, addr + off, data ? data + off : nullptr,
                                   std::min(chunk, bytes - off), at, data == nullptr, field, err));
    return done;
  }
  for (std::uint32_t r = 0; r < count && err.ok(); ++r)
    done = std::max(done, access(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr + r * strideBytes,
                                 data ? data + r * rowBytes : nullptr, rowBytes, at, data == nullptr, field, err));
  return done;
}

Ps PnmEngine::syncTo(Ps t) {
  // Results go to memories other engines share (the tile's scratchpad):
  // wait until the result exists, so that shared timelines see requests in
  // time order. Without it an engine's write, issued far ahead in its local
  // time, would hold the port for every engine that starts after it.
  const Ps now = nowPs();
  if (t > now) sc_core::wait(fromPs(t - now));
  return t;
}

void PnmEngine::finish(double macs, double vectorOps, Ps compute, double active, Ps start, Ps end) {
  macs_ += macs;
  vectorOps_ += vectorOps;
  flops_ += 2 * macs + vectorOps;
  energy_ += macs * pp_.pjPerMac + vectorOps * pp_.pjPerVectorOp;
  unitActivePs_ += static_cast<double>(compute) * active / pp_.units;
  accountOp(end - start, compute);
}

Ps PnmEngine::execute(const llmvp_desc& d, Ps start, EngineError& err) {
  switch (d.opcode) {
  case LLMVP_OP_NOP: return start;
  case LLMVP_OP_PNM_GEMV: return opGemv(d, start, err);
  case LLMVP_OP_PNM_ATTN:
  case LLMVP_OP_PNM_ATTN_APPEND: return opAttn(d, start, err);
  case LLMVP_OP_PNM_REDUCE: return opReduce(d, start, err);
  default: err = {ENG_ERR_BAD_OPCODE, ENG_FIELD_OPCODE}; return start;
  }
}

Ps PnmEngine::opGemv(const llmvp_desc& d, Ps start, EngineError& err) {
  const bool quantized = compute::isQuantized(d.dt_w);
  if (!isFloatType(d.dt_in) || !(isFloatType(d.dt_w) || quantized) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint32_t stride = d.arg1 == 0 ? d.n : d.arg1, inStride = d.arg0 == 0 ? d.k : d.arg0;
  const std::uint64_t xBytes = operandBytes(d.m, d.k, 1, d.dt_in);
  const std::uint64_t wBytes =
      operandBytes(d.n, d.k, 1, LLMVP_DT_FP8_E4M3) == 0 ? 0 : compute::weightMatrixBytes(d.dt_w, d.n, d.k, d.w_group);
  const std::uint64_t yBytes = operandBytes(d.m, d.n, 1, d.dt_out);
  const bool accum = (d.flags & DESC_F_ACCUM) != 0, bias = (d.flags & DESC_F_BIAS) != 0;
  if (xBytes == 0 || wBytes == 0 || yBytes == 0 || stride < d.n || inStride < d.k) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  if (accum && bias) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC2};
    return start;
  }
  const double active = std::min<double>(pp_.units, d.n);
  if (pp_.unitShardBytes != 0 && wBytes / d.n * ((d.n + pp_.units - 1) / pp_.units) > pp_.unitShardBytes) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC1}; // rows of one unit do not fit in its bank
    return start;
  }
  const std::uint64_t outElt = dtypeBytes(static_cast<DType>(d.dt_out));
  const std::uint64_t rowBytes = d.n * outElt, strideBytes = std::uint64_t{stride} * outElt;
  const std::uint8_t biasType = quantized ? std::uint8_t{LLMVP_DT_BF16} : d.dt_w;
  const std::uint64_t bBytes = operandBytes(d.n, 1, 1, biasType);
  std::uint8_t* x = buffer(0, xBytes);
  std::uint8_t* w = buffer(1, wBytes);
  std::uint8_t* acc = accum ? buffer(2, yBytes) : bias ? buffer(2, bBytes) : nullptr;
  std::uint8_t* y = buffer(3, yBytes);
  const std::uint64_t inElt = dtypeBytes(static_cast<DType>(d.dt_in));
  Ps ready = rows(false, d.src0, d.m, d.k * inElt, std::uint64_t{inStride} * inElt, x, start, ENG_FIELD_SRC0, err);
  if (accum && err.ok())
    ready = std::max(ready, rows(false, d.src2, d.m, rowBytes, strideBytes, acc, start, ENG_FIELD_SRC2, err));
  if (bias && err.ok()) ready = std::max(ready, read(d.src2, bBytes, start, acc, ENG_FIELD_SRC2, err));
  if (!err.ok()) return ready;
  const double elements = static_cast<double>(d.n) * d.k;
  Ps compute = 0;
  const Ps computed = streamRead(
      d.src1, wBytes, start, ready, w,
      [&](std::uint64_t bytes) {
        const double e = elements * static_cast<double>(bytes) / static_cast<double>(wBytes);
        const Ps mac = macPs(e * d.m, active);
        return quantized ? std::max(mac, vectorPs(e * kPnmDequantOps, active)) : mac;
      },
      ENG_FIELD_SRC1, err, compute);
  if (!err.ok()) return computed;
  if (functional()) {
    const auto dx = static_cast<DType>(d.dt_in), dy = static_cast<DType>(d.dt_out);
    if (quantized) {
      std::vector<float> deq(static_cast<std::size_t>(elements));
      compute::dequantize(w, d.dt_w, d.n, d.k, d.w_group, deq.data());
      compute::gemv(x, dx, reinterpret_cast<const std::uint8_t*>(deq.data()), DType::Fp32, accum ? acc : nullptr, y, dy,
                    d.m, d.n, d.k, bias ? acc : nullptr, DType::Bf16);
    } else {
      compute::gemv(x, dx, w, static_cast<DType>(d.dt_w), accum ? acc : nullptr, y, dy, d.m, d.n, d.k,
                    bias ? acc : nullptr, static_cast<DType>(d.dt_w));
    }
  }
  const Ps end = rows(true, d.dst, d.m, rowBytes, strideBytes, y, syncTo(computed), ENG_FIELD_DST, err);
  finish(static_cast<double>(d.m) * elements, quantized ? elements * kPnmDequantOps : 0.0, compute, active, start, end);
  return end;
}

Ps PnmEngine::opAttn(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_w) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint32_t ctx = d.m, heads = d.n, hd = d.k, kvh = d.arg0;
  const std::uint64_t qBytes = operandBytes(heads, hd, 1, d.dt_in);
  const std::uint64_t kvBytes = operandBytes(ctx, kvh, hd, d.dt_w);
  const std::uint64_t outBytes = operandBytes(heads, hd, 1, d.dt_out);
  if (qBytes == 0 || kvBytes == 0 || outBytes == 0 || heads % kvh != 0 || (d.flags & DESC_F_PAGED) != 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  // Positions are spread over the units (each holds its slice of K and V;
  // the engine combines the partial softmax sums, not timed).
  const double active = std::min<double>(pp_.units, ctx);
  if (pp_.unitShardBytes != 0 &&
      2.0 * static_cast<double>(kvBytes) / active > static_cast<double>(pp_.unitShardBytes)) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC1}; // a unit's K+V slice exceeds its bank
    return start;
  }
  const std::uint32_t group = heads / kvh;
  const double kvElt = static_cast<double>(dtypeBytes(static_cast<DType>(d.dt_w)));
  std::uint8_t* q = buffer(0, qBytes);
  std::uint8_t* kc = buffer(1, kvBytes);
  std::uint8_t* vc = buffer(2, kvBytes);
  std::uint8_t* out = buffer(3, outBytes);
  if (d.opcode == LLMVP_OP_PNM_ATTN_APPEND) {
    // The new position's k and v rows (arg1, w_group; dt_in) into the cache
    // at position ctx - 1, before the cache is read.
    const std::uint64_t inRow = operandBytes(kvh, hd, 1, d.dt_in), cacheRow = kvBytes / ctx;
    const std::uint64_t at = std::uint64_t{ctx - 1} * cacheRow;
    std::vector<std::uint8_t> row(functional() ? inRow : 0), conv(functional() ? cacheRow : 0);
    Ps appended = start;
    for (int i = 0; i < 2 && err.ok(); ++i) {
      const std::uint64_t from = i == 0 ? d.arg1 : d.w_group, to = (i == 0 ? d.src1 : d.src2) + at;
      const std::uint32_t field = i == 0 ? ENG_FIELD_SRC0 : ENG_FIELD_SRC2;
      const Ps got = read(from, inRow, start, row.empty() ? nullptr : row.data(), field, err);
      if (!err.ok()) return got;
      if (functional())
        compute::convert(row.data(), static_cast<DType>(d.dt_in), conv.data(), static_cast<DType>(d.dt_w),
                         std::uint64_t{kvh} * hd);
      appended = std::max(appended, rows(true, to, 1, cacheRow, cacheRow, conv.empty() ? nullptr : conv.data(),
                                         syncTo(got), field, err));
    }
    if (!err.ok()) return appended;
    start = appended;
  }
  const Ps qReady = read(d.src0, qBytes, start, q, ENG_FIELD_SRC0, err);
  if (!err.ok()) return qReady;
  auto dotPs = [&](std::uint64_t bytes) { return macPs(static_cast<double>(bytes) / kvElt * group, active); };
  const double scores = static_cast<double>(heads) * ctx;
  const Ps softmax = vectorPs(scores * kSoftmaxOps, active);
  Ps compute = 0;
  const Ps scored = streamRead(d.src1, kvBytes, start, qReady, kc, dotPs, ENG_FIELD_SRC1, err, compute);
  if (!err.ok()) return scored;
  const Ps valued = streamRead(d.src2, kvBytes, start, scored + softmax, vc, dotPs, ENG_FIELD_SRC2, err, compute);
  if (!err.ok()) return valued;
  if (functional())
    compute::attention(q, static_cast<DType>(d.dt_in), kc, vc, static_cast<DType>(d.dt_w), out,
                       static_cast<DType>(d.dt_out), ctx, heads, kvh, hd);
  const Ps end = rows(true, d.dst, 1, outBytes, outBytes, out, syncTo(valued), ENG_FIELD_DST, err);
  finish(2.0 * scores * hd, scores * kSoftmaxOps, compute + softmax, active, start, end);
  return end;
}

Ps PnmEngine::opReduce(const llmvp_desc& d, Ps start, EngineError& err) {
  if (!isFloatType(d.dt_in) || !isFloatType(d.dt_out)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  const std::uint64_t count = static_cast<std::uint64_t>(d.m) * d.n;
  const std::uint64_t stride = d.arg1 == 0 ? count : d.arg1; // elements between partial sums
  const std::uint64_t inBytes = operandBytes(count, d.k, 1, d.dt_in), outBytes = operandBytes(count, 1, 1, d.dt_out);
  if (inBytes == 0 || outBytes == 0 || stride < count) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const bool accum = (d.flags & DESC_F_ACCUM) != 0;
  const double active = pp_.units;
  const std::uint64_t inElt = dtypeBytes(static_cast<DType>(d.dt_in));
  std::uint8_t* in = buffer(0, inBytes);
  std::uint8_t* acc = accum ? buffer(2, outBytes) : nullptr;
  std::uint8_t* out = buffer(3, outBytes);
  Ps ready = start;
  if (accum) ready = read(d.src2, outBytes, start, acc, ENG_FIELD_SRC2, err);
  if (!err.ok()) return ready;
  Ps compute = 0;
  const double ops = static_cast<double>(count) * (d.k + (accum ? 1 : 0));
  Ps summed = ready;
  if (stride == count) {
    summed = streamRead(
        d.src0, inBytes, start, ready, in,
        [&](std::uint64_t bytes) { return vectorPs(ops * static_cast<double>(bytes) / inBytes, active); },
        ENG_FIELD_SRC0, err, compute);
  } else { // k strided partial sums: read them, then sum
    const Ps arrived = rows(false, d.src0, d.k, count * inElt, stride * inElt, in, start, ENG_FIELD_SRC0, err);
    compute = vectorPs(ops, active);
    summed = std::max(arrived, ready) + compute;
  }
  if (!err.ok()) return summed;
  if (functional()) {
    const auto di = static_cast<DType>(d.dt_in), dout = static_cast<DType>(d.dt_out);
    for (std::uint64_t i = 0; i < count; ++i) {
      float s = accum ? loadElement(acc, dout, i) : 0.0f;
      for (std::uint32_t j = 0; j < d.k; ++j) s += loadElement(in, di, j * count + i);
      storeElement(out, dout, i, s);
    }
  }
  const Ps end = rows(true, d.dst, 1, outBytes, outBytes, out, syncTo(summed), ENG_FIELD_DST, err);
  finish(0, ops, compute, active, start, end);
  return end;
}

} // namespace llmvp::models::stacked
