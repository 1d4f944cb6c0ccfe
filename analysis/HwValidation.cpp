// SPDX-License-Identifier: Apache-2.0
#include "analysis/HwValidation.h"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <sys/wait.h>
#include <systemc>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "analysis/MemTrace.h"
#include "config/ConfigNode.h"
#include "config/Loaders.h"
#include "config/NumberText.h"

namespace llmvp::testbench {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace po = boost::program_options;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;

struct Quantization {
  std::string weights; ///< "" = none
  std::uint64_t groupSize = 0;
};

struct HwRow {
  std::string id, role, kind, setup, source, blockedBy;
  std::string platform, model; ///< resolved paths
  Quantization quant;
  std::vector<std::string> sets; ///< `set:` overrides of the row's run (key=value)
  std::uint32_t context = 1, genTokens = 1;
  std::uint32_t prefillChunk = 0; ///< ttft rows: prompt of `context` tokens prefilled in chunks of this
  double achievableGBps = 0;      ///< achievable HBM bandwidth of the setup (power cap); 0: the platform's own
  double measuredTokensPerS = 0;  ///< decode rows
  double measuredGBps = 0;        ///< bandwidth rows
  double boundPct = 0;
  double measuredTtftMs = 0; ///< ttft rows
  /// A row that runs `llmvp run` (decode or ttft), not a memory benchmark.
  [[nodiscard]] bool decode() const { return kind == "decode" || kind == "ttft"; }
  /// Measured figure: ms per token (decode), ms to the first token (ttft) or GB/s (bandwidth).
  [[nodiscard]] double measured() const {
    return kind == "ttft" ? measuredTtftMs : decode() ? 1e3 / measuredTokensPerS : measuredGBps;
  }
};

struct StreamSpec {
  std::uint32_t requestBytes = 4096, requests = 4096, window = 32;
};

struct RowsFile {
  std::string file;
  std::string kernelOverheadRow;
  std::vector<std::pair<std::string, std::string>> dequantRows; ///< (int8|int4, row id)
  StreamSpec stream;
  std::vector<HwRow> rows;
};

RowsFile loadRows(const std::string& path) {
  RowsFile f;
  f.file = path;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": cannot read (" + std::string(e.what()) + ")");
  }
  if (!root.IsMap()) throw ConfigError(path + ": expected a mapping with kind, calibration and rows");
  YAML::Node settings = YAML::Clone(root); // every key but the rows list, read strictly
  settings.remove("rows");
  const ConfigNode top(settings, path, "");
  if (top.string("kind") != "hw-validation") top.fail("kind", "expected \"hw-validation\"");
  {
    const ConfigNode c = top.child("calibration");
    f.kernelOverheadRow = c.string("kernel_overhead_row");
    if (c.has("dequant_rows")) {
      const ConfigNode d = c.child("dequant_rows");
      for (const char* t : {"int8", "int4"})
        if (d.has(t)) f.dequantRows.emplace_back(t, d.string(t));
      d.finish();
    }
    const ConfigNode s = c.child("stream");
    f.stream.requestBytes = static_cast<std::uint32_t>(s.integer("request_bytes", 32, 1u << 26));
    f.stream.requests = static_cast<std::uint32_t>(s.integer("requests", 1, 1u << 24));
    f.stream.window = static_cast<std::uint32_t>(s.integer("window", 1, 1u << 16));
    s.finish();
    c.finish();
  }
  const YAML::Node rows = root["rows"];
  if (!rows || !rows.IsSequence() || rows.size() == 0) top.fail("rows", "expected a non-empty list of rows");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string where = "rows[" + std::to_string(i) + "]";
    if (!rows[i].IsMap()) throw ConfigError(path + ": " + where + ": expected a mapping");
    YAML::Node rowNode = YAML::Clone(rows[i]);
    HwRow r;
    if (const YAML::Node s = rowNode["set"]) { // list of --set key=value overrides
      if (!s.IsSequence()) throw ConfigError(path + ": " + where + ".set: expected a list of key=value strings");
      for (const auto& item : s) {
        const std::string v = item.IsScalar() ? item.Scalar() : "";
        if (v.find('=') == std::string::npos || v.front() == '=')
          throw ConfigError(path + ": " + where + ".set: \"" + v + "\" is not key=value");
        r.sets.push_back(v);
      }
      rowNode.remove("set");
    }
    const ConfigNode n(rowNode, path, where);
    r.id = n.string("id");
    for (const HwRow& o : f.rows)
      if (o.id == r.id) n.fail("id", "\"" + r.id + "\" is used by an earlier row");
    r.role = n.choice("role", {"calibration", "validation", "blocked"});
    r.setup = n.string("setup");
    r.source = n.string("source");
    if (r.role == "blocked") {
      r.blockedBy = n.string("blocked_by");
      n.finish();
      f.rows.push_back(r);
      continue;
    }
    r.kind = n.choice("kind", {"decode", "ttft", "bandwidth"});
    r.platform = n.path("platform");
    if (!fs::exists(r.platform)) n.fail("platform", "cannot open file " + r.platform);
    if (r.decode()) {
      r.model = n.path("model");
      if (!fs::exists(r.model)) n.fail("model", "cannot open file " + r.model);
      if (n.has("quantization")) {
        const ConfigNode q = n.child("quantization");
        r.quant.weights = q.choice("weights", {"int8", "int4"});
        r.quant.groupSize = q.integer("group_size", 2, 1u << 20);
        q.finish();
      }
      r.context = static_cast<std::uint32_t>(n.integer("context", 1, 1u << 30));
      r.genTokens = static_cast<std::uint32_t>(n.integer("gen_tokens", 1, 4096));
      if (n.has("achievable_gbps")) r.achievableGBps = n.number("achievable_gbps", 1e-3, 1e9);
      if (r.kind == "ttft") {
        r.prefillChunk = static_cast<std::uint32_t>(n.integer("prefill_chunk", 1, 1u << 20));
        r.measuredTtftMs = n.number("measured_ttft_ms", 1e-9, 1e12);
      } else {
        r.measuredTokensPerS = n.number("measured_tokens_per_s", 1e-6, 1e12);
      }
    } else {
      r.measuredGBps = n.number("measured_gbps", 1e-6, 1e12);
    }
    r.boundPct = n.number("bound_pct", 0, 1000);
    n.finish();
    f.rows.push_back(r);
  }
  top.finish();
  const auto it =
      std::find_if(f.rows.begin(), f.rows.end(), [&](const HwRow& r) { return r.id == f.kernelOverheadRow; });
  if (it == f.rows.end() || it->role != "calibration" || it->kind != "decode")
    throw ConfigError(path + ": calibration.kernel_overhead_row: \"" + f.kernelOverheadRow +
                      "\" is not a decode row with role calibration");
  for (const auto& [type, id] : f.dequantRows) {
    const auto d = std::find_if(f.rows.begin(), f.rows.end(), [&want = id](const HwRow& r) { return r.id == want; });
    if (d == f.rows.end() || d->role != "calibration" || d->kind != "decode" || d->quant.weights != type)
      throw ConfigError(path + ": calibration.dequant_rows." + type + ": \"" + id +
                        "\" is not a decode row with role calibration and " + type + " weights");
  }
  return f;
}

