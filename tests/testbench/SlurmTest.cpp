// SPDX-License-Identifier: Apache-2.0
// `llmvp sweep --backend slurm` against a real single-node Slurm cluster
// (slurmctld + slurmd + munge on this machine, started here with
// scripts/slurm-local and stopped at the end). Needs root and the Debian
// packages slurm-wlm and munge (scripts/install-deps); skipped otherwise.
#include <gtest/gtest.h>

#include "tests/support/Cli.h"

using namespace llmvp::test;
namespace json = boost::json;

namespace {
int shell(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/// Starts the cluster in `dir` and stops it when destroyed.
class LocalSlurm {
public:
  explicit LocalSlurm(std::string dir) : dir_(std::move(dir)) {
    started_ = shell(sourceDir() + "/scripts/slurm-local start " + dir_ + " > " + dir_ + "-start.log 2>&1") == 0;
    if (started_) ::setenv("SLURM_CONF", (dir_ + "/slurm.conf").c_str(), 1);
  }
  ~LocalSlurm() {
    (void)shell(sourceDir() + "/scripts/slurm-local stop " + dir_ + " > /dev/null 2>&1");
    ::unsetenv("SLURM_CONF");
  }
  LocalSlurm(const LocalSlurm&) = delete;
  LocalSlurm& operator=(const LocalSlurm&) = delete;
  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] std::string log() const { return slurp(dir_ + "-start.log"); }

private:
  std::string dir_;
  bool started_ = false;
};
} // namespace

TEST(Slurm, SweepRunsAsAJobArrayAndCollectsResults) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start slurmctld, slurmd and munged";
  if (shell("command -v slurmctld >/dev/null 2>&1 || test -x /usr/sbin/slurmctld") != 0 ||
      shell("command -v sbatch >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "slurm-wlm not installed (scripts/install-deps installs it)";
  ScratchDir dir("slurm");
  LocalSlurm slurm(dir.file("cluster"));
  ASSERT_TRUE(slurm.started()) << slurm.log();

  dir.write("s.yaml", "kind: sweep\nname: slurm\nplatform: " + config("platforms/baseline.yaml") +
                          "\nmodel: " + config("models/tiny-llama.yaml") +
                          "\nrun: {gen_tokens: 3, context: 32}\ngrid:\n  run.batch: [1, 2, 4]\n");
  const std::string out = dir.file("out");
  CliResult r = runLlmvp({"sweep", dir.file("s.yaml"), "-o", out, "--backend", "slurm", "--timeout", "240"});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("submitted Slurm job array"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3/3 points ok"), std::string::npos) << r.out;
  EXPECT_NE(slurp(out + "/slurm/job.sh").find("#SBATCH --array=0-2"), std::string::npos);
  const json::object table = json::parse(slurp(out + "/results.json")).as_object();
  ASSERT_EQ(table.at("points").as_array().size(), 3u);
  for (const auto& p : table.at("points").as_array()) EXPECT_EQ(p.at("status").as_string(), "ok");

  // Resumable: a second run submits nothing.
  r = runLlmvp({"sweep", dir.file("s.yaml"), "-o", out, "--backend", "slurm"});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 already done, 0 to run"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("submitted"), std::string::npos) << r.out;
}
