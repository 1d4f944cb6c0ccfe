// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Sizing of the compute tile's weight-stream buffer for High Bandwidth
/// Flash (chip.hbf.prefetch.mode sram). Little's law: to keep a
/// memory of bandwidth B and read latency L busy, B x L bytes must be in
/// flight; the buffer holds factor x B x L (FlashAccel sizes its SRAM at
/// more than 2 x bandwidth x read latency: ../shared/reference/devices.md),
/// rounded up to whole chunks (chip.tile.chunk_kib). L is one chunk read on
/// idle flash (HbfParams::unloadedReadNs) plus the fabric traversal there
/// and back (chip.hbf.port.latency_ns). Derived, never typed in.

#include <algorithm>
#include <cmath>

#include "firmware/include/memmap.h"
#include "platform/ChipParams.h"

namespace llmvp::platform {

/// The HBF window of every tile (no window without HBF). Without a buffer
/// factor the window still counts the tile's stall on HBF data, with the
/// tile's own max_outstanding and no read-ahead.
inline models::compute::ReadAheadParams hbfBufferParams(const ChipParams& p) {
  models::compute::ReadAheadParams r;
  if (!p.hasHbf) return r;
  r.base = LLMVP_HBF_BASE;
  r.size = p.hbf.capacityBytes();
  r.depth = p.tile.engine.maxOutstanding;
  r.pjPerBit = p.tile.scratchpad.pjPerBit; // the buffer is SRAM like the scratchpad
  if (p.hbfBufferFactor <= 0) return r;
  const std::uint64_t chunk = p.tile.engine.chunkBytes;
  r.factor = p.hbfBufferFactor;
  r.bandwidthGBps = p.hbf.peakReadGBps();
  r.latencyNs = p.hbf.unloadedReadNs(chunk) + 2.0 * p.hbfPort.latencyNs;
  const double bytes = r.factor * r.bandwidthGBps * r.latencyNs; // GB/s x ns = bytes
  r.depth = static_cast<std::uint32_t>(std::max(1.0, std::ceil(bytes / static_cast<double>(chunk))));
  r.readAhead = p.hbfReadAhead;
  return r;
}

} // namespace llmvp::platform
