// SPDX-License-Identifier: Apache-2.0
// The detailed controller under random and adversarial traffic, for every
// preset and policy: the independent checker must find no violation, and
// every request must complete.
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include "analysis/MemTrace.h"
#include "models/memory/dram/DetailedDram.h"
#include "tests/models/memory/dram/CommandChecker.h"
#include "tests/models/memory/dram/DramTestSupport.h"
#include "tests/support/ProtocolChecker.h"

namespace llmvp::test {
namespace {
using namespace models::dram;

struct Variant {
  std::string name;
  std::vector<std::string> sets;
};

std::vector<Variant> variants(const DramParams& p) {
  std::vector<Variant> v{{"default", {}},
                         {"closed_page", {"controller.page_policy=closed"}},
                         {"fifo", {"controller.scheduler=fifo"}},
                         {"fr_fcfs_grouped",
                          {"controller.scheduler=fr_fcfs_grouped", "controller.write_high_watermark=4",
                           "controller.write_low_watermark=1", "controller.write_buffer=6"}},
                         {"small_buffer", {"controller.request_buffer=2"}}};
  v.push_back({"other_refresh",
               {std::string("controller.refresh=") + (p.refresh == RefreshMode::AllBank ? "per_bank" : "all_bank")}});
  return v;
}

class ControllerTraffic : public testing::TestWithParam<std::string> {};

TEST_P(ControllerTraffic, RandomAndAdversarialTrafficMeetsEveryConstraint) {
  const DramParams base = loadPreset(GetParam());
  for (const Variant& var : variants(base)) {
    const DramParams p = loadPreset(GetParam(), 1, var.sets);
    const CommandChecker checker(p);
    struct Case {
      const char* name;
      std::vector<Access> traffic;
    };
    const Cycle refi = p.c.REFI;
    std::vector<Case> cases{{"random_full_rate", randomTraffic(p, 4000, 0.3, 0, 11)},
                            {"random_spread", randomTraffic(p, 1500, 0.5, refi / 100 + 1, 12)},
                            {"adversarial", adversarialTraffic(p, 2048, 13)}};
    for (const Case& c : cases) {
      std::uint64_t done = 0;
      const auto log = drive(p, c.traffic, 3 * refi, &done);
      std::uint64_t pieces = 0;
      const std::uint64_t run = AddressMapper(p).runBytes();
      for (const auto& a : c.traffic) pieces += (a.addr % run + a.bytes + run - 1) / run;
      EXPECT_EQ(done, pieces) << var.name << " " << c.name;
      const auto v = checker.check(log);
      EXPECT_TRUE(v.empty()) << GetParam() << " " << var.name << " " << c.name << ": " << v.size()
                             << " violations, first: " << (v.empty() ? "" : v[0]);
      std::uint64_t refs = 0;
      for (const auto& r : log) refs += r.cmd == Command::REFab || r.cmd == Command::REFpb;
      EXPECT_GT(refs, 0u) << var.name << " " << c.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, ControllerTraffic, testing::ValuesIn(presetNames()), [](const auto& i) {
  std::string s = i.param;
  for (char& ch : s)
    if (ch == '-') ch = '_';
  return s;
});

TEST(Controller, RowHitsGoFirstAndRowsStayOpen) {
  DramParams p = loadPreset("hbm3e-8000");
  const AddressMapper m(p);
  DramAddress a;
  a.row = 5;
  DramAddress b = a;
  b.row = 6;
  DramAddress c = a;
  c.column = 8;
  // Row 5, row 6 (conflict), row 5 again: FR-FCFS serves the two row-5 requests first.
  const auto log = drive(p, {{0, false, m.encode(a), 32}, {0, false, m.encode(b), 32}, {0, false, m.encode(c), 32}});
  std::vector<std::uint32_t> rows;
  for (const auto& r : log)
    if (isColumn(r.cmd)) rows.push_back(r.row);
  EXPECT_EQ(rows, (std::vector<std::uint32_t>{5, 5, 6}));
  // FIFO: in arrival order.
  const auto fifo = drive(loadPreset("hbm3e-8000", 1, {"controller.scheduler=fifo"}),
                          {{0, false, m.encode(a), 32}, {0, false, m.encode(b), 32}, {0, false, m.encode(c), 32}});
  rows.clear();
  for (const auto& r : fifo)
    if (isColumn(r.cmd)) rows.push_back(r.row);
  EXPECT_EQ(rows, (std::vector<std::uint32_t>{5, 6, 5}));
}

TEST(Controller, ClosedPagePrechargesWithTheLastAccess) {
  const DramParams p = loadPreset("hbm3e-8000", 1, {"controller.page_policy=closed"});
  const AddressMapper m(p);
  DramAddress a;
  const auto log = drive(p, {{0, false, m.encode(a), 64}});
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1].cmd, Command::RD);
  EXPECT_EQ(log[2].cmd, Command::RDA);
}

TEST(Controller, WritesDrainBetweenWatermarks) {
  const DramParams p =
      loadPreset("hbm3e-8000", 1, {"controller.write_high_watermark=8", "controller.write_low_watermark=2"});
  const AddressMapper m(p);
  std::vector<Access> t;
  for (std::uint32_t i = 0; i < 40; ++i) {
    DramAddress a;
    a.column = (i % 32) * 8;
    t.push_back({0, i % 2 == 1, m.encode(a), 32});
  }
  const auto log = drive(p, t);
  // Batching: far fewer read/write switches than the 39 of strict alternation.
  int switches = 0;
  Command prev = Command::ACT;
  for (const auto& r : log)
    if (isColumn(r.cmd)) {
      if (prev != Command::ACT && isRead(prev) != isRead(r.cmd)) ++switches;
      prev = r.cmd;
    }
  EXPECT_LE(switches, 8);
  EXPECT_TRUE(CommandChecker(p).check(log).empty());
}

TEST(Controller, TlmModelPassesTheCheckerForEveryPreset) {
  // All presets elaborate together and run in one sc_start (one kernel per process).
  std::vector<std::unique_ptr<CommandLog>> logs;
  std::vector<std::unique_ptr<testbench::DetailedReplay>> replays;
  std::vector<DramParams> params;
  for (const auto& name : presetNames()) {
    params.push_back(loadPreset(name, name == "hbm2" ? 1 : 2));
    const DramParams& p = params.back();
    std::vector<testbench::TraceRequest> trace;
    for (const Access& a : randomTraffic(p, 3000, 0.3, 0, 21)) {
      testbench::TraceRequest r;
      r.write = a.write;
      r.addr = a.addr;
      r.bytes = 256;
      r.addr &= ~std::uint64_t{255};
      trace.push_back(r);
    }
    logs.push_back(std::make_unique<CommandLog>());
    testbench::PlayOptions o;
    o.window = 64;
    replays.push_back(std::make_unique<testbench::DetailedReplay>(("dram_" + std::to_string(replays.size())).c_str(), p,
                                                                  trace, o, logs.back().get()));
  }
  sc_core::sc_start();
  for (std::size_t i = 0; i < replays.size(); ++i) {
    const auto r = replays[i]->result();
    EXPECT_EQ(r.reads + r.writes, 3000u) << presetNames()[i];
    EXPECT_GT(r.gbps(), 0.01 * params[i].peakGBps()) << presetNames()[i];
    EXPECT_LE(r.gbps(), params[i].peakGBps()) << presetNames()[i];
    auto records = logs[i]->records();
    std::stable_sort(records.begin(), records.end(), [](const CommandRecord& a, const CommandRecord& b) {
      return a.channel != b.channel ? a.channel < b.channel : a.cycle < b.cycle;
    });
    const auto v = CommandChecker(params[i]).check(records);
    EXPECT_TRUE(v.empty()) << presetNames()[i] << ": " << (v.empty() ? "" : v[0]);
  }
}

TEST(Controller, LooselyTimedPathKeepsTheNextRequestInTheBufferLikeTheFourPhasePath) {
  // Large requests, four in flight, as the engines' weight streams (1 MiB at
  // an odd 64 KiB + 2 MiB offset: each bank switches rows inside a request).
  // The loosely-timed path (whole-model runs) must overlap a request's
  // activations with the previous request's data as the 4-phase path does,
  // and still obey every constraint.
  const DramParams p = loadPreset("hbm3e-8000", 1);
  std::vector<testbench::TraceRequest> trace;
  for (std::uint64_t i = 0; i < 16; ++i) {
    testbench::TraceRequest r;
    r.addr = (2ull << 20) + (64ull << 10) + i * (1ull << 20);
    r.bytes = 1u << 20;
    trace.push_back(r);
  }
  testbench::PlayOptions o;
  o.window = 4;
  o.fullRate = true;
  CommandLog log;
  testbench::LtReplay lt("lt", p, models::dram::DramModel::Detailed, &log);
  testbench::DetailedReplay at("at", p, trace, o);
  sc_core::sc_start();
  const auto a = at.result();
  const auto l = lt.run(trace, o);
  EXPECT_NEAR(l.gbps() / a.gbps(), 1.0, 0.02) << "loosely timed " << l.gbps() << " GB/s, 4-phase " << a.gbps();
  EXPECT_GT(l.gbps(), 0.9 * p.peakGBps());
  auto records = log.records();
  std::stable_sort(records.begin(), records.end(), [](const CommandRecord& x, const CommandRecord& y) {
    return x.channel != y.channel ? x.channel < y.channel : x.cycle < y.cycle;
  });
  const auto v = CommandChecker(p).check(records);
  EXPECT_TRUE(v.empty()) << v.front();
}

} // namespace
} // namespace llmvp::test

