// SPDX-License-Identifier: Apache-2.0
// --csv, the per-operator and bandwidth data in --json, the progress line,
// and `llmvp report` (HTML with SVG charts; bad input is a usage error).
#include <gtest/gtest.h>
#include <regex>

#include "tests/support/Cli.h"

using namespace llmvp::test;
namespace json = boost::json;

namespace {
const std::string kPlatform = config("platforms/baseline.yaml");
const std::string kTiny = config("models/tiny-llama.yaml");

std::vector<std::string> tinyRun(const std::string& gen, const std::string& batch = "1") {
  return {"run", "--platform", kPlatform, "--model", kTiny, "--gen-tokens", gen, "--context", "64", "--batch", batch};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

std::vector<std::vector<std::string>> csvRows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}
} // namespace

TEST(Report, CsvHasOneRowPerTokenAndPerModule) {
  ScratchDir dir("report-csv");
  auto args = tinyRun("5");
  args.insert(args.end(), {"--csv", dir.file("run.csv")});
  const CliResult r = runLlmvp(args);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto rows = csvRows(slurp(dir.file("run.csv")));
  ASSERT_FALSE(rows.empty());
  const std::vector<std::string> header{"kind",          "name",        "step",        "time_ns",   "end_ns",
                                        "busy_ns",       "mem_wait_ns", "sem_wait_ns", "idle_ns",   "bytes_read",
                                        "bytes_written", "bytes",       "gbps",        "peak_gbps", "count",
                                        "flops",         "energy_j"};
  EXPECT_EQ(rows[0], header);
  std::map<std::string, int> kinds;
  bool gemv = false;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].size(), header.size()) << "row " << i;
    kinds[rows[i][0]]++;
    if (rows[i][0] == "operator" && rows[i][1] == "chip0.tile0/gemv") {
      gemv = true;
      EXPECT_GT(std::stod(rows[i][15]), 0.0); // flops
      EXPECT_GT(std::stod(rows[i][11]), 0.0); // bytes
    }
    if (rows[i][0] == "token") {
      EXPECT_GT(std::stod(rows[i][3]), 0.0);
    }
  }
  EXPECT_EQ(kinds["token"], 5);
  EXPECT_GE(kinds["engine"], 2);
  EXPECT_GE(kinds["memory"], 2);
  EXPECT_GE(kinds["energy"], 2);
  EXPECT_TRUE(gemv);
}

TEST(Report, JsonHasOperatorsAndBandwidthOverTime) {
  ScratchDir dir("report-json");
  const json::object doc =
      runJson({"--platform", kPlatform, "--model", kTiny, "--gen-tokens", "4", "--context", "64"}, dir, "run");
  ASSERT_FALSE(doc.empty());
  const auto& res = doc.at("results").as_object();
  bool gemv = false;
  for (const auto& o : res.at("operators").as_array())
    if (o.at("op").as_string() == "gemv") {
      gemv = true;
      EXPECT_GT(num(o.at("flops")), 0.0);
      EXPECT_GT(num(o.at("time_ns")), 0.0);
    }
  EXPECT_TRUE(gemv);
  const auto& bw = res.at("bandwidth").as_object();
  EXPECT_EQ(bw.at("end_ns").as_array().size(), 4u);
  const auto& hbm = bw.at("gbps").at("hbm").as_array();
  ASSERT_EQ(hbm.size(), 4u);
  for (const auto& v : hbm) EXPECT_GT(num(v), 0.0);
}

TEST(Report, JsonHasEveryModulesStatistics) {
  // The stats must be taken while the chip exists: the report outlives it.
  ScratchDir dir("report-stats");
  const json::object doc =
      runJson({"--platform", kPlatform, "--model", kTiny, "--gen-tokens", "2", "--context", "64"}, dir, "run");
  ASSERT_FALSE(doc.empty());
  const auto& stats = doc.at("stats").as_object();
  bool hbmRead = false, tileGroup = false;
  for (const auto& [path, group] : stats) {
    const std::string p(path);
    if (p.find("tile0") != std::string::npos) tileGroup = true;
    if (p.find("hbm") == std::string::npos) continue;
    for (const auto& [name, s] : group.as_object()) {
      EXPECT_TRUE(s.as_object().contains("unit")) << p << "." << std::string(name);
      if (std::string(name).find("read") != std::string::npos && num(s.at("value")) > 0) hbmRead = true;
    }
  }
  EXPECT_TRUE(tileGroup);
  EXPECT_TRUE(hbmRead);
}

TEST(Report, ProgressLineOnlyWhenAsked) {
  auto args = tinyRun("3");
  CliResult r = runLlmvp(args); // stderr is a file here: quiet
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.err.find("steps"), std::string::npos) << r.err;
  args.insert(args.end(), {"--progress", "always"});
  r = runLlmvp(args);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.err.find("/3 steps"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sim "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wall "), std::string::npos) << r.err;
  args.back() = "sometimes";
  EXPECT_EQ(runLlmvp(args).exitCode, 2);
}

TEST(Report, HtmlHasEveryChartForSeveralRunsAndNoNetworkReferences) {
  ScratchDir dir("report-html");
  for (const char* b : {"1", "2"}) {
    auto args = tinyRun("4", b);
    args.insert(args.end(), {"--json", dir.file(std::string("b") + b + ".json")});
    ASSERT_EQ(runLlmvp(args).exitCode, 0);
  }
  const CliResult r = runLlmvp({"report", dir.file("b1.json"), dir.file("b2.json"), "-o", dir.file("report.html")});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string html = slurp(dir.file("report.html"));
  EXPECT_EQ(count(html, "<svg"), 5u);
  for (const char* id : {"id=\"tpot\"", "id=\"time\"", "id=\"roofline\"", "id=\"bandwidth\"", "id=\"energy\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  EXPECT_GE(count(html, "class=\"series\""), 4u); // TPOT and bandwidth lines of both runs
  EXPECT_GE(count(html, "class=\"point\""), 2u);  // roofline points
  EXPECT_GE(count(html, "class=\"bar\""), 4u);    // stacked bars
  EXPECT_GE(count(html, "class=\"roof\""), 2u);
  EXPECT_NE(html.find(">b1<"), std::string::npos);
  EXPECT_NE(html.find(">b2<"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(std::regex_search(html, std::regex("(src|href)=\"https?:")), false);
}

TEST(Report, BadInputIsAUsageErrorNamingFileAndKey) {
  ScratchDir dir("report-bad");
  CliResult r = runLlmvp({"report", dir.file("missing.json"), "-o", dir.file("r.html")});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;

  dir.write("broken.json", "{\"results\": [1, 2");
  r = runLlmvp({"report", dir.file("broken.json"), "-o", dir.file("r.html")});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("broken.json: not valid JSON"), std::string::npos) << r.err;

  dir.write("nokey.json", "{\"config\": {}, \"results\": {\"engines\": {}}}");
  r = runLlmvp({"report", dir.file("nokey.json"), "-o", dir.file("r.html")});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("nokey.json: results.tpot_ns"), std::string::npos) << r.err;

  r = runLlmvp({"report", "-o", dir.file("r.html")});
  EXPECT_EQ(r.exitCode, 2);
  r = runLlmvp({"report", dir.file("x.json")});
  EXPECT_EQ(r.exitCode, 2);
}