// ---------------------------------------------------------------- DRAM stream

/// Achievable bandwidth of a platform's HBM under a STREAM-like read
/// benchmark: sequential reads at full rate, on one stack (stacks are
/// independent and identical), scaled to the platform's stacks.
struct StreamResult {
  std::string platform, memspec;
  std::uint32_t stacks = 1;
  double peakGBps = 0, detailedGBps = 0, fastGBps = 0; ///< whole platform
};

class StreamBench {
public:
  StreamBench(const std::vector<std::string>& platforms, const StreamSpec& s) {
    std::size_t i = 0;
    for (const std::string& p : platforms) {
      Overrides none;
      const PlatformConfig pc = loadPlatform(p, none);
      models::dram::DramParams one = pc.chip.hbm;
      one.stacks = 1;
      std::vector<TraceRequest> trace(s.requests);
      for (std::uint32_t k = 0; k < s.requests; ++k) {
        trace[k].addr = static_cast<std::uint64_t>(k) * s.requestBytes;
        trace[k].bytes = s.requestBytes;
      }
      PlayOptions o;
      o.window = s.window;
      o.fullRate = true;
      Item it;
      it.result.platform = p;
      it.result.memspec = pc.memspecFile;
      it.result.stacks = pc.chip.hbm.stacks;
      it.result.peakGBps = pc.chip.hbm.peakGBps();
      it.trace = trace;
      it.options = o;
      const std::string tag = "stream" + std::to_string(i++);
      it.fast = std::make_unique<FastReplay>((tag + "_fast").c_str(), one);
      it.detailed = std::make_unique<DetailedReplay>((tag + "_detailed").c_str(), one, trace, o);
      items_.push_back(std::move(it));
    }
  }
  /// Runs the detailed replays (one sc_start) and the fast ones.
  std::map<std::string, StreamResult> run() {
    sc_core::sc_start();
    std::map<std::string, StreamResult> out;
    for (Item& it : items_) {
      const double stacks = it.result.stacks;
      it.result.detailedGBps = it.detailed->result().gbps() * stacks;
      it.result.fastGBps = it.fast->run(it.trace, it.options).gbps() * stacks;
      out[it.result.platform] = it.result;
    }
    return out;
  }

private:
  struct Item {
    StreamResult result;
    std::vector<TraceRequest> trace;
    PlayOptions options;
    std::unique_ptr<FastReplay> fast;
    std::unique_ptr<DetailedReplay> detailed;
  };
  std::vector<Item> items_;
};

