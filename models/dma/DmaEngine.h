// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Descriptor-driven DMA engine: LLMVP_OP_COPY with optional element-type
/// conversion. A copy is split into chunks; each chunk's write is issued when
/// its read completes, with at most maxOutstanding chunks in flight.

#include <vector>

#include "models/common/Engine.h"

namespace llmvp::models::dma {

class DmaEngine : public Engine {
public:
  DmaEngine(const sc_core::sc_module_name& name, const EngineParams& params, ISemaphoreWait& semaphores,
            bool functional);

protected:
  Ps execute(const llmvp_desc& d, Ps start, EngineError& err) override;

private:
  Ps copy(const llmvp_desc& d, Ps start, EngineError& err);
  std::vector<std::uint8_t> in_, out_;
  Stat& bytesCopied_;
};

} // namespace llmvp::models::dma
