// SPDX-License-Identifier: Apache-2.0
#include "config/ConfigNode.h"
#include "config/NumberText.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace llmvp::testbench {

namespace {
std::string show(const YAML::Node& n) {
  if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  return "nothing";
}
} // namespace

void Overrides::add(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == assignment.size())
    throw ConfigError("--set " + assignment + ": expected key.path=value");
  items_.push_back({assignment.substr(0, eq), assignment.substr(eq + 1), false});
}

void Overrides::apply(YAML::Node& root, const std::string& prefix, const std::string& file,
                      const std::vector<std::string>& exclude, const std::vector<std::string>& optional) {
  for (Item& item : items_) {
    if (item.path.compare(0, prefix.size(), prefix) != 0) continue;
    bool excluded = false;
    for (const auto& e : exclude) excluded = excluded || item.path.compare(0, e.size(), e) == 0;
    if (excluded) continue;
    const std::string rel = item.path.substr(prefix.size());
    const bool create = std::find(optional.begin(), optional.end(), rel) != optional.end();
    // Walk to the parent mapping, then replace the leaf; the key must exist.
    std::vector<std::string> parts;
    std::stringstream ss(rel);
    for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
    std::vector<YAML::Node> chain{root};
    std::string walked; // parts[0..i] joined by '.'
    for (std::size_t i = 0; i < parts.size(); ++i) {
      walked += (i == 0 ? "" : ".") + parts[i];
      const YAML::Node& cur = chain.back();
      if (create && cur.IsMap() && !cur[parts[i]]) {
        // An optional key the file leaves out: created (a mapping on the way, the leaf below).
        YAML::Node parent = cur;
        parent[parts[i]] = i + 1 < parts.size() ? YAML::Node(YAML::NodeType::Map) : YAML::Node();
      }
      if (!cur.IsMap() || !cur[parts[i]])
        throw ConfigError("--set " + item.path + ": " + file + " has no key " + walked);
      chain.push_back(cur[parts[i]]);
    }
    YAML::Node value;
    try {
      value = YAML::Load(item.value);
    } catch (const YAML::Exception& e) {
      throw ConfigError("--set " + item.path + ": cannot parse value \"" + item.value + "\": " + e.msg);
    }
    YAML::Node parent = chain[chain.size() - 2];
    parent[parts.back()] = value;
    item.used = true;
  }
}

void Overrides::checkAllUsed() const {
  for (const Item& item : items_)
    if (!item.used)
      throw ConfigError("--set " + item.path +
                        ": no such key (keys start with chip., sim., model. or a memspec path "
                        "such as chip.hbm.memspec.)");
}

ConfigNode ConfigNode::load(const std::string& path, Overrides* overrides, const std::string& prefix,
                            const std::vector<std::string>& exclude, const std::vector<std::string>& optional) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot open file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": malformed YAML: " + e.msg);
  }
  if (!root.IsMap()) throw ConfigError(path + ": expected a mapping at the top level, got " + show(root));
  if (overrides != nullptr) overrides->apply(root, prefix, path, exclude, optional);
  return ConfigNode(root, path, "");
}

ConfigNode::ConfigNode(const YAML::Node& node, std::string file, std::string keyPath)
    : node_(node), file_(std::move(file)), keyPath_(std::move(keyPath)),
      used_(std::make_shared<std::set<std::string>>()) {}

std::string ConfigNode::where(const std::string& key) const {
  return file_ + ": " + (keyPath_.empty() ? key : keyPath_ + "." + key);
}

void ConfigNode::fail(const std::string& key, const std::string& what) const {
  throw ConfigError(where(key) + ": " + what);
}

bool ConfigNode::has(const std::string& key) const { return static_cast<bool>(node_[key]); }

YAML::Node ConfigNode::scalar(const std::string& key) const {
  const YAML::Node n = node_[key];
  if (!n) fail(key, "missing required key");
  used_->insert(key);
  if (!n.IsScalar()) fail(key, "expected a value, got " + show(n));
  return n;
}