// ---------------------------------------------------------------- decode runs

std::string selfExe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the llmvp executable (/proc/self/exe)");
  return p.string();
}

/// A scratch folder for the runs' files, removed at the end.
class WorkDir {
public:
  WorkDir() {
    path_ = fs::temp_directory_path() / ("llmvp-hw-" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
  fs::path path_;
};

struct RunOutcome {
  bool ok = false;
  std::string error;
  double tpotMs = 0;
  double ttftMs = 0;
  double tileDescriptorsPerStep = 0;
  double hbmGBps = 0;
};

/// One pending `llmvp run` of a row.
struct Job {
  const HwRow* row = nullptr;
  std::vector<std::string> argv;
  std::string jsonFile, logFile;
  RunOutcome outcome;
};

/// The model file of a row: the row's model, or a copy with its quantization section.
std::string modelFor(const HwRow& r, const WorkDir& dir, const std::string& tag) {
  if (r.quant.weights.empty()) return r.model;
  std::ifstream in(r.model);
  std::stringstream s;
  s << in.rdbuf();
  std::string file = dir.file(tag + "-model.yaml");
  std::ofstream out(file);
  out << s.str() << "\nquantization:\n  weights: " << r.quant.weights << "\n  group_size: " << r.quant.groupSize
      << "\n";
  return file;
}

Job makeJob(const HwRow& r, const WorkDir& dir, const std::string& tag, const std::vector<std::string>& extraSets) {
  Job j;
  j.row = &r;
  j.jsonFile = dir.file(tag + ".json");
  j.logFile = dir.file(tag + ".log");
  j.argv = {selfExe(),
            "run",
            "--platform",
            r.platform,
            "--model",
            modelFor(r, dir, tag),
            "--timing-only",
            "--batch",
            "1",
            "--context",
            std::to_string(r.context),
            "--gen-tokens",
            std::to_string(r.genTokens),
            "--progress",
            "never",
            "--json",
            j.jsonFile};
  if (r.prefillChunk > 0) {
    j.argv.push_back("--prefill-chunk");
    j.argv.push_back(std::to_string(r.prefillChunk));
  }
  std::vector<std::string> sets = r.sets;
  sets.insert(sets.end(), extraSets.begin(), extraSets.end());
  // The setup's achievable bandwidth (a power cap) limits the on-chip path to
  // HBM: the SMs' clock, not the DRAM, is what a power cap lowers.
  if (r.achievableGBps > 0)
    sets.push_back("chip.fabric.ports.hbm.bandwidth_gbps=" + significantText(r.achievableGBps, 6));
  for (const auto& s : sets) {
    j.argv.push_back("--set");
    j.argv.push_back(s);
  }
  return j;
}

RunOutcome readOutcome(const Job& j, int status) {
  RunOutcome o;
  std::ifstream f(j.jsonFile);
  if (!f || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream log(j.logFile);
    std::stringstream s;
    s << log.rdbuf();
    o.error = "llmvp run failed (" + (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : "signal") +
              "): " + s.str();
    return o;
  }
  std::stringstream s;
  s << f.rdbuf();
  const json::object res = json::parse(s.str()).as_object().at("results").as_object();
  o.ok = res.at("ok").as_bool();
  o.tpotMs = res.at("tpot_mean_ns").to_number<double>() * 1e-6;
  if (const auto* t = res.if_contains("ttft_mean_ns")) o.ttftMs = t->to_number<double>() * 1e-6;
  const double steps = std::max(1.0, res.at("steps").to_number<double>());
  double tile = 0;
  for (const auto& op : res.at("operators").as_array()) {
    const json::object& oo = op.as_object();
    if (std::string(oo.at("engine").as_string()).find("tile") != std::string::npos)
      tile += oo.at("count").to_number<double>();
  }
  o.tileDescriptorsPerStep = tile / steps;
  for (const auto& m : res.at("memories").as_object())
    if (m.key() == "hbm") o.hbmGBps = m.value().as_object().at("achieved_gbps").to_number<double>();
  return o;
}

/// Runs the jobs, at most `parallel` at a time.
void runJobs(std::vector<Job>& jobs, unsigned parallel) {
  std::map<pid_t, Job*> running;
  std::size_t next = 0;
  parallel = std::max(1u, parallel);
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && running.size() < parallel) {
      Job& j = jobs[next++];
      const pid_t pid = ::fork();
      if (pid == 0) {
        const int fd = ::open(j.logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
          ::dup2(fd, 1);
          ::dup2(fd, 2);
          ::close(fd);
        }
        std::vector<char*> raw;
        for (auto& a : j.argv) raw.push_back(a.data());
        raw.push_back(nullptr);
        ::execv(raw[0], raw.data());
        ::_exit(127);
      }
      if (pid < 0) throw std::runtime_error("fork failed");
      running[pid] = &j;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) break;
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    it->second->outcome = readOutcome(*it->second, status);
    running.erase(it);
  }
}

