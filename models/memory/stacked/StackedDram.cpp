// SPDX-License-Identifier: Apache-2.0
#include "models/memory/stacked/StackedDram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/common/Extensions.h"
#include "models/common/MemoryTarget.h"

namespace llmvp::models::stacked {

namespace {
const StackedParams& checked(const StackedParams& p) {
  const std::string why = p.check();
  if (!why.empty()) throw std::invalid_argument("stacked DRAM: " + why);
  return p;
}
} // namespace

StackedDram::StackedDram(const sc_core::sc_module_name& name, const StackedParams& params)
    : sc_module(name), socket("socket"), internalSocket("internalSocket"), params_(checked(params)),
      // NOLINTNEXTLINE(clang-analyzer-core.DivideZero): checked() refuses 0 stacks or vaults
      vaultsPerPartition_(params.vaults() / params.partitions()),
      vaultPsPerByte_(1000.0 / (params.vaultGBps * params.throttle())),
      interfacePsPerByte_(1000.0 / params.interfaceGBpsPerStack), vaultLatency_(nsToPs(params.vaultLatencyNs)),
      interfaceLatency_(nsToPs(params.interfaceLatencyNs)), vaultBusy_(params.vaults(), 0), interfaces_(params.stacks),
      perVault_(params.vaults(), 0), perStack_(params.stacks, 0), store_(params.capacityBytes), stats_(this->name()),
      reads_(stats_.add("reads", "read requests", Unit::Count)),
      writes_(stats_.add("writes", "write requests", Unit::Count)),
      bytesRead_(stats_.add("bytes_read", "bytes read", Unit::Bytes)),
      bytesWritten_(stats_.add("bytes_written", "bytes written", Unit::Bytes)),
      internalBytes_(stats_.add("internal_bytes", "bytes moved by base-die logic (never left the stack)", Unit::Bytes)),
      externalBytes_(stats_.add("external_bytes", "bytes that crossed the external interface", Unit::Bytes)),
      vaultBusy_ps_(stats_.add("vault_busy", "sum over vaults of busy time", Unit::Ps)),
      interfaceBusy_(stats_.add("interface_busy", "sum over stack interfaces of busy time", Unit::Ps)),
      energy_(stats_.add("energy", "dynamic energy (internal access and interface)", Unit::Pj)),
      throttlePermille_(stats_.add("throttle_permille",
                                   "sustained internal bandwidth and logic clock, per mille of peak (power "
                                   "budget; 1000: not throttled)",
                                   Unit::Count)) {
  throttlePermille_.value = std::round(params.throttle() * 1000.0);
  socket.register_b_transport(this, &StackedDram::b_transport);
  socket.register_transport_dbg(this, &StackedDram::transport_dbg);
  internalSocket.register_b_transport(this, &StackedDram::b_transportInternal);
  internalSocket.register_transport_dbg(this, &StackedDram::transportDbgInternal);
}

std::uint32_t StackedDram::vaultOf(std::uint64_t addr) const {
  if (addr >= params_.capacityBytes)
    return static_cast<std::uint32_t>((addr - params_.capacityBytes) / params_.interleaveBytes % params_.vaults());
  const std::uint64_t part = addr / params_.partitionBytes();
  const std::uint64_t block = (addr % params_.partitionBytes()) / params_.interleaveBytes;
  return static_cast<std::uint32_t>(part * vaultsPerPartition_ + block % vaultsPerPartition_);
}

Ps StackedDram::schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival, bool external) {
  // Bytes of the request on each vault: whole rounds of the partition's
  // vaults in O(vaults), the partial blocks at both ends one by one.
  const std::uint64_t g = params_.interleaveBytes;
  // The interleaved view is one partition of every vault.
  const bool interleaved = addr >= params_.capacityBytes;
  const std::uint64_t base = interleaved ? params_.capacityBytes : 0;
  const std::uint64_t partBytes = interleaved ? params_.capacityBytes : params_.partitionBytes();
  const std::uint32_t vaultsPerPartition = interleaved ? params_.vaults() : vaultsPerPartition_;
  const std::uint32_t vps = params_.vaultsPerStack;
  std::vector<std::uint32_t> touched;
  std::uint64_t at = addr - base;
  const std::uint64_t end = at + bytes;
  while (at < end) {
    // One partition at a time (requests rarely straddle two).
    const std::uint64_t part = at / partBytes;
    const std::uint64_t partEnd = std::min(end, (part + 1) * partBytes);
    const std::uint32_t first = static_cast<std::uint32_t>(part * vaultsPerPartition);
    const std::uint64_t blockFirst = (at % partBytes) / g, blockLast = (partEnd - 1 - part * partBytes) / g;
    const std::uint64_t blocks = blockLast - blockFirst + 1;
    const std::uint64_t rounds = blocks / vaultsPerPartition, rem = blocks % vaultsPerPartition;
    for (std::uint32_t j = 0; j < vaultsPerPartition && (rounds > 0 || j < rem); ++j) {
      const std::uint32_t v = first + static_cast<std::uint32_t>((blockFirst + j) % vaultsPerPartition);
      const std::uint64_t count = rounds + (j < rem ? 1 : 0);
      if (perVault_[v] == 0) touched.push_back(v);
      perVault_[v] += count * g;
    }
    // Trim the partial first and last blocks.
    perVault_[vaultOf(base + at)] -= at % g;
    perVault_[vaultOf(base + partEnd - 1)] -= g - 1 - (partEnd - 1) % g;
    at = partEnd;
  }
  const Ps start = arrival + (external ? interfaceLatency_ : 0);
  Ps last = start;
  double busy = 0;
  for (const std::uint32_t v : touched) {
    const Ps service = static_cast<Ps>(static_cast<double>(perVault_[v]) * vaultPsPerByte_ + 0.5);
    const Ps begin = std::max(start, vaultBusy_[v]);
    vaultBusy_[v] = begin + service;
    last = std::max(last, begin + service);
    busy += static_cast<double>(service);
    perStack_[v / vps] += perVault_[v];
    perVault_[v] = 0;
  }
  Ps done = last + vaultLatency_;
  if (external) {
    // Data streams through each stack's interface while the vaults serve it.
    double ifBusy = 0;
    for (std::uint32_t s = 0; s < params_.stacks; ++s) {
      if (perStack_[s] == 0) continue;
      const Ps transfer = static_cast<Ps>(static_cast<double>(perStack_[s]) * interfacePsPerByte_ + 0.5);
      const Ps begin = interfaces_[s].reserve(start, transfer);
      done = std::max(done, begin + transfer + vaultLatency_);
      ifBusy += static_cast<double>(transfer);
      perStack_[s] = 0;
    }
    done += interfaceLatency_;
    interfaceBusy_ += ifBusy;
    externalBytes_ += static_cast<double>(bytes);
  } else {
    std::fill(perStack_.begin(), perStack_.end(), 0);
    internalBytes_ += static_cast<double>(bytes);
  }
  (write ? writes_ : reads_) += 1;
  (write ? bytesWritten_ : bytesRead_) += static_cast<double>(bytes);
  vaultBusy_ps_ += busy;
  energy_ +=
      static_cast<double>(bytes) * 8.0 * (params_.internalPjPerBit + (external ? params_.interfacePjPerBit : 0.0));
  return done;
}

