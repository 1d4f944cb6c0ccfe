// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Test bench for one descriptor engine (DmaEngine or ComputeTile):
///
///   Tester --checker--> engine.regSocket
///   engine.memSocket --checker--> FakeTarget (memory + semaphore-signal window)
///   engine.irq -> IrqRecorder line kIrqLine
///   engine semaphore waits -> FakeSemaphores
///   (tile) spadTester --checker--> tile scratchpad socket
///
/// Address map of the fake memory:
///   kCtrl  [0, 1 MiB)          zero-cost region: rings, small operands
///   (gap)  [1 MiB, 2 MiB)      unmapped
///   kBulk  [2 MiB, 16 MiB)     timed region A (BenchTiming)
///   kBulk2 [16 MiB, 32 MiB)    timed region B (same timing, own timeline)
///   kSemWindow (48 MiB)        SEM_* window: SEM_SIGNAL writes signal FakeSemaphores
///   kSpad                      the tile's own scratchpad (not in the fake)
///   kUnmapped                  nothing

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "firmware/include/descriptors.h"
#include "firmware/include/regs.h"
#include "models/common/Engine.h"
#include "models/common/Semaphores.h"
#include "models/compute/ComputeTile.h"
#include "models/dma/DmaEngine.h"
#include "tests/support/FakeTarget.h"
#include "tests/support/ProtocolChecker.h"
#include "tests/support/Tester.h"

namespace llmvp::test {

inline constexpr std::uint64_t kCtrl = 0x0000'0000;
inline constexpr std::uint64_t kCtrlSize = 0x0010'0000;
inline constexpr std::uint64_t kBulk = 0x0020'0000;
inline constexpr std::uint64_t kBulkSize = 0x00e0'0000;
inline constexpr std::uint64_t kBulk2 = 0x0100'0000;
inline constexpr std::uint64_t kBulk2Size = 0x0100'0000;
inline constexpr std::uint64_t kSemWindow = 0x0300'0000;
inline constexpr std::uint64_t kSemWindowSize = 0x1000;
inline constexpr std::uint64_t kStoreBytes = kSemWindow + kSemWindowSize;
inline constexpr std::uint64_t kSpad = 0x4000'0000;
inline constexpr std::uint64_t kSpadBytes = 1 << 20;
inline constexpr std::uint64_t kUnmapped = 0x8000'0000;
inline constexpr std::uint64_t kRing = kCtrl + 0x1000; ///< default ring, 64-byte aligned
inline constexpr std::uint32_t kIrqLine = 3;

/// A semaphore block reduced to what engines use: counts and blocking waits.
class FakeSemaphores : public models::ISemaphoreWait {
public:
  struct Signal {
    std::uint32_t index;
    std::uint32_t value;
    std::uint64_t ps; ///< completion time of the signalling write
  };
  void waitAndDecrement(std::uint32_t index) override {
    while (values_.at(index) == 0) sc_core::wait(changed_.at(index));
    --values_[index];
  }
  [[nodiscard]] std::uint32_t count() const override { return LLMVP_SEM_COUNT; }
  void noteSignaller(std::uint32_t index, const std::string& engine) override { signallers_.at(index) = engine; }
  [[nodiscard]] const std::string& signaller(std::uint32_t index) const override { return signallers_.at(index); }
  void signal(std::uint32_t index, std::uint32_t value, std::uint64_t ps) {
    values_.at(index) += value;
    signals_.push_back({index, value, ps});
    changed_.at(index).notify(sc_core::SC_ZERO_TIME);
  }
  [[nodiscard]] std::uint32_t value(std::uint32_t index) const { return values_.at(index); }
  [[nodiscard]] const std::vector<Signal>& signals() const { return signals_; }

private:
  std::array<std::uint32_t, LLMVP_SEM_COUNT> values_{};
  std::array<sc_core::sc_event, LLMVP_SEM_COUNT> changed_;
  std::array<std::string, LLMVP_SEM_COUNT> signallers_;
  std::vector<Signal> signals_;
};

struct BenchTiming {
  std::uint64_t bulkLatencyPs = 0; ///< latency of kBulk and kBulk2
  std::uint64_t bulkPsPerByte = 0; ///< transfer rate of kBulk and kBulk2
};

inline models::EngineParams defaultEngineParams() {
  models::EngineParams p;
  p.clockMhz = 1000.0;
  p.dispatchCycles = 10.0;
  p.chunkBytes = 256;
  p.maxOutstanding = 2;
  p.registerLatencyNs = 1.0;
  p.semSignalAddress = kSemWindow + SEM_SIGNAL(0);
  return p;
}

inline models::compute::TileParams defaultTileParams() {
  models::compute::TileParams tp;
  tp.engine = defaultEngineParams();
  tp.engine.chunkBytes = 1024;
  tp.macsPerCycle = {1.0, 2.0, 4.0};
  tp.matrixRows = 4;
  tp.vectorLanes = 8.0;
  tp.pjPerMac = {1.0, 0.5, 0.25};
  tp.pjPerVectorOp = 1.0;
  tp.scratchpad.bytes = kSpadBytes;
  tp.scratchpad.latencyNs = 2.0;
  tp.scratchpad.bandwidthGBps = 64.0;
  tp.scratchpadBase = kSpad;
  return tp;
}

class EngineBench {
public:
  FakeSemaphores sems;
  IrqRecorder irq;
  FakeTarget mem{"mem", kStoreBytes};
  ProtocolChecker memChecker{"memChecker"};
  ProtocolChecker regChecker{"regChecker"};
  Tester tester{"tester"};
  std::unique_ptr<models::dma::DmaEngine> dma;
  std::unique_ptr<models::compute::ComputeTile> tile;
  std::unique_ptr<ProtocolChecker> spadChecker;
  std::unique_ptr<Tester> spadTester;
  std::unique_ptr<models::Engine> other;