RunOutcome runOne(const HwRow& r, const WorkDir& dir, const std::string& tag, const std::vector<std::string>& sets) {
  std::vector<Job> jobs{makeJob(r, dir, tag, sets)};
  runJobs(jobs, 1);
  if (!jobs[0].outcome.ok && jobs[0].outcome.error.empty()) jobs[0].outcome.error = "run reported ok: false";
  return jobs[0].outcome;
}

std::vector<std::string> platformsOf(const RowsFile& f) {
  std::vector<std::string> out;
  for (const HwRow& r : f.rows)
    if (r.role != "blocked" && std::find(out.begin(), out.end(), r.platform) == out.end()) out.push_back(r.platform);
  return out;
}

std::string shortName(const std::string& path) { return fs::path(path).stem().string(); }

void printStreams(std::ostream& os, const std::map<std::string, StreamResult>& s, const StreamSpec& spec) {
  os << "Achievable HBM bandwidth: STREAM-like sequential reads, " << spec.requests << " x " << spec.requestBytes
     << " B per stack at full rate, " << spec.window << " in flight (scaled to the platform's stacks)\n";
  os << "  platform        memspec              stacks  peak GB/s   detailed GB/s        fast GB/s\n";
  for (const auto& [p, r] : s) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-15s %-20s %6u %10.1f %10.1f (%5.1f%%) %10.1f (%5.1f%%)\n",
                  shortName(p).c_str(), shortName(r.memspec).c_str(), r.stacks, r.peakGBps, r.detailedGBps,
                  100 * r.detailedGBps / r.peakGBps, r.fastGBps, 100 * r.fastGBps / r.peakGBps);
    os << line;
  }
}

