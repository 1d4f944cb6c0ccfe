// SPDX-License-Identifier: Apache-2.0
#include "testbench/Sweep.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "config/Loaders.h"
#include "report/Csv.h"
#include "report/Html.h"
#include "testbench/Progress.h"
#include "workload/Weights.h"

namespace llmvp::testbench {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

/// Run options a sweep may vary, as `run.<key>`, and the llmvp flag of each.
const std::map<std::string, std::string> kRunKeys{{"batch", "--batch"},
                                                  {"context", "--context"},
                                                  {"gen_tokens", "--gen-tokens"},
                                                  {"seed", "--seed"},
                                                  {"functional", "--functional"}};

std::string scalarText(const YAML::Node& n, const std::string& where) {
  if (!n.IsScalar()) throw ConfigError(where + ": expected a scalar value");
  return n.Scalar();
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string selfExe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("sweep: cannot find the llmvp executable (/proc/self/exe)");
  return p.string();
}

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

/// Builds the point's llmvp arguments from base settings and its values.
void buildArgs(SweepPoint& p, const std::string& platform, const std::string& model,
               const std::vector<std::pair<std::string, std::string>>& base) {
  std::string plat = platform, mod = model;
  std::map<std::string, std::string> run;
  std::vector<std::string> sets;
  auto apply = [&](const std::string& key, const std::string& value) {
    if (key == "platform")
      plat = value;
    else if (key == "model")
      mod = value;
    else if (key.rfind("run.", 0) == 0)
      run[key.substr(4)] = value;
    else
      sets.push_back(key + "=" + value);
  };
  for (const auto& [k, v] : base) apply(k, v);
  for (const auto& [k, v] : p.values) apply(k, v);
  p.args = {"run", "--platform", plat, "--model", mod};
  for (const auto& [k, v] : run) {
    if (k == "functional") {
      if (v == "true") p.args.push_back("--functional");
      continue;
    }
    p.args.push_back(kRunKeys.at(k));
    p.args.push_back(v);
  }
  for (const auto& s : sets) {
    p.args.push_back("--set");
    p.args.push_back(s);
  }
  std::string canon;
  for (const auto& a : p.args) canon += a + '\x1f';
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a(canon)));
  p.id = buf;
}

void checkKey(const std::string& key, const std::string& where) {
  if (key == "platform" || key == "model") return;
  if (key.rfind("run.", 0) == 0) {
    if (kRunKeys.count(key.substr(4)) == 0)
      throw ConfigError(where + ": unknown run option \"" + key +
                        "\" (allowed: run.batch, run.context, run.gen_tokens, run.seed, run.functional)");
    return;
  }
  if (key.empty() || key.find('=') != std::string::npos || key.find(' ') != std::string::npos)
    throw ConfigError(where + ": \"" + key + "\" is not a config key path");
}

std::string resolve(const std::string& specFile, const std::string& value) {
  const fs::path p(value);
  if (p.is_absolute()) return value;
  return (fs::path(specFile).parent_path() / p).lexically_normal().string();
}

/// Results of one point, or null if it has none yet (or they are unreadable).
bool readResult(const std::string& file, json::object& out) {
  std::ifstream f(file);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec) return false;
  try {
    checkRunJson(v, file);
  } catch (const ConfigError&) {
    return false;
  }
  out = std::move(v.as_object());
  return true;
}

double resultNumber(const json::object& res, const char* key) {
  const auto* v = res.if_contains(key);
  if (!v || !v->is_number()) return 0;
  return v->is_double() ? v->as_double() : v->to_number<double>();
}

} // namespace

