// SPDX-License-Identifier: Apache-2.0
// `llmvp memtrace`: reports, bad input (exit 2 with file:line), the command log.
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

const std::string kHbm2 = config("memory/hbm2.yaml");

TEST(MemTraceCli, PlaysATraceOnBothModels) {
  ScratchDir dir("memtrace-play");
  std::string trace = "# comment\n";
  for (int i = 0; i < 2000; ++i)
    trace += "* R 0x" + ([&] {
               std::ostringstream s;
               s << std::hex << i * 64;
               return s.str();
             })() +
             " 64\n";
  trace += "+100 W 0 64\n5000 R 64 64   # absolute time\n";
  dir.write("t.trace", trace);
  for (const char* model : {"--detailed", "--fast"}) {
    const CliResult r =
        runLlmvp({"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace"), model, "--json", dir.file("r.json")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    for (const char* line : {"achieved bandwidth", "read latency ns     avg", "p50", "p99", "max",
                             "row-buffer hit rate", "bank utilisation", "energy", "requests per wall second"})
      EXPECT_NE(r.out.find(line), std::string::npos) << model << " " << line << "\n" << r.out;
    const auto j = boost::json::parse(slurp(dir.file("r.json"))).as_object();
    EXPECT_EQ(num(j.at("reads")), 2001);
    EXPECT_EQ(num(j.at("writes")), 1);
    EXPECT_GT(num(j.at("bandwidth_gbps")), 1.0);
    EXPECT_LE(num(j.at("bandwidth_gbps")), 32.0);
  }
}

TEST(MemTraceCli, BadLinesNameFileLineAndWhatWasExpected) {
  ScratchDir dir("memtrace-bad");
  struct Case {
    const char* line;
    const char* expect;
  };
  for (const Case& c : std::vector<Case>{{"* X 0 64", "\"X\" is not R or W"},
                                         {"* R zz 64", "\"zz\" is not an address"},
                                         {"* R 0 0", "is not a size in bytes"},
                                         {"* R 0", "expected 4 fields"},
                                         {"-5 R 0 64", "is not a time"},
                                         {"+x R 0 64", "is not a delay"},
                                         {"* R 0x80000000 64", "beyond the memory"}}) {
    dir.write("t.trace", "* R 0 64\n" + std::string(c.line) + "\n");
    const CliResult r = runLlmvp({"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace")});
    EXPECT_EQ(r.exitCode, 2) << c.line;
    EXPECT_NE(r.err.find("t.trace:2: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
  }
  dir.write("t.trace", "100 R 0 64\n50 R 0 64\n");
  const CliResult r = runLlmvp({"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace")});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("t.trace:2: time 50 ns is before"), std::string::npos) << r.err;
}

TEST(MemTraceCli, UsageAndConfigErrorsExitTwo) {
  ScratchDir dir("memtrace-usage");
  dir.write("t.trace", "* R 0 64\n");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"memtrace"},
           {"memtrace", "--memspec", kHbm2},
           {"memtrace", "--memspec", kHbm2, "--trace", dir.file("nope.trace")},
           {"memtrace", "--memspec", "nope.yaml", "--trace", dir.file("t.trace")},
           {"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace"), "--fast", "--detailed"},
           {"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace"), "--set", "timing.RL=x"},
           {"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace"), "--bogus"},
           {"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace"), "--outstanding", "0"},
           {"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace"), "--stacks", "3"}}) {
    const CliResult r = runLlmvp(args);
    EXPECT_EQ(r.exitCode, 2) << args.back() << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

TEST(MemTraceCli, WritesTheCommandLog) {
  ScratchDir dir("memtrace-log");
  dir.write("t.trace", "* R 0 64\n* W 4096 64\n");
  const CliResult r =
      runLlmvp({"memtrace", "--memspec", kHbm2, "--trace", dir.file("t.trace"), "--command-log", dir.file("cmd.log")});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string log = slurp(dir.file("cmd.log"));
  EXPECT_NE(log.find(" ACT 0 0 "), std::string::npos) << log;
  EXPECT_NE(log.find(" RD 0 "), std::string::npos) << log;
  EXPECT_NE(log.find(" WR 0 "), std::string::npos) << log;
}

} // namespace
} // namespace llmvp::test