struct Options {
  std::string rowsFile, jsonFile, only;
  bool check = false;
  unsigned jobs = 1;
};

Options parse(const std::string& cmd, const std::vector<std::string>& args, bool validate) {
  Options o;
  po::options_description desc(cmd + " options");
  desc.add_options()("help,h", "show these options")(
      "rows", po::value(&o.rowsFile)->default_value("configs/validation/hardware.yaml"),
      "rows file")("json", po::value(&o.jsonFile), "write the results as JSON")(
      "check", po::bool_switch(&o.check),
      validate ? "exit 1 if a row is outside its bound"
               : "exit 1 if a config holds a value other than the derived one");
  if (validate)
    desc.add_options()("only", po::value(&o.only), "comma-separated row ids")(
        "jobs,j", po::value(&o.jobs)->default_value(1), "simulations in parallel");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << "llmvp " << cmd << " [options]\n\n" << desc;
      o.rowsFile.clear();
      return o;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(cmd + ": " + e.what());
  }
  return o;
}

void writeJson(const std::string& file, const json::value& v) {
  if (file.empty()) return;
  std::ofstream f(file);
  if (!f) throw ConfigError("--json: cannot write " + file);
  f << json::serialize(v) << "\n";
}

json::object streamJson(const StreamResult& r) {
  return {{"platform", shortName(r.platform)}, {"memspec", shortName(r.memspec)}, {"stacks", r.stacks},
          {"peak_gbps", r.peakGBps},           {"detailed_gbps", r.detailedGBps}, {"fast_gbps", r.fastGBps}};
}

} // namespace

// ---------------------------------------------------------------- calibrate

