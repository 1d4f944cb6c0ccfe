// SPDX-License-Identifier: Apache-2.0
// Configuration: ConfigNode error messages (exact text naming file and key
// path), loader errors on the shipped configs, --set overrides (apply,
// unknown path, unused, scoping), every shipped config validates, and a
// round trip per schema (platform, memspec, model): load, write the loaded
// parameters back out as YAML with the emitters in ConfigEmit.h, reload,
// compare every field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

#include "config/ConfigNode.h"
#include "config/Loaders.h"
#include "tests/config/ConfigEmit.h"
#include "tests/support/TempDir.h"

namespace llmvp::testbench {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

std::string sourceDir() {
  const char* d = std::getenv("LLMVP_SOURCE_DIR");
  return d ? d : LLMVP_SOURCE_DIR_DEFAULT;
}
std::string config(const std::string& rel) { return sourceDir() + "/configs/" + rel; }
std::string baseline() { return config("platforms/baseline.yaml"); }
std::string tinyLlama() { return config("models/tiny-llama.yaml"); }
/// The baseline's memspec as the platform loader names it (resolved from the platform's folder).
std::string baselineMemspec() {
  const YAML::Node n = YAML::LoadFile(baseline());
  return (fs::path(baseline()).parent_path() / n["chip"]["hbm"]["memspec"].as<std::string>())
      .lexically_normal()
      .string();
}

/// Runs `f`, which must throw ConfigError with exactly `message`.
void expectConfigError(const std::function<void()>& f, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}
/// Same, for messages whose tail comes from a library (yaml-cpp).
void expectConfigErrorStartingWith(const std::function<void()>& f, const std::string& prefix) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << prefix << "...";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).substr(0, prefix.size()), prefix) << e.what();
  }
}

PlatformConfig platformWith(const std::vector<std::string>& sets, const std::string& file = baseline()) {
  Overrides o;
  for (const auto& s : sets) o.add(s);
  PlatformConfig pc = loadPlatform(file, o);
  o.checkAllUsed();
  return pc;
}
ModelSpec modelWith(const std::vector<std::string>& sets, const std::string& file = tinyLlama()) {
  Overrides o;
  for (const auto& s : sets) o.add(s);
  ModelSpec m = loadModel(file, o);
  o.checkAllUsed();
  return m;
}

/// Writes `node` as YAML to `path`.
void writeYaml(const std::string& path, const YAML::Node& node) {
  YAML::Emitter e;
  e << node;
  std::ofstream(path) << e.c_str() << "\n";
}
/// A copy of the baseline platform whose memspec path is absolute, so it can
/// live in a scratch directory; `edit` modifies it first.
std::string editedBaseline(const TempDir& dir, const std::function<void(YAML::Node&)>& edit) {
  YAML::Node n = YAML::LoadFile(baseline());
  n["chip"]["hbm"]["memspec"] = baselineMemspec();
  edit(n);
  const std::string path = dir.file("platform.yaml");
  writeYaml(path, n);
  return path;
}

// ---- ConfigNode -----------------------------------------------------------------------

constexpr const char* kSample = R"(top:
  num: 3
  word: hello
  empty: ""
  flag: true
  neg: -5
  half: 2.5
  list: [1, 2]
  sub:
    x: 1
  file: sub/other.yaml
)";

struct SampleFile {
  TempDir dir;
  std::string path = dir.file("sample.yaml");
  SampleFile() { std::ofstream(path) << kSample; }
  [[nodiscard]] ConfigNode top() const { return ConfigNode::load(path, nullptr, "").child("top"); }
};

TEST(ConfigNode, ReadsTypedValues) {
  SampleFile s;
  const ConfigNode t = s.top();
  EXPECT_EQ(t.number("num", 0, 10), 3.0);
  EXPECT_EQ(t.number("half", 0, 10), 2.5);
  EXPECT_EQ(t.integer("num", 3, 3), 3u) << "bounds are inclusive";
  EXPECT_EQ(t.string("word"), "hello");
  EXPECT_TRUE(t.boolean("flag"));
  EXPECT_EQ(t.choice("word", {"bye", "hello"}), "hello");
  EXPECT_EQ(t.child("sub").number("x", 0, 1), 1.0);
  EXPECT_EQ(t.path("file"), (fs::path(s.dir.path()) / "sub/other.yaml").lexically_normal().string());
  EXPECT_TRUE(t.has("list"));
  EXPECT_FALSE(t.has("nothing"));
}

