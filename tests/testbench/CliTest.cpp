// SPDX-License-Identifier: Apache-2.0
// The llmvp command line: help, version, validation, and bad input of every
// kind ending in a clear message and exit code 2 (1 for a failed device run).
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

const std::string kPlatform = config("platforms/baseline.yaml");
const std::string kModel = config("models/llama-3.1-8b.yaml");
const std::string kTiny = config("models/tiny-llama.yaml");

std::vector<std::string> quickRun(std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"run", "--platform", kPlatform, "--model", kModel, "--gen-tokens", "2", "--context", "16"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(Cli, HelpAndVersion) {
  const CliResult help = runLlmvp({"--help"});
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_NE(help.out.find("llmvp run --platform FILE --model FILE"), std::string::npos);
  const CliResult runHelp = runLlmvp({"run", "--help"});
  EXPECT_EQ(runHelp.exitCode, 0);
  EXPECT_NE(runHelp.out.find("--gen-tokens"), std::string::npos);
  const CliResult version = runLlmvp({"--version"});
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_NE(version.out.find("llmvp 0."), std::string::npos);
  EXPECT_NE(version.out.find("SystemC 2.3.4"), std::string::npos);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(runLlmvp({}).exitCode, 2);
  const CliResult unknown = runLlmvp({"frobnicate"});
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_NE(unknown.err.find("unknown command"), std::string::npos);
  const CliResult badOpt = runLlmvp({"run", "--platform", kPlatform, "--model", kModel, "--bogus"});
  EXPECT_EQ(badOpt.exitCode, 2);
  const CliResult missing = runLlmvp({"run", "--model", kModel});
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_NE(missing.err.find("platform"), std::string::npos);
  const CliResult both = runLlmvp(quickRun({"--functional", "--timing-only"}));
  EXPECT_EQ(both.exitCode, 2);
}

TEST(Cli, ValidateShippedConfigs) {
  const CliResult r = runLlmvp({"validate", kPlatform, kModel, kTiny, config("memory/hbm3e-8000.yaml")});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("baseline.yaml: ok"), std::string::npos);
}

struct BadConfig {
  const char* name;
  const char* from; ///< text replaced in baseline.yaml
  const char* to;
  const char* expect; ///< substring of the message
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class CliBadPlatform : public testing::TestWithParam<BadConfig> {};

TEST_P(CliBadPlatform, ValidateAndRunRejectWithExitTwo) {
  const BadConfig& c = GetParam();
  ScratchDir dir(std::string("bad-") + c.name);
  std::string text = slurp(kPlatform);
  const auto at = text.find(c.from);
  ASSERT_NE(at, std::string::npos) << c.from;
  text.replace(at, std::string(c.from).size(), c.to);
  // Keep the memspec reference valid from the scratch folder.
  const std::string memRef = "../memory/hbm3e-8000.yaml";
  const auto m = text.find(memRef);
  if (m != std::string::npos) text.replace(m, memRef.size(), config("memory/hbm3e-8000.yaml"));
  dir.write("p.yaml", text);
  const CliResult v = runLlmvp({"validate", dir.file("p.yaml")});
  EXPECT_EQ(v.exitCode, 2);
  EXPECT_NE(v.err.find(c.expect), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("p.yaml"), std::string::npos) << v.err;
  const CliResult r = runLlmvp({"run", "--platform", dir.file("p.yaml"), "--model", kModel});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Configs, CliBadPlatform,
    testing::Values(
        BadConfig{"malformed", "chip:\n", "chip: [\n", "malformed YAML"},
        BadConfig{"unknown_key", "    count: 1\n    clock_mhz: 2000.0",
                  "    count: 1\n    bogus: 3\n    clock_mhz: 2000.0", "chip.tile.bogus: unknown key"},
        BadConfig{"wrong_type", "stacks: 8", "stacks: eight", "chip.hbm.stacks: \"eight\" is not an integer"},
        BadConfig{"out_of_range", "quantum_ns: 10000", "quantum_ns: -5", "sim.quantum_ns: -5 is out of range"},
        BadConfig{"missing_key", "  register_latency_ns: 5.0 ", "  ", "chip.register_latency_ns: missing required key"},
        BadConfig{"bad_choice", "    count: 1\n    clock_mhz: 1500.0", "    count: 0\n    clock_mhz: 1500.0",
                  "chip.dma.count: 0 is out of range"},
        BadConfig{"missing_memspec", "../memory/hbm3e-8000.yaml", "../memory/nope.yaml", "cannot open file"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(Cli, BadRunParametersExitTwo) {
  for (const auto& extra : std::vector<std::vector<std::string>>{{"--batch", "0"},
                                                                 {"--context", "0"},
                                                                 {"--gen-tokens", "0"},
                                                                 {"--set", "chip.tile.nope=3"},
                                                                 {"--set", "novalue"},
                                                                 {"--inject-fault", "gremlins"},
                                                                 {"--set", "chip.hbm.memspec.timing_ns.tRFC=99999"}}) {
    const CliResult r = runLlmvp(quickRun(extra));
    EXPECT_EQ(r.exitCode, 2) << extra[0] << " " << extra[1] << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
}

TEST(Cli, ModelThatDoesNotFitNamesSizes) {
  const CliResult r = runLlmvp(quickRun({"--set", "chip.hbm.stacks=1", "--set", "chip.hbm.capacity_gib_per_stack=8"}));
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("does not fit in HBM"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("weights 16."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("capacity 8.590 GB"), std::string::npos) << r.err;
}

TEST(Cli, KvCacheThatDoesNotFitReportsLargestBatch) {
  const CliResult r = runLlmvp({"run", "--platform", kPlatform, "--model", kModel, "--batch", "256", "--context",
                                "120000", "--gen-tokens", "1"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("the largest batch at this context is"), std::string::npos) << r.err;
}

TEST(Cli, DeviceErrorFromBadOpcodeFailsTheRun) {
  const CliResult r = runLlmvp(quickRun({"--inject-fault", "bad-opcode"}));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("compute tile halted on descriptor"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad opcode"), std::string::npos) << r.err;
}

TEST(Cli, DeviceErrorFromBadAddressFailsTheRun) {
  const CliResult r = runLlmvp(quickRun({"--inject-fault", "bad-address"}));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("bus error"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("field src1"), std::string::npos) << r.err;
}

TEST(Cli, SameInputsGiveByteIdenticalJson) {
  ScratchDir dir("determinism");
  const auto args = [&](const std::string& f) {
    return quickRun({"--json", dir.file(f), "--batch", "3", "--seed", "7"});
  };
  ASSERT_EQ(runLlmvp(args("a.json")).exitCode, 0);
  ASSERT_EQ(runLlmvp(args("b.json")).exitCode, 0);
  const std::string a = slurp(dir.file("a.json")), b = slurp(dir.file("b.json"));
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, b);
}

TEST(Cli, FunctionalRunPrintsGeneratedTokens) {
  const CliResult r = runLlmvp(
      {"run", "--platform", kPlatform, "--model", kTiny, "--functional", "--prompt", "1,2,3,4", "--gen-tokens", "5"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("Generated tokens"), std::string::npos);
  EXPECT_NE(r.out.find("request 0:"), std::string::npos);
}

} // namespace
} // namespace llmvp::test