namespace llmvp::test {
namespace {

/// Two loosely-timed threads write and read back through the base-protocol
/// checker: data integrity, time spent, and a legal command log.
struct LtTester : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<LtTester> socket;
  std::vector<std::string> errors;
  models::Ps busyPs = 0;
  int done = 0;
  SC_HAS_PROCESS(LtTester);
  explicit LtTester(const sc_core::sc_module_name& n) : sc_module(n), socket("socket") {
    SC_THREAD(run0);
    SC_THREAD(run1);
  }
  void run0() { run(0); }
  void run1() { run(1); }
  void run(int id) {
    std::vector<std::uint8_t> out(4096), in(4096);
    for (int k = 0; k < 16; ++k) {
      const std::uint64_t addr = (static_cast<std::uint64_t>(id) << 24) + static_cast<std::uint64_t>(k) * 12288 + 96;
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7 + k + id);
      for (const bool write : {true, false}) {
        tlm::tlm_generic_payload gp;
        gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(addr);
        gp.set_data_ptr(write ? out.data() : in.data());
        gp.set_data_length(static_cast<unsigned>(out.size()));
        gp.set_streaming_width(static_cast<unsigned>(out.size()));
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        const models::Ps before = models::nowPs();
        socket->b_transport(gp, delay);
        sc_core::wait(delay);
        busyPs += models::nowPs() - before;
        if (!gp.is_response_ok()) errors.push_back("response not OK");
      }
      if (in != out) errors.push_back("read back differs at request " + std::to_string(k));
    }
    ++done;
  }
};

TEST(Controller, LooselyTimedCallersThroughTheProtocolChecker) {
  const DramParams p = loadPreset("hbm3e-8000", 1);
  CommandLog log;
  DetailedDram dram("dram", p, &log);
  ProtocolChecker checker("checker");
  LtTester tester("tester");
  tester.socket.bind(checker.targetSocket);
  checker.initiatorSocket.bind(dram.socket);
  sc_core::sc_start();
  EXPECT_EQ(tester.done, 2);
  EXPECT_TRUE(tester.errors.empty()) << tester.errors.front();
  EXPECT_TRUE(checker.violations().empty()) << checker.report();
  EXPECT_GT(tester.busyPs, 0u);
  auto records = log.records();
  std::stable_sort(records.begin(), records.end(), [](const CommandRecord& a, const CommandRecord& b) {
    return a.channel != b.channel ? a.channel < b.channel : a.cycle < b.cycle;
  });
  EXPECT_FALSE(records.empty());
  const auto v = CommandChecker(p).check(records);
  EXPECT_TRUE(v.empty()) << v.front();
  EXPECT_EQ(dram.stats().value("bytes_written"), 2.0 * 16 * 4096);
}

} // namespace
} // namespace llmvp::test