TEST(ConfigNode, OutOfRangeMessages) {
  SampleFile s;
  const ConfigNode t = s.top();
  const std::string f = s.path + ": top.";
  expectConfigError([&] { (void)t.number("num", 5, 10); }, f + "num: 3 is out of range [5, 10]");
  expectConfigError([&] { (void)t.number("half", 2.75, 1e5); }, f + "half: 2.5 is out of range [2.75, 100000]");
  expectConfigError([&] { (void)t.integer("num", 0, 2); }, f + "num: 3 is out of range [0, 2]");
  expectConfigError([&] { (void)t.integer("neg", 0, 10); }, f + "neg: -5 is out of range [0, 10]");
  expectConfigError([&] { (void)t.child("sub").number("x", 5, 6); }, f + "sub.x: 1 is out of range [5, 6]");
}

TEST(ConfigNode, WrongTypeMessages) {
  SampleFile s;
  const ConfigNode t = s.top();
  const std::string f = s.path + ": top.";
  expectConfigError([&] { (void)t.number("word", 0, 10); }, f + "word: \"hello\" is not a number");
  expectConfigError([&] { (void)t.integer("word", 0, 10); }, f + "word: \"hello\" is not an integer");
  expectConfigError([&] { (void)t.integer("half", 0, 10); }, f + "half: \"2.5\" is not an integer");
  expectConfigError([&] { (void)t.boolean("word"); }, f + "word: \"hello\" is not true or false");
  expectConfigError([&] { (void)t.string("empty"); }, f + "empty: expected a non-empty string");
  expectConfigError([&] { (void)t.number("list", 0, 10); }, f + "list: expected a value, got a list");
  expectConfigError([&] { (void)t.number("sub", 0, 10); }, f + "sub: expected a value, got a mapping");
  expectConfigError([&] { (void)t.child("num"); }, f + "num: expected a mapping, got \"3\"");
  expectConfigError([&] { (void)t.child("list"); }, f + "list: expected a mapping, got a list");
}

TEST(ConfigNode, MissingKeysBadChoiceAndUnknownKeys) {
  SampleFile s;
  const ConfigNode t = s.top();
  const std::string f = s.path + ": top.";
  expectConfigError([&] { (void)t.number("nope", 0, 1); }, f + "nope: missing required key");
  expectConfigError([&] { (void)t.child("nope"); }, f + "nope: missing required section");
  expectConfigError(
      [&] {
        (void)t.choice("word", {"red", "green", "blue"});
      },
      f + "word: \"hello\" is not one of: red, green, blue");
  // finish() names the first key (in file order) nobody read.
  (void)t.number("num", 0, 10);
  (void)t.string("word");
  expectConfigError([&] { t.finish(); }, f + "empty: unknown key");
  for (const char* k : {"empty", "flag", "neg", "half", "list", "sub", "file"}) (void)t.has(k);
  expectConfigError([&] { t.finish(); }, f + "empty: unknown key"); // has() is not a read
}

TEST(ConfigNode, FinishAcceptsWhenEveryKeyWasRead) {
  SampleFile s;
  const ConfigNode root = ConfigNode::load(s.path, nullptr, "");
  const ConfigNode t = root.child("top");
  (void)t.number("num", 0, 10);
  (void)t.string("word");
  (void)t.child("sub");
  expectConfigError([&] { t.finish(); }, s.path + ": top.empty: unknown key");
  EXPECT_NO_THROW(root.finish()) << "each mapping tracks its own keys";
}

TEST(ConfigNode, LoadErrors) {
  TempDir dir;
  const std::string missing = dir.file("missing.yaml");
  expectConfigError([&] { (void)ConfigNode::load(missing, nullptr, ""); }, missing + ": cannot open file");
  const std::string bad = dir.file("bad.yaml");
  std::ofstream(bad) << "a: [1, 2\nb: 3\n";
  expectConfigErrorStartingWith([&] { (void)ConfigNode::load(bad, nullptr, ""); }, bad + ":");
  try {
    (void)ConfigNode::load(bad, nullptr, "");
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("malformed YAML"), std::string::npos) << e.what();
  }
  const std::string list = dir.file("list.yaml");
  std::ofstream(list) << "- 1\n- 2\n";
  expectConfigError([&] { (void)ConfigNode::load(list, nullptr, ""); },
                    list + ": expected a mapping at the top level, got a list");
}

