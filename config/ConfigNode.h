// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Strict, typed access to a YAML config file. Every key a loader reads is
/// recorded; finish() rejects keys nobody read, so a typo is an error, not a
/// silent default. Messages name file, key path, the value given and what
/// was expected:
///   configs/platforms/x.yaml: chip.hbm.stacks: -3 is out of range [1, 64]

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace llmvp::testbench {

/// A user error in configuration or command line: reported, exit code 2.
class ConfigError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// `--set key.path=value` overrides, consumed by the loaders.
class Overrides {
public:
  /// Parses "a.b.c=value"; throws ConfigError on bad syntax.
  void add(const std::string& assignment);
  /// Applies the overrides whose path starts with `prefix` (e.g. "chip.hbm.memspec.")
  /// to `root`, the tree loaded from `file` at logical path `prefix`. A path
  /// that does not exist in the file is an error.
  /// Paths starting with an entry of `exclude` are left for another file.
  /// Paths in `optional` (relative to `prefix`) name optional keys: they are
  /// created when the file does not have them.
  void apply(YAML::Node& root, const std::string& prefix, const std::string& file,
             const std::vector<std::string>& exclude = {}, const std::vector<std::string>& optional = {});
  /// Throws ConfigError naming the first override no loader applied.
  void checkAllUsed() const;

private:
  struct Item {
    std::string path;
    std::string value;
    bool used = false;
  };
  std::vector<Item> items_;
};

class ConfigNode {
public:
  /// Loads `path` (throws ConfigError if unreadable or malformed).
  static ConfigNode load(const std::string& path, Overrides* overrides, const std::string& prefix,
                         const std::vector<std::string>& exclude = {}, const std::vector<std::string>& optional = {});
  ConfigNode(const YAML::Node& node, std::string file, std::string keyPath);

  [[nodiscard]] ConfigNode child(const std::string& key) const;
  [[nodiscard]] bool has(const std::string& key) const;
  [[nodiscard]] double number(const std::string& key, double lo, double hi) const;
  [[nodiscard]] std::uint64_t integer(const std::string& key, std::uint64_t lo, std::uint64_t hi) const;
  [[nodiscard]] std::string string(const std::string& key) const;
  /// A flow or block sequence of integers, each in [lo, hi] (`[4, 4, 4]`).
  [[nodiscard]] std::vector<std::uint64_t> integers(const std::string& key, std::uint64_t lo, std::uint64_t hi) const;
  [[nodiscard]] bool boolean(const std::string& key) const;
  /// A non-empty sequence of mappings, each a node of its own (key path `key[i]`).
  [[nodiscard]] std::vector<ConfigNode> mappings(const std::string& key) const;
  [[nodiscard]] std::string choice(const std::string& key, std::initializer_list<const char*> allowed) const;
  /// Path of a file named by `key`, resolved relative to this file's folder.
  [[nodiscard]] std::string path(const std::string& key) const;
  /// Rejects keys of this mapping that were never read.
  void finish() const;

  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] std::string where(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

private:
  [[nodiscard]] YAML::Node scalar(const std::string& key) const;

  YAML::Node node_;
  std::string file_;
  std::string keyPath_;
  std::shared_ptr<std::set<std::string>> used_;
};

} // namespace llmvp::testbench