ConfigNode ConfigNode::child(const std::string& key) const {
  const YAML::Node n = node_[key];
  if (!n) fail(key, "missing required section");
  if (!n.IsMap()) fail(key, "expected a mapping, got " + show(n));
  used_->insert(key);
  return ConfigNode(n, file_, keyPath_.empty() ? key : keyPath_ + "." + key);
}

double ConfigNode::number(const std::string& key, double lo, double hi) const {
  const YAML::Node n = scalar(key);
  double v = 0;
  try {
    v = n.as<double>();
  } catch (const YAML::Exception&) {
    fail(key, show(n) + " is not a number");
  }
  if (!std::isfinite(v) || v < lo || v > hi)
    fail(key, n.Scalar() + " is out of range [" + significantText(lo, 6) + ", " + significantText(hi, 6) + "]");
  return v;
}

std::uint64_t ConfigNode::integer(const std::string& key, std::uint64_t lo, std::uint64_t hi) const {
  const YAML::Node n = scalar(key);
  long long v = 0;
  try {
    v = n.as<long long>();
  } catch (const YAML::Exception&) {
    fail(key, show(n) + " is not an integer");
  }
  if (v < 0 || static_cast<std::uint64_t>(v) < lo || static_cast<std::uint64_t>(v) > hi)
    fail(key, n.Scalar() + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<std::uint64_t>(v);
}

std::vector<std::uint64_t> ConfigNode::integers(const std::string& key, std::uint64_t lo, std::uint64_t hi) const {
  const YAML::Node n = node_[key];
  if (!n) fail(key, "missing required key");
  used_->insert(key);
  if (!n.IsSequence()) fail(key, "expected a list of integers, got " + show(n));
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    long long v = 0;
    const std::string at = key + "[" + std::to_string(i) + "]";
    if (!n[i].IsScalar()) fail(at, "expected an integer, got " + show(n[i]));
    try {
      v = n[i].as<long long>();
    } catch (const YAML::Exception&) {
      fail(at, show(n[i]) + " is not an integer");
    }
    if (v < 0 || static_cast<std::uint64_t>(v) < lo || static_cast<std::uint64_t>(v) > hi)
      fail(at, n[i].Scalar() + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out.push_back(static_cast<std::uint64_t>(v));
  }
  return out;
}

std::string ConfigNode::string(const std::string& key) const {
  const YAML::Node n = scalar(key);
  if (n.Scalar().empty()) fail(key, "expected a non-empty string");
  return n.Scalar();
}

bool ConfigNode::boolean(const std::string& key) const {
  const YAML::Node n = scalar(key);
  try {
    return n.as<bool>();
  } catch (const YAML::Exception&) {
    fail(key, show(n) + " is not true or false");
  }
}

std::vector<ConfigNode> ConfigNode::mappings(const std::string& key) const {
  const YAML::Node n = node_[key];
  if (!n) fail(key, "missing required key");
  used_->insert(key);
  if (!n.IsSequence() || n.size() == 0) fail(key, "expected a non-empty list of mappings, got " + show(n));
  std::vector<ConfigNode> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string at = key + "[" + std::to_string(i) + "]";
    if (!n[i].IsMap()) fail(at, "expected a mapping, got " + show(n[i]));
    out.emplace_back(n[i], file_, keyPath_.empty() ? at : keyPath_ + "." + at);
  }
  return out;
}

std::string ConfigNode::choice(const std::string& key, std::initializer_list<const char*> allowed) const {
  std::string v = string(key);
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return v;
    list += list.empty() ? a : std::string(", ") + a;
  }
  fail(key, "\"" + v + "\" is not one of: " + list);
}

std::string ConfigNode::path(const std::string& key) const {
  std::string rel = string(key);
  const std::filesystem::path p(rel);
  if (p.is_absolute()) return rel;
  return (std::filesystem::path(file_).parent_path() / p).lexically_normal().string();
}

void ConfigNode::finish() const {
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (used_->count(key) == 0) fail(key, "unknown key");
  }
}

} // namespace llmvp::testbench