// ---- loader errors on real configs ----------------------------------------------------------

TEST(LoaderErrors, ValuesFromOverridesAreCheckedLikeFileValues) {
  const std::string p = baseline() + ": ";
  expectConfigError([] { (void)platformWith({"chip.cpu.clock_mhz=-3"}); },
                    p + "chip.cpu.clock_mhz: -3 is out of range [1, 100000]");
  expectConfigError([] { (void)platformWith({"chip.tile.matrix.rows=abc"}); },
                    p + "chip.tile.matrix.rows: \"abc\" is not an integer");
  expectConfigError([] { (void)platformWith({"chip.dma.count=9"}); }, p + "chip.dma.count: 9 is out of range [1, 8]");
  expectConfigError([] { (void)platformWith({"chip.cpu.clock_mhz=[1, 2]"}); },
                    p + "chip.cpu.clock_mhz: expected a value, got a list");
  expectConfigError([] { (void)platformWith({"chip.fabric.ports=3"}); },
                    p + "chip.fabric.ports: expected a mapping, got \"3\"");
  expectConfigError([] { (void)platformWith({"chip.ctrl_sram.kib=300000"}); },
                    p + "chip.ctrl_sram.kib: exceeds the 256 MiB control SRAM window");
  // Replacing a section with a mapping lacking a key, or with an extra key.
  expectConfigError([] { (void)platformWith({"chip.cpu={clock_mhz: 1000}"}); },
                    p + "chip.cpu.access_cycles: missing required key");
  expectConfigError([] { (void)platformWith({"chip.cpu={clock_mhz: 1000, access_cycles: 2, turbo: true}"}); },
                    p + "chip.cpu.turbo: unknown key");
}

TEST(LoaderErrors, MemspecAndModelErrorsNameTheirOwnFile) {
  expectConfigError([] { (void)platformWith({"chip.hbm.memspec.controller.refresh=sometimes"}); },
                    baselineMemspec() + ": controller.refresh: \"sometimes\" is not one of: all_bank, per_bank");
  const std::string t = tinyLlama() + ": ";
  expectConfigError([] { (void)modelWith({"model.dtypes.weights=int4"}); },
                    t + "dtypes.weights: \"int4\" is not one of: fp32, bf16, fp8");
  expectConfigError([] { (void)modelWith({"model.tie_embeddings=maybe"}); },
                    t + "tie_embeddings: \"maybe\" is not true or false");
  expectConfigError([] { (void)modelWith({"model.kv_heads=3"}); }, t + "kv_heads: 3 does not divide heads (4)");
  expectConfigError([] { (void)modelWith({}, baseline()); }, baseline() + ": kind: expected \"model\"");
  expectConfigError([] { (void)platformWith({}, tinyLlama()); }, t + "kind: expected \"platform\"");
}

TEST(LoaderErrors, UnknownAndMissingKeysInFiles) {
  TempDir dir;
  const std::string typo = editedBaseline(dir, [](YAML::Node& n) { n["chip"]["dma"]["max_outstandin"] = 4; });
  expectConfigError([&] { (void)platformWith({}, typo); }, typo + ": chip.dma.max_outstandin: unknown key");
  const std::string missing = editedBaseline(dir, [](YAML::Node& n) { n["chip"]["dma"].remove("max_outstanding"); });
  expectConfigError([&] { (void)platformWith({}, missing); },
                    missing + ": chip.dma.max_outstanding: missing required key");
  const std::string top = editedBaseline(dir, [](YAML::Node& n) { n["simulation"] = 1; });
  expectConfigError([&] { (void)platformWith({}, top); }, top + ": simulation: unknown key");
  const std::string noMemspec = editedBaseline(dir, [&](YAML::Node& n) { n["chip"]["hbm"]["memspec"] = "nope.yaml"; });
  expectConfigError([&] { (void)platformWith({}, noMemspec); },
                    noMemspec + ": chip.hbm.memspec: cannot open file " + dir.file("nope.yaml"));
  YAML::Node m = YAML::LoadFile(tinyLlama());
  m["layer"] = 4;
  const std::string model = dir.file("model.yaml");
  writeYaml(model, m);
  expectConfigError([&] { (void)modelWith({}, model); }, model + ": layer: unknown key");
}