  /// `functional` false: a timing-only engine.
  explicit EngineBench(const models::EngineParams& p, BenchTiming timing = {}, bool functional = true) {
    setupMemory(timing);
    dma = std::make_unique<models::dma::DmaEngine>("dma", p, sems, functional);
    bind(*dma);
  }
  explicit EngineBench(const models::compute::TileParams& p, BenchTiming timing = {}, bool functional = true) {
    setupMemory(timing);
    tile = std::make_unique<models::compute::ComputeTile>("tile", p, sems, functional);
    bind(*tile);
    spadChecker = std::make_unique<ProtocolChecker>("spadChecker");
    spadTester = std::make_unique<Tester>("spadTester");
    spadTester->socket.bind(spadChecker->targetSocket);
    spadChecker->initiatorSocket.bind(tile->scratchpadSocket());
  }
  /// Any other engine (e.g. a near-memory engine): `make(sems)` returns it.
  EngineBench(const std::function<std::unique_ptr<models::Engine>(models::ISemaphoreWait&)>& make, BenchTiming timing) {
    setupMemory(timing);
    other = make(sems);
    bind(*other);
  }
  ~EngineBench() {
    for (const ProtocolChecker* c : {&memChecker, &regChecker, spadChecker.get()})
      if (c != nullptr) {
        EXPECT_TRUE(c->violations().empty()) << c->report();
      }
  }
  EngineBench(const EngineBench&) = delete;
  EngineBench& operator=(const EngineBench&) = delete;

  [[nodiscard]] models::Engine& engine() { return *engine_; }
  [[nodiscard]] const models::StatsGroup& stats() const { return engine_->stats(); }
  [[nodiscard]] double stat(const std::string& name) const { return engine_->stats().value(name); }

