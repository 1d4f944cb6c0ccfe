// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A fake chip behind the firmware's hal.h, for firmware unit tests.
///
/// Memory is a sparse byte map; the interrupt controller, mailbox, semaphore
/// block, DMA engine 0 and compute tile 0 are register files with the
/// semantics of regs.h. Posted descriptors execute instantly inside
/// hal_wait_irq(): both engines' rings are run alternately, one descriptor
/// at a time, with counting semaphores, until both drain or block. The
/// operations only do what the tests observe: EMBED/ROPE record their token
/// ids and positions, COPY records which KV-cache rows were written, ATTN
/// checks that the row it reads last was written, ARGMAX writes
/// fakeToken(...) per row. Only one FakeChip may exist at a time (the HAL
/// functions are free functions).

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "firmware/include/descriptors.h"

namespace llmvp::test {

/// Token the fake ARGMAX produces for a row.
inline std::uint32_t fakeToken(std::uint32_t tokenIn, std::uint32_t position, std::uint32_t row, std::uint32_t vocab) {
  return (tokenIn * 31u + position * 7u + row * 3u + 1u) % vocab;
}

struct FakeEngine {
  std::uint32_t id = 0;
  std::uint64_t base = 0;
  std::uint32_t irqLine = 0;
  bool isTile = false;
  std::uint32_t ctrl = 0, status = 0, ringSize = 0, head = 0, tail = 0, irqStatus = 0, irqEnable = 0;
  std::uint32_t errCode = 0, errIndex = 0, errInfo = 0, completed = 0;
  std::uint64_t ringBase = 0;
  unsigned resets = 0;
};

struct ExecutedDesc {
  bool tile = false;
  std::uint32_t counter = 0; ///< HEAD value when it executed
  llmvp_desc desc{};
  /// ATTN with DESC_F_ROWS: the single-sequence ATTN of each row, as the
  /// tile runs them (from the row table when the descriptor executed).
  std::vector<llmvp_desc> rows;
};

class FakeChip {
public:
  FakeChip();
  ~FakeChip();
  FakeChip(const FakeChip&) = delete;
  FakeChip& operator=(const FakeChip&) = delete;

  // ---- memory, as the host sees it (no access counting) ----
  void write(std::uint64_t addr, const void* src, std::size_t bytes);
  void read(std::uint64_t addr, void* dst, std::size_t bytes) const;
  template <typename T>
  void put(std::uint64_t addr, const T& v) {
    write(addr, &v, sizeof v);
  }
  template <typename T>
  [[nodiscard]] T get(std::uint64_t addr) const {
    T v{};
    read(addr, &v, sizeof v);
    return v;
  }

  // ---- observation ----
  [[nodiscard]] const FakeEngine& dma() const { return dma_; }
  [[nodiscard]] const FakeEngine& tile() const { return tile_; }
  [[nodiscard]] FakeEngine& dmaMut() { return dma_; }
  [[nodiscard]] const std::vector<ExecutedDesc>& executed() const { return executed_; }
  [[nodiscard]] std::uint32_t mailbox(std::uint32_t offset) const;
  [[nodiscard]] std::uint32_t semaphore(std::uint32_t i) const { return sems_.at(i); }
  [[nodiscard]] const std::vector<std::uint32_t>& statusWrites() const { return statusWrites_; }
  [[nodiscard]] const std::vector<std::uint32_t>& stepWrites() const { return stepWrites_; }
  [[nodiscard]] std::uint64_t halAccesses() const { return accesses_; }
  [[nodiscard]] std::uint32_t intcEnable() const { return intcEnable_; }

  // ---- test setup ----
  void setMailbox(std::uint32_t offset, std::uint32_t v) { mbox_[offset] = v; }
  /// Firmware memory writes outside every allowed range fail the test.
  void allowWrites(std::uint64_t base, std::uint64_t bytes) { writable_.push_back({base, bytes}); }
  /// The DMA engine fails descriptor `counter` with (code, field).
  void failDmaAt(std::uint32_t counter, std::uint32_t code, std::uint32_t field);

  // ---- HAL entry points ----
  std::uint32_t halRead32(std::uint64_t addr);
  void halWrite32(std::uint64_t addr, std::uint32_t v);
  std::uint64_t halRead64(std::uint64_t addr);
  void halWrite64(std::uint64_t addr, std::uint64_t v);
  void halReadBlock(std::uint64_t addr, void* dst, std::size_t bytes);
  void halWriteBlock(std::uint64_t addr, const void* src, std::size_t bytes);
  void halWaitIrq();
  [[nodiscard]] std::uint64_t halCycles() const { return accesses_; }

  static FakeChip& current();

private:
  using Page = std::array<std::uint8_t, 4096>;
  struct Range {
    std::uint64_t base, bytes;
  };

  [[nodiscard]] static bool isMmio(std::uint64_t addr);
  void checkWritable(std::uint64_t addr, std::size_t bytes, const char* what) const;
  std::uint32_t mmioRead(std::uint64_t addr);
  void mmioWrite(std::uint64_t addr, std::uint32_t v);
  FakeEngine* engineAt(std::uint64_t addr);
  [[nodiscard]] std::uint32_t pending() const;
  /// Runs one descriptor of `e`; false if idle, halted or blocked on a semaphore.
  bool stepEngine(FakeEngine& e);
  void halt(FakeEngine& e, std::uint32_t code, std::uint32_t field);
  /// Executes the operation; returns false after halting the engine.
  bool execute(FakeEngine& e, const llmvp_desc& d);

  std::map<std::uint64_t, Page> pages_;
  std::map<std::uint32_t, std::uint32_t> mbox_;
  std::array<std::uint32_t, 32> sems_{};
  std::uint32_t intcEnable_ = 0;
  FakeEngine dma_, tile_;
  std::vector<ExecutedDesc> executed_;
  std::vector<std::uint32_t> statusWrites_, stepWrites_;
  std::vector<Range> writable_;
  std::set<std::uint64_t> kvWritten_;
  std::vector<std::uint32_t> embedTokens_, ropePositions_;
  std::uint64_t accesses_ = 0;
  std::uint64_t waits_ = 0;
  bool dmaFailArmed_ = false;
  std::uint32_t dmaFailCounter_ = 0, dmaFailCode_ = 0, dmaFailField_ = 0;
};

} // namespace llmvp::test