SweepSpec loadSweepSpec(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot read");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": not valid YAML (" + std::string(e.what()) + ")");
  }
  if (!root.IsMap()) throw ConfigError(path + ": expected a mapping with kind: sweep");
  static const std::set<std::string> allowed{"kind", "name", "description", "platform", "model",
                                             "run",  "set",  "grid",        "points"};
  for (const auto& kv : root) {
    const std::string k = kv.first.as<std::string>();
    if (allowed.count(k) == 0)
      throw ConfigError(path + ": " + k +
                        ": unknown key (allowed: kind, name, description, platform, model, run, set, grid, points)");
  }
  SweepSpec spec;
  spec.file = path;
  if (!root["kind"] || scalarText(root["kind"], path + ": kind") != "sweep")
    throw ConfigError(path + ": kind: expected \"sweep\"");
  spec.name = root["name"] ? scalarText(root["name"], path + ": name") : fs::path(path).stem().string();
  if (spec.name.empty() || spec.name.find_first_of("/ ") != std::string::npos)
    throw ConfigError(path + ": name: \"" + spec.name + "\" must be non-empty without spaces or slashes");
  if (root["description"]) spec.description = scalarText(root["description"], path + ": description");
  if (!root["platform"]) throw ConfigError(path + ": platform: required (path of the base platform config)");
  if (!root["model"]) throw ConfigError(path + ": model: required (path of the base model config)");
  const std::string platform = resolve(path, scalarText(root["platform"], path + ": platform"));
  const std::string model = resolve(path, scalarText(root["model"], path + ": model"));

  std::vector<std::pair<std::string, std::string>> base;
  auto readMap = [&](const YAML::Node& n, const std::string& prefix, const std::string& where) {
    if (!n.IsMap()) throw ConfigError(path + ": " + where + ": expected a mapping of key: value");
    for (const auto& kv : n) {
      const std::string key = prefix + kv.first.as<std::string>();
      checkKey(key, path + ": " + where + "." + kv.first.as<std::string>());
      std::string v = scalarText(kv.second, path + ": " + where + "." + kv.first.as<std::string>());
      if (key == "platform" || key == "model") v = resolve(path, v);
      base.emplace_back(key, v);
    }
  };
  if (root["run"]) readMap(root["run"], "run.", "run");
  if (root["set"]) readMap(root["set"], "", "set");

  // Grid: cartesian product in spec order (last key varies fastest).
  std::vector<std::vector<std::pair<std::string, std::string>>> combos{{}};
  if (root["grid"]) {
    const YAML::Node g = root["grid"];
    if (!g.IsMap() || g.size() == 0) throw ConfigError(path + ": grid: expected a mapping of key: [values]");
    for (const auto& kv : g) {
      const std::string key = kv.first.as<std::string>();
      const std::string where = path + ": grid." + key;
      checkKey(key, where);
      if (!kv.second.IsSequence() || kv.second.size() == 0)
        throw ConfigError(where + ": expected a non-empty list of values");
      spec.axes.push_back(key);
      std::vector<std::vector<std::pair<std::string, std::string>>> next;
      for (const auto& c : combos)
        for (std::size_t i = 0; i < kv.second.size(); ++i) {
          auto e = c;
          std::string v = scalarText(kv.second[i], where + "[" + std::to_string(i) + "]");
          if (key == "platform" || key == "model") v = resolve(path, v);
          e.emplace_back(key, v);
          next.push_back(std::move(e));
        }
      combos = std::move(next);
    }
  }
  // Points: each combined with every grid combination.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> listed{{"", {}}};
  if (root["points"]) {
    const YAML::Node pts = root["points"];
    if (!pts.IsSequence() || pts.size() == 0) throw ConfigError(path + ": points: expected a non-empty list");
    listed.clear();
    for (std::size_t i = 0; i < pts.size(); ++i) {
      const std::string where = path + ": points[" + std::to_string(i) + "]";
      if (!pts[i].IsMap()) throw ConfigError(where + ": expected a mapping of key: value");
      std::string label;
      std::vector<std::pair<std::string, std::string>> values;
      for (const auto& kv : pts[i]) {
        const std::string key = kv.first.as<std::string>();
        if (key == "label") {
          label = scalarText(kv.second, where + ".label");
          continue;
        }
        checkKey(key, where + "." + key);
        std::string v = scalarText(kv.second, where + "." + key);
        if (key == "platform" || key == "model") v = resolve(path, v);
        values.emplace_back(key, v);
        if (std::find(spec.axes.begin(), spec.axes.end(), key) == spec.axes.end()) spec.axes.push_back(key);
      }
      listed.emplace_back(label, values);
    }
  }
  std::set<std::string> ids;
  for (const auto& [label, values] : listed)
    for (const auto& c : combos) {
      SweepPoint p;
      p.values = values;
      p.values.insert(p.values.end(), c.begin(), c.end());
      p.label = label;
      for (const auto& [k, v] : c) {
        const std::string shown = (k == "platform" || k == "model") ? fs::path(v).stem().string() : v;
        p.label += (p.label.empty() ? "" : " ") + k + "=" + shown;
      }
      if (p.label.empty()) p.label = "base";
      buildArgs(p, platform, model, base);
      if (!ids.insert(p.id).second)
        throw ConfigError(path + ": point \"" + p.label + "\" duplicates an earlier point (same arguments)");
      spec.points.push_back(std::move(p));
    }

  // Check every point's configuration now, not half-way through the sweep.
  for (const auto& p : spec.points) {
    Overrides ov;
    std::string plat, mod;
    for (std::size_t i = 1; i + 1 < p.args.size(); ++i) {
      if (p.args[i] == "--set") ov.add(p.args[i + 1]);
      if (p.args[i] == "--platform") plat = p.args[i + 1];
      if (p.args[i] == "--model") mod = p.args[i + 1];
    }
    try {
      (void)loadPlatform(plat, ov);
      (void)loadModel(mod, ov);
      ov.checkAllUsed();
    } catch (const ConfigError& e) {
      throw ConfigError(path + ": point \"" + p.label + "\": " + e.what());
    } catch (const ModelError& e) {
      throw ConfigError(path + ": point \"" + p.label + "\": " + e.what());
    }
  }
  return spec;
}