void StackedDram::transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay, bool external) {
  const std::uint64_t addr = gp.get_address();
  const std::uint64_t len = gp.get_data_length();
  if (addr < params_.capacityBytes) {
    if (!acceptPayload(store_, gp)) return;
    movePayloadData(store_, gp);
  } else {
    const std::uint64_t cap = params_.capacityBytes;
    if (len == 0 || len > cap || addr - cap > cap - len) {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (gp.get_byte_enable_ptr() != nullptr) {
      gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    if (carriesData(gp)) copy(gp.is_write(), addr, gp.get_data_ptr(), len);
  }
  const Ps now = nowPs();
  const Ps arrival = now + toPs(delay);
  const Ps done = schedule(gp.is_write(), addr, len, arrival, external);
  if (trace_ != nullptr) trace_->transfer(traceTrack_, arrival, done, len);
  delay = fromPs(done - now);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void StackedDram::copy(bool write, std::uint64_t addr, std::uint8_t* data, std::uint64_t bytes) {
  const std::uint64_t g = params_.interleaveBytes, cap = params_.capacityBytes;
  for (std::uint64_t done = 0; done < bytes;) {
    const std::uint64_t a = addr + done - cap, n = std::min(bytes - done, g - a % g);
    const std::uint64_t phys = params_.interleavedToPhysical(a);
    if (write)
      store_.write(phys, data + done, n);
    else
      store_.read(phys, data + done, n);
    done += n;
  }
}

unsigned StackedDram::transport_dbg(tlm::tlm_generic_payload& gp) {
  const std::uint64_t addr = gp.get_address(), len = gp.get_data_length(), cap = params_.capacityBytes;
  if (addr < cap) return store_.debugAccess(gp.is_write(), addr, gp.get_data_ptr(), len);
  if (addr - cap >= cap) return 0;
  const std::uint64_t n = std::min(len, 2 * cap - addr);
  copy(gp.is_write(), addr, gp.get_data_ptr(), n);
  return static_cast<unsigned>(n);
}

} // namespace llmvp::models::stacked
