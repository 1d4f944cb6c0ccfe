// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Weight-stream read buffer of a compute tile for one address window (the
/// High Bandwidth Flash): an SRAM buffer of `depth` chunk slots
/// between a slow, deep memory and the matrix engine.
///
/// - A chunk read is issued when a slot is free: a slot frees when the
///   matrix engine has consumed its chunk (or the chunk is dropped).
/// - With `readAhead`, the buffer is a sequential stream prefetcher: when a
///   descriptor's stream ends, the free slots keep fetching the following
///   chunks, so the next descriptor whose operand starts there (the next
///   weight matrix: a layer's tensors are contiguous, DESIGN of the host
///   placement) finds them in flight or arrived and page latency is paid once
///   per run of contiguous streams, not once per descriptor. A stream that
///   starts elsewhere drops the chunks it does not use (counted as wasted).
///   Without `readAhead`, every stream starts with an empty buffer.
/// - Chunks are aligned to the chunk size, so a stream that ends mid-chunk
///   leaves the rest of that chunk for the next stream.
///
/// Timing only: reads are issued timing-only; functional data is copied at
/// consumption by the caller (the window holds read-only data, and a copy
/// at consumption sees every earlier write anyway).
#include <algorithm>
#include <cstdint>
#include <deque>
#include <type_traits>
#include <vector>

#include "models/common/Picoseconds.h"

namespace llmvp::models::compute {

struct ReadAheadParams {
  std::uint64_t base = 0;   ///< window start (chip address)
  std::uint64_t size = 0;   ///< window bytes; 0: no window
  std::uint32_t depth = 0;  ///< chunk slots of the buffer (derived by the platform)
  bool readAhead = false;   ///< keep fetching past the end of a stream
  double pjPerBit = 0;      ///< SRAM energy per bit written and per bit read
  double latencyNs = 0;     ///< the derivation of depth, for the report:
  double bandwidthGBps = 0; ///<   depth x chunk >= factor x bandwidth x latency
  double factor = 0;
};

class ReadAhead {
public:
  struct Totals {
    double issuedBytes = 0; ///< bytes read from the window
    double hitBytes = 0;    ///< bytes a stream found already requested by the read-ahead
    double wastedBytes = 0; ///< bytes read ahead and dropped unused
    double stallPs = 0;     ///< time the consumer waited for window data
    double sramBytes = 0;   ///< bytes written into and read out of the buffer
  };

  ReadAhead(const ReadAheadParams& p, std::uint64_t chunkBytes)
      : p_(p), chunk_(chunkBytes), slotFree_(std::max<std::uint32_t>(1, p.depth), 0) {}

  [[nodiscard]] bool covers(std::uint64_t addr, std::uint64_t bytes) const {
    return p_.size != 0 && addr >= p_.base && addr - p_.base < p_.size && bytes <= p_.size - (addr - p_.base);
  }
  [[nodiscard]] const Totals& totals() const { return totals_; }
  [[nodiscard]] const ReadAheadParams& params() const { return p_; }

