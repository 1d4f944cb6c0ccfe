// SPDX-License-Identifier: Apache-2.0
// `llmvp sweep`: grid and list points run as parallel processes, one table
// (CSV + JSON) and an HTML comparison, resumable; bad specs are usage errors
// naming the file and key.
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

using namespace llmvp::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {
std::string spec(const std::string& body) {
  return "kind: sweep\nname: t\nplatform: " + config("platforms/baseline.yaml") +
         "\nmodel: " + config("models/tiny-llama.yaml") + "\nrun: {gen_tokens: 3, context: 32}\n" + body;
}
std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }
} // namespace

TEST(Sweep, GridRunsInParallelWritesTablesAndResumes) {
  ScratchDir dir("sweep-grid");
  dir.write("s.yaml", spec("grid:\n  run.batch: [1, 2]\n  chip.hbm.stacks: [4, 8]\n"));
  const std::string out = dir.file("out");
  CliResult r = runLlmvp({"sweep", dir.file("s.yaml"), "-o", out, "-j", "2"});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("4 points, 0 already done, 4 to run"), std::string::npos) << r.out;
  const std::string csv = slurp(out + "/results.csv");
  EXPECT_EQ(lines(csv), 5u) << csv;
  EXPECT_EQ(csv.rfind("id,label,status,run.batch,chip.hbm.stacks,tpot_mean_ns", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_EQ(csv.find(",failed,"), std::string::npos);
  const json::object table = json::parse(slurp(out + "/results.json")).as_object();
  ASSERT_EQ(table.at("points").as_array().size(), 4u);
  for (const auto& p : table.at("points").as_array()) {
    EXPECT_EQ(p.at("status").as_string(), "ok");
    EXPECT_GT(num(p.at("metrics").at("tpot_mean_ns")), 0.0);
  }
  const std::string html = slurp(out + "/report.html");
  EXPECT_EQ(std::count(html.begin(), html.end(), '<') > 0, true);
  EXPECT_NE(html.find("run.batch=2 chip.hbm.stacks=4"), std::string::npos);
  EXPECT_NE(html.find("id=\"roofline\""), std::string::npos);

  // Resume: nothing is rerun, results are kept as they were.
  std::map<std::string, fs::file_time_type> stamps;
  for (const auto& e : fs::directory_iterator(out + "/points"))
    if (e.path().extension() == ".json") stamps[e.path().string()] = fs::last_write_time(e.path());
  ASSERT_EQ(stamps.size(), 4u);
  r = runLlmvp({"sweep", dir.file("s.yaml"), "-o", out, "-j", "2"});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("4 already done, 0 to run"), std::string::npos) << r.out;
  for (const auto& [file, t] : stamps) EXPECT_EQ(fs::last_write_time(file), t) << file;
  EXPECT_EQ(slurp(out + "/results.csv"), csv);

  // A lost result is rerun alone.
  fs::remove(stamps.begin()->first);
  r = runLlmvp({"sweep", dir.file("s.yaml"), "-o", out});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 already done, 1 to run"), std::string::npos) << r.out;
}

TEST(Sweep, ListedPointsCombineWithTheGrid) {
  ScratchDir dir("sweep-list");
  dir.write("s.yaml", spec("points:\n  - {label: bf16}\n  - {label: fp8, model.dtypes.weights: fp8}\n"
                           "grid:\n  run.batch: [1, 2]\n"));
  const std::string out = dir.file("out");
  const CliResult r = runLlmvp({"sweep", dir.file("s.yaml"), "-o", out, "-j", "2", "--progress", "never"});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  const std::string csv = slurp(out + "/results.csv");
  EXPECT_EQ(lines(csv), 5u) << csv;
  EXPECT_NE(csv.find("fp8 run.batch=2"), std::string::npos) << csv;
  EXPECT_NE(csv.find("bf16 run.batch=1"), std::string::npos) << csv;
}

TEST(Sweep, BadSpecsAreUsageErrorsNamingFileAndKey) {
  ScratchDir dir("sweep-bad");
  struct Case {
    std::string body, expect;
  };
  const std::vector<Case> cases{
      {spec("gird:\n  run.batch: [1]\n"), "gird: unknown key"},
      {spec("grid:\n  run.batch: 4\n"), "grid.run.batch: expected a non-empty list"},
      {spec("grid:\n  run.bacth: [1]\n"), "unknown run option \"run.bacth\""},
      {spec("grid:\n  chip.hbm.stackz: [1, 2]\n"), "chip.hbm.stackz"},
      {spec("grid:\n  chip.hbm.stacks: [0]\n"), "chip.hbm.stacks"},
      {spec("points:\n  - 3\n"), "points[0]: expected a mapping"},
      {"kind: sweep\nname: t\n", "platform: required"},
      {"kind: run\n", "kind: expected \"sweep\""},
      {"grid: [\n", "not valid YAML"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string f = "bad" + std::to_string(i) + ".yaml";
    dir.write(f, cases[i].body);
    const CliResult r = runLlmvp({"sweep", dir.file(f), "-o", dir.file("out")});
    EXPECT_EQ(r.exitCode, 2) << cases[i].body << r.out << r.err;
    EXPECT_NE(r.err.find(f), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(cases[i].expect), std::string::npos) << "expected \"" << cases[i].expect << "\" in " << r.err;
  }
  CliResult r = runLlmvp({"sweep", dir.file("none.yaml")});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("none.yaml: cannot read"), std::string::npos) << r.err;
  dir.write("ok.yaml", spec("grid:\n  run.batch: [1]\n"));
  r = runLlmvp({"sweep", dir.file("ok.yaml"), "--backend", "cloud"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--backend"), std::string::npos) << r.err;
}