namespace {
int calibrateImpl(const std::vector<std::string>& args) {
  const Options o = parse("calibrate", args, false);
  if (o.rowsFile.empty()) return kExitOk;
  const RowsFile f = loadRows(o.rowsFile);
  std::size_t used = 0, calib = 0;
  std::cout << "Rows (" << f.file << "):\n";
  for (const HwRow& r : f.rows) {
    if (r.role == "blocked") continue;
    ++used;
    if (r.role == "calibration") ++calib;
    std::cout << "  " << r.id << "  " << r.role << "  " << r.setup << "  [" << r.source << "]\n";
  }
  std::cout << "  calibration rows: " << calib << " of " << used << " rows used\n\n";

  json::object out;
  // 1. Achievable HBM bandwidth: the DRAM models under a streaming read.
  StreamBench bench(platformsOf(f), f.stream);
  const std::map<std::string, StreamResult> streams = bench.run();
  printStreams(std::cout, streams, f.stream);
  json::array sj;
  for (const auto& kv : streams) sj.push_back(streamJson(kv.second));
  out["streams"] = sj;

  // 2. Achievable bandwidth of a power-capped setup.
  std::cout << "\nPower cap: rows with achievable_gbps limit the on-chip path to HBM "
               "(chip.fabric.ports.hbm.bandwidth_gbps):\n";
  for (const HwRow& r : f.rows) {
    if (r.role == "blocked" || r.achievableGBps <= 0) continue;
    const StreamResult& s = streams.at(r.platform);
    std::cout << "  " << r.id << ": " << fixedText(r.achievableGBps, 0) << " GB/s (" << r.source << ")"
              << (r.achievableGBps < s.fastGBps
                      ? " < the DRAM model's " + fixedText(s.fastGBps, 0) + " GB/s: binds"
                      : " >= the DRAM model's " + fixedText(s.fastGBps, 0) + " GB/s: does not bind")
              << "\n";
  }

  // 3. Per-kernel overhead (chip.tile.dispatch_cycles) from one decode row.
  const HwRow& row =
      *std::find_if(f.rows.begin(), f.rows.end(), [&](const HwRow& r) { return r.id == f.kernelOverheadRow; });
  Overrides none;
  const PlatformConfig pc = loadPlatform(row.platform, none);
  const double clockMhz = pc.chip.tile.engine.clockMhz;
  const double measuredMs = row.measured();
  WorkDir dir;
  std::cout << "\nPer-kernel overhead (chip.tile.dispatch_cycles) from row " << row.id << " (" << row.setup
            << "): measured " << fixedText(measuredMs, 4) << " ms per token\n";
  const RunOutcome zero = runOne(row, dir, "zero", {"chip.tile.dispatch_cycles=0"});
  if (!zero.ok) throw std::runtime_error(zero.error);
  std::cout << "  dispatch_cycles = 0: " << fixedText(zero.tpotMs, 4) << " ms per token, "
            << fixedText(zero.tileDescriptorsPerStep, 1) << " tile descriptors (kernels) per token, HBM "
            << fixedText(zero.hbmGBps, 0) << " GB/s\n";
  double cycles = std::max(0.0, (measuredMs - zero.tpotMs) * 1e6 / zero.tileDescriptorsPerStep * clockMhz * 1e-3);
  double prevCycles = 0, prevMs = zero.tpotMs, ms = 0;
  for (int it = 0; it < 3; ++it) {
    const RunOutcome r =
        runOne(row, dir, "iter" + std::to_string(it), {"chip.tile.dispatch_cycles=" + significantText(cycles, 6)});
    if (!r.ok) throw std::runtime_error(r.error);
    ms = r.tpotMs;
    std::cout << "  dispatch_cycles = " << fixedText(cycles, 1) << ": " << fixedText(ms, 4) << " ms per token ("
              << signedFixedText(100 * (ms / measuredMs - 1), 2) << "%)\n";
    if (std::abs(ms / measuredMs - 1) < 0.002 || ms == prevMs) break;
    const double slope = (ms - prevMs) / (cycles - prevCycles); // secant step
    prevCycles = cycles;
    prevMs = ms;
    cycles = std::max(0.0, cycles + (measuredMs - ms) / slope);
  }
  const double overheadNs = cycles / clockMhz * 1e3;
  std::cout << "  => per-kernel overhead " << fixedText(overheadNs * 1e-3, 3) << " us = " << fixedText(cycles, 1)
            << " cycles at " << fixedText(clockMhz, 0) << " MHz\n";
  out["kernel_overhead"] = {{"row", row.id},
                            {"measured_ms", measuredMs},
                            {"zero_overhead_ms", zero.tpotMs},
                            {"kernels_per_token", zero.tileDescriptorsPerStep},
                            {"overhead_ns", overheadNs},
                            {"final_ms", ms}};

  // 4. Dequantisation work per weight (chip.tile.vector.dequant_ops.<type>)
  // from one row per weight type, with the derived per-kernel overhead.
  const std::string dispatchSet = "chip.tile.dispatch_cycles=" + significantText(cycles, 6);
  json::array deqJson;
  bool dequantMatch = true;
  for (const auto& [type, id] : f.dequantRows) {
    const HwRow& dr =
        *std::find_if(f.rows.begin(), f.rows.end(), [&want = id](const HwRow& r) { return r.id == want; });
    const std::string key = "chip.tile.vector.dequant_ops." + type;
    const double target = dr.measured();
    std::cout << "\nDequantisation (" << key << ", vector operations per weight) from row " << dr.id << " (" << dr.setup
              << "): measured " << fixedText(target, 4) << " ms per token\n";
    auto eval = [&](double ops, const std::string& tag) {
      const RunOutcome r = runOne(dr, dir, tag, {dispatchSet, key + "=" + significantText(ops, 6)});
      if (!r.ok) throw std::runtime_error(r.error);
      return r.tpotMs;
    };
    double lo = 0, hi = 16;
    const double atZero = eval(lo, type + "-lo");
    std::cout << "  " << type << " dequant_ops = 0: " << fixedText(atZero, 4) << " ms per token\n";
    double atHi = eval(hi, type + "-hi");
    while (atHi < target && hi < 1024) {
      hi *= 2;
      atHi = eval(hi, type + "-hi");
    }
    double ops = 0, got = atZero;
    if (atZero < target && atHi >= target) {
      for (int it = 0; it < 30; ++it) { // bisection: TPOT does not fall as the work per weight grows
        ops = 0.5 * (lo + hi);
        got = eval(ops, type + "-mid");
        if (std::abs(got / target - 1) < 5e-4) break;
        (got < target ? lo : hi) = ops;
      }
    }
    std::cout << "  => " << fixedText(ops, 2) << " operations per weight: " << fixedText(got, 4) << " ms per token ("
              << signedFixedText(100 * (got / target - 1), 2) << "%)\n";
    Overrides n3;
    const PlatformConfig dc = loadPlatform(dr.platform, n3);
    const double have = dc.chip.tile.dequantOps[type == "int8" ? 0 : 1];
    const bool match = std::abs(have - ops) <= 0.01 * ops + 0.005;
    dequantMatch = dequantMatch && match;
    std::cout << "  " << fs::path(dr.platform).filename().string() << ": derived " << fixedText(ops, 2)
              << ", config has " << fixedText(have, 2) << (match ? "  ok" : "  DIFFERS") << "\n";
    deqJson.push_back(json::object{
        {"type", type}, {"row", dr.id}, {"derived", ops}, {"config", have}, {"match", match}, {"final_ms", got}});
  }
  out["dequant_ops"] = deqJson;

  // Every *-like platform beside the row's platform carries the same overhead
  // in time (no decode row of its own), converted at its tile clock.
  std::cout << "\nDerived values vs the configs (chip.tile.dispatch_cycles; the same overhead in ns at each tile "
               "clock):\n";
  bool allMatch = dequantMatch;
  json::array cfg;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(row.platform).parent_path()))
    if (e.path().extension() == ".yaml" && e.path().stem().string().size() > 5 &&
        e.path().stem().string().compare(e.path().stem().string().size() - 5, 5, "-like") == 0)
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    Overrides n2;
    const PlatformConfig c = loadPlatform(p.string(), n2);
    const double want = overheadNs * c.chip.tile.engine.clockMhz * 1e-3;
    const double have = c.chip.tile.engine.dispatchCycles;
    const bool match = std::abs(have - want) <= 0.01 * want + 0.5;
    allMatch = allMatch && match;
    std::cout << "  " << p.filename().string() << ": derived " << fixedText(want, 0) << ", config has "
              << fixedText(have, 0) << (match ? "  ok" : "  DIFFERS") << "\n";
    cfg.push_back(json::object{{"platform", p.stem().string()}, {"derived", want}, {"config", have}, {"match", match}});
  }
  out["dispatch_cycles"] = cfg;
  writeJson(o.jsonFile, out);
  return o.check && !allMatch ? kExitFailed : kExitOk;
}

