// SPDX-License-Identifier: Apache-2.0
// Serving scenarios (issue 4): latency and throughput move the way queueing
// and batching say they must, the JSON is deterministic, and bad scenario
// files are rejected with the file and key named (exit 2).
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

namespace llmvp::test {
namespace {

/// A generated scenario: `count` requests of 64..192-token prompts and 4..12
/// generated tokens (assumed test values), arriving by `process` at `rate`.
std::string generated(const std::string& process, double rate, std::uint32_t maxBatch, std::uint32_t count = 12) {
  std::string s = "kind: scenario\nname: t\nmax_batch: " + std::to_string(maxBatch) +
                  "\nprefill_chunk: 256\ngenerator:\n  seed: 5\n  count: " + std::to_string(count) +
                  "\n  arrival: {process: " + process;
  if (process != "burst") s += ", rate_per_s: " + std::to_string(rate);
  return s + "}\n  prompt_tokens: {distribution: uniform, min: 64, max: 192}\n"
             "  gen_tokens: {distribution: uniform, min: 4, max: 12}\n";
}

boost::json::object serve(const ScratchDir& dir, const std::string& name, const std::string& scenario,
                          std::vector<std::string> extra = {}) {
  dir.write(name + ".yaml", scenario);
  std::vector<std::string> args{"--platform", config("platforms/baseline.yaml"),
                                "--model",    config("models/llama-3.1-8b.yaml"),
                                "--scenario", dir.file(name + ".yaml")};
  args.insert(args.end(), extra.begin(), extra.end());
  CliResult raw;
  auto root = runJson(args, dir, name, &raw);
  EXPECT_EQ(raw.exitCode, 0) << raw.err;
  if (root.empty()) return {};
  return root.at("results").at("scenario").as_object();
}

double at(const boost::json::object& s, const char* group, const char* key) {
  return num(s.at(group).as_object().at(key));
}

TEST(Scenario, HigherArrivalRateRaisesTtft) {
  ScratchDir dir("scenariorate");
  // 5 requests/s leave the chip idle between arrivals; 5000/s queue them.
  const auto slow = serve(dir, "slow", generated("poisson", 5, 4));
  const auto fast = serve(dir, "fast", generated("poisson", 5000, 4));
  ASSERT_FALSE(slow.empty());
  ASSERT_FALSE(fast.empty());
  EXPECT_EQ(num(slow.at("completed")), 12);
  EXPECT_GT(at(fast, "ttft", "mean_ns"), 1.5 * at(slow, "ttft", "mean_ns"));
  EXPECT_GT(at(fast, "e2e", "p90_ns"), at(slow, "e2e", "p90_ns"));
  // Same requests, so the same tokens; the fast one finishes sooner overall.
  EXPECT_EQ(num(fast.at("generated_tokens")), num(slow.at("generated_tokens")));
  EXPECT_LT(num(fast.at("duration_ns")), num(slow.at("duration_ns")));
}

TEST(Scenario, MoreConcurrencyRaisesThroughput) {
  ScratchDir dir("scenariobatch");
  // All 12 requests at once: one in flight decodes them one after another,
  // eight share each weight stream.
  const std::string sc = generated("burst", 0, 1);
  const auto one = serve(dir, "one", sc);
  const auto eight = serve(dir, "eight", sc, {"--max-batch", "8"});
  ASSERT_FALSE(one.empty());
  ASSERT_FALSE(eight.empty());
  EXPECT_EQ(num(eight.at("max_batch")), 8);
  EXPECT_GT(num(eight.at("tokens_per_s")), 2.0 * num(one.at("tokens_per_s")));
  EXPECT_GT(num(eight.at("requests_per_s")), num(one.at("requests_per_s")));
  EXPECT_GT(num(eight.at("mean_batch")), 2.0);
  EXPECT_NEAR(num(one.at("mean_batch")), 1.0, 1e-9);
  // Sharing the chip costs each request some TPOT.
  EXPECT_GT(at(eight, "tpot", "mean_ns"), at(one, "tpot", "mean_ns"));
}

TEST(Scenario, JsonIsByteDeterministicAndTextShowsPercentiles) {
  ScratchDir dir("scenariodet");
  dir.write("s.yaml", generated("poisson", 500, 4, 6));
  const std::vector<std::string> base{"run",
                                      "--platform",
                                      config("platforms/baseline.yaml"),
                                      "--model",
                                      config("models/tiny-llama.yaml"),
                                      "--scenario",
                                      dir.file("s.yaml"),
                                      "--json"};
  auto a = base, b = base;
  a.push_back(dir.file("a.json"));
  b.push_back(dir.file("b.json"));
  const CliResult ra = runLlmvp(a), rb = runLlmvp(b);
  ASSERT_EQ(ra.exitCode, 0) << ra.err;
  ASSERT_EQ(rb.exitCode, 0) << rb.err;
  EXPECT_EQ(slurp(dir.file("a.json")), slurp(dir.file("b.json")));
  for (const char* text : {"Scenario t", "TTFT", "TPOT", "end-to-end", "requests/s", "p90"})
    EXPECT_NE(ra.out.find(text), std::string::npos) << text << "\n" << ra.out;
}

TEST(Scenario, BadScenarioFilesAreRejected) {
  ScratchDir dir("scenariobad");
  auto run = [&](const std::string& name, const std::string& text, std::vector<std::string> extra = {}) {
    dir.write(name, text);
    std::vector<std::string> args{
        "run",        "--platform",  config("platforms/baseline.yaml"), "--model", config("models/tiny-llama.yaml"),
        "--scenario", dir.file(name)};
    args.insert(args.end(), extra.begin(), extra.end());
    return runLlmvp(args);
  };
  const std::string head = "kind: scenario\nname: b\nmax_batch: 2\n";
  struct Bad {
    std::string text, expect;
  };
  const std::vector<Bad> cases{
      {head + "requests:\n  - {arrival_us: 0, prompt_tokens: 4, gen_tokens: 2, colour: red}\n",
       "requests[0].colour: unknown key"},
      {head + "requests:\n  - {arrival_us: 5, prompt_tokens: 4, gen_tokens: 2}\n"
              "  - {arrival_us: 1, prompt_tokens: 4, gen_tokens: 2}\n",
       "requests[1].arrival_us: requests must be listed in arrival order"},
      {head + "requests:\n  - {arrival_us: 0, prompt_tokens: 0, gen_tokens: 2}\n", "prompt_tokens: 0 is out of range"},
      {head + "requests: []\n", "requests: expected a non-empty list"},
      {head + "requests:\n  - {arrival_us: 0, prompt_tokens: 4, gen_tokens: 2}\n" +
           generated("burst", 0, 1).substr(generated("burst", 0, 1).find("generator:")),
       "give either requests"},
      {head + "generator:\n  count: 3\n  arrival: {process: gamma, rate_per_s: 1}\n"
              "  prompt_tokens: {distribution: fixed, value: 4}\n  gen_tokens: {distribution: fixed, value: 4}\n",
       "generator.arrival.process: \"gamma\" is not one of: poisson, uniform, burst"},
      {head + "generator:\n  count: 3\n  arrival: {process: burst}\n"
              "  prompt_tokens: {distribution: normal, value: 4}\n  gen_tokens: {distribution: fixed, value: 4}\n",
       "generator.prompt_tokens.distribution"},
      {"kind: scenario\nname: b\nrequests:\n  - {arrival_us: 0, prompt_tokens: 4, gen_tokens: 2}\n",
       "max_batch: missing required key"},
      {head + "requests:\n  - {arrival_us: 0, prompt: [1, 2, 99999], gen_tokens: 2}\n", "prompt token 99999 >= vocab"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string name = "bad" + std::to_string(i) + ".yaml";
    const CliResult r = run(name, cases[i].text);
    EXPECT_EQ(r.exitCode, 2) << cases[i].text << r.err;
    EXPECT_NE(r.err.find(cases[i].expect), std::string::npos) << r.err;
    if (cases[i].expect.find("vocab") == std::string::npos) {
      EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
    }
  }
  const std::string ok = head + "requests:\n  - {arrival_us: 0, prompt_tokens: 4, gen_tokens: 2}\n";
  const CliResult batch = run("ok.yaml", ok, {"--batch", "4"});
  EXPECT_EQ(batch.exitCode, 2);
  EXPECT_NE(batch.err.find("--batch: does not apply with --scenario"), std::string::npos) << batch.err;
  const CliResult tp = run("ok.yaml", ok, {"--max-batch", "0"});
  EXPECT_EQ(tp.exitCode, 2) << tp.err;
  EXPECT_EQ(runLlmvp({"validate", dir.file("ok.yaml")}).exitCode, 0);
  EXPECT_EQ(runLlmvp({"validate", dir.file("bad0.yaml")}).exitCode, 2);
}

} // namespace
} // namespace llmvp::test