// ---- overrides ------------------------------------------------------------------------------

TEST(Overrides, ApplyToPlatformMemspecAndModel) {
  Overrides o;
  for (const char* s : {"chip.cpu.access_cycles=7", "sim.quantum_ns=123.5", "chip.hbm.memspec.controller.latency_ns=20",
                        "model.layers=2", "chip.tile.matrix.macs_per_cycle.bf16=1000"})
    o.add(s);
  const PlatformConfig pc = loadPlatform(baseline(), o);
  const ModelSpec m = loadModel(tinyLlama(), o);
  EXPECT_NO_THROW(o.checkAllUsed());
  EXPECT_EQ(pc.chip.cpu.accessCycles, 7.0);
  EXPECT_EQ(pc.sim.quantumNs, 123.5);
  EXPECT_EQ(pc.chip.hbm.controllerLatencyNs, 20.0);
  EXPECT_EQ(pc.chip.tile.macsPerCycle[1], 1000.0);
  EXPECT_EQ(m.layers, 2u);
  // Untouched values come from the files.
  EXPECT_EQ(pc.chip.cpu.clockMhz, YAML::LoadFile(baseline())["chip"]["cpu"]["clock_mhz"].as<double>());
}

TEST(Overrides, UnknownPathsNameFileAndFullKeyPath) {
  const std::string p = baseline();
  expectConfigError([] { (void)platformWith({"chip.cpu.turbo=1"}); },
                    "--set chip.cpu.turbo: " + p + " has no key chip.cpu.turbo");
  // A path whose last part also occurs earlier in it ("hi" is in "chip").
  expectConfigError([] { (void)platformWith({"chip.hi=1"}); }, "--set chip.hi: " + p + " has no key chip.hi");
  expectConfigError([] { (void)platformWith({"chip.cpu.clock_mhz.x=1"}); },
                    "--set chip.cpu.clock_mhz.x: " + p + " has no key chip.cpu.clock_mhz.x");
  expectConfigError([] { (void)platformWith({"cpu.clock_mhz=1"}); }, "--set cpu.clock_mhz: " + p + " has no key cpu");
  // Memspec paths are relative to the memspec file.
  expectConfigError([] { (void)platformWith({"chip.hbm.memspec.timing.tCL=1"}); },
                    "--set chip.hbm.memspec.timing.tCL: " + baselineMemspec() + " has no key timing.tCL");
  expectConfigError([] { (void)modelWith({"model.layers.x=1"}); },
                    "--set model.layers.x: " + tinyLlama() + " has no key layers.x");
}

TEST(Overrides, UnusedOverrideIsAnError) {
  Overrides o;
  o.add("model.layers=2");
  (void)loadPlatform(baseline(), o); // model. keys are left for the model file
  expectConfigError([&] { o.checkAllUsed(); },
                    "--set model.layers: no such key (keys start with chip., sim., model. or a memspec path such as "
                    "chip.hbm.memspec.)");
}

TEST(Overrides, SyntaxErrors) {
  Overrides o;
  expectConfigError([&] { o.add("chip.cpu.clock_mhz"); }, "--set chip.cpu.clock_mhz: expected key.path=value");
  expectConfigError([&] { o.add("=3"); }, "--set =3: expected key.path=value");
  expectConfigError([&] { o.add("chip.cpu.clock_mhz="); }, "--set chip.cpu.clock_mhz=: expected key.path=value");
  expectConfigErrorStartingWith([] { (void)platformWith({"chip.cpu.clock_mhz=[1,"}); },
                                "--set chip.cpu.clock_mhz: cannot parse value \"[1,\": ");
}

