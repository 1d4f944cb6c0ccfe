// SPDX-License-Identifier: Apache-2.0
// workload/Weights: random weights, config.json and safetensors
// checkpoints (written on the fly into a scratch directory), ModelSpec sizes.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/TempDir.h"
#include "workload/ModelSpec.h"
#include "workload/Weights.h"

namespace llmvp::testbench {
namespace {

using models::DType;
using test::TempDir;

ModelSpec tinySpec() {
  ModelSpec s;
  s.name = "tiny";
  s.layers = 2;
  s.hidden = 64;
  s.heads = 4;
  s.kvHeads = 2;
  s.headDim = 16;
  s.ffn = 128;
  s.vocab = 97;
  return s;
}

/// All tensors of `w` in a fixed order, with their HF names, for comparisons.
std::vector<std::pair<std::string, const std::vector<float>*>> tensors(const Weights& w) {
  std::vector<std::pair<std::string, const std::vector<float>*>> t = {
      {"embed", &w.embed}, {"finalNorm", &w.finalNorm}, {"lmHead", &w.lmHead}};
  for (std::size_t i = 0; i < w.layers.size(); ++i) {
    const auto& l = w.layers[i];
    const std::string p = "layer" + std::to_string(i) + ".";
    for (const auto& [n, v] : std::vector<std::pair<std::string, const std::vector<float>*>>{{"attnNorm", &l.attnNorm},
                                                                                             {"wq", &l.wq},
                                                                                             {"wk", &l.wk},
                                                                                             {"wv", &l.wv},
                                                                                             {"wo", &l.wo},
                                                                                             {"ffnNorm", &l.ffnNorm},
                                                                                             {"wGate", &l.wGate},
                                                                                             {"wUp", &l.wUp},
                                                                                             {"wDown", &l.wDown}})
      t.emplace_back(p + n, v);
  }
  return t;
}

void expectSameWeights(const Weights& a, const Weights& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  const auto ta = tensors(a);
  const auto tb = tensors(b);
  for (std::size_t i = 0; i < ta.size(); ++i) EXPECT_EQ(*ta[i].second, *tb[i].second) << ta[i].first;
}

template <typename Fn>
std::string errorOf(Fn&& fn) {
  try {
    fn();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "<no ModelError thrown>";
}

// ------------------------------------------------------------------ ModelSpec

TEST(ModelSpec, Llama31_8BParameterCount) {
  ModelSpec s;
  s.layers = 32;
  s.hidden = 4096;
  s.heads = 32;
  s.kvHeads = 8;
  s.headDim = 128;
  s.ffn = 14336;
  s.vocab = 128256;
  s.tieEmbeddings = false;
  EXPECT_EQ(s.totalParams(), 8'030'261'248ull);
  s.tieEmbeddings = true;
  EXPECT_EQ(s.totalParams(), 8'030'261'248ull - 128256ull * 4096);
}

TEST(ModelSpec, TinyParameterCountMatchesRandomWeights) {
  const ModelSpec s = tinySpec();
  const Weights w = makeRandomWeights(s, 1);
  std::uint64_t n = w.embed.size() + w.finalNorm.size() + w.lmHead.size();
  for (const auto& l : w.layers)
    n += l.attnNorm.size() + l.wq.size() + l.wk.size() + l.wv.size() + l.wo.size() + l.ffnNorm.size() + l.wGate.size() +
         l.wUp.size() + l.wDown.size();
  EXPECT_EQ(n, s.totalParams());
}

// ------------------------------------------------------------------ random

TEST(RandomWeights, ShapesFollowTheHfLayout) {
  const ModelSpec s = tinySpec();
  const Weights w = makeRandomWeights(s, 7);
  EXPECT_EQ(w.embed.size(), 97u * 64);
  EXPECT_EQ(w.lmHead.size(), 97u * 64);
  EXPECT_EQ(w.finalNorm.size(), 64u);
  ASSERT_EQ(w.layers.size(), 2u);
  for (const auto& l : w.layers) {
    EXPECT_EQ(l.attnNorm.size(), 64u);
    EXPECT_EQ(l.wq.size(), 64u * 64);
    EXPECT_EQ(l.wk.size(), 32u * 64);
    EXPECT_EQ(l.wv.size(), 32u * 64);
    EXPECT_EQ(l.wo.size(), 64u * 64);
    EXPECT_EQ(l.ffnNorm.size(), 64u);
    EXPECT_EQ(l.wGate.size(), 128u * 64);
    EXPECT_EQ(l.wUp.size(), 128u * 64);
    EXPECT_EQ(l.wDown.size(), 64u * 128);
  }
  EXPECT_NO_THROW(validateWeights(s, w));
}

TEST(RandomWeights, SameSeedSameWeights) {
  const ModelSpec s = tinySpec();
  expectSameWeights(makeRandomWeights(s, 42), makeRandomWeights(s, 42));
}

TEST(RandomWeights, DifferentSeedsChangeEveryTensor) {
  const ModelSpec s = tinySpec();
  const Weights a = makeRandomWeights(s, 1);
  const Weights b = makeRandomWeights(s, 2);
  const auto ta = tensors(a);
  const auto tb = tensors(b);
  for (std::size_t i = 0; i < ta.size(); ++i) EXPECT_NE(*ta[i].second, *tb[i].second) << ta[i].first;
}

TEST(RandomWeights, TensorsAreDistinctStreams) {
  const Weights w = makeRandomWeights(tinySpec(), 3);
  EXPECT_NE(w.layers[0].wq, w.layers[1].wq);
  EXPECT_NE(w.layers[0].wk, w.layers[0].wv);
  EXPECT_NE(w.layers[0].wGate, w.layers[0].wUp);
  EXPECT_NE(w.embed, w.lmHead);
  EXPECT_NE(w.layers[0].attnNorm, w.layers[0].ffnNorm);
}

TEST(RandomWeights, AddingLayersKeepsEarlierTensors) {
  ModelSpec s2 = tinySpec();
  ModelSpec s3 = s2;
  s3.layers = 3;
  const Weights a = makeRandomWeights(s2, 5);
  const Weights b = makeRandomWeights(s3, 5);
  EXPECT_EQ(a.embed, b.embed);
  EXPECT_EQ(a.finalNorm, b.finalNorm);
  EXPECT_EQ(a.lmHead, b.lmHead);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(a.layers[i].wq, b.layers[i].wq);
    EXPECT_EQ(a.layers[i].wDown, b.layers[i].wDown);
    EXPECT_EQ(a.layers[i].attnNorm, b.layers[i].attnNorm);
  }
}

TEST(RandomWeights, ValuesAreRepresentableInTheWeightDtype) {
  for (DType t : {DType::Bf16, DType::Fp8E4M3, DType::Fp32}) {
    ModelSpec s = tinySpec();
    s.weightDtype = t;
    s.initStd = 0.1f;
    const Weights w = makeRandomWeights(s, 11);
    for (const auto& [name, v] : tensors(w))
      for (float x : *v) ASSERT_EQ(models::roundTo(t, x), x) << dtypeName(t) << " " << name;
  }
  // fp32 weights are not accidentally bf16 values.
  ModelSpec s = tinySpec();
  s.weightDtype = DType::Fp32;
  const Weights w = makeRandomWeights(s, 11);
  std::size_t notBf16 = 0;
  for (float x : w.layers[0].wq) notBf16 += models::roundTo(DType::Bf16, x) != x;
  EXPECT_GT(notBf16, w.layers[0].wq.size() / 2);
}

TEST(RandomWeights, DistributionsMatchTheContract) {
  ModelSpec s = tinySpec();
  s.weightDtype = DType::Fp32;
  s.initStd = 0.05f;
  const Weights w = makeRandomWeights(s, 9);
  auto moments = [](const std::vector<float>& v) {
    double sum = 0, sq = 0;
    for (float x : v) sum += x;
    const double mean = sum / static_cast<double>(v.size());
    for (float x : v) sq += (x - mean) * (x - mean);
    return std::pair<double, double>(mean, std::sqrt(sq / static_cast<double>(v.size())));
  };
  const auto [wm, ws] = moments(w.layers[1].wGate); // 8192 samples
  EXPECT_NEAR(wm, 0.0, 0.003);
  EXPECT_NEAR(ws, 0.05, 0.003);
  const auto [em, es] = moments(w.embed);
  EXPECT_NEAR(em, 0.0, 0.004);
  EXPECT_NEAR(es, 0.05, 0.004);
  std::vector<float> norms;
  for (const auto& l : w.layers) {
    norms.insert(norms.end(), l.attnNorm.begin(), l.attnNorm.end());
    norms.insert(norms.end(), l.ffnNorm.begin(), l.ffnNorm.end());
  }
  norms.insert(norms.end(), w.finalNorm.begin(), w.finalNorm.end());
  const auto [nm, ns] = moments(norms); // 320 samples
  EXPECT_NEAR(nm, 1.0, 0.03);
  EXPECT_NEAR(ns, 0.1, 0.02);
}

TEST(RandomWeights, TiedHeadIsTheEmbedding) {
  ModelSpec s = tinySpec();
  s.tieEmbeddings = true;
  const Weights w = makeRandomWeights(s, 4);
  EXPECT_EQ(w.lmHead, w.embed);
  // Untied and tied share every other tensor.
  s.tieEmbeddings = false;
  const Weights u = makeRandomWeights(s, 4);
  EXPECT_EQ(u.embed, w.embed);
  EXPECT_EQ(u.layers[1].wo, w.layers[1].wo);
}

TEST(RandomWeights, RejectsInvalidSpec) {
  ModelSpec s = tinySpec();
  s.kvHeads = 3;
  EXPECT_NE(errorOf([&] { (void)makeRandomWeights(s, 1); }).find("kvHeads: 3 does not divide heads 4"),
            std::string::npos);
  s = tinySpec();
  s.headDim = 15;
  EXPECT_NE(errorOf([&] { (void)makeRandomWeights(s, 1); }).find("headDim"), std::string::npos);
  s = tinySpec();
  s.vocab = 0;
  EXPECT_NE(errorOf([&] { (void)makeRandomWeights(s, 1); }).find("vocab"), std::string::npos);
}

TEST(ValidateWeights, NamesTheWrongTensor) {
  const ModelSpec s = tinySpec();
  Weights w = makeRandomWeights(s, 1);
  w.layers[1].wv.pop_back();
  EXPECT_NE(errorOf([&] { validateWeights(s, w); }).find("model.layers.1.self_attn.v_proj.weight"), std::string::npos);
}

// ------------------------------------------------------------------ safetensors helpers

/// One tensor of a hand-built safetensors file.
struct RawTensor {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::string bytes;
  std::string offsetsOverride; ///< JSON text replacing data_offsets if non-empty
};

void putLe(std::string& out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// fp32 -> binary16 for values that are exact normal fp16 numbers or zero.
std::uint16_t toF16Exact(float v) {
  if (v == 0.0f) return std::signbit(v) ? 0x8000 : 0;
  int e;
  const float m = std::frexp(std::fabs(v), &e); // |v| = m * 2^e, m in [0.5, 1)
  const auto mant = static_cast<std::uint32_t>(std::ldexp(m * 2.0f - 1.0f, 10));
  EXPECT_EQ(std::ldexp(1.0f + static_cast<float>(mant) / 1024.0f, e - 1), std::fabs(v)) << "not fp16-exact: " << v;
  return static_cast<std::uint16_t>((v < 0 ? 0x8000u : 0u) | (static_cast<std::uint32_t>(e - 1 + 15) << 10) | mant);
}

std::string encode(const std::vector<float>& v, const std::string& dtype) {
  std::string out;
  for (float x : v) {
    if (dtype == "F32")
      putLe(out, models::floatBits(x), 4);
    else if (dtype == "BF16")
      putLe(out, models::toBf16(x), 2);
    else if (dtype == "F16")
      putLe(out, toF16Exact(x), 2);
    else
      out.append(dtype == "I8" ? 1 : 4, '\0');
  }
  return out;
}

/// The HF tensors of `w` for `s`, encoded as `dtype`.
std::vector<RawTensor> hfTensors(const ModelSpec& s, const Weights& w, const std::string& dtype) {
  const std::uint64_t h = s.hidden;
  std::vector<RawTensor> t;
  auto add = [&](const std::string& name, std::vector<std::uint64_t> shape, const std::vector<float>& v) {
    t.push_back({name, dtype, std::move(shape), encode(v, dtype), ""});
  };
  add("model.embed_tokens.weight", {s.vocab, h}, w.embed);
  for (std::uint32_t i = 0; i < s.layers; ++i) {
    const auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "input_layernorm.weight", {h}, l.attnNorm);
    add(p + "self_attn.q_proj.weight", {s.qDim(), h}, l.wq);
    add(p + "self_attn.k_proj.weight", {s.kvDim(), h}, l.wk);
    add(p + "self_attn.v_proj.weight", {s.kvDim(), h}, l.wv);
    add(p + "self_attn.o_proj.weight", {h, s.qDim()}, l.wo);
    add(p + "post_attention_layernorm.weight", {h}, l.ffnNorm);
    add(p + "mlp.gate_proj.weight", {s.ffn, h}, l.wGate);
    add(p + "mlp.up_proj.weight", {s.ffn, h}, l.wUp);
    add(p + "mlp.down_proj.weight", {h, s.ffn}, l.wDown);
  }
  add("model.norm.weight", {h}, w.finalNorm);
  if (!s.tieEmbeddings) add("lm_head.weight", {s.vocab, h}, w.lmHead);
  return t;
}

void writeRaw(const std::string& path, const std::vector<RawTensor>& tensors) {
  std::string header = R"({"__metadata__":{"format":"pt"})";
  std::string data;
  for (const auto& t : tensors) {
    std::string shape;
    for (auto d : t.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    const std::string offsets = t.offsetsOverride.empty() ? "[" + std::to_string(data.size()) + "," +
                                                                std::to_string(data.size() + t.bytes.size()) + "]"
                                                          : t.offsetsOverride;
    header += ",\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":[" + shape +
              "],\"data_offsets\":" + offsets + "}";
    data += t.bytes;
  }
  header += "}";
  std::string file;
  putLe(file, header.size(), 8);
  file += header + data;
  std::ofstream out(path, std::ios::binary);
  out.write(file.data(), static_cast<std::streamsize>(file.size()));
  ASSERT_TRUE(out.good());
}

RawTensor& findTensor(std::vector<RawTensor>& t, const std::string& name) {
  for (auto& r : t)
    if (r.name == name) return r;
  ADD_FAILURE() << "no tensor " << name;
  return t.front();
}

// ------------------------------------------------------------------ safetensors

TEST(Safetensors, RoundTripBf16) {
  TempDir dir;
  const ModelSpec s = tinySpec();
  const Weights w = makeRandomWeights(s, 21);
  const std::string path = dir.file("model.safetensors");
  writeSafetensors(path, s, w);
  // Header length + 8-byte aligned JSON + 2 bytes per parameter.
  const auto size = std::filesystem::file_size(path);
  EXPECT_GT(size, 2 * s.totalParams());
  std::ifstream in(path, std::ios::binary);
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  std::uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | len[i];
  EXPECT_EQ(headerLen % 8, 0u);
  EXPECT_EQ(size, 8 + headerLen + 2 * s.totalParams());
  expectSameWeights(loadSafetensors(path, s), w);
}

TEST(Safetensors, RoundTripFp32Fp8AndTied) {
  TempDir dir;
  for (DType t : {DType::Fp32, DType::Fp8E4M3}) {
    for (bool tied : {false, true}) {
      ModelSpec s = tinySpec();
      s.weightDtype = t;
      s.tieEmbeddings = tied;
      s.initStd = 0.1f;
      const Weights w = makeRandomWeights(s, 22);
      const std::string path = dir.file(std::string(dtypeName(t)) + (tied ? "-tied" : "") + ".safetensors");
      writeSafetensors(path, s, w);
      const std::uint64_t bytesPerParam = t == DType::Fp32 ? 4 : 2;
      EXPECT_GT(std::filesystem::file_size(path), bytesPerParam * s.totalParams());
      EXPECT_LT(std::filesystem::file_size(path), bytesPerParam * s.totalParams() + 8192);
      expectSameWeights(loadSafetensors(path, s), w);
    }
  }
}

TEST(Safetensors, LoadRoundsToTheSpecDtype) {
  TempDir dir;
  ModelSpec s32 = tinySpec();
  s32.weightDtype = DType::Fp32;
  const Weights w = makeRandomWeights(s32, 23);
  const std::string path = dir.file("f32.safetensors");
  writeSafetensors(path, s32, w);
  ModelSpec sb = s32;
  sb.weightDtype = DType::Bf16;
  const Weights b = loadSafetensors(path, sb);
  for (std::size_t i = 0; i < w.layers[0].wq.size(); ++i)
    ASSERT_EQ(b.layers[0].wq[i], models::roundTo(DType::Bf16, w.layers[0].wq[i]));
}

TEST(Safetensors, LoadsF16AndMixedDtypes) {
  TempDir dir;
  ModelSpec s = tinySpec();
  s.layers = 1;
  Weights w = makeRandomWeights(s, 24);
  // Values exact in fp16; 1 + 2^-10 is not a bf16 value (rounds to 1).
  auto fill = [](std::vector<float>& v, float scale) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = scale * static_cast<float>(static_cast<int>(i % 17) - 8);
  };
  fill(w.layers[0].wq, 1.0f / 64);
  fill(w.embed, 1.0f / 32);
  w.finalNorm.assign(s.hidden, 1.0f + 0x1.0p-10f);
  auto raw = hfTensors(s, w, "BF16");
  auto replace = [&](const std::string& name, const std::string& dtype, const std::vector<float>& v) {
    RawTensor& t = findTensor(raw, name);
    t.dtype = dtype;
    t.bytes = encode(v, dtype);
  };
  replace("model.layers.0.self_attn.q_proj.weight", "F16", w.layers[0].wq);
  replace("model.embed_tokens.weight", "F32", w.embed);
  replace("model.norm.weight", "F16", w.finalNorm);
  // An extra tensor that is not part of the decoder is ignored.
  raw.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", "F32", {8}, encode(std::vector<float>(8), "F32"), ""});
  const std::string path = dir.file("mixed.safetensors");
  writeRaw(path, raw);
  const Weights got = loadSafetensors(path, s);
  EXPECT_EQ(got.layers[0].wq, w.layers[0].wq);
  EXPECT_EQ(got.embed, w.embed);
  EXPECT_EQ(got.finalNorm, std::vector<float>(s.hidden, 1.0f));
  EXPECT_EQ(got.layers[0].wDown, w.layers[0].wDown);
}

class SafetensorsErrors : public ::testing::Test {
protected:
  void SetUp() override {
    spec = tinySpec();
    weights = makeRandomWeights(spec, 31);
    raw = hfTensors(spec, weights, "BF16");
    path = dir.file("bad.safetensors");
  }
  std::string loadError() {
    return errorOf([&] { (void)loadSafetensors(path, spec); });
  }
  std::string writeAndLoadError() {
    writeRaw(path, raw);
    return loadError();
  }

  TempDir dir;
  ModelSpec spec;
  Weights weights;
  std::vector<RawTensor> raw;
  std::string path;
};

TEST_F(SafetensorsErrors, MissingFile) {
  EXPECT_NE(loadError().find(path + ": cannot open"), std::string::npos) << loadError();
}

TEST_F(SafetensorsErrors, TruncatedData) {
  writeSafetensors(path, spec, weights);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
  const std::string e = loadError();
  EXPECT_NE(e.find(path + ": tensor 'lm_head.weight'"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST_F(SafetensorsErrors, TruncatedHeader) {
  writeSafetensors(path, spec, weights);
  std::filesystem::resize_file(path, 40);
  const std::string e = loadError();
  EXPECT_NE(e.find("truncated file: header length"), std::string::npos) << e;
  std::filesystem::resize_file(path, 5);
  EXPECT_NE(loadError().find("truncated file: 5 bytes"), std::string::npos) << loadError();
}

TEST_F(SafetensorsErrors, HeaderTooLarge) {
  std::string file;
  putLe(file, 1ull << 40, 8);
  file += "{}";
  std::ofstream(path, std::ios::binary) << file;
  EXPECT_NE(loadError().find("header too large"), std::string::npos) << loadError();
}

TEST_F(SafetensorsErrors, HeaderNotJson) {
  std::string file;
  putLe(file, 8, 8);
  file += "{nojson!";
  std::ofstream(path, std::ios::binary) << file;
  EXPECT_NE(loadError().find("header is not valid JSON"), std::string::npos) << loadError();
}

TEST_F(SafetensorsErrors, WrongShape) {
  findTensor(raw, "model.layers.1.self_attn.k_proj.weight").shape = {64, 32};
  const std::string e = writeAndLoadError();
  EXPECT_NE(e.find("tensor 'model.layers.1.self_attn.k_proj.weight': shape [64, 32], expected [32, 64]"),
            std::string::npos)
      << e;
}

TEST_F(SafetensorsErrors, MissingTensor) {
  raw.erase(raw.begin() + 10); // model.layers.1.input_layernorm.weight
  const std::string e = writeAndLoadError();
  EXPECT_NE(e.find(path + ": missing tensor 'model.layers.1.input_layernorm.weight'"), std::string::npos) << e;
}

TEST_F(SafetensorsErrors, MissingLmHeadWhenUntied) {
  raw.pop_back();
  const std::string e = writeAndLoadError();
  EXPECT_NE(e.find("missing tensor 'lm_head.weight'"), std::string::npos) << e;
}

TEST_F(SafetensorsErrors, UnknownDtype) {
  auto& t = findTensor(raw, "model.norm.weight");
  t.dtype = "I8";
  t.bytes = encode(weights.finalNorm, "I8");
  const std::string e = writeAndLoadError();
  EXPECT_NE(e.find("tensor 'model.norm.weight': unsupported dtype \"I8\" (expected F32, F16 or BF16)"),
            std::string::npos)
      << e;
}

TEST_F(SafetensorsErrors, OffsetsOutOfRange) {
  findTensor(raw, "model.layers.0.mlp.up_proj.weight").offsetsOverride = "[0, 1000000000]";
  const std::string e = writeAndLoadError();
  EXPECT_NE(e.find("tensor 'model.layers.0.mlp.up_proj.weight': data_offsets [0, 1000000000] out of range"),
            std::string::npos)
      << e;
}

TEST_F(SafetensorsErrors, OffsetsInconsistentWithShape) {
  findTensor(raw, "model.layers.0.mlp.up_proj.weight").offsetsOverride = "[0, 4]";
  std::string e = writeAndLoadError();
  EXPECT_NE(e.find("tensor 'model.layers.0.mlp.up_proj.weight': data_offsets [0, 4] span 4 bytes"), std::string::npos)
      << e;
  findTensor(raw, "model.layers.0.mlp.up_proj.weight").offsetsOverride = "[8, 4]";
  e = writeAndLoadError();
  EXPECT_NE(e.find("data_offsets: expected [begin, end]"), std::string::npos) << e;
}

TEST_F(SafetensorsErrors, MoreLayersThanTheSpec) {
  spec.layers = 1;
  const std::string e = writeAndLoadError();
  EXPECT_NE(e.find("tensor 'model.layers.1."), std::string::npos) << e;
  EXPECT_NE(e.find("the model spec has 1 layers"), std::string::npos) << e;
}

TEST_F(SafetensorsErrors, MalformedEntry) {
  raw.push_back({"weird", "F32", {}, "", "\"x\""});
  const std::string e = writeAndLoadError();
  EXPECT_NE(e.find("tensor 'weird': data_offsets: expected"), std::string::npos) << e;
}

// ------------------------------------------------------------------ config.json

class HfConfig : public ::testing::Test {
protected:
  /// Writes `text` as <dir>/<sub>/config.json and returns its path.
  std::string write(const std::string& text, const std::string& sub = "TinyLlama") {
    std::filesystem::create_directories(dir.path() / sub);
    const std::string p = (dir.path() / sub / "config.json").string();
    std::ofstream(p) << text;
    return p;
  }
  std::string errorFor(const std::string& text) {
    const std::string p = write(text);
    const std::string e = errorOf([&] { (void)specFromHfConfig(p); });
    EXPECT_EQ(e.rfind(p + ": ", 0), 0u) << "message must start with the file: " << e;
    return e;
  }
  /// A minimal valid config with `extra` spliced in as further keys (later keys override).
  static std::string config(const std::string& extra = "") {
    std::string c = R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
      "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 97, "rms_norm_eps": 1e-6)";
    return c + (extra.empty() ? "" : ", " + extra) + "}";
  }

  TempDir dir;
};

TEST_F(HfConfig, ReadsARealisticConfig) {
  // TinyLlama-1.1B style config with the keys HF writes that we ignore.
  const std::string p = write(R"({
    "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 2048,
    "initializer_range": 0.02, "intermediate_size": 5632, "max_position_embeddings": 2048,
    "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 22,
    "num_key_value_heads": 4, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null,
    "rope_theta": 10000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
    "transformers_version": "4.35.0", "use_cache": true, "vocab_size": 32000})");
  const ModelSpec s = specFromHfConfig(p);
  EXPECT_EQ(s.name, "TinyLlama");
  EXPECT_EQ(s.hidden, 2048u);
  EXPECT_EQ(s.ffn, 5632u);
  EXPECT_EQ(s.heads, 32u);
  EXPECT_EQ(s.kvHeads, 4u);
  EXPECT_EQ(s.headDim, 64u);
  EXPECT_EQ(s.layers, 22u);
  EXPECT_EQ(s.vocab, 32000u);
  EXPECT_EQ(s.rmsEps, 1e-5f);
  EXPECT_EQ(s.ropeTheta, 10000.0f);
  EXPECT_FALSE(s.tieEmbeddings);
  EXPECT_EQ(s.weightDtype, DType::Bf16);
  EXPECT_EQ(s.weightSource, WeightSource::Safetensors);
  EXPECT_EQ(s.safetensorsPath, (dir.path() / "TinyLlama" / "model.safetensors").string());
  EXPECT_EQ(s.totalParams(), 1'100'048'384ull); // TinyLlama-1.1B
}

TEST_F(HfConfig, Defaults) {
  const ModelSpec s = specFromHfConfig(write(config()));
  EXPECT_EQ(s.kvHeads, 4u);
  EXPECT_EQ(s.headDim, 16u);
  EXPECT_EQ(s.ropeTheta, 10000.0f);
  EXPECT_FALSE(s.tieEmbeddings);
  EXPECT_EQ(s.rmsEps, 1e-6f);
}

TEST_F(HfConfig, OptionalKeys) {
  const ModelSpec s = specFromHfConfig(write(config(
      R"("num_key_value_heads": 1, "head_dim": 32, "rope_theta": 500000.0, "tie_word_embeddings": true,
         "torch_dtype": "float32")")));
  EXPECT_EQ(s.kvHeads, 1u);
  EXPECT_EQ(s.headDim, 32u);
  EXPECT_EQ(s.qDim(), 128u);
  EXPECT_EQ(s.ropeTheta, 500000.0f);
  EXPECT_TRUE(s.tieEmbeddings);
  EXPECT_EQ(s.weightDtype, DType::Fp32);
}

TEST_F(HfConfig, BadValuesNameKeyAndExpectation) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("num_attention_heads": "abc")", R"(num_attention_heads: expected a positive integer, got "abc")"},
      {R"("hidden_size": 0)", "hidden_size: expected a positive integer, got 0"},
      {R"("vocab_size": -5)", "vocab_size: expected a positive integer, got -5"},
      {R"("intermediate_size": 4.5)", "intermediate_size: expected a positive integer, got 4.5"},
      {R"("rms_norm_eps": "tiny")", R"(rms_norm_eps: expected a positive number, got "tiny")"},
      {R"("rope_theta": -1)", "rope_theta: expected a positive number"},
      {R"("tie_word_embeddings": "yes")", R"(tie_word_embeddings: expected true or false, got "yes")"},
      {R"("torch_dtype": "int8")", R"(torch_dtype: expected "float32", "bfloat16" or "float16", got "int8")"},
  };
  for (const auto& [extra, expected] : cases) {
    const std::string e = errorFor(config(extra));
    EXPECT_NE(e.find(expected), std::string::npos) << "config " << extra << " gave: " << e;
  }
}

/// DeepSeek-V3's config.json as published (huggingface.co/deepseek-ai/DeepSeek-V3,
/// keys that do not change the architecture's sizes included), `extra` appended.
std::string deepSeekV3Config(const std::string& extra = "") {
  return R"({"architectures": ["DeepseekV3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "aux_loss_alpha": 0.001, "bos_token_id": 0, "eos_token_id": 1, "ep_size": 1, "first_k_dense_replace": 3,
    "hidden_act": "silu", "hidden_size": 7168, "initializer_range": 0.02, "intermediate_size": 18432,
    "kv_lora_rank": 512, "max_position_embeddings": 163840, "model_type": "deepseek_v3",
    "moe_intermediate_size": 2048, "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 256,
    "n_shared_experts": 1, "norm_topk_prob": true, "num_attention_heads": 128, "num_experts_per_tok": 8,
    "num_hidden_layers": 61, "num_key_value_heads": 128, "num_nextn_predict_layers": 1, "q_lora_rank": 1536,
    "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
    "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                            "weight_block_size": [128, 128]},
    "rms_norm_eps": 1e-06, "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40,
      "mscale": 1.0, "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096, "type": "yarn"},
    "rope_theta": 10000, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "seq_aux": true,
    "tie_word_embeddings": false, "topk_group": 4, "topk_method": "noaux_tc", "torch_dtype": "bfloat16",
    "transformers_version": "4.33.1", "use_cache": true, "v_head_dim": 128, "vocab_size": 129280)" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

TEST_F(HfConfig, ReadsDeepSeekV3) {
  const ModelSpec s = specFromHfConfig(write(deepSeekV3Config(), "DeepSeek-V3"));
  EXPECT_EQ(s.name, "DeepSeek-V3");
  EXPECT_EQ(s.layers, 61u);
  EXPECT_EQ(s.hidden, 7168u);
  EXPECT_EQ(s.heads, 128u);
  EXPECT_EQ(s.headDim, 192u); // nope + rope
  EXPECT_EQ(s.ffn, 18432u);
  EXPECT_EQ(s.vocab, 129280u);
  ASSERT_TRUE(s.mla.enabled);
  EXPECT_EQ(s.mla.qLoraRank, 1536u);
  EXPECT_EQ(s.mla.kvLoraRank, 512u);
  EXPECT_EQ(s.mla.qkNopeDim, 128u);
  EXPECT_EQ(s.mla.qkRopeDim, 64u);
  EXPECT_EQ(s.mla.vHeadDim, 128u);
  ASSERT_TRUE(s.moe.enabled());
  EXPECT_EQ(s.moe.experts, 256u);
  EXPECT_EQ(s.moe.topK, 8u);
  EXPECT_EQ(s.moe.expertFfn, 2048u);
  EXPECT_EQ(s.moe.sharedExperts, 1u);
  EXPECT_EQ(s.moe.denseLayers, 3u);
  EXPECT_EQ(s.moe.scoring, RouterScoring::Sigmoid);
  EXPECT_EQ(s.moe.routedScale, 2.5f);
  EXPECT_EQ(s.weightDtype, DType::Fp8E4M3); // the released fp8 checkpoint
  // DeepSeek-V3 technical report: 671B total (the multi-token-prediction
  // module, num_nextn_predict_layers, is not part of it).
  EXPECT_LE(std::fabs(static_cast<double>(s.totalParams()) - 671e9) / 671e9, 0.01) << s.totalParams();
}

TEST_F(HfConfig, DeepSeekVariantsWeDoNotModelAreRefused) {
  const std::pair<const char*, const char*> cases[] = {
      {R"("scoring_func": "softmax")", "scoring_func: only \"sigmoid\""},
      {R"("moe_layer_freq": 2)", "moe_layer_freq: only 1"},
      {R"("norm_topk_prob": false)", "norm_topk_prob: only true"},
      {R"("kv_lora_rank": 0)", "kv_lora_rank: expected a positive integer, got 0"},
      {R"("quantization_config": {"quant_method": "gptq"})", "quant_method: expected \"fp8\""},
  };
  for (const auto& [extra, expected] : cases) {
    const std::string e = errorOf([&] { (void)specFromHfConfig(write(deepSeekV3Config(extra), "DeepSeek-V3")); });
    EXPECT_NE(e.find(expected), std::string::npos) << extra << " gave: " << e;
  }
  // rope_scaling stays refused for Llama configs.
  EXPECT_NE(errorFor(config(R"("rope_scaling": {"type": "yarn"})")).find("rope_scaling: not supported"),
            std::string::npos);
}

TEST_F(HfConfig, MissingKey) {
  const std::string e = errorFor(R"({"model_type": "llama", "intermediate_size": 128, "num_attention_heads": 4,
      "num_hidden_layers": 2, "vocab_size": 97, "rms_norm_eps": 1e-6})");
  EXPECT_NE(e.find("hidden_size: expected a positive integer, got nothing (key missing)"), std::string::npos) << e;
}

TEST_F(HfConfig, UnsupportedFeatures) {
  std::string e = errorFor(config(R"("rope_scaling": {"type": "linear", "factor": 2.0})"));
  EXPECT_NE(e.find("rope_scaling: not supported"), std::string::npos) << e;
  e = errorFor(config(R"("model_type": "mistral")"));
  EXPECT_NE(e.find(R"(model_type: expected "llama" or "deepseek_v3", got "mistral")"), std::string::npos) << e;
  e = errorFor(config(R"("hidden_act": "gelu")"));
  EXPECT_NE(e.find("hidden_act"), std::string::npos) << e;
  e = errorFor(config(R"("attention_bias": true)"));
  EXPECT_NE(e.find("attention_bias: biases are not supported"), std::string::npos) << e;
}

TEST_F(HfConfig, InconsistentHeads) {
  std::string e = errorFor(config(R"("num_key_value_heads": 3)"));
  EXPECT_NE(e.find("num_key_value_heads: 3 does not divide num_attention_heads 4"), std::string::npos) << e;
  e = errorFor(config(R"("num_attention_heads": 5)"));
  EXPECT_NE(e.find("num_attention_heads: 5 does not divide hidden_size 64"), std::string::npos) << e;
  e = errorFor(config(R"("head_dim": 7)"));
  EXPECT_NE(e.find("head_dim: head dimension 7 must be even"), std::string::npos) << e;
}

TEST_F(HfConfig, NotJsonOrNotAnObject) {
  EXPECT_NE(errorFor("{\"hidden_size\": ").find("not valid JSON"), std::string::npos);
  EXPECT_NE(errorFor("[1, 2]").find("expected a JSON object"), std::string::npos);
  const std::string missing = (dir.path() / "nope" / "config.json").string();
  EXPECT_NE(errorOf([&] { (void)specFromHfConfig(missing); }).find(missing + ": cannot open"), std::string::npos);
}

TEST_F(HfConfig, WriteThenReadRoundTrips) {
  ModelSpec s = tinySpec();
  s.rmsEps = 1e-6f;
  s.ropeTheta = 500000.0f;
  s.tieEmbeddings = true;
  s.headDim = 32; // != hidden / heads
  std::filesystem::create_directories(dir.path() / "ckpt");
  const std::string p = (dir.path() / "ckpt" / "config.json").string();
  writeHfConfig(p, s);
  const ModelSpec r = specFromHfConfig(p);
  EXPECT_EQ(r.layers, s.layers);
  EXPECT_EQ(r.hidden, s.hidden);
  EXPECT_EQ(r.heads, s.heads);
  EXPECT_EQ(r.kvHeads, s.kvHeads);
  EXPECT_EQ(r.headDim, s.headDim);
  EXPECT_EQ(r.ffn, s.ffn);
  EXPECT_EQ(r.vocab, s.vocab);
  EXPECT_EQ(r.rmsEps, s.rmsEps);
  EXPECT_EQ(r.ropeTheta, s.ropeTheta);
  EXPECT_EQ(r.tieEmbeddings, s.tieEmbeddings);
  EXPECT_EQ(r.weightDtype, DType::Bf16);
  EXPECT_EQ(r.name, "ckpt");
  // Odd float values still round-trip exactly.
  s.rmsEps = 1.2345678e-5f;
  s.ropeTheta = 12345.678f;
  s.weightDtype = DType::Fp32;
  writeHfConfig(p, s);
  const ModelSpec r2 = specFromHfConfig(p);
  EXPECT_EQ(r2.rmsEps, s.rmsEps);
  EXPECT_EQ(r2.ropeTheta, s.ropeTheta);
  EXPECT_EQ(r2.weightDtype, DType::Fp32);
}

TEST_F(HfConfig, CheckpointDirectoryRoundTrip) {
  ModelSpec s = tinySpec();
  s.tieEmbeddings = true;
  const Weights w = makeRandomWeights(s, 77);
  std::filesystem::create_directories(dir.path() / "tiny-llama");
  writeHfConfig((dir.path() / "tiny-llama" / "config.json").string(), s);
  writeSafetensors((dir.path() / "tiny-llama" / "model.safetensors").string(), s, w);
  const ModelSpec r = specFromHfConfig((dir.path() / "tiny-llama" / "config.json").string());
  expectSameWeights(loadSafetensors(r.safetensorsPath, r), w);
}

} // namespace
} // namespace llmvp::testbench
