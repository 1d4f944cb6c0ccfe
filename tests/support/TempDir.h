// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A scratch directory for one test, removed when the test ends. Lives under
/// $LLMVP_BINARY_DIR/test-tmp (set by ctest) or the system temp directory,
/// named after the running test, the process id and a counter, so parallel
/// test processes never share files.

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <gtest/gtest.h>
#include <unistd.h>

namespace llmvp::testbench::test {

class TempDir {
public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    const char* bin = std::getenv("LLMVP_BINARY_DIR");
    const std::filesystem::path base =
        bin && *bin ? std::filesystem::path(bin) / "test-tmp" : std::filesystem::temp_directory_path();
    std::string name = "llmvp";
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info())
      name += std::string("-") + info->test_suite_name() + "." + info->name();
    name += "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    path_ = base / name;
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// Path of `file` inside the directory, as a string.
  [[nodiscard]] std::string file(const std::string& file) const { return (path_ / file).string(); }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

} // namespace llmvp::testbench::test
