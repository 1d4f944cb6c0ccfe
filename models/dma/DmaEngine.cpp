// SPDX-License-Identifier: Apache-2.0
#include "models/dma/DmaEngine.h"

#include <algorithm>

#include "models/common/Numerics.h"
#include "models/compute/Kernels.h"

namespace llmvp::models::dma {

DmaEngine::DmaEngine(const sc_core::sc_module_name& name, const EngineParams& params, ISemaphoreWait& semaphores,
                     bool functional)
    : Engine(name, ENG_ID_DMA, params, semaphores, functional),
      bytesCopied_(statsGroup().add("bytes_copied", "bytes written by copies", Unit::Bytes)) {}

Ps DmaEngine::execute(const llmvp_desc& d, Ps start, EngineError& err) {
  switch (d.opcode) {
  case LLMVP_OP_NOP: return start;
  case LLMVP_OP_COPY: return copy(d, start, err);
  default: err = {ENG_ERR_BAD_OPCODE, ENG_FIELD_OPCODE}; return start;
  }
}

Ps DmaEngine::copy(const llmvp_desc& d, Ps start, EngineError& err) {
  // Element types only (group-quantised weights are not COPY operands).
  if (d.dt_in > LLMVP_DT_U32 || d.dt_out > LLMVP_DT_U32 ||
      (d.dt_in == LLMVP_DT_U32 ? d.dt_out != LLMVP_DT_U32 : d.dt_out == LLMVP_DT_U32)) {
    err = {ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE};
    return start;
  }
  if (d.n == 0) {
    err = {ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS};
    return start;
  }
  const auto tin = static_cast<DType>(d.dt_in), tout = static_cast<DType>(d.dt_out);
  const std::uint64_t inElt = dtypeBytes(tin), outElt = dtypeBytes(tout);
  // Chunks hold a whole number of elements of both types.
  const std::uint64_t chunkElems = std::max<std::uint64_t>(1, params().chunkBytes / std::max(inElt, outElt));
  const std::uint32_t depth = params().maxOutstanding;
  std::vector<Ps> writeDone(depth, start);
  Ps issue = start, end = start;
  const bool functional = Engine::functional();
  std::uint64_t i = 0;
  for (std::uint64_t e = 0; e < d.n; e += chunkElems, ++i) {
    const std::uint64_t n = std::min<std::uint64_t>(chunkElems, d.n - e);
    if (functional) {
      in_.resize(n * inElt);
      out_.resize(n * outElt);
    }
    issue = std::max(issue, writeDone[i % depth]);
    const Ps readDone = access(tlm::TLM_READ_COMMAND, d.src0 + e * inElt, functional ? in_.data() : nullptr, n * inElt,
                               issue, !functional, ENG_FIELD_SRC0, err);
    if (!err.ok()) return readDone;
    if (functional) compute::convert(in_.data(), tin, out_.data(), tout, n);
    const Ps written = access(tlm::TLM_WRITE_COMMAND, d.dst + e * outElt, functional ? out_.data() : nullptr,
                              n * outElt, readDone, !functional, ENG_FIELD_DST, err);
    if (!err.ok()) return written;
    writeDone[i % depth] = written;
    end = std::max(end, written);
  }
  bytesCopied_ += static_cast<double>(d.n * outElt);
  // A DMA engine has no compute: the whole transfer is its busy time.
  accountOp(end - start, end - start);
  return end;
}

} // namespace llmvp::models::dma
