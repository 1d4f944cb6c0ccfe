// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Runs the built `llmvp` binary as a subprocess (each simulation in its own
/// process) and captures exit code, stdout and stderr.

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace llmvp::test {

inline std::string sourceDir() {
  const char* d = std::getenv("LLMVP_SOURCE_DIR");
  return d ? d : LLMVP_SOURCE_DIR_DEFAULT;
}
inline std::string binaryDir() {
  const char* d = std::getenv("LLMVP_BINARY_DIR");
  return d ? d : LLMVP_BINARY_DIR_DEFAULT;
}
inline std::string config(const std::string& rel) { return sourceDir() + "/configs/" + rel; }
/// Every configs/platforms/*.yaml, sorted.
inline std::vector<std::string> platformConfigs() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(config("platforms")))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// A fresh directory for one test's files (removed at destruction).
class ScratchDir {
public:
  explicit ScratchDir(const std::string& tag) {
    path_ = std::filesystem::path(binaryDir()) / "test-tmp" / (tag + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(file(name)) << text; }

private:
  std::filesystem::path path_;
};

struct CliResult {
  int exitCode = -1;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Runs `llmvp args...`; arguments are passed without a shell.
inline CliResult runLlmvp(const std::vector<std::string>& args) {
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(std::rand());
  const std::string outFile = binaryDir() + "/test-tmp/out-" + tag, errFile = binaryDir() + "/test-tmp/err-" + tag;
  std::filesystem::create_directories(binaryDir() + "/test-tmp");
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!std::freopen(outFile.c_str(), "w", stdout) || !std::freopen(errFile.c_str(), "w", stderr)) ::_exit(127);
    std::vector<std::string> argv{binaryDir() + "/llmvp"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CliResult r;
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(outFile);
  r.err = slurp(errFile);
  std::filesystem::remove(outFile);
  std::filesystem::remove(errFile);
  return r;
}

/// Runs a simulation with --json and returns the parsed report's "results".
inline boost::json::object runJson(std::vector<std::string> args, const ScratchDir& dir, const std::string& name,
                                   CliResult* raw = nullptr) {
  const std::string json = dir.file(name + ".json");
  args.insert(args.begin(), "run");
  args.push_back("--json");
  args.push_back(json);
  CliResult r = runLlmvp(args);
  if (raw) *raw = r;
  if (r.exitCode != 0) return {};
  return boost::json::parse(slurp(json)).as_object();
}

inline double num(const boost::json::value& v) {
  return v.is_double() ? v.as_double() : static_cast<double>(v.to_number<double>());
}

} // namespace llmvp::test
