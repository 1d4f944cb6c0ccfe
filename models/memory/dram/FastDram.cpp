// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/FastDram.h"

#include <algorithm>
#include <cmath>

#include "models/common/Extensions.h"

namespace llmvp::models::dram {

FastDram::FastDram(const sc_core::sc_module_name& name, const DramParams& params)
    : sc_module(name), socket("socket"), params_(params), nch_(params.channels()),
      psPerByte_(1000.0 / params.channelGBps()),
      actInterval_(nsToPs(std::max({params.t.tRRD, params.t.tFAW / 4.0, params.t.tRC / params.banks()}))),
      refreshDerate_(params.refreshDerate()), hitLatency_(nsToPs(params.t.tCL)),
      missLatency_(nsToPs(params.t.tRP + params.t.tRCD + params.t.tCL)),
      ctrlLatency_(nsToPs(params.controllerLatencyNs)), channels_(nch_), store_(params.capacityBytes),
      stats_(this->name()), reads_(stats_.add("reads", "read requests", Unit::Count)),
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

Ps FastDram::schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival) {
  const std::uint64_t g = params_.interleaveBytes;
  const std::uint64_t n = nch_;
  const std::uint64_t rowBytes = params_.rowBytes;
  const std::uint64_t first = addr / g;               // first interleave block
  const std::uint64_t last = (addr + bytes - 1) / g;  // last interleave block
  const std::uint64_t headSkip = addr % g;            // bytes of `first` before addr
  const std::uint64_t tailSkip = g - 1 - (addr + bytes - 1) % g;
  const Ps start = arrival + ctrlLatency_;
  Ps done = start;
  double acts = 0, blocks = 0, busy = 0;
  const std::uint64_t touched = std::min<std::uint64_t>(n, last - first + 1);
  for (std::uint64_t j = 0; j < touched; ++j) {
    const std::uint64_t b0 = first + j;         // this channel's first block
    const std::uint64_t ch = b0 % n;
    const std::uint64_t count = (last - b0) / n + 1;
    const std::uint64_t bLast = b0 + (count - 1) * n;
    std::uint64_t chBytes = count * g;
    if (b0 == first) chBytes -= headSkip;
    if (bLast == last) chBytes -= tailSkip;
    // Channel-local byte range: block b lives at (b / n) * g on channel b % n.
    const std::uint64_t localBegin = (b0 / n) * g + (b0 == first ? headSkip : 0);
    const std::uint64_t localEnd = (bLast / n) * g + (bLast == last ? g - tailSkip : g); // exclusive
    const std::uint64_t rowFirst = localBegin / rowBytes;
    const std::uint64_t rowLast = (localEnd - 1) / rowBytes;
    Channel& c = channels_[ch];
    const bool hit = c.openRowBlock == rowFirst;
    const std::uint64_t rows = rowLast - rowFirst + 1;
    const std::uint64_t chActs = rows - (hit ? 1 : 0);
    c.openRowBlock = rowLast;
    const double transferPs = static_cast<double>(chBytes) * psPerByte_;
    const double actPs = static_cast<double>(chActs) * static_cast<double>(actInterval_);
    const Ps service = static_cast<Ps>(std::llround(std::max(transferPs, actPs) * refreshDerate_));
    const Ps s = std::max(start, c.busyUntil);
    c.busyUntil = s + service;
    done = std::max(done, c.busyUntil + (hit ? hitLatency_ : missLatency_));
    acts += static_cast<double>(chActs);
    blocks += static_cast<double>(rows);
    busy += static_cast<double>(service);
  }
  (write ? writes_ : reads_) += 1;
  (write ? bytesWritten_ : bytesRead_) += static_cast<double>(bytes);
  rowBlocks_ += blocks;
  activations_ += acts;
  channelBusy_ += busy;
  energy_ += static_cast<double>(bytes) * 8.0 * (write ? params_.writePjPerBit : params_.readPjPerBit) +
             acts * params_.activatePj;
  return done;
}

void FastDram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t addr = gp.get_address();
  const std::uint64_t len = gp.get_data_length();
  if (len == 0 || !store_.contains(addr, len)) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (carriesData(gp)) {
    if (gp.is_write())
      store_.write(addr, gp.get_data_ptr(), len);
    else
      store_.read(addr, gp.get_data_ptr(), len);
  }
  const Ps now = nowPs();
  const Ps done = schedule(gp.is_write(), addr, len, now + toPs(delay));
  delay = fromPs(done - now);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned FastDram::transport_dbg(tlm::tlm_generic_payload& gp) {
  const std::uint64_t n = gp.get_data_length();
  if (!store_.contains(gp.get_address(), n)) return 0;
  if (gp.is_write())
    store_.write(gp.get_address(), gp.get_data_ptr(), n);
  else
    store_.read(gp.get_address(), gp.get_data_ptr(), n);
  return static_cast<unsigned>(n);
}

} // namespace llmvp::models::dram