TEST(Overrides, ScopedByPrefixAndExclusion) {
  // The platform file ignores model. keys and leaves chip.hbm.memspec. keys to
  // the memspec; the memspec path key itself belongs to the platform.
  Overrides o;
  o.add("model.hidden=64");
  o.add("chip.hbm.memspec.energy.activate_pj=5");
  const PlatformConfig pc = loadPlatform(baseline(), o);
  EXPECT_EQ(pc.chip.hbm.activatePj, 5.0);
  expectConfigError([&] { o.checkAllUsed(); },
                    "--set model.hidden: no such key (keys start with chip., sim., model. or a memspec path such as "
                    "chip.hbm.memspec.)");
  const ModelSpec m = loadModel(tinyLlama(), o);
  EXPECT_EQ(m.hidden, 64u);
  EXPECT_NO_THROW(o.checkAllUsed());
  // A model file never sees chip. keys.
  Overrides chipOnly;
  chipOnly.add("chip.cpu.clock_mhz=1");
  EXPECT_NO_THROW((void)loadModel(tinyLlama(), chipOnly));
  EXPECT_THROW(chipOnly.checkAllUsed(), ConfigError);
}

// ---- shipped configs -------------------------------------------------------------------------

TEST(ShippedConfigs, EveryConfigValidates) {
  std::map<std::string, int> validated;
  for (const auto& entry : fs::recursive_directory_iterator(sourceDir() + "/configs")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
    const std::string f = entry.path().string();
    const std::string kind = YAML::LoadFile(f)["kind"].as<std::string>("");
    SCOPED_TRACE(f);
    Overrides none;
    try {
      if (kind == "platform") {
        (void)loadPlatform(f, none);
      } else if (kind == "model") {
        (void)loadModel(f, none);
      } else if (kind == "memspec") {
        models::dram::DramParams p;
        loadMemspec(f, none, "chip.hbm.memspec.", p);
      } else {
        continue; // other kinds (e.g. sweep specs) have their own tests
      }
      ++validated[kind];
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_GE(validated["platform"], 1);
  EXPECT_GE(validated["model"], 2);
  EXPECT_GE(validated["memspec"], 1);
}

TEST(Config, OptionalKeysCanBeSetWhereAFileLeavesThemOut) {
  // hbm3e-8000 has no RREFD_ACT (it defaults to RREFD), lowlat8 no
  // reduction_mode or read_request_bytes: --set adds them, within range.
  const PlatformConfig a = platformWith({"chip.hbm.memspec.timing.RREFD_ACT=8"});
  EXPECT_EQ(a.chip.hbm.c.RREFD_ACT, 8u);
  EXPECT_EQ(platformWith({}).chip.hbm.c.RREFD_ACT, platformWith({}).chip.hbm.c.RREFD);
  expectConfigErrorStartingWith([] { (void)platformWith({"chip.hbm.memspec.timing.RREFD_ACT=99"}); },
                                config("memory/hbm3e-8000.yaml") + ": timing.RREFD_ACT: 99 is out of range [1, 16]");
  const PlatformConfig s =
      platformWith({"system.topology.switch.reduction_mode=pull", "system.topology.link.read_request_bytes=32"},
                   config("systems/lowlat8.yaml"));
  EXPECT_EQ(s.system.topology.switchParams.mode, models::interconnect::ReductionMode::Pull);
  EXPECT_EQ(s.system.topology.link.readRequestBytes, 32u);
  EXPECT_EQ(platformWith({}, config("systems/lowlat8.yaml")).system.topology.link.readRequestBytes,
            platformWith({}, config("systems/lowlat8.yaml")).system.topology.link.headerBytes);
}

// ---- round trips ----------------------------------------------------------------------------

TEST(RoundTrip, PlatformWithItsMemspec) {
  // Odd values first, so lossy conversions (KiB, MiB, GiB) would show.
  const PlatformConfig a =
      platformWith({"chip.tile.chunk_kib=3", "chip.cpu.access_cycles=2.5", "sim.quantum_ns=1234.5678",
                    "chip.dma.count=3", "chip.fabric.ports.hbm.latency_ns=0.1"});
  TempDir dir;
  std::ofstream(dir.file("memspec.yaml")) << emitMemspec(a.chip.hbm);
  std::ofstream(dir.file("platform.yaml")) << emitPlatform(a, "memspec.yaml");
  const PlatformConfig b = platformWith({}, dir.file("platform.yaml"));
  expectSamePlatform(a, b);
  EXPECT_EQ(b.memspecFile, dir.file("memspec.yaml"));
  EXPECT_EQ(b.chip.tile.engine.chunkBytes, 3u * 1024);
  EXPECT_EQ(b.chip.dmaCount, 3u);
}

TEST(RoundTrip, EveryShippedMemspec) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(config("memory"))) {
    if (entry.path().extension() != ".yaml") continue;
    if (configKind(entry.path().string()) == ConfigKind::Flashspec) continue; // FlashSpecTest.cpp
    SCOPED_TRACE(entry.path().string());
    Overrides none;
    models::dram::DramParams a;
    loadMemspec(entry.path().string(), none, "chip.hbm.memspec.", a);
    TempDir dir;
    std::ofstream(dir.file("memspec.yaml")) << emitMemspec(a);
    models::dram::DramParams b;
    loadMemspec(dir.file("memspec.yaml"), none, "chip.hbm.memspec.", b);
    expectSameDram(a, b);
    ++n;
  }
  EXPECT_GE(n, 1);
}

