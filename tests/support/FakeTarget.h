// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A memory-mapped fake target for unit tests: address regions, each with a
/// fixed latency and a transfer rate on its own timeline, backed by a sparse
/// byte store; every access is logged with its arrival and completion time.
///
/// Timing of one access arriving at `a` (kernel time + annotated delay) in a
/// region with latency L and rate R ps/byte: it starts at s = max(a, end of
/// the region's previous transfer), transfers for bytes * R and completes at
/// s + bytes * R + L. Accesses queue in call order (no reordering).
/// Addresses outside every region, or a range crossing a region's end, get
/// TLM_ADDRESS_ERROR_RESPONSE; byte enables TLM_BYTE_ENABLE_ERROR_RESPONSE;
/// streaming TLM_BURST_ERROR_RESPONSE. Timing-only payloads
/// (models::TimingOnlyExtension) are timed but their data is not touched.
/// A region may have a write hook (e.g. a semaphore-signal window).

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/common/BackingStore.h"
#include "models/common/Extensions.h"
#include "models/common/Interrupts.h"

namespace llmvp::test {

struct FakeAccess {
  tlm::tlm_command cmd;
  std::uint64_t addr; ///< as seen by the target
  unsigned length;
  std::uint64_t arrival; ///< ps
  std::uint64_t done;    ///< ps
  bool carriesData;
};

class FakeTarget : public sc_core::sc_module {
public:
  tlm_utils::simple_target_socket<FakeTarget> socket;
  /// Called for timed writes into a region with a hook: (offset in region, data, length, completion ps).
  using WriteHook = std::function<void(std::uint64_t, const std::uint8_t*, unsigned, std::uint64_t)>;

  /// `storeBytes`: addresses [0, storeBytes) can hold data.
  FakeTarget(const sc_core::sc_module_name& name, std::uint64_t storeBytes)
      : sc_module(name), socket("socket"), store_(storeBytes) {
    socket.register_b_transport(this, &FakeTarget::b_transport);
    socket.register_transport_dbg(this, &FakeTarget::transport_dbg);
  }

  /// Adds [base, base + size) with latency `latencyPs` and `psPerByte`.
  void addRegion(std::uint64_t base, std::uint64_t size, std::uint64_t latencyPs, std::uint64_t psPerByte,
                 WriteHook hook = {}) {
    regions_.push_back({base, size, latencyPs, psPerByte, 0, std::move(hook)});
  }

  // ---- backdoor -----------------------------------------------------------
  void poke(std::uint64_t addr, const void* src, std::size_t n) {
    store_.write(addr, static_cast<const std::uint8_t*>(src), n);
  }
  void peek(std::uint64_t addr, void* dst, std::size_t n) const {
    store_.read(addr, static_cast<std::uint8_t*>(dst), n);
  }
  template <typename T>
  void put(std::uint64_t addr, const T& v) {
    poke(addr, &v, sizeof v);
  }
  template <typename T>
  [[nodiscard]] T get(std::uint64_t addr) const {
    T v{};
    peek(addr, &v, sizeof v);
    return v;
  }
  [[nodiscard]] std::vector<std::uint8_t> bytes(std::uint64_t addr, std::size_t n) const {
    std::vector<std::uint8_t> v(n);
    peek(addr, v.data(), n);
    return v;
  }

  [[nodiscard]] const std::vector<FakeAccess>& log() const { return log_; }
  void clearLog() { log_.clear(); }
  /// Accesses of `cmd` overlapping [addr, addr + n).
  [[nodiscard]] std::vector<FakeAccess> accessesTo(std::uint64_t addr, std::uint64_t n, tlm::tlm_command cmd) const {
    std::vector<FakeAccess> out;
    for (const auto& a : log_)
      if (a.cmd == cmd && a.addr < addr + n && addr < a.addr + a.length) out.push_back(a);
    return out;
  }

private:
  struct Region {
    std::uint64_t base, size, latency, psPerByte, busyUntil;
    WriteHook hook;
  };

  Region* find(std::uint64_t addr, std::uint64_t len) {
    for (auto& r : regions_)
      if (addr >= r.base && len <= r.size && addr - r.base <= r.size - len) return &r;
    return nullptr;
  }

  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    const std::uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    if (gp.get_byte_enable_ptr() != nullptr) {
      gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    if (gp.get_streaming_width() < len) {
      gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
      return;
    }
    Region* r = find(addr, len);
    if (r == nullptr) {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    const std::uint64_t now = sc_core::sc_time_stamp().value();
    const std::uint64_t arrival = now + delay.value();
    const std::uint64_t start = std::max(arrival, r->busyUntil);
    r->busyUntil = start + len * r->psPerByte;
    const std::uint64_t done = r->busyUntil + r->latency;
    const bool data = models::carriesData(gp);
    if (data && addr + len <= store_.size()) {
      if (gp.is_write())
        store_.write(addr, gp.get_data_ptr(), len);
      else if (gp.is_read())
        store_.read(addr, gp.get_data_ptr(), len);
    }
    if (gp.is_write() && r->hook) r->hook(addr - r->base, gp.get_data_ptr(), len, done);
    log_.push_back({gp.get_command(), addr, len, arrival, done, data});
    delay = sc_core::sc_time::from_value(done - now);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  unsigned transport_dbg(tlm::tlm_generic_payload& gp) {
    const std::uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    if (find(addr, len) == nullptr || !store_.contains(addr, len)) return 0;
    if (gp.is_write())
      store_.write(addr, gp.get_data_ptr(), len);
    else
      store_.read(addr, gp.get_data_ptr(), len);
    return len;
  }

  models::BackingStore store_;
  std::vector<Region> regions_;
  std::vector<FakeAccess> log_;
};

/// Records interrupt line changes with their kernel time.
class IrqRecorder : public models::IInterruptSink {
public:
  struct Edge {
    std::uint32_t line;
    bool level;
    std::uint64_t ps;
  };
  void setLine(std::uint32_t line, bool level) override {
    if (level == this->level(line)) return;
    levels_ = level ? levels_ | (1ull << line) : levels_ & ~(1ull << line);
    edges_.push_back({line, level, sc_core::sc_time_stamp().value()});
    changed_.notify(sc_core::SC_ZERO_TIME);
  }
  [[nodiscard]] bool level(std::uint32_t line) const { return (levels_ >> line) & 1u; }
  [[nodiscard]] const std::vector<Edge>& edges() const { return edges_; }
  /// Time of the n-th rising edge of `line`, or UINT64_MAX.
  [[nodiscard]] std::uint64_t rise(std::uint32_t line, std::size_t n = 0) const {
    for (const auto& e : edges_)
      if (e.line == line && e.level && n-- == 0) return e.ps;
    return UINT64_MAX;
  }
  [[nodiscard]] const sc_core::sc_event& changed() const { return changed_; }

private:
  std::uint64_t levels_ = 0;
  std::vector<Edge> edges_;
  sc_core::sc_event changed_;
};

} // namespace llmvp::test
