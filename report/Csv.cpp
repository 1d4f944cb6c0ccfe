// SPDX-License-Identifier: Apache-2.0
#include "report/Csv.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <ostream>

namespace llmvp::testbench {

const std::vector<std::string>& csvColumns() {
  static const std::vector<std::string> cols{"kind",          "name",        "step",        "time_ns",   "end_ns",
                                             "busy_ns",       "mem_wait_ns", "sem_wait_ns", "idle_ns",   "bytes_read",
                                             "bytes_written", "bytes",       "gbps",        "peak_gbps", "count",
                                             "flops",         "energy_j"};
  return cols;
}

std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csvNumber(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer a shorter representation when it round-trips.
  for (int p = 6; p < 17; ++p) {
    char shorter[40];
    std::snprintf(shorter, sizeof shorter, "%.*g", p, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

namespace {
class Row {
public:
  Row(std::string kind, std::string name) {
    values_["kind"] = std::move(kind);
    values_["name"] = std::move(name);
  }
  Row& set(const std::string& col, double v) {
    values_[col] = csvNumber(v);
    return *this;
  }
  void write(std::ostream& os) const {
    bool first = true;
    for (const auto& c : csvColumns()) {
      if (!first) os << ',';
      first = false;
      const auto it = values_.find(c);
      if (it != values_.end()) os << csvField(it->second);
    }
    os << '\n';
  }

private:
  std::map<std::string, std::string> values_;
};
} // namespace

void writeCsv(std::ostream& os, const Report& r) {
  bool first = true;
  for (const auto& c : csvColumns()) {
    os << (first ? "" : ",") << c;
    first = false;
  }
  os << '\n';
  for (std::size_t i = 0; i < r.tpotNs.size(); ++i) {
    Row row("token", "");
    row.set("step", static_cast<double>(i)).set("time_ns", r.tpotNs[i]);
    if (i < r.stepEndNs.size()) row.set("end_ns", r.stepEndNs[i]);
    row.write(os);
  }
  for (const auto& e : r.engines)
    Row("engine", e.name)
        .set("busy_ns", e.busyNs)
        .set("mem_wait_ns", e.memWaitNs)
        .set("sem_wait_ns", e.semWaitNs)
        .set("idle_ns", e.idleNs)
        .write(os);
  for (const auto& m : r.memories)
    Row("memory", m.name)
        .set("bytes_read", m.bytesRead)
        .set("bytes_written", m.bytesWritten)
        .set("bytes", m.bytesRead + m.bytesWritten)
        .set("gbps", m.achievedGBps)
        .set("peak_gbps", m.peakGBps)
        .write(os);
  for (const auto& o : r.operators)
    Row("operator", o.engine + "/" + o.op)
        .set("count", o.count)
        .set("time_ns", o.timeNs)
        .set("bytes", o.bytes)
        .set("flops", o.flops)
        .write(os);
  for (const auto& e : r.energy) Row("energy", e.name).set("energy_j", e.joules).write(os);
}

} // namespace llmvp::testbench