TEST(RoundTrip, EveryShippedModel) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(config("models"))) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const ModelSpec a = modelWith({}, entry.path().string());
    TempDir dir;
    std::ofstream(dir.file("model.yaml")) << emitModel(a);
    const ModelSpec b = modelWith({}, dir.file("model.yaml"));
    expectSameModel(a, b);
    ++n;
  }
  EXPECT_GE(n, 2);
}

TEST(RoundTrip, EveryShippedSystem) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(config("systems"))) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const PlatformConfig a = platformWith({}, entry.path().string());
    TempDir dir;
    std::ofstream(dir.file("system.yaml")) << emitSystem(a, fs::absolute(a.file).string());
    const PlatformConfig b = platformWith({}, dir.file("system.yaml"));
    expectSameSystem(a, b);
    ++n;
  }
  EXPECT_GE(n, 5);
}

TEST(RoundTrip, SystemWithNonDefaultValues) {
  // Optional keys away from their defaults, odd numbers, a pipeline.
  const PlatformConfig a = platformWith(
      {"system.parallel.tensor=1", "system.parallel.pipeline=8", "system.topology.link.read_request_bytes=24",
       "system.topology.switch.reduction_mode=push", "system.topology.link.bit_error_rate=1.25e-9",
       "system.collectives.reliability.policy=previous", "system.collectives.reliability.timeout_ns=1234.5678"},
      config("systems/nvlink8.yaml"));
  TempDir dir;
  std::ofstream(dir.file("system.yaml")) << emitSystem(a, fs::absolute(a.file).string());
  const PlatformConfig b = platformWith({}, dir.file("system.yaml"));
  expectSameSystem(a, b);
  EXPECT_EQ(b.system.topology.link.readRequestBytes, 24u);
  EXPECT_EQ(b.parallel.pipeline, 8u);
}

TEST(RoundTrip, SystemWithDataParallelAttention) {
  const PlatformConfig a = platformWith({"system.parallel.attention=data"}, config("systems/lowlat8.yaml"));
  EXPECT_TRUE(a.parallel.dataAttention);
  TempDir dir;
  std::ofstream(dir.file("system.yaml")) << emitSystem(a, fs::absolute(a.file).string());
  const PlatformConfig b = platformWith({}, dir.file("system.yaml"));
  expectSameSystem(a, b);
  EXPECT_TRUE(b.parallel.dataAttention);
}

TEST(RoundTrip, ModelWithNonDefaultValues) {
  const ModelSpec a = modelWith({"model.rms_eps=3.3e-7", "model.rope_theta=12345.678", "model.tie_embeddings=true",
                                 "model.dtypes.kv=fp8", "model.weights.init_std=0.0123"});
  TempDir dir;
  std::ofstream(dir.file("model.yaml")) << emitModel(a);
  const ModelSpec b = modelWith({}, dir.file("model.yaml"));
  expectSameModel(a, b);
  EXPECT_EQ(b.rmsEps, 3.3e-7f);
  EXPECT_EQ(b.kvDtype, models::DType::Fp8E4M3);
}

} // namespace
} // namespace llmvp::testbench
