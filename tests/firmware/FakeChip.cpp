// SPDX-License-Identifier: Apache-2.0
#include "tests/firmware/FakeChip.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"

namespace llmvp::test {

namespace {
FakeChip* gCurrent = nullptr;

constexpr std::uint32_t kDeadlockErr = 0xDEADu; // error code the fake uses to unblock firmware on deadlock
constexpr std::uint64_t kMaxWaits = 1000000;    // hal_wait_irq calls before the fake gives up

std::uint32_t dtypeBytes(std::uint8_t t) {
  switch (t) {
  case LLMVP_DT_FP32: return 4;
  case LLMVP_DT_BF16: return 2;
  case LLMVP_DT_FP8_E4M3: return 1;
  case LLMVP_DT_U32: return 4;
  default: return 0;
  }
}

bool mapped(std::uint64_t a) {
  return a < LLMVP_CTRL_SRAM_BASE + LLMVP_CTRL_SRAM_WINDOW ||
         (a >= LLMVP_SPAD_BASE(0) && a < LLMVP_SPAD_BASE(LLMVP_MAX_TILES)) ||
         (a >= LLMVP_HBM_BASE && a < LLMVP_HBM_BASE + LLMVP_HBM_WINDOW);
}

bool tileOpcode(std::uint8_t op) {
  return op == LLMVP_OP_NOP || op == LLMVP_OP_GEMV || op == LLMVP_OP_ATTN ||
         (op >= LLMVP_OP_RMSNORM && op <= LLMVP_OP_ARGMAX);
}
} // namespace

FakeChip::FakeChip() {
  if (gCurrent != nullptr) {
    std::fprintf(stderr, "only one FakeChip at a time\n");
    std::abort();
  }
  gCurrent = this;
  dma_.id = ENG_ID_DMA;
  dma_.base = LLMVP_DMA_BASE(0);
  dma_.irqLine = LLMVP_IRQ_DMA(0);
  tile_.id = ENG_ID_TILE;
  tile_.base = LLMVP_TILE_BASE(0);
  tile_.irqLine = LLMVP_IRQ_TILE(0);
  tile_.isTile = true;
}

FakeChip::~FakeChip() { gCurrent = nullptr; }

FakeChip& FakeChip::current() {
  if (gCurrent == nullptr) {
    std::fprintf(stderr, "HAL called without a FakeChip\n");
    std::abort();
  }
  return *gCurrent;
}

// ---- memory -----------------------------------------------------------------

void FakeChip::write(std::uint64_t addr, const void* src, std::size_t bytes) {
  const auto* s = static_cast<const std::uint8_t*>(src);
  for (std::size_t i = 0; i < bytes; ++i) {
    const std::uint64_t a = addr + i;
    pages_[a / 4096][a % 4096] = s[i];
  }
}

void FakeChip::read(std::uint64_t addr, void* dst, std::size_t bytes) const {
  auto* d = static_cast<std::uint8_t*>(dst);
  for (std::size_t i = 0; i < bytes; ++i) {
    const std::uint64_t a = addr + i;
    const auto it = pages_.find(a / 4096);
    d[i] = it == pages_.end() ? 0 : it->second[a % 4096];
  }
}

bool FakeChip::isMmio(std::uint64_t addr) {
  return addr >= LLMVP_MMIO_BASE && addr < LLMVP_MMIO_BASE + LLMVP_MMIO_WINDOW;
}

void FakeChip::checkWritable(std::uint64_t addr, std::size_t bytes, const char* what) const {
  for (const Range& r : writable_) {
    if (addr >= r.base && addr + bytes <= r.base + r.bytes) return;
  }
  ADD_FAILURE() << what << " outside the firmware's memory: 0x" << std::hex << addr << " +" << std::dec << bytes;
}

std::uint32_t FakeChip::mailbox(std::uint32_t offset) const {
  const auto it = mbox_.find(offset);
  return it == mbox_.end() ? 0 : it->second;
}

// ---- registers ----------------------------------------------------------------

FakeEngine* FakeChip::engineAt(std::uint64_t addr) {
  if (addr >= dma_.base && addr < dma_.base + LLMVP_MMIO_STRIDE) return &dma_;
  if (addr >= tile_.base && addr < tile_.base + LLMVP_MMIO_STRIDE) return &tile_;
  return nullptr;
}

std::uint32_t FakeChip::pending() const {
  std::uint32_t p = 0;
  for (const FakeEngine* e : {&dma_, &tile_}) {
    if (e->irqStatus & e->irqEnable) p |= 1u << e->irqLine;
  }
  return p;
}

std::uint32_t FakeChip::mmioRead(std::uint64_t addr) {
  if (addr == LLMVP_INTC_BASE + INTC_PENDING) return pending();
  if (addr == LLMVP_INTC_BASE + INTC_ENABLE) return intcEnable_;
  if (addr >= LLMVP_MAILBOX_BASE && addr < LLMVP_MAILBOX_BASE + LLMVP_MMIO_STRIDE)
    return mailbox(static_cast<std::uint32_t>(addr - LLMVP_MAILBOX_BASE));
  if (addr >= LLMVP_SEM_BASE && addr < LLMVP_SEM_BASE + SEM_VALUE(LLMVP_SEM_COUNT))
    return sems_.at((addr - LLMVP_SEM_BASE) / 4);
  if (FakeEngine* e = engineAt(addr)) {
    switch (static_cast<std::uint32_t>(addr - e->base)) {
    case ENG_ID: return e->id;
    case ENG_CTRL: return e->ctrl;
    case ENG_STATUS: return e->status | (e->head != e->tail && !(e->status & ENG_STATUS_ERROR) ? ENG_STATUS_BUSY : 0u);
    case ENG_RING_BASE_LO: return static_cast<std::uint32_t>(e->ringBase);
    case ENG_RING_BASE_HI: return static_cast<std::uint32_t>(e->ringBase >> 32);
    case ENG_RING_SIZE: return e->ringSize;
    case ENG_HEAD: return e->head;
    case ENG_TAIL: return e->tail;
    case ENG_IRQ_STATUS: return e->irqStatus;
    case ENG_IRQ_ENABLE: return e->irqEnable;
    case ENG_ERR_CODE: return e->errCode;
    case ENG_ERR_INDEX: return e->errIndex;
    case ENG_ERR_INFO: return e->errInfo;
    case ENG_COMPLETED: return e->completed;
    default: break;
    }
  }
  ADD_FAILURE() << "firmware read of unknown register 0x" << std::hex << addr;
  return 0;
}

void FakeChip::mmioWrite(std::uint64_t addr, std::uint32_t v) {
  if (addr == LLMVP_INTC_BASE + INTC_ENABLE) {
    intcEnable_ = v;
    return;
  }
  if (addr >= LLMVP_MAILBOX_BASE && addr < LLMVP_MAILBOX_BASE + LLMVP_MMIO_STRIDE) {
    const auto off = static_cast<std::uint32_t>(addr - LLMVP_MAILBOX_BASE);
    mbox_[off] = v;
    if (off == MBOX_STATUS) statusWrites_.push_back(v);
    if (off == MBOX_STEP) stepWrites_.push_back(v);
    return;
  }
  if (addr == LLMVP_TRACE_BASE + TRACE_MARK) return; // phase marks: nothing to check here
  if (addr >= LLMVP_SEM_BASE + SEM_SET(0) && addr < LLMVP_SEM_BASE + SEM_SET(LLMVP_SEM_COUNT)) {
    sems_.at((addr - LLMVP_SEM_BASE - SEM_SET(0)) / 4) = v;
    return;
  }
  if (addr >= LLMVP_SEM_BASE + SEM_SIGNAL(0) && addr < LLMVP_SEM_BASE + SEM_SIGNAL(LLMVP_SEM_COUNT)) {
    sems_.at((addr - LLMVP_SEM_BASE - SEM_SIGNAL(0)) / 4) += v;
    return;
  }
  if (FakeEngine* e = engineAt(addr)) {
    switch (static_cast<std::uint32_t>(addr - e->base)) {
    case ENG_CTRL:
      if (v & ENG_CTRL_RESET) {
        e->status = e->head = e->tail = e->completed = 0;
        e->errCode = e->errIndex = e->errInfo = e->irqStatus = 0;
        ++e->resets;
      }
      e->ctrl = v & ENG_CTRL_ENABLE;
      return;
    case ENG_RING_BASE_LO: e->ringBase = (e->ringBase & ~0xffffffffull) | v; return;
    case ENG_RING_BASE_HI: e->ringBase = (e->ringBase & 0xffffffffull) | (std::uint64_t{v} << 32); return;
    case ENG_RING_SIZE: e->ringSize = v; return;
    case ENG_TAIL:
      EXPECT_LE(v - e->head, e->ringSize) << "doorbell overfills the ring of engine " << std::hex << e->id;
      e->tail = v;
      return;
    case ENG_IRQ_STATUS: e->irqStatus &= ~v; return;
    case ENG_IRQ_ENABLE: e->irqEnable = v; return;
    default: break;
    }
  }
  ADD_FAILURE() << "firmware write of unknown/read-only register 0x" << std::hex << addr;
}

// ---- engines --------------------------------------------------------------------

void FakeChip::failDmaAt(std::uint32_t counter, std::uint32_t code, std::uint32_t field) {
  dmaFailArmed_ = true;
  dmaFailCounter_ = counter;
  dmaFailCode_ = code;
  dmaFailField_ = field;
}

void FakeChip::halt(FakeEngine& e, std::uint32_t code, std::uint32_t field) {
  e.status |= ENG_STATUS_ERROR;
  e.errCode = code;
  e.errIndex = e.head;
  e.errInfo = field;
  e.irqStatus |= ENG_IRQ_ERROR;
}

bool FakeChip::stepEngine(FakeEngine& e) {
  if (!(e.ctrl & ENG_CTRL_ENABLE) || (e.status & ENG_STATUS_ERROR) || e.head == e.tail) return false;
  if (e.ringSize == 0 || e.tail - e.head > e.ringSize || e.ringBase % LLMVP_DESC_BYTES != 0) {
    halt(e, ENG_ERR_RING, 0);
    return true;
  }
  llmvp_desc d{};
  read(e.ringBase + std::uint64_t{e.head % e.ringSize} * LLMVP_DESC_BYTES, &d, sizeof d);
  if (!(e.isTile ? tileOpcode(d.opcode) : (d.opcode == LLMVP_OP_NOP || d.opcode == LLMVP_OP_COPY))) {
    halt(e, ENG_ERR_BAD_OPCODE, ENG_FIELD_OPCODE);
    return true;
  }
  if (d.wait_sem > LLMVP_SEM_COUNT || d.signal_sem > LLMVP_SEM_COUNT) {
    halt(e, ENG_ERR_BAD_SEM, ENG_FIELD_SEM);
    return true;
  }
  const std::uint64_t addrs[4] = {d.src0, d.src1, d.src2, d.dst};
  const std::uint32_t fields[4] = {ENG_FIELD_SRC0, ENG_FIELD_SRC1, ENG_FIELD_SRC2, ENG_FIELD_DST};
  for (int i = 0; i < 4; ++i) {
    if (!mapped(addrs[i])) {
      halt(e, ENG_ERR_BUS, fields[i]);
      return true;
    }
  }
  if (!e.isTile && dmaFailArmed_ && e.head == dmaFailCounter_) {
    halt(e, dmaFailCode_, dmaFailField_);
    return true;
  }
  if (d.wait_sem != 0) {
    if (sems_.at(d.wait_sem - 1u) == 0) return false; // blocked
    --sems_.at(d.wait_sem - 1u);
  }
  executed_.push_back({e.isTile, e.head, d, {}});
  if (!execute(e, d)) return true;
  if (d.signal_sem != 0) ++sems_.at(d.signal_sem - 1u);
  ++e.head;
  ++e.completed;
  if (d.flags & DESC_F_IRQ) e.irqStatus |= ENG_IRQ_DONE;
  return true;
}

bool FakeChip::execute(FakeEngine& e, const llmvp_desc& d) {
  switch (d.opcode) {
  case LLMVP_OP_EMBED:
    embedTokens_.assign(d.m, 0);
    read(d.src0, embedTokens_.data(), 4u * d.m);
    for (std::uint32_t t : embedTokens_) {
      if (t >= d.k) {
        halt(e, ENG_ERR_BAD_SHAPE, ENG_FIELD_SRC0);
        return false;
      }
    }
    return true;
  case LLMVP_OP_ROPE:
    ropePositions_.assign(d.m, 0);
    read(d.src0, ropePositions_.data(), 4u * d.m);
    return true;
  case LLMVP_OP_COPY: kvWritten_.insert(d.dst); return true;
  case LLMVP_OP_ATTN: {
    if ((d.flags & DESC_F_ROWS) != 0) { // expand like the compute tile: one ATTN per row
      const std::uint64_t qRow = std::uint64_t{d.n} * d.k * dtypeBytes(d.dt_in);
      for (std::uint32_t r = 0; r < d.m; ++r) {
        const auto t = get<llmvp_attn_row>(d.w_group + std::uint64_t{r} * LLMVP_ATTN_ROW_BYTES);
        llmvp_desc one = d;
        one.flags = static_cast<std::uint8_t>(d.flags & ~DESC_F_ROWS);
        one.m = t.ctx;
        one.src0 = d.src0 + r * qRow;
        one.dst = d.dst + r * qRow;
        one.src1 = d.src1 + t.cache_offset;
        one.src2 = d.src2 + t.cache_offset;
        one.w_group = t.block_table;
        if (r != 0) one.wait_sem = 0; // the batch waited once
        executed_.back().rows.push_back(one);
        if (!execute(e, one)) return false;
      }
      return true;
    }
    const std::uint64_t row = std::uint64_t{d.arg0} * d.k * dtypeBytes(d.dt_w);
    const std::uint64_t last = std::uint64_t{d.m - 1u} * row;
    EXPECT_TRUE(kvWritten_.count(d.src1 + last)) << "ATTN reads K row " << d.m - 1 << " before the DMA wrote it";
    EXPECT_TRUE(kvWritten_.count(d.src2 + last)) << "ATTN reads V row " << d.m - 1 << " before the DMA wrote it";
    return true;
  }
  case LLMVP_OP_ARGMAX:
    for (std::uint32_t r = 0; r < d.m; ++r) {
      const std::uint32_t tok = fakeToken(embedTokens_.at(r), ropePositions_.at(r), r, d.n);
      write(d.dst + 4u * r, &tok, 4);
    }
    return true;
  default: return true;
  }
}

// ---- HAL ----------------------------------------------------------------------------

std::uint32_t FakeChip::halRead32(std::uint64_t addr) {
  ++accesses_;
  return isMmio(addr) ? mmioRead(addr) : get<std::uint32_t>(addr);
}

void FakeChip::halWrite32(std::uint64_t addr, std::uint32_t v) {
  ++accesses_;
  if (isMmio(addr)) {
    mmioWrite(addr, v);
    return;
  }
  checkWritable(addr, 4, "hal_write32");
  put(addr, v);
}

std::uint64_t FakeChip::halRead64(std::uint64_t addr) {
  ++accesses_;
  EXPECT_FALSE(isMmio(addr)) << "64-bit register access";
  return get<std::uint64_t>(addr);
}

void FakeChip::halWrite64(std::uint64_t addr, std::uint64_t v) {
  ++accesses_;
  EXPECT_FALSE(isMmio(addr)) << "64-bit register access";
  checkWritable(addr, 8, "hal_write64");
  put(addr, v);
}

void FakeChip::halReadBlock(std::uint64_t addr, void* dst, std::size_t bytes) {
  ++accesses_;
  EXPECT_FALSE(isMmio(addr)) << "block access to registers";
  read(addr, dst, bytes);
}

void FakeChip::halWriteBlock(std::uint64_t addr, const void* src, std::size_t bytes) {
  ++accesses_;
  EXPECT_FALSE(isMmio(addr)) << "block access to registers";
  checkWritable(addr, bytes, "hal_write_block");
  write(addr, src, bytes);
}

void FakeChip::halWaitIrq() {
  if (++waits_ > kMaxWaits) {
    std::fprintf(stderr, "firmware keeps waiting for interrupts; giving up\n");
    std::abort();
  }
  if (pending() & intcEnable_) return;
  for (bool progress = true; progress;) {
    progress = false;
    for (FakeEngine* e : {&dma_, &tile_}) progress = stepEngine(*e) || progress;
  }
  if (pending() & intcEnable_) return;
  // Nothing can run and no interrupt is coming: the firmware would sleep forever.
  ADD_FAILURE() << "deadlock: DMA head " << dma_.head << "/" << dma_.tail << ", tile head " << tile_.head << "/"
                << tile_.tail << ", sem0 " << sems_[0] << ", sem1 " << sems_[1];
  halt(tile_, kDeadlockErr, 0);
  tile_.irqEnable |= ENG_IRQ_ERROR;
  intcEnable_ |= 1u << tile_.irqLine;
}

} // namespace llmvp::test

using llmvp::test::FakeChip;

extern "C" {
uint32_t hal_read32(uint64_t addr) { return FakeChip::current().halRead32(addr); }
void hal_write32(uint64_t addr, uint32_t value) { FakeChip::current().halWrite32(addr, value); }
uint64_t hal_read64(uint64_t addr) { return FakeChip::current().halRead64(addr); }
void hal_write64(uint64_t addr, uint64_t value) { FakeChip::current().halWrite64(addr, value); }
void hal_read_block(uint64_t addr, void* dst, size_t bytes) { FakeChip::current().halReadBlock(addr, dst, bytes); }
void hal_write_block(uint64_t addr, const void* src, size_t bytes) {
  FakeChip::current().halWriteBlock(addr, src, bytes);
}
void hal_wait_irq(void) { FakeChip::current().halWaitIrq(); }
uint64_t hal_cycles(void) { return FakeChip::current().halCycles(); }
}