// ---------------------------------------------------------------- validate-hw

int validateHwImpl(const std::vector<std::string>& args) {
  const Options o = parse("validate-hw", args, true);
  if (o.rowsFile.empty()) return kExitOk;
  RowsFile f = loadRows(o.rowsFile);
  if (!o.only.empty()) {
    std::vector<std::string> ids;
    std::stringstream ss(o.only);
    for (std::string id; std::getline(ss, id, ',');) {
      if (std::none_of(f.rows.begin(), f.rows.end(), [&](const HwRow& r) { return r.id == id; }))
        throw ConfigError("--only: no row \"" + id + "\" in " + f.file);
      ids.push_back(id);
    }
    f.rows.erase(std::remove_if(f.rows.begin(), f.rows.end(),
                                [&](const HwRow& r) { return std::find(ids.begin(), ids.end(), r.id) == ids.end(); }),
                 f.rows.end());
  }
  std::vector<std::string> bwPlatforms;
  for (const HwRow& r : f.rows)
    if (r.role != "blocked" && !r.decode()) bwPlatforms.push_back(r.platform);
  StreamBench bench(bwPlatforms, f.stream);
  const std::map<std::string, StreamResult> streams = bench.run();

  WorkDir dir;
  std::vector<Job> jobs;
  jobs.reserve(f.rows.size());
  for (const HwRow& r : f.rows)
    if (r.role != "blocked" && r.decode()) jobs.push_back(makeJob(r, dir, r.id, {}));
  runJobs(jobs, o.jobs);

  std::cout << "id   role         predicted      measured       error    bound  setup\n";
  json::array rowsJson;
  double sumAbs = 0, worst = 0;
  std::string worstId;
  std::size_t held = 0;
  bool allWithin = true, anyFailed = false;
  for (const HwRow& r : f.rows) {
    json::object rj{{"id", r.id}, {"role", r.role}, {"setup", r.setup}, {"source", r.source}};
    if (r.role == "blocked") {
      rj["blocked_by"] = r.blockedBy;
      rowsJson.push_back(rj);
      continue;
    }
    double predicted = 0;
    const std::string unit = r.kind == "ttft" ? "ms" : r.decode() ? "ms/token" : "GB/s";
    if (r.decode()) {
      const auto it = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.row == &r; });
      if (!it->outcome.ok) {
        std::cout << r.id << ": " << (it->outcome.error.empty() ? "run not ok" : it->outcome.error) << "\n";
        anyFailed = true;
        continue;
      }
      predicted = r.kind == "ttft" ? it->outcome.ttftMs : it->outcome.tpotMs;
      rj["hbm_gbps"] = it->outcome.hbmGBps;
    } else {
      // What every run uses: the fast model (the detailed one is reported beside it).
      predicted = streams.at(r.platform).fastGBps;
      rj["detailed_gbps"] = streams.at(r.platform).detailedGBps;
    }
    const double err = predicted / r.measured() - 1;
    const bool within = std::abs(err) * 100 <= r.boundPct;
    allWithin = allWithin && within;
    if (r.role == "validation" && r.kind == "decode") {
      ++held;
      sumAbs += std::abs(err);
      if (std::abs(err) > std::abs(worst)) {
        worst = err;
        worstId = r.id;
      }
    }
    char line[512];
    std::snprintf(line, sizeof line, "%-4s %-12s %8.3f %-5s %8.3f %-5s %+7.1f%% %5.0f%%%s  %s\n", r.id.c_str(),
                  r.role.c_str(), predicted, r.decode() ? "ms" : "GB/s", r.measured(), r.decode() ? "ms" : "GB/s",
                  100 * err, r.boundPct, within ? "" : " !", r.setup.c_str());
    std::cout << line;
    if (!r.decode())
      std::cout << "     (fast DRAM model; the detailed model gives "
                << fixedText(streams.at(r.platform).detailedGBps, 1) << " GB/s, "
                << signedFixedText(100 * (streams.at(r.platform).detailedGBps / r.measured() - 1), 1) << "%)\n";
    rj["kind"] = r.kind;
    rj["unit"] = unit;
    rj["predicted"] = predicted;
    rj["measured"] = r.measured();
    rj["error"] = err;
    rj["bound_pct"] = r.boundPct;
    rj["within_bound"] = within;
    rowsJson.push_back(rj);
  }
  for (const HwRow& r : f.rows)
    if (r.role == "blocked") std::cout << r.id << "   blocked: " << r.blockedBy << " (" << r.setup << ")\n";
  json::object out{{"rows", rowsJson}};
  if (held > 0) {
    const double mae = sumAbs / static_cast<double>(held);
    std::cout << "held-out decode rows: " << held << ", mean absolute error " << fixedText(100 * mae, 1) << "%, worst "
              << signedFixedText(100 * worst, 1) << "% (" << worstId << ")\n";
    out["held_out_decode_rows"] = held;
    out["mae"] = mae;
    out["worst_error"] = worst;
  }
  writeJson(o.jsonFile, out);
  if (anyFailed) return kExitFailed;
  return o.check && !allWithin ? kExitFailed : kExitOk;
}

/// Runs `impl`; a failed simulation or fork (not a usage error) is exit code 1.
int guarded(int (*impl)(const std::vector<std::string>&), const std::vector<std::string>& args, const char* cmd) {
  try {
    return impl(args);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::runtime_error& e) {
    std::cerr << "llmvp " << cmd << ": " << e.what() << "\n";
    return kExitFailed;
  }
}
} // namespace

int calibrateCommand(const std::vector<std::string>& args) { return guarded(calibrateImpl, args, "calibrate"); }
int validateHwCommand(const std::vector<std::string>& args) { return guarded(validateHwImpl, args, "validate-hw"); }

} // namespace llmvp::testbench
