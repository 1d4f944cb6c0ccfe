// SPDX-License-Identifier: Apache-2.0
// `llmvp run --trace`: the file follows the Chrome trace-event format
// (required fields, well-formed X events, balanced B/E, monotonic timestamps
// per track), has the promised tracks, spans and counters, stays bounded,
// and tracing does not change any result.
#include <gtest/gtest.h>
#include <map>
#include <set>

#include "tests/support/Cli.h"

using namespace llmvp::test;
namespace json = boost::json;

namespace {
const std::string kPlatform = config("platforms/baseline.yaml");
const std::string kTiny = config("models/tiny-llama.yaml");

struct TraceSummary {
  std::size_t spans = 0, counters = 0;
  std::set<std::string> threads, spanNames, counterNames, categories;
  double maxEndUs = 0, minTsUs = 1e300;
  double maxCounter = 0;
  std::uint64_t dropped = 0;
  json::object firstGemvArgs;
};

/// Checks the trace-event format; fails the test on any violation.
void validateInto(const std::string& file, TraceSummary& s) {
  const json::value doc = json::parse(slurp(file));
  EXPECT_TRUE(doc.is_object());
  const auto& root = doc.as_object();
  EXPECT_TRUE(root.contains("traceEvents"));
  if (const auto* other = root.if_contains("otherData"))
    s.dropped = other->as_object().at("dropped_spans").to_number<std::uint64_t>();
  std::map<std::pair<std::int64_t, std::int64_t>, double> lastTs;                 // per (pid, tid)
  std::map<std::pair<std::int64_t, std::string>, double> lastCounter;             // per (pid, name)
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::string>> open; // B/E stacks
  std::map<std::pair<std::int64_t, std::int64_t>, std::string> names;
  for (const auto& ev : root.at("traceEvents").as_array()) {
    const auto& e = ev.as_object();
    ASSERT_TRUE(e.contains("ph") && e.at("ph").is_string()) << json::serialize(ev);
    ASSERT_TRUE(e.contains("name") && e.at("name").is_string()) << json::serialize(ev);
    ASSERT_TRUE(e.contains("pid") && e.at("pid").is_int64()) << json::serialize(ev);
    const std::string ph(e.at("ph").as_string());
    const std::string name(e.at("name").as_string());
    const std::int64_t pid = e.at("pid").as_int64();
    if (ph == "M") {
      ASSERT_TRUE(e.contains("args") &&
                  e.at("args").as_object().contains(name == "thread_sort_index" ? "sort_index" : "name"));
      if (name == "thread_name")
        names[{pid, e.at("tid").as_int64()}] = std::string(e.at("args").at("name").as_string());
      continue;
    }
    ASSERT_TRUE(e.contains("ts") && e.at("ts").is_number()) << json::serialize(ev);
    const double ts = num(e.at("ts"));
    EXPECT_GE(ts, 0.0);
    s.minTsUs = std::min(s.minTsUs, ts);
    if (ph == "C") {
      ASSERT_TRUE(e.contains("args") && e.at("args").is_object());
      for (const auto& kv : e.at("args").as_object()) {
        ASSERT_TRUE(kv.value().is_number()) << json::serialize(ev);
        s.maxCounter = std::max(s.maxCounter, num(kv.value()));
      }
      auto& last = lastCounter[{pid, name}];
      EXPECT_GE(ts, last) << "counter " << name << " goes back in time";
      last = ts;
      s.counterNames.insert(name);
      ++s.counters;
      continue;
    }
    ASSERT_TRUE(e.contains("tid") && e.at("tid").is_int64()) << json::serialize(ev);
    const std::pair<std::int64_t, std::int64_t> track{pid, e.at("tid").as_int64()};
    auto& last = lastTs[track];
    EXPECT_GE(ts, last) << "track " << names[track] << ": timestamps not monotonic at " << json::serialize(ev);
    last = ts;
    if (ph == "X") {
      ASSERT_TRUE(e.contains("dur") && e.at("dur").is_number()) << json::serialize(ev);
      EXPECT_GE(num(e.at("dur")), 0.0);
      s.maxEndUs = std::max(s.maxEndUs, ts + num(e.at("dur")));
      ++s.spans;
      s.spanNames.insert(name);
      if (e.contains("cat")) s.categories.insert(std::string(e.at("cat").as_string()));
      if (name == "gemv" && s.firstGemvArgs.empty()) s.firstGemvArgs = e.at("args").as_object();
    } else if (ph == "B") {
      open[track].push_back(name);
    } else if (ph == "E") {
      ASSERT_FALSE(open[track].empty()) << "E without B on track " << names[track];
      open[track].pop_back();
    } else {
      ADD_FAILURE() << "unexpected phase " << ph;
    }
  }
  for (const auto& [track, stack] : open) EXPECT_TRUE(stack.empty()) << "unbalanced B/E on " << names[track];
  for (const auto& [track, n] : names) s.threads.insert(n);
}

TraceSummary validate(const std::string& file) {
  TraceSummary s;
  validateInto(file, s);
  return s;
}

std::vector<std::string> tinyRun(const std::string& gen) {
  return {"run", "--platform", kPlatform, "--model", kTiny, "--gen-tokens", gen, "--context", "64"};
}
} // namespace

