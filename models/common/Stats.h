// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Named statistics owned by modules. Each module that has statistics
/// implements IHasStats; the collector walks the sc_object tree and gathers
/// every group, so no registry has to be passed around.

#include <deque>
#include <string>
#include <vector>

namespace llmvp::models {

enum class Unit { Count, Bytes, Ps, Pj, Flop };

[[nodiscard]] const char* unitName(Unit u);

struct Stat {
  std::string name;
  std::string description;
  Unit unit;
  double value = 0.0;

  Stat& operator+=(double v) {
    value += v;
    return *this;
  }
};

/// The statistics of one module. References returned by add() stay valid
/// for the group's lifetime.
class StatsGroup {
public:
  explicit StatsGroup(std::string path) : path_(std::move(path)) {}
  StatsGroup(const StatsGroup&) = delete;
  StatsGroup& operator=(const StatsGroup&) = delete;

  Stat& add(std::string name, std::string description, Unit unit) {
    return stats_.emplace_back(Stat{std::move(name), std::move(description), unit, 0.0});
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::deque<Stat>& stats() const { return stats_; }
  /// Value of the statistic `name`. A name the group does not have is a
  /// caller's bug (a misspelling must not read as 0): throws
  /// std::out_of_range naming the group and the statistic.
  [[nodiscard]] double value(const std::string& name) const;
  /// The statistic `name`, or nullptr if the group has none: for statistics
  /// a module creates on first use (per-semaphore waits, per-opcode counts)
  /// or only in some configurations.
  [[nodiscard]] const Stat* find(const std::string& name) const;
  /// Value of the optional statistic `name`, or `absent` if the group has
  /// none (see find()).
  [[nodiscard]] double valueOr(const std::string& name, double absent) const;

private:
  std::string path_;
  std::deque<Stat> stats_;
};

/// Kind of component, used by reports to group statistics.
enum class ComponentKind { Cpu, Engine, Memory, Fabric, Other };

class IHasStats {
public:
  virtual ~IHasStats() = default;
  [[nodiscard]] virtual const StatsGroup& stats() const = 0;
  [[nodiscard]] virtual ComponentKind componentKind() const = 0;
};

/// Every IHasStats module under the current simulation's top-level objects,
/// in hierarchy order (deterministic).
[[nodiscard]] std::vector<const IHasStats*> collectStats();

} // namespace llmvp::models