namespace {

struct Layout {
  fs::path dir, points, slurm;
  [[nodiscard]] std::string json(const SweepPoint& p) const { return (points / (p.id + ".json")).string(); }
  [[nodiscard]] std::string log(const SweepPoint& p) const { return (points / (p.id + ".log")).string(); }
};

std::vector<std::string> pointCommand(const std::string& exe, const SweepPoint& p, const Layout& l) {
  std::vector<std::string> argv{exe};
  argv.insert(argv.end(), p.args.begin(), p.args.end());
  argv.insert(argv.end(), {"--json", l.json(p) + ".tmp", "--progress", "never"});
  return argv;
}

/// Moves a finished point's results into place (the run wrote `.tmp`).
void publish(const SweepPoint& p, const Layout& l) {
  std::error_code ec;
  if (fs::exists(l.json(p) + ".tmp")) fs::rename(l.json(p) + ".tmp", l.json(p), ec);
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& logFile) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    std::vector<char*> raw;
    raw.reserve(argv.size() + 1);
    for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  return pid;
}

void runLocal(const std::vector<const SweepPoint*>& todo, const SweepOptions& o, const Layout& l,
              ProgressLine& progress, std::size_t alreadyDone) {
  const std::string exe = selfExe();
  std::map<pid_t, const SweepPoint*> running;
  std::size_t next = 0, finished = 0;
  const unsigned jobs = std::max(1u, o.jobs);
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && running.size() < jobs) {
      const SweepPoint* p = todo[next++];
      const pid_t pid = spawn(pointCommand(exe, *p, l), l.log(*p));
      if (pid < 0) throw std::runtime_error("sweep: fork failed");
      running[pid] = p;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) break;
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    publish(*it->second, l);
    running.erase(it);
    progress.update(alreadyDone + ++finished);
  }
}

std::string runCapture(const std::string& cmd, int& rc) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) {
    rc = -1;
    return out;
  }
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  const int st = ::pclose(f);
  rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

