// SPDX-License-Identifier: Apache-2.0
#include "models/common/Stats.h"

#include <stdexcept>
#include <systemc>

namespace llmvp::models {

const char* unitName(Unit u) {
  switch (u) {
  case Unit::Count: return "count";
  case Unit::Bytes: return "bytes";
  case Unit::Ps: return "ps";
  case Unit::Pj: return "pJ";
  case Unit::Flop: return "flop";
  }
  return "?";
}

const Stat* StatsGroup::find(const std::string& name) const {
  for (const auto& s : stats_)
    if (s.name == name) return &s;
  return nullptr;
}

double StatsGroup::value(const std::string& name) const {
  const Stat* s = find(name);
  if (s == nullptr) throw std::out_of_range("statistics of " + path_ + ": no statistic \"" + name + "\"");
  return s->value;
}

double StatsGroup::valueOr(const std::string& name, double absent) const {
  const Stat* s = find(name);
  return s != nullptr ? s->value : absent;
}

namespace {
void walk(const sc_core::sc_object* obj, std::vector<const IHasStats*>& out) {
  if (const auto* s = dynamic_cast<const IHasStats*>(obj)) out.push_back(s);
  // NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): SystemC's object lists hold no null pointer
  for (const sc_core::sc_object* child : obj->get_child_objects()) walk(child, out);
}
} // namespace

std::vector<const IHasStats*> collectStats() {
  std::vector<const IHasStats*> out;
  for (const sc_core::sc_object* top : sc_core::sc_get_top_level_objects()) walk(top, out);
  return out;
}

} // namespace llmvp::models
