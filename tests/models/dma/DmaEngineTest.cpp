// SPDX-License-Identifier: Apache-2.0
// DmaEngine and the common engine behaviour (models/common/Engine): register
// block, ring and doorbell, error halting and reset, interrupts, semaphore
// waits and signals, COPY data and timing.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tlm>

#include "models/common/Numerics.h"
#include "models/compute/Kernels.h"
#include "tests/support/EngineBench.h"

namespace llmvp::test {
namespace {

using models::DType;
using tlm::TLM_ADDRESS_ERROR_RESPONSE;
using tlm::TLM_OK_RESPONSE;

constexpr std::uint64_t kSrc = kCtrl + 0x10000;
constexpr std::uint64_t kDst = kCtrl + 0x20000;

/// Fills `n` elements of type `t` at `addr` with random values representable in `t`.
void fillRandom(FakeTarget& mem, std::uint64_t addr, DType t, std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-300.0f, 300.0f);
  std::vector<std::uint8_t> buf(n * models::dtypeBytes(t));
  for (std::size_t i = 0; i < n; ++i) {
    if (t == DType::U32)
      models::storeElement(buf.data(), t, i, static_cast<float>(rng() % 100000));
    else
      models::storeElement(buf.data(), t, i, dist(rng));
  }
  mem.poke(addr, buf.data(), buf.size());
}

/// Waits (in a script) until ENG_HEAD reaches `head` or `limit` passes.
void waitHead(EngineBench& b, std::uint32_t head, sc_core::sc_time limit = ns(100000)) {
  const sc_core::sc_time until = sc_core::sc_time_stamp() + limit;
  while (b.tester.read32(ENG_HEAD) != head && sc_core::sc_time_stamp() < until) sc_core::wait(ns(100));
}

// ---- register block -------------------------------------------------------------

TEST(DmaRegisters, ResetValuesReadWriteAndReadOnly) {
  EngineBench b(defaultEngineParams());
  runScript([&] {
    runSteps(b.tester, {
                           rd(ENG_ID, ENG_ID_DMA),
                           rd(ENG_CTRL, 0),
                           rd(ENG_STATUS, 0),
                           rd(ENG_RING_BASE_LO, 0),
                           rd(ENG_RING_BASE_HI, 0),
                           rd(ENG_RING_SIZE, 0),
                           rd(ENG_HEAD, 0),
                           rd(ENG_TAIL, 0),
                           rd(ENG_IRQ_STATUS, 0),
                           rd(ENG_IRQ_ENABLE, 0),
                           rd(ENG_ERR_CODE, ENG_ERR_NONE),
                           rd(ENG_ERR_INDEX, 0),
                           rd(ENG_ERR_INFO, 0),
                           rd(ENG_COMPLETED, 0),
                           wr(ENG_RING_BASE_LO, 0x12345640),
                           wr(ENG_RING_BASE_HI, 0xab),
                           wr(ENG_RING_SIZE, 8),
                           wr(ENG_IRQ_ENABLE, ENG_IRQ_DONE),
                           rd(ENG_RING_BASE_LO, 0x12345640),
                           rd(ENG_RING_BASE_HI, 0xab),
                           rd(ENG_RING_SIZE, 8),
                           rd(ENG_IRQ_ENABLE, ENG_IRQ_DONE),
                           // read-only registers refuse writes and keep their value
                           wr(ENG_ID, 0, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(ENG_STATUS, ENG_STATUS_ERROR, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(ENG_HEAD, 5, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(ENG_ERR_CODE, 1, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(ENG_ERR_INDEX, 1, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(ENG_ERR_INFO, 1, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(ENG_COMPLETED, 1, TLM_ADDRESS_ERROR_RESPONSE),
                           rd(ENG_ID, ENG_ID_DMA),
                           rd(ENG_STATUS, 0),
                           rd(ENG_HEAD, 0),
                           // no register beyond ENG_COMPLETED
                           rd(ENG_COMPLETED + 4, 0, TLM_ADDRESS_ERROR_RESPONSE),
                           wr(ENG_COMPLETED + 4, 0, TLM_ADDRESS_ERROR_RESPONSE),
                           rd(0x1000, 0, TLM_ADDRESS_ERROR_RESPONSE),
                       });
    // Each access costs the register latency (1 ns).
    EXPECT_EQ(b.tester.lastDelay(), ns(1));

    // An 8-byte access is two registers, low word first.
    const std::uint64_t base = 0x0000'0007'0000'0040ull;
    EXPECT_EQ(b.tester.doWrite(ENG_RING_BASE_LO, &base, 8), TLM_OK_RESPONSE);
    EXPECT_EQ(b.tester.read32(ENG_RING_BASE_LO), 0x40u);
    EXPECT_EQ(b.tester.read32(ENG_RING_BASE_HI), 7u);
    std::uint64_t both = 0;
    EXPECT_EQ(b.tester.doRead(ENG_RING_BASE_LO, &both, 8), TLM_OK_RESPONSE);
    EXPECT_EQ(both, base);
  });
}

TEST(DmaRegisters, RejectsMisalignedNarrowByteEnabledAndStreamingAccesses) {
  EngineBench b(defaultEngineParams());
  runScript([&] {
    std::uint32_t v = 0;
    EXPECT_NE(b.tester.doRead(ENG_RING_SIZE + 2, v), TLM_OK_RESPONSE);
    std::uint16_t half = 0;
    EXPECT_NE(b.tester.doRead(ENG_RING_SIZE, &half, 2), TLM_OK_RESPONSE);
    std::uint8_t twelve[12] = {};
    EXPECT_NE(b.tester.doRead(ENG_RING_SIZE, twelve, 12), TLM_OK_RESPONSE);
    sc_core::sc_time delay;
    unsigned char be[4] = {0xff, 0xff, 0, 0};
    std::uint32_t w = 5;
    EXPECT_NE(b.tester.transport(tlm::TLM_WRITE_COMMAND, ENG_RING_SIZE, &w, 4, delay, be, 4), TLM_OK_RESPONSE);
    // Streaming: 8 bytes through a 4-byte window would be two writes to
    // one register, not a write of two registers.
    std::uint32_t two[2] = {5, 6};
    EXPECT_NE(b.tester.transport(tlm::TLM_WRITE_COMMAND, ENG_RING_BASE_LO, two, 8, delay, nullptr, 0, 4),
              TLM_OK_RESPONSE);
    EXPECT_EQ(b.tester.read32(ENG_RING_SIZE), 0u);
    EXPECT_EQ(b.tester.read32(ENG_RING_BASE_HI), 0u);
  });
}

// ---- ring and doorbell ------------------------------------------------------------

TEST(DmaRing, SlotsWrapModuloSizeAndHeadCountsFreely) {
  EngineBench b(defaultEngineParams());
  constexpr std::uint32_t kSize = 3, kCount = 7;
  for (std::uint32_t i = 0; i < kCount; ++i) fillRandom(b.mem, kSrc + i * 0x100, DType::Fp32, 16, i);
  runScript([&] {
    b.configure(kSize);
    std::uint32_t posted = 0;
    while (posted < kCount) {
      const std::uint32_t batch = std::min(kSize, kCount - posted); // TAIL - HEAD == size is allowed
      for (std::uint32_t i = posted; i < posted + batch; ++i)
        b.putDesc(i % kSize, copyDesc(kSrc + i * 0x100, kDst + i * 0x100, 16));
      posted += batch;
      b.post(posted);
      waitHead(b, posted);
    }
  });
  EXPECT_EQ(b.reg(ENG_HEAD), kCount);
  EXPECT_EQ(b.reg(ENG_TAIL), kCount);
  EXPECT_EQ(b.reg(ENG_COMPLETED), kCount);
  EXPECT_EQ(b.reg(ENG_STATUS), 0u);
  for (std::uint32_t i = 0; i < kCount; ++i)
    EXPECT_EQ(b.mem.bytes(kDst + i * 0x100, 64), b.mem.bytes(kSrc + i * 0x100, 64)) << "copy " << i;
  // Descriptors were fetched from slot counter % size, in order.
  std::vector<std::uint64_t> fetched;
  for (const auto& a : b.mem.accessesTo(kRing, kSize * 64, tlm::TLM_READ_COMMAND)) fetched.push_back(a.addr);
  const std::vector<std::uint64_t> expected{kRing, kRing + 64, kRing + 128, kRing, kRing + 64, kRing + 128, kRing};
  EXPECT_EQ(fetched, expected);
  EXPECT_EQ(b.stat("descriptors"), kCount);
  EXPECT_EQ(b.stat("errors"), 0.0);
}

TEST(DmaRing, DisabledEngineHoldsPostedWorkUntilEnabled) {
  EngineBench b(defaultEngineParams());
  fillRandom(b.mem, kSrc, DType::Fp32, 16, 1);
  b.putDesc(0, copyDesc(kSrc, kDst, 16));
  runScript([&] {
    b.tester.write32(ENG_RING_BASE_LO, static_cast<std::uint32_t>(kRing));
    b.tester.write32(ENG_RING_SIZE, 4);
    b.post(1);
    sc_core::wait(ns(1000));
    EXPECT_EQ(b.tester.read32(ENG_HEAD), 0u);
    EXPECT_EQ(b.tester.read32(ENG_STATUS), ENG_STATUS_BUSY); // work pending, not halted
    EXPECT_TRUE(b.mem.log().empty()) << "a disabled engine must not fetch";
    b.tester.write32(ENG_CTRL, ENG_CTRL_ENABLE);
    waitHead(b, 1);
  });
  EXPECT_EQ(b.reg(ENG_HEAD), 1u);
  EXPECT_EQ(b.reg(ENG_STATUS), 0u);
  EXPECT_EQ(b.mem.bytes(kDst, 64), b.mem.bytes(kSrc, 64));
}

struct RingErrorCase {
  const char* name;
  std::uint32_t ringSize;
  std::uint64_t ringBase;
  std::uint32_t firstTail;  ///< posted and drained first
  std::uint32_t secondTail; ///< then posted: the error
  std::uint32_t code;
};

void PrintTo(const RingErrorCase& c, std::ostream* os) { *os << c.name; }

class DmaRingError : public testing::TestWithParam<RingErrorCase> {};

TEST_P(DmaRingError, HaltsWithRingOrFetchError) {
  const RingErrorCase& c = GetParam();
  EngineBench b(defaultEngineParams());
  b.setRingBase(c.ringBase);
  if (c.code != ENG_ERR_FETCH)
    for (std::uint32_t i = 0; i < 4; ++i) b.putDesc(i, copyDesc(kSrc, kDst + 0x100 * i, 16));
  runScript([&] {
    b.configure(c.ringSize, c.ringBase);
    if (c.firstTail != 0) {
      b.post(c.firstTail);
      waitHead(b, c.firstTail);
    }
    b.post(c.secondTail);
    sc_core::wait(ns(2000));
  });
  EXPECT_EQ(b.reg(ENG_STATUS), ENG_STATUS_ERROR);
  EXPECT_EQ(b.reg(ENG_ERR_CODE), c.code);
  EXPECT_EQ(b.reg(ENG_ERR_INDEX), c.firstTail);
  EXPECT_EQ(b.reg(ENG_ERR_INFO), 0u);
  EXPECT_EQ(b.reg(ENG_HEAD), c.firstTail);
  EXPECT_EQ(b.reg(ENG_COMPLETED), c.firstTail);
  EXPECT_EQ(b.reg(ENG_IRQ_STATUS), ENG_IRQ_ERROR);
  EXPECT_TRUE(b.irq.level(kIrqLine));
  EXPECT_EQ(b.stat("errors"), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Cases, DmaRingError,
                         testing::Values(RingErrorCase{"SizeZero", 0, kRing, 0, 1, ENG_ERR_RING},
                                         // TAIL - HEAD == size is fine (first batch), size + 1 is not
                                         RingErrorCase{"TailMoreThanSizeAhead", 2, kRing, 2, 5, ENG_ERR_RING},
                                         RingErrorCase{"MisalignedBase", 4, kRing + 32, 0, 1, ENG_ERR_RING},
                                         RingErrorCase{"UnmappedRing", 4, kUnmapped, 0, 1, ENG_ERR_FETCH}),
                         [](const testing::TestParamInfo<RingErrorCase>& i) { return std::string(i.param.name); });

// ---- errors: halt, codes, reset -------------------------------------------------------

TEST(DmaErrors, BadOpcodeHaltsRaisesErrorAndResetRecovers) {
  EngineBench b(defaultEngineParams());
  constexpr std::uint64_t kSrcA = kSrc, kSrcC = kSrc + 0x1000, kDstA = kDst, kDstC = kDst + 0x1000;
  fillRandom(b.mem, kSrcA, DType::Fp32, 16, 1);
  fillRandom(b.mem, kSrcC, DType::Fp32, 16, 2);
  b.putDesc(0, copyDesc(kSrcA, kDstA, 16));
  b.putDesc(1, makeDesc(LLMVP_OP_GEMV)); // a tile opcode: not supported by DMA
  b.putDesc(2, copyDesc(kSrcC, kDstC, 16));
  runScript([&] {
    b.configure(8);
    b.post(3);
    sc_core::wait(ns(2000));
    runSteps(b.tester,
             {
                 rd(ENG_STATUS, ENG_STATUS_ERROR), // halted: not BUSY although HEAD != TAIL
                 rd(ENG_ERR_CODE, ENG_ERR_BAD_OPCODE),
                 rd(ENG_ERR_INFO, ENG_FIELD_OPCODE),
                 rd(ENG_ERR_INDEX, 1),
                 rd(ENG_HEAD, 1),
                 rd(ENG_COMPLETED, 1),
                 rd(ENG_IRQ_STATUS, ENG_IRQ_ERROR),
             },
             "halted");
    EXPECT_TRUE(b.irq.level(kIrqLine));
    // More doorbells do nothing while halted.
    b.post(4);
    sc_core::wait(ns(2000));
    EXPECT_EQ(b.tester.read32(ENG_HEAD), 1u);
    EXPECT_TRUE(b.mem.accessesTo(kSrcC, 64, tlm::TLM_READ_COMMAND).empty()) << "descriptor after the error ran";

    b.reset();
    runSteps(b.tester,
             {
                 rd(ENG_STATUS, 0),
                 rd(ENG_CTRL, ENG_CTRL_ENABLE), // RESET is not a stored bit
                 rd(ENG_HEAD, 0),
                 rd(ENG_TAIL, 0),
                 rd(ENG_COMPLETED, 0),
                 rd(ENG_ERR_CODE, 0),
                 rd(ENG_ERR_INDEX, 0),
                 rd(ENG_ERR_INFO, 0),
                 rd(ENG_IRQ_STATUS, 0),
                 // ring registers and IRQ_ENABLE keep their values
                 rd(ENG_RING_BASE_LO, static_cast<std::uint32_t>(kRing)),
                 rd(ENG_RING_SIZE, 8),
                 rd(ENG_IRQ_ENABLE, ENG_IRQ_DONE | ENG_IRQ_ERROR),
             },
             "after reset");
    EXPECT_FALSE(b.irq.level(kIrqLine));
    b.putDesc(0, copyDesc(kSrcC, kDstC, 16));
    b.post(1);
    waitHead(b, 1);
  });
  EXPECT_EQ(b.reg(ENG_STATUS), 0u);
  EXPECT_EQ(b.reg(ENG_COMPLETED), 1u);
  EXPECT_EQ(b.mem.bytes(kDstA, 64), b.mem.bytes(kSrcA, 64));
  EXPECT_EQ(b.mem.bytes(kDstC, 64), b.mem.bytes(kSrcC, 64));
  EXPECT_EQ(b.stat("errors"), 1.0);
  EXPECT_EQ(b.stat("descriptors"), 2.0);
}

struct ErrorCase {
  const char* name;
  llmvp_desc desc;
  std::uint32_t code;
  std::uint32_t field;
};

llmvp_desc with(llmvp_desc d, void (*f)(llmvp_desc&)) {
  f(d);
  return d;
}

const llmvp_desc kGoodCopy = copyDesc(kSrc, kDst, 64);

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class DmaError : public testing::TestWithParam<ErrorCase> {};

TEST_P(DmaError, ReportsCodeFieldAndIndex) {
  const ErrorCase& c = GetParam();
  EngineBench b(defaultEngineParams());
  b.putDesc(0, kGoodCopy);
  b.putDesc(1, c.desc);
  runScript([&] {
    b.configure(4);
    b.post(2);
    sc_core::wait(ns(5000));
  });
  EXPECT_EQ(b.reg(ENG_STATUS), ENG_STATUS_ERROR);
  EXPECT_EQ(b.reg(ENG_ERR_CODE), c.code);
  EXPECT_EQ(b.reg(ENG_ERR_INFO), c.field);
  EXPECT_EQ(b.reg(ENG_ERR_INDEX), 1u);
  EXPECT_EQ(b.reg(ENG_HEAD), 1u);
  EXPECT_EQ(b.reg(ENG_IRQ_STATUS), ENG_IRQ_ERROR);
  EXPECT_EQ(b.irq.rise(kIrqLine, 1), UINT64_MAX) << "one error, one rising edge";
  EXPECT_NE(b.irq.rise(kIrqLine), UINT64_MAX);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DmaError,
    testing::Values(
        ErrorCase{"UnknownOpcode", makeDesc(0x7f), ENG_ERR_BAD_OPCODE, ENG_FIELD_OPCODE},
        ErrorCase{"InvalidDtIn", with(kGoodCopy, [](llmvp_desc& d) { d.dt_in = LLMVP_DT_COUNT; }), ENG_ERR_BAD_DTYPE,
                  ENG_FIELD_DTYPE},
        ErrorCase{"InvalidDtOut", with(kGoodCopy, [](llmvp_desc& d) { d.dt_out = 200; }), ENG_ERR_BAD_DTYPE,
                  ENG_FIELD_DTYPE},
        ErrorCase{"InvalidDtW", with(kGoodCopy, [](llmvp_desc& d) { d.dt_w = 9; }), ENG_ERR_BAD_DTYPE, ENG_FIELD_DTYPE},
        ErrorCase{"U32ToFloat", copyDesc(kSrc, kDst, 4, LLMVP_DT_U32, LLMVP_DT_FP32), ENG_ERR_BAD_DTYPE,
                  ENG_FIELD_DTYPE},
        ErrorCase{"FloatToU32", copyDesc(kSrc, kDst, 4, LLMVP_DT_BF16, LLMVP_DT_U32), ENG_ERR_BAD_DTYPE,
                  ENG_FIELD_DTYPE},
        ErrorCase{"ZeroElements", copyDesc(kSrc, kDst, 0), ENG_ERR_BAD_SHAPE, ENG_FIELD_DIMS},
        ErrorCase{"UnmappedSource", copyDesc(kUnmapped, kDst, 4), ENG_ERR_BUS, ENG_FIELD_SRC0},
        ErrorCase{"UnmappedDestination", copyDesc(kSrc, kUnmapped, 4), ENG_ERR_BUS, ENG_FIELD_DST},
        // crosses the end of the mapped control region in its second chunk
        ErrorCase{"SourceRunsOffTheRegion", copyDesc(kCtrl + kCtrlSize - 256, kDst, 128), ENG_ERR_BUS, ENG_FIELD_SRC0},
        ErrorCase{"WaitSemOutOfRange", with(kGoodCopy, [](llmvp_desc& d) { d.wait_sem = LLMVP_SEM_COUNT + 1; }),
                  ENG_ERR_BAD_SEM, ENG_FIELD_SEM},
        ErrorCase{"SignalSemOutOfRange", with(kGoodCopy, [](llmvp_desc& d) { d.signal_sem = LLMVP_SEM_COUNT + 1; }),
                  ENG_ERR_BAD_SEM, ENG_FIELD_SEM}),
    [](const testing::TestParamInfo<ErrorCase>& i) { return std::string(i.param.name); });

TEST(DmaErrors, ErrorIsRaisedOnlyAfterTheDescriptorArrived) {
  // Ring in a slow region: a fetch takes 64 B x 0.5 ns + 100 ns = 132 ns. An
  // error found in the descriptor cannot be reported before it arrived.
  EngineBench b(defaultEngineParams(), BenchTiming{100'000, 500});
  constexpr std::uint64_t kFetch = 132'000, kDispatch = 10'000;
  llmvp_desc badDtype = kGoodCopy;
  badDtype.dt_in = LLMVP_DT_COUNT;
  b.setRingBase(kBulk);
  b.putDesc(0, badDtype);
  std::uint64_t t0 = 0, t1 = 0;
  runScript([&] {
    b.configure(4, kBulk);
    t0 = nowPsTest() + 1000; // the doorbell takes effect after the 1 ns register latency
    b.post(1);
    sc_core::wait(ns(2000));
    EXPECT_EQ(b.tester.read32(ENG_ERR_CODE), ENG_ERR_BAD_DTYPE);
    b.reset();
    EXPECT_FALSE(b.irq.level(kIrqLine));
    b.putDesc(0, makeDesc(0x7f));
    t1 = nowPsTest() + 1000;
    b.post(1);
    sc_core::wait(ns(2000));
    EXPECT_EQ(b.tester.read32(ENG_ERR_CODE), ENG_ERR_BAD_OPCODE);
  });
  EXPECT_EQ(b.irq.rise(kIrqLine, 0), t0 + kFetch) << "validation error";
  EXPECT_EQ(b.irq.rise(kIrqLine, 1), t1 + kFetch + kDispatch) << "opcode error (after dispatch)";
}

// ---- interrupts ------------------------------------------------------------------

TEST(DmaIrq, DoneOnlyForFlaggedDescriptorsAndStatusIsWriteOneToClear) {
  EngineBench b(defaultEngineParams());
  llmvp_desc flagged = kGoodCopy;
  flagged.flags = DESC_F_IRQ;
  b.putDesc(0, kGoodCopy);
  b.putDesc(1, kGoodCopy);
  b.putDesc(2, flagged);
  b.putDesc(3, flagged);
  runScript([&] {
    b.configure(4);
    b.post(1);
    waitHead(b, 1);
    EXPECT_EQ(b.tester.read32(ENG_IRQ_STATUS), 0u) << "no DESC_F_IRQ, no DONE";
    EXPECT_TRUE(b.irq.edges().empty());
    b.post(3);
    waitHead(b, 3);
    EXPECT_EQ(b.tester.read32(ENG_IRQ_STATUS), ENG_IRQ_DONE);
    EXPECT_TRUE(b.irq.level(kIrqLine));
    // W1C: writing a 0 bit or another bit leaves DONE set.
    b.tester.write32(ENG_IRQ_STATUS, ENG_IRQ_ERROR);
    EXPECT_EQ(b.tester.read32(ENG_IRQ_STATUS), ENG_IRQ_DONE);
    EXPECT_TRUE(b.irq.level(kIrqLine));
    const std::uint64_t clearAt = nowPsTest() + 1000;
    b.tester.write32(ENG_IRQ_STATUS, ENG_IRQ_DONE);
    EXPECT_EQ(b.tester.read32(ENG_IRQ_STATUS), 0u);
    EXPECT_FALSE(b.irq.level(kIrqLine));
    ASSERT_EQ(b.irq.edges().size(), 2u);
    EXPECT_LE(b.irq.edges()[1].ps, clearAt);

    // Masked: status is set, the line stays low until enabled (level-sensitive).
    b.tester.write32(ENG_IRQ_ENABLE, ENG_IRQ_ERROR);
    b.post(4);
    waitHead(b, 4);
    EXPECT_EQ(b.tester.read32(ENG_IRQ_STATUS), ENG_IRQ_DONE);
    EXPECT_FALSE(b.irq.level(kIrqLine));
    b.tester.write32(ENG_IRQ_ENABLE, ENG_IRQ_DONE);
    EXPECT_TRUE(b.irq.level(kIrqLine));
  });
  EXPECT_EQ(b.irq.edges().size(), 3u);
}

// ---- semaphores --------------------------------------------------------------------

TEST(DmaSemaphores, WaitBlocksUntilSignalledAndSignalPrecedesHeadAndIrq) {
  EngineBench b(defaultEngineParams());
  fillRandom(b.mem, kSrc, DType::Fp32, 16, 3);
  llmvp_desc d = copyDesc(kSrc, kDst, 16);
  d.wait_sem = 3 + 1;             // semaphore 3
  d.signal_sem = LLMVP_SEM_COUNT; // semaphore 31: the last valid index
  d.flags = DESC_F_IRQ;
  b.putDesc(0, d);
  std::uint64_t t0 = 0, release = 0;
  runScript([&] {
    b.configure(4);
    t0 = nowPsTest() + 1000;
    b.post(1);
    sc_core::wait(ns(5000));
    EXPECT_EQ(b.tester.read32(ENG_HEAD), 0u);
    EXPECT_EQ(b.tester.read32(ENG_STATUS), ENG_STATUS_BUSY);
    EXPECT_TRUE(b.mem.accessesTo(kSrc, 64, tlm::TLM_READ_COMMAND).empty()) << "copied before the semaphore";
    EXPECT_TRUE(b.sems.signals().empty());
    release = nowPsTest();
    b.sems.signal(3, 1, release);
  });
  EXPECT_EQ(b.sems.value(3), 0u) << "the wait decrements";
  EXPECT_EQ(b.reg(ENG_HEAD), 1u);
  EXPECT_EQ(b.mem.bytes(kDst, 64), b.mem.bytes(kSrc, 64));
  ASSERT_EQ(b.sems.signals().size(), 2u);
  const auto& sig = b.sems.signals()[1];
  EXPECT_EQ(sig.index, LLMVP_SEM_COUNT - 1);
  EXPECT_EQ(sig.value, 1u);
  // Resumes at the release; dispatch 10 ns; the copy and the signal cost no
  // time in the zero-cost region; DONE follows the signal.
  EXPECT_EQ(sig.ps, release + 10'000);
  EXPECT_EQ(b.irq.rise(kIrqLine), release + 10'000);
  EXPECT_EQ(b.stat("sem_wait"), static_cast<double>(release - t0));
}

// ---- COPY data ---------------------------------------------------------------------

struct CopyCase {
  DType in, out;
  std::uint32_t n;
};

void PrintTo(const CopyCase& c, std::ostream* os) {
  *os << models::dtypeName(c.in) << "_to_" << models::dtypeName(c.out) << "_n" << c.n;
}

class DmaCopy : public testing::TestWithParam<CopyCase> {};

TEST_P(DmaCopy, ConvertsLikeKernelsConvert) {
  const CopyCase& c = GetParam();
  EngineBench b(defaultEngineParams()); // 256-byte chunks: several, the last partial
  const std::uint64_t src = kBulk, dst = kBulk2;
  const std::size_t inBytes = c.n * models::dtypeBytes(c.in), outBytes = c.n * models::dtypeBytes(c.out);
  fillRandom(b.mem, src, c.in, c.n, 7);
  if (c.in == DType::Fp32) b.mem.put<std::uint32_t>(src, 0x7fc01234u); // a NaN payload
  const std::vector<std::uint8_t> guard(16, 0xa5);
  b.mem.poke(dst + outBytes, guard.data(), guard.size());
  b.putDesc(0, copyDesc(src, dst, c.n, static_cast<std::uint8_t>(c.in), static_cast<std::uint8_t>(c.out)));
  runScript([&] {
    b.configure(4);
    b.post(1);
    waitHead(b, 1);
  });
  ASSERT_EQ(b.reg(ENG_STATUS), 0u) << "error " << b.reg(ENG_ERR_CODE);
  std::vector<std::uint8_t> expected(outBytes);
  const std::vector<std::uint8_t> input = b.mem.bytes(src, inBytes);
  models::compute::convert(input.data(), c.in, expected.data(), c.out, c.n);
  EXPECT_EQ(b.mem.bytes(dst, outBytes), expected);
  EXPECT_EQ(b.mem.bytes(dst + outBytes, guard.size()), guard) << "wrote past the end";
  EXPECT_EQ(b.stat("bytes_copied"), static_cast<double>(outBytes));
  EXPECT_EQ(b.stat("bytes_read"), static_cast<double>(inBytes + 64));
  EXPECT_EQ(b.stat("bytes_written"), static_cast<double>(outBytes));
}

INSTANTIATE_TEST_SUITE_P(Conversions, DmaCopy,
                         testing::Values(CopyCase{DType::Fp32, DType::Fp32, 200},
                                         CopyCase{DType::Fp32, DType::Bf16, 300},
                                         CopyCase{DType::Bf16, DType::Fp8E4M3, 257},
                                         CopyCase{DType::Fp8E4M3, DType::Fp32, 100},
                                         CopyCase{DType::Bf16, DType::Bf16, 129}, CopyCase{DType::U32, DType::U32, 70}),
                         [](const testing::TestParamInfo<CopyCase>& i) { return testing::PrintToString(i.param); });

TEST(DmaCopyTimingOnly, MovesNoDataButTimesEveryChunk) {
  EngineBench b(defaultEngineParams(), BenchTiming{}, false);
  fillRandom(b.mem, kSrc, DType::Fp32, 200, 9);
  b.putDesc(0, copyDesc(kSrc, kDst, 200));
  runScript([&] {
    b.configure(4);
    b.post(1);
    waitHead(b, 1);
  });
  EXPECT_EQ(b.mem.bytes(kDst, 800), std::vector<std::uint8_t>(800, 0));
  const auto reads = b.mem.accessesTo(kSrc, 800, tlm::TLM_READ_COMMAND);
  const auto writes = b.mem.accessesTo(kDst, 800, tlm::TLM_WRITE_COMMAND);
  ASSERT_EQ(reads.size(), 4u); // 256 + 256 + 256 + 32 bytes
  ASSERT_EQ(writes.size(), 4u);
  for (const auto& a : reads) EXPECT_FALSE(a.carriesData);
  for (const auto& a : writes) EXPECT_FALSE(a.carriesData);
  EXPECT_EQ(reads.back().length, 32u);
  // The descriptor fetch is control traffic and always carries data.
  ASSERT_FALSE(b.mem.accessesTo(kRing, 64, tlm::TLM_READ_COMMAND).empty());
  EXPECT_TRUE(b.mem.accessesTo(kRing, 64, tlm::TLM_READ_COMMAND)[0].carriesData);
}

// ---- COPY timing -------------------------------------------------------------------

class DmaTiming : public testing::TestWithParam<double> {}; // global quantum, ns

TEST_P(DmaTiming, CopyPipelineMatchesHandComputedTimeline) {
  tlm::tlm_global_quantum::instance().set(ns(GetParam()));
  models::EngineParams p = defaultEngineParams();
  p.chunkBytes = 1024;
  p.maxOutstanding = 2;
  // Source region A and destination region B: 100 ns latency, 0.5 ns/byte,
  // each its own timeline.
  EngineBench b(p, BenchTiming{100'000, 500});
  b.putDesc(0, [] {
    llmvp_desc d = copyDesc(kBulk, kBulk2, 640); // 2560 bytes: chunks 1024, 1024, 512
    d.flags = DESC_F_IRQ;
    return d;
  }());
  std::uint64_t t0 = 0;
  runScript([&] {
    b.configure(4);
    t0 = nowPsTest() + 1000;
    b.post(1);
  });
  // S = t0 + 10 ns dispatch (fetch from the zero-cost region). Times in ns from S:
  //  chunk 0: read  issue 0,    A [0, 512)     done 612;  write at 612,  B [612, 1124)   done 1224
  //  chunk 1: read  issue 0,    A [512, 1024)  done 1124; write at 1124, B [1124, 1636)  done 1736
  //  chunk 2: read  issue 1224 (its buffer frees when chunk 0's write is done, 2 outstanding),
  //                             A [1224, 1480) done 1580; write at 1580, B [1636, 1892)  done 1992
  const std::uint64_t S = t0 + 10'000;
  const auto reads = b.mem.accessesTo(kBulk, 2560, tlm::TLM_READ_COMMAND);
  const auto writes = b.mem.accessesTo(kBulk2, 2560, tlm::TLM_WRITE_COMMAND);
  ASSERT_EQ(reads.size(), 3u);
  ASSERT_EQ(writes.size(), 3u);
  const std::uint64_t readIssue[] = {0, 0, 1224}, readDone[] = {612, 1124, 1580};
  const std::uint64_t writeIssue[] = {612, 1124, 1580}, writeDone[] = {1224, 1736, 1992};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(reads[i].arrival, S + readIssue[i] * 1000) << "read " << i;
    EXPECT_EQ(reads[i].done, S + readDone[i] * 1000) << "read " << i;
    EXPECT_EQ(writes[i].arrival, S + writeIssue[i] * 1000) << "write " << i;
    EXPECT_EQ(writes[i].done, S + writeDone[i] * 1000) << "write " << i;
  }
  EXPECT_EQ(b.irq.rise(kIrqLine), S + 1'992'000);
  // A DMA has no compute: dispatch and the whole transfer are busy time.
  EXPECT_EQ(b.stat("busy"), 10'000.0 + 1'992'000.0);
  EXPECT_EQ(b.stat("mem_wait"), 0.0);
  EXPECT_EQ(b.stat("busy") + b.stat("mem_wait"), static_cast<double>(b.irq.rise(kIrqLine) - t0));
  EXPECT_EQ(b.stat("bytes_read"), 64.0 + 2560.0);
  EXPECT_EQ(b.stat("bytes_written"), 2560.0);
  EXPECT_EQ(b.stat("descriptors"), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Quantum, DmaTiming, testing::Values(0.0, 1000.0, 100000.0),
                         [](const testing::TestParamInfo<double>& i) {
                           return "Quantum" + std::to_string(static_cast<int>(i.param)) + "ns";
                         });

} // namespace
} // namespace llmvp::test