  // ---- thread context -----------------------------------------------------
  /// Programs the ring, the IRQ enables and ENG_CTRL_ENABLE, then lets 10 ns
  /// pass so the ENABLE doorbell has been seen before anything is posted.
  void configure(std::uint32_t ringSize, std::uint64_t ringBase = kRing,
                 std::uint32_t irqEnable = ENG_IRQ_DONE | ENG_IRQ_ERROR) {
    ringBase_ = ringBase;
    tester.write32(ENG_RING_BASE_LO, static_cast<std::uint32_t>(ringBase));
    tester.write32(ENG_RING_BASE_HI, static_cast<std::uint32_t>(ringBase >> 32));
    tester.write32(ENG_RING_SIZE, ringSize);
    tester.write32(ENG_IRQ_ENABLE, irqEnable);
    tester.write32(ENG_CTRL, ENG_CTRL_ENABLE);
    sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
  }
  /// Rings the doorbell.
  void post(std::uint32_t tail) { tester.write32(ENG_TAIL, tail); }
  /// ENG_CTRL_RESET | ENG_CTRL_ENABLE, then 10 ns (see configure()).
  void reset() {
    tester.write32(ENG_CTRL, ENG_CTRL_RESET | ENG_CTRL_ENABLE);
    sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
  }
  /// Polls ENG_STATUS every 100 ns until the engine is not BUSY (drained or
  /// halted), at most `limit`.
  void waitIdle(sc_core::sc_time limit = sc_core::sc_time(1, sc_core::SC_MS)) {
    const sc_core::sc_time until = sc_core::sc_time_stamp() + limit;
    while ((tester.read32(ENG_STATUS) & ENG_STATUS_BUSY) != 0 && sc_core::sc_time_stamp() < until)
      sc_core::wait(sc_core::sc_time(100, sc_core::SC_NS));
  }
  /// Runs `descs` from slot 0 (configure, post, wait until idle).
  void runDescs(const std::vector<llmvp_desc>& descs) {
    for (std::uint32_t i = 0; i < descs.size(); ++i) putDesc(i, descs[i]);
    runScript([&] {
      configure(static_cast<std::uint32_t>(std::max<std::size_t>(descs.size(), 1)));
      post(static_cast<std::uint32_t>(descs.size()));
      waitIdle();
    });
  }

  // ---- anywhere ---------------------------------------------------------------
  /// Writes a descriptor into ring slot `slot` (backdoor).
  void putDesc(std::uint32_t slot, const llmvp_desc& d) { mem.put(ringBase_ + std::uint64_t{slot} * 64, d); }
  /// Register value (debug access through the checker).
  std::uint32_t reg(std::uint32_t offset) { return tester.debugRead32(offset); }
  void setRingBase(std::uint64_t base) { ringBase_ = base; }

private:
  void setupMemory(const BenchTiming& t) {
    mem.addRegion(kCtrl, kCtrlSize, 0, 0);
    mem.addRegion(kBulk, kBulkSize, t.bulkLatencyPs, t.bulkPsPerByte);
    mem.addRegion(kBulk2, kBulk2Size, t.bulkLatencyPs, t.bulkPsPerByte);
    mem.addRegion(kSemWindow, kSemWindowSize, 0, 0,
                  [this](std::uint64_t off, const std::uint8_t* data, unsigned len, std::uint64_t done) {
                    ASSERT_EQ(len, 4u);
                    ASSERT_GE(off, SEM_SIGNAL(0));
                    ASSERT_LT(off, SEM_SIGNAL(LLMVP_SEM_COUNT));
                    std::uint32_t v = 0;
                    std::memcpy(&v, data, 4);
                    sems.signal(static_cast<std::uint32_t>((off - SEM_SIGNAL(0)) / 4), v, done);
                  });
    memChecker.initiatorSocket.bind(mem.socket);
    tester.socket.bind(regChecker.targetSocket);
  }
  void bind(models::Engine& e) {
    engine_ = &e;
    e.memSocket.bind(memChecker.targetSocket);
    regChecker.initiatorSocket.bind(e.regSocket);
    e.irq.bind(irq, kIrqLine);
  }

  models::Engine* engine_ = nullptr;
  std::uint64_t ringBase_ = kRing;
};

// ---- descriptor builders ------------------------------------------------------
inline llmvp_desc makeDesc(std::uint8_t opcode) {
  llmvp_desc d{};
  d.opcode = opcode;
  return d;
}
inline llmvp_desc copyDesc(std::uint64_t src, std::uint64_t dst, std::uint32_t n, std::uint8_t dtIn = LLMVP_DT_FP32,
                           std::uint8_t dtOut = LLMVP_DT_FP32) {
  llmvp_desc d = makeDesc(LLMVP_OP_COPY);
  d.src0 = src;
  d.dst = dst;
  d.n = n;
  d.dt_in = dtIn;
  d.dt_out = dtOut;
  return d;
}

} // namespace llmvp::test