  /// Streams [addr, addr + bytes) (inside the window) starting at `start`;
  /// consumption of the first byte starts no earlier than `ready`.
  /// `issue(addr, n, at, ok)` reads n bytes timing-only at `at` and returns
  /// the arrival time (ok = false on a bus error); `consume(addr, n)` is
  /// called per consumed piece in order (functional copy); `computePs(n)`
  /// is the time to consume n bytes. Returns the end of consumption; sets
  /// `ok` false if a consumed chunk failed.
  template <typename IssueFn, typename ConsumeFn, typename ComputeFn>
  Ps stream(std::uint64_t addr, std::uint64_t bytes, Ps start, Ps ready, IssueFn&& issue, ConsumeFn&& consume,
            ComputeFn&& computePs, Ps& computeTotal, bool& ok) {
    const std::uint64_t end = addr + bytes;
    const std::uint32_t depth = static_cast<std::uint32_t>(slotFree_.size());
    issuePlanned(issue);
    // Keep the pending chunks this stream continues; drop the rest.
    if (!p_.readAhead || pending_.empty() || addr < pending_.front().addr || addr >= next_) dropAll(start);
    while (!pending_.empty() && pending_.front().addr + pending_.front().bytes <= addr) drop(start);
    if (pending_.empty()) next_ = addr;
    if (!pending_.empty()) totals_.hitBytes += static_cast<double>(std::min(end, next_) - addr);
    Ps computeEnd = std::max(start, ready);
    std::uint64_t pos = addr;
    ok = true;
    while (pos < end) {
      // Fill every free slot up to the end of this stream.
      while (pending_.size() < depth && next_ < end) fetch(std::min(end, nextBoundary()), start, &issue);
      Chunk& c = pending_.front();
      const std::uint64_t pieceEnd = std::min(end, c.addr + c.bytes);
      const std::uint64_t n = pieceEnd - pos;
      if (!c.ok) ok = false;
      consume(pos, n);
      const Ps c0 = computePs(n);
      totals_.stallPs += static_cast<double>(c.arrival > computeEnd ? c.arrival - computeEnd : 0);
      computeEnd = std::max(c.arrival, computeEnd) + c0;
      computeTotal += c0;
      totals_.sramBytes += static_cast<double>(n);
      pos = pieceEnd;
      c.used = pieceEnd - c.addr;
      if (pieceEnd == c.addr + c.bytes) release(computeEnd);
      if (!ok) return computeEnd;
    }
    // Read ahead: the slots freed by this stream fetch what follows it.
    if (p_.readAhead)
      while (pending_.size() < depth && next_ < p_.base + p_.size)
        fetch(std::min(p_.base + p_.size, nextBoundary()), start,
              static_cast<std::remove_reference_t<IssueFn>*>(nullptr));
    return computeEnd;
  }

  /// Issues the reads planned ahead by the last stream, at the times they
  /// were planned for. The engine calls it when its next operation starts
  /// (before that operation's own requests, so timelines see them in
  /// order); a read-ahead no operation follows (the end of the run) is never
  /// issued.
  template <typename IssueFn>
  void issuePlanned(IssueFn&& issue) {
    for (Chunk& c : pending_)
      if (c.deferred) {
        c.arrival = issue(c.addr, c.bytes, c.at, c.ok);
        c.deferred = false;
        totals_.issuedBytes += static_cast<double>(c.bytes);
        totals_.sramBytes += static_cast<double>(c.bytes);
      }
  }

private:
  struct Chunk {
    std::uint64_t addr, bytes;
    Ps arrival;
    bool ok;
    std::uint64_t seq;
    std::uint64_t used; ///< bytes consumed (a stream may end inside a chunk)
    Ps at;              ///< issue time
    bool deferred;      ///< planned by a read-ahead, issued when the next stream starts
  };
  [[nodiscard]] std::uint64_t nextBoundary() const { return (next_ / chunk_ + 1) * chunk_; }

  /// Requests [next_, to) when its slot frees; `issue` null: plans it (deferred).
  template <typename IssueFn>
  void fetch(std::uint64_t to, Ps notBefore, IssueFn* issue) {
    const std::uint32_t depth = static_cast<std::uint32_t>(slotFree_.size());
    const Ps at = std::max({lastIssue_, notBefore, slotFree_[seq_ % depth]});
    Chunk c{next_, to - next_, 0, true, seq_++, 0, at, issue == nullptr};
    if (issue != nullptr) {
      c.arrival = (*issue)(c.addr, c.bytes, at, c.ok);
      totals_.issuedBytes += static_cast<double>(c.bytes);
      totals_.sramBytes += static_cast<double>(c.bytes);
    }
    pending_.push_back(c);
    lastIssue_ = at;
    next_ = to;
  }
  void release(Ps when) {
    const std::uint32_t depth = static_cast<std::uint32_t>(slotFree_.size());
    slotFree_[pending_.front().seq % depth] = when;
    pending_.pop_front();
  }
  /// A dropped chunk's slot frees once its data has landed (and is discarded).
  void drop(Ps when) {
    const Chunk& c = pending_.front();
    totals_.wastedBytes += static_cast<double>(c.bytes - c.used);
    release(std::max(when, c.arrival));
  }
  void dropAll(Ps when) {
    while (!pending_.empty()) drop(when);
  }

  const ReadAheadParams p_;
  const std::uint64_t chunk_;
  std::vector<Ps> slotFree_; ///< by slot (seq % depth): when its last chunk was consumed or dropped
  std::deque<Chunk> pending_;
  std::uint64_t next_ = 0; ///< address after the last chunk requested
  std::uint64_t seq_ = 0;  ///< chunks requested so far
  Ps lastIssue_ = 0;
  Totals totals_;
};

} // namespace llmvp::models::compute