int runSlurm(const SweepSpec& spec, const std::vector<const SweepPoint*>& todo, const SweepOptions& o, const Layout& l,
             ProgressLine& progress, std::size_t alreadyDone, std::ostream& out) {
  int rc = 0;
  (void)runCapture("command -v sbatch >/dev/null 2>&1", rc);
  if (rc != 0)
    throw ConfigError("--backend slurm: sbatch not found in PATH (install slurm-wlm or use --backend local)");
  fs::create_directories(l.slurm);
  const std::string exe = selfExe();
  {
    std::ofstream tasks(l.slurm / "tasks.txt");
    for (const SweepPoint* p : todo) {
      std::string line;
      for (const auto& a : pointCommand(exe, *p, l)) line += shellQuote(a) + ' ';
      line += "> " + shellQuote(l.log(*p)) + " 2>&1; rc=$?; [ -f " + shellQuote(l.json(*p) + ".tmp") + " ] && mv " +
              shellQuote(l.json(*p) + ".tmp") + ' ' + shellQuote(l.json(*p)) + "; exit $rc";
      tasks << line << '\n';
    }
  }
  {
    std::ofstream job(l.slurm / "job.sh");
    job << "#!/bin/bash\n# Generated by llmvp sweep " << spec.file << ": one array task per point.\n"
        << "#SBATCH --job-name=llmvp-" << spec.name << "\n#SBATCH --output=" << (l.slurm / "task-%A_%a.out").string()
        << "\n#SBATCH --array=0-" << todo.size() - 1 << "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
        << "set -u\nline=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" " << shellQuote((l.slurm / "tasks.txt").string())
        << ")\neval \"$line\"\n";
  }
  fs::permissions(l.slurm / "job.sh", fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  std::string cmd = "sbatch --parsable";
  for (const auto& opt : o.slurmOptions) cmd += ' ' + shellQuote(opt);
  cmd += ' ' + shellQuote((l.slurm / "job.sh").string()) + " 2>&1";
  const std::string reply = runCapture(cmd, rc);
  if (rc != 0) throw std::runtime_error("sbatch failed: " + reply);
  const std::string jobId = reply.substr(0, reply.find_first_of(";\n"));
  out << "sweep " << spec.name << ": submitted Slurm job array " << jobId << " (" << todo.size() << " tasks, "
      << (l.slurm / "job.sh").string() << ")\n";
  if (o.noWait) return 2;
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    int qrc = 0;
    const std::string q = runCapture("squeue -h -j " + shellQuote(jobId) + " -o %i 2>/dev/null", qrc);
    std::size_t done = 0;
    for (const SweepPoint* p : todo) done += fs::exists(l.json(*p)) ? 1 : 0;
    progress.update(alreadyDone + done);
    if (q.find_first_not_of(" \n") == std::string::npos) break;
    if (o.timeoutSeconds > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > o.timeoutSeconds) {
      out << "sweep " << spec.name << ": Slurm job " << jobId << " still running after " << o.timeoutSeconds
          << " s; rerun the same command later to collect the results\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return 0;
}

void writeTables(const SweepSpec& spec, const Layout& l, std::size_t& ok) {
  static const std::vector<std::pair<std::string, const char*>> metrics{
      {"tpot_mean_ns", "tpot_mean_ns"},
      {"tpot_p50_ns", "tpot_p50_ns"},
      {"tpot_p99_ns", "tpot_p99_ns"},
      {"tokens_per_s", "tokens_per_s"},
      {"joules_per_token", "joules_per_token"},
      {"average_watts", "average_watts"},
      {"tokens_per_s_per_w", "tokens_per_s_per_w"},
      {"usd_per_million_tokens", "usd_per_million_tokens"},
      {"gco2e_per_million_tokens", "gco2e_per_million_tokens"}};
  std::vector<std::string> header{"id", "label", "status"};
  header.insert(header.end(), spec.axes.begin(), spec.axes.end());
  for (const auto& m : metrics) header.push_back(m.first);
  header.push_back("hbm_achieved_gbps");

  HtmlTable table;
  table.header = header;
  std::vector<HtmlRun> runs;
  json::array rowsJson;
  std::ofstream csv(l.dir / "results.csv");
  for (std::size_t i = 0; i < header.size(); ++i) csv << (i ? "," : "") << csvField(header[i]);
  csv << '\n';
  ok = 0;
  for (const auto& p : spec.points) {
    json::object doc;
    const bool have = readResult(l.json(p), doc);
    const json::object* res = have ? &doc.at("results").as_object() : nullptr;
    const bool good = res && res->contains("ok") && res->at("ok").is_bool() && res->at("ok").as_bool();
    ok += good ? 1 : 0;
    std::vector<std::string> row{p.id, p.label, !have ? "missing" : good ? "ok" : "failed"};
    json::object rj{{"id", p.id}, {"label", p.label}, {"status", row[2]}, {"file", "points/" + p.id + ".json"}};
    json::object axes;
    for (const auto& axis : spec.axes) {
      std::string v;
      for (const auto& [k, val] : p.values)
        if (k == axis) v = (k == "platform" || k == "model") ? fs::path(val).stem().string() : val;
      row.push_back(v);
      axes[axis] = v;
    }
    rj["values"] = axes;
    json::object mj;
    for (const auto& m : metrics) {
      const double v = res ? resultNumber(*res, m.second) : 0;
      row.push_back(res ? csvNumber(v) : "");
      if (res) mj[m.first] = v;
    }
    double hbm = 0;
    if (res)
      if (const auto* mem = res->at("memories").as_object().if_contains("hbm"))
        hbm = resultNumber(mem->as_object(), "achieved_gbps");
    row.push_back(res ? csvNumber(hbm) : "");
    if (res) mj["hbm_achieved_gbps"] = hbm;
    rj["metrics"] = mj;
    rowsJson.push_back(rj);
    for (std::size_t i = 0; i < row.size(); ++i) csv << (i ? "," : "") << csvField(row[i]);
    csv << '\n';
    // People read 6 significant digits; the CSV and JSON keep every digit.
    for (std::size_t i = 3 + spec.axes.size(); i < row.size(); ++i) {
      if (row[i].empty()) continue;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", std::strtod(row[i].c_str(), nullptr));
      row[i] = buf;
    }
    table.rows.push_back(row);
    if (have) runs.push_back({p.label, std::move(doc)});
  }
  json::array cols;
  for (const auto& h : header) cols.emplace_back(h);
  json::object root{{"sweep", spec.name},
                    {"spec", spec.file},
                    {"description", spec.description},
                    {"columns", cols},
                    {"points", rowsJson}};
  std::ofstream(l.dir / "results.json") << json::serialize(root) << '\n';
  std::ofstream html(l.dir / "report.html");
  writeHtmlReport(html, "llmvp sweep " + spec.name, runs, &table,
                  spec.description.empty() ? "Spec: " + spec.file : spec.description + " (spec: " + spec.file + ")");
}

} // namespace

int runSweep(const SweepSpec& spec, const SweepOptions& o, std::ostream& out) {
  Layout l;
  l.dir = o.outDir.empty() ? fs::path(spec.name + "-sweep") : fs::path(o.outDir);
  l.points = l.dir / "points";
  l.slurm = l.dir / "slurm";
  std::error_code ec;
  fs::create_directories(l.points, ec);
  if (ec) throw ConfigError("-o: cannot create " + l.points.string() + ": " + ec.message());

  std::vector<const SweepPoint*> todo;
  for (const auto& p : spec.points) {
    json::object ignored;
    if (!readResult(l.json(p), ignored)) todo.push_back(&p);
    // A record of what each point ran, for people and for `--backend slurm` tasks.
    std::ofstream args(l.points / (p.id + ".args"));
    for (const auto& a : p.args) args << a << '\n';
  }
  const std::size_t done0 = spec.points.size() - todo.size();
  out << "sweep " << spec.name << ": " << spec.points.size() << " points, " << done0 << " already done, " << todo.size()
      << " to run (" << (o.backend == SweepBackend::Slurm ? "slurm" : "local, -j " + std::to_string(o.jobs)) << ") -> "
      << l.dir.string() << "\n";
  out.flush();
  {
    ProgressLine progress(std::cerr, o.progress, spec.points.size(), "points", 0.1);
    progress.update(done0);
    if (!todo.empty()) {
      if (o.backend == SweepBackend::Local) {
        runLocal(todo, o, l, progress, done0);
      } else {
        const int rc = runSlurm(spec, todo, o, l, progress, done0, out);
        if (rc == 2) return 0; // --no-wait: submitted
        if (rc != 0) return 1;
      }
    }
  }
  std::size_t ok = 0;
  writeTables(spec, l, ok);
  out << "sweep " << spec.name << ": " << ok << "/" << spec.points.size() << " points ok; wrote "
      << (l.dir / "results.csv").string() << ", " << (l.dir / "results.json").string() << ", "
      << (l.dir / "report.html").string() << "\n";
  if (ok != spec.points.size())
    out << "sweep " << spec.name << ": see " << l.points.string() << "/<id>.log of the points not ok\n";
  return ok == spec.points.size() ? 0 : 1;
}

} // namespace llmvp::testbench