TEST(Trace, FileFollowsTheTraceEventFormatWithEngineMemoryLinkAndFirmwareTracks) {
  ScratchDir dir("trace-format");
  auto args = tinyRun("4");
  args.insert(args.end(), {"--trace", dir.file("t.json")});
  const CliResult r = runLlmvp(args);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const TraceSummary s = validate(dir.file("t.json"));
  for (const char* t : {"dma0", "tile0", "memory hbm", "link hbm", "firmware step", "firmware phase"})
    EXPECT_TRUE(s.threads.count(t)) << "missing track " << t;
  for (const char* n : {"gemv", "attn", "copy", "step 0", "step 3", "patch", "wait", "collect"})
    EXPECT_TRUE(s.spanNames.count(n)) << "missing span " << n;
  EXPECT_TRUE(s.categories.count("descriptor"));
  EXPECT_TRUE(s.categories.count("firmware"));
  EXPECT_TRUE(s.counterNames.count("memory hbm GB/s"));
  EXPECT_TRUE(s.counterNames.count("memory hbm in flight"));
  // One track per channel group of the HBM (256 pseudo-channels in 16
  // groups of 16), each with its own bandwidth counter.
  EXPECT_TRUE(s.threads.count("memory hbm pc0-15"));
  EXPECT_TRUE(s.threads.count("memory hbm pc240-255"));
  std::size_t groups = 0;
  for (const auto& t : s.threads) groups += t.rfind("memory hbm pc", 0) == 0 ? 1 : 0;
  EXPECT_EQ(groups, 16u);
  EXPECT_TRUE(s.counterNames.count("memory hbm pc0-15 GB/s"));
  EXPECT_TRUE(s.counterNames.count("memory hbm pc240-255 GB/s"));
  EXPECT_GT(s.maxCounter, 0.0);
  for (const char* a : {"bytes", "flops", "src0", "src1", "dst", "m", "n", "k"})
    EXPECT_TRUE(s.firstGemvArgs.contains(a)) << "gemv span lacks arg " << a;
  EXPECT_EQ(s.dropped, 0u);
}

TEST(Trace, DetailedMemoryHasOneTrackPerChannelGroupWithinTheWindow) {
  ScratchDir dir("trace-detailed");
  auto args = tinyRun("2");
  args.insert(args.end(), {"--set", "memory.model=detailed", "--trace", dir.file("t.json")});
  const CliResult r = runLlmvp(args);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const TraceSummary s = validate(dir.file("t.json"));
  std::size_t groups = 0;
  for (const auto& t : s.threads)
    if (t.rfind("memory hbm ch", 0) == 0) {
      ++groups;
      EXPECT_TRUE(s.counterNames.count(t + " GB/s")) << t;
    }
  EXPECT_EQ(groups, 16u);
  EXPECT_TRUE(s.threads.count("memory hbm"));
}

TEST(Trace, SpanBudgetAndWindowBoundTheFile) {
  ScratchDir dir("trace-bounds");
  auto args = tinyRun("8");
  args.insert(args.end(), {"--trace", dir.file("budget.json"), "--trace-max-spans", "40"});
  CliResult r = runLlmvp(args);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const TraceSummary budget = validate(dir.file("budget.json"));
  EXPECT_LE(budget.spans, 40u);
  EXPECT_GT(budget.dropped, 0u);

  auto full = tinyRun("8");
  full.insert(full.end(), {"--trace", dir.file("full.json")});
  ASSERT_EQ(runLlmvp(full).exitCode, 0);
  const TraceSummary all = validate(dir.file("full.json"));
  const double mid = all.maxEndUs / 2, end = all.maxEndUs * 0.75;
  auto windowed = tinyRun("8");
  windowed.insert(windowed.end(), {"--trace", dir.file("window.json"), "--trace-window",
                                   std::to_string(mid) + ":" + std::to_string(end)});
  r = runLlmvp(windowed);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const TraceSummary w = validate(dir.file("window.json"));
  EXPECT_GT(w.spans, 0u);
  EXPECT_LT(w.spans, all.spans);
  EXPECT_GE(w.maxEndUs, mid);
  EXPECT_LE(w.minTsUs, end + 1e-6);
}

TEST(Trace, TracingDoesNotChangeResults) {
  ScratchDir dir("trace-same");
  auto plain = tinyRun("4");
  plain.insert(plain.end(), {"--json", dir.file("a.json")});
  auto traced = tinyRun("4");
  traced.insert(traced.end(), {"--json", dir.file("b.json"), "--trace", dir.file("t.json")});
  ASSERT_EQ(runLlmvp(plain).exitCode, 0);
  ASSERT_EQ(runLlmvp(traced).exitCode, 0);
  EXPECT_EQ(slurp(dir.file("a.json")), slurp(dir.file("b.json")));
}

TEST(Trace, BadTraceOptionsAreUsageErrors) {
  ScratchDir dir("trace-bad");
  auto args = tinyRun("2");
  args.insert(args.end(), {"--trace", dir.file("t.json"), "--trace-window", "abc"});
  CliResult r = runLlmvp(args);
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--trace-window"), std::string::npos) << r.err;
  args = tinyRun("2");
  args.insert(args.end(), {"--trace", dir.file("no/such/dir/t.json")});
  r = runLlmvp(args);
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--trace"), std::string::npos) << r.err;
}
