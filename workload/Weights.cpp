// SPDX-License-Identifier: Apache-2.0
#include "workload/Weights.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string_view>
#include <system_error>
#include <type_traits>

#include <boost/json.hpp>

#include "workload/Quant.h"

namespace llmvp::testbench {
namespace {

namespace json = boost::json;
using Shape = std::vector<std::uint64_t>;

// ---------------------------------------------------------------- tensor table

/// One tensor of the model under its Hugging Face name.
template <typename Vec>
struct TensorRef {
  std::string name;
  Shape shape;
  Vec* data;
  bool isNorm;
  bool linear = false; ///< a projection (group-quantised with ModelSpec::quant)
};

std::string layerName(std::uint32_t i, std::string_view suffix) {
  return "model.layers." + std::to_string(i) + "." + std::string(suffix);
}

/// Every tensor in checkpoint order; `w.layers` must already have spec.layers
/// entries. lm_head.weight is listed only if `withLmHead`.
template <typename W,
          typename Vec = std::conditional_t<std::is_const_v<W>, const std::vector<float>, std::vector<float>>>
std::vector<TensorRef<Vec>> tensorTable(const ModelSpec& s, W& w, bool withLmHead) {
  const std::uint64_t h = s.hidden;
  std::vector<TensorRef<Vec>> t;
  t.push_back({"model.embed_tokens.weight", {s.vocab, h}, &w.embed, false});
  for (std::uint32_t i = 0; i < s.layers; ++i) {
    auto& l = w.layers[i];
    t.push_back({layerName(i, "input_layernorm.weight"), {h}, &l.attnNorm, true});
    if (s.mla.enabled) {
      // DeepSeek-V3 attention (Hugging Face modeling_deepseek names).
      const MlaSpec& a = s.mla;
      const std::uint64_t qk = std::uint64_t{s.heads} * (a.qkNopeDim + a.qkRopeDim);
      if (a.qLoraRank != 0) {
        t.push_back({layerName(i, "self_attn.q_a_proj.weight"), {a.qLoraRank, h}, &l.qA, false, true});
        t.push_back({layerName(i, "self_attn.q_a_layernorm.weight"), {a.qLoraRank}, &l.qANorm, true});
        t.push_back({layerName(i, "self_attn.q_b_proj.weight"), {qk, a.qLoraRank}, &l.qB, false, true});
      } else {
        t.push_back({layerName(i, "self_attn.q_proj.weight"), {qk, h}, &l.wq, false, true});
      }
      t.push_back({layerName(i, "self_attn.kv_a_proj_with_mqa.weight"),
                   {std::uint64_t{a.kvLoraRank} + a.qkRopeDim, h},
                   &l.kvA,
                   false,
                   true});
      t.push_back({layerName(i, "self_attn.kv_a_layernorm.weight"), {a.kvLoraRank}, &l.kvANorm, true});
      t.push_back({layerName(i, "self_attn.kv_b_proj.weight"),
                   {std::uint64_t{s.heads} * (a.qkNopeDim + a.vHeadDim), a.kvLoraRank},
                   &l.kvB,
                   false,
                   true});
      t.push_back(
          {layerName(i, "self_attn.o_proj.weight"), {h, std::uint64_t{s.heads} * a.vHeadDim}, &l.wo, false, true});
    } else {
      t.push_back({layerName(i, "self_attn.q_proj.weight"), {s.qDim(), h}, &l.wq, false, true});
      t.push_back({layerName(i, "self_attn.k_proj.weight"), {s.kvDim(), h}, &l.wk, false, true});
      t.push_back({layerName(i, "self_attn.v_proj.weight"), {s.kvDim(), h}, &l.wv, false, true});
      if (s.qkvBias) {
        t.push_back({layerName(i, "self_attn.q_proj.bias"), {s.qDim()}, &l.bq, false});
        t.push_back({layerName(i, "self_attn.k_proj.bias"), {s.kvDim()}, &l.bk, false});
        t.push_back({layerName(i, "self_attn.v_proj.bias"), {s.kvDim()}, &l.bv, false});
      }
      t.push_back({layerName(i, "self_attn.o_proj.weight"), {h, s.qDim()}, &l.wo, false, true});
    }
    t.push_back({layerName(i, "post_attention_layernorm.weight"), {h}, &l.ffnNorm, true});
    if (!s.isMoeLayer(i)) {
      t.push_back({layerName(i, "mlp.gate_proj.weight"), {s.ffn, h}, &l.wGate, false, true});
      t.push_back({layerName(i, "mlp.up_proj.weight"), {s.ffn, h}, &l.wUp, false, true});
      t.push_back({layerName(i, "mlp.down_proj.weight"), {h, s.ffn}, &l.wDown, false, true});
      continue;
    }
    // MoE: experts stacked along a leading dimension (llmvp naming; Hugging
    // Face checkpoints store one tensor per expert and are not read for MoE).
    const std::uint64_t e = s.moe.experts, f = s.moe.expertFfn, sf = s.moe.sharedFfn();
    t.push_back({layerName(i, "mlp.gate.weight"), {e, h}, &l.router, false});
    t.push_back({layerName(i, "mlp.experts.gate_proj.weight"), {e, f, h}, &l.expGate, false, true});
    t.push_back({layerName(i, "mlp.experts.up_proj.weight"), {e, f, h}, &l.expUp, false, true});
    t.push_back({layerName(i, "mlp.experts.down_proj.weight"), {e, h, f}, &l.expDown, false, true});
    if (sf != 0) {
      t.push_back({layerName(i, "mlp.shared_experts.gate_proj.weight"), {sf, h}, &l.wGate, false, true});
      t.push_back({layerName(i, "mlp.shared_experts.up_proj.weight"), {sf, h}, &l.wUp, false, true});
      t.push_back({layerName(i, "mlp.shared_experts.down_proj.weight"), {h, sf}, &l.wDown, false, true});
    }
  }
  t.push_back({"model.norm.weight", {h}, &w.finalNorm, true});
  if (withLmHead) t.push_back({"lm_head.weight", {s.vocab, h}, &w.lmHead, false});
  return t;
}

std::uint64_t numel(const Shape& shape) {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string shapeText(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// ------------------------------------------------------------ random numbers

std::uint64_t splitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

/// Standard normal variates by the Box-Muller transform on top of the
/// (fully specified) mt19937_64 engine, so the stream is identical on every
/// standard library, unlike std::normal_distribution.
class NormalSource {
public:
  explicit NormalSource(std::uint64_t seed) : rng_(seed) {}

  double next() {
    if (haveSpare_) {
      haveSpare_ = false;
      return spare_;
    }
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53; // (0, 1]
    const double u2 = static_cast<double>(rng_() >> 11) * 0x1.0p-53;         // [0, 1)
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(kTwoPi * u2);
    haveSpare_ = true;
    return r * std::cos(kTwoPi * u2);
  }

private:
  std::mt19937_64 rng_;
  bool haveSpare_ = false;
  double spare_ = 0.0;
};

// ------------------------------------------------------------ little endian

std::uint16_t getLe16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t getLe32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t getLe64(const unsigned char* p) {
  return static_cast<std::uint64_t>(getLe32(p)) | (static_cast<std::uint64_t>(getLe32(p + 4)) << 32);
}
void putLe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}

/// IEEE binary16 -> fp32 (exact).
float fromF16(std::uint16_t h) {
  const bool neg = (h & 0x8000u) != 0;
  const int e = (h >> 10) & 0x1f;
  const int m = h & 0x3ff;
  float mag;
  if (e == 0)
    mag = std::ldexp(static_cast<float>(m), -24);
  else if (e == 31)
    mag = m ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else
    mag = std::ldexp(static_cast<float>(1024 + m), e - 25);
  return neg ? -mag : mag;
}

// ------------------------------------------------------------ json helpers

std::string jsonText(const json::value& v) { return json::serialize(v); }

std::optional<std::uint64_t> asUnsigned(const json::value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return std::nullopt;
}

/// A JSON double that prints short and converts back to exactly `f`.
double jsonFloat(float f) {
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), f);
  if (res.ec == std::errc()) {
    *res.ptr = '\0';
    const double d = std::strtod(buf.data(), nullptr);
    if (static_cast<float>(d) == f) return d;
  }
  return static_cast<double>(f);
}

std::string readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ModelError(path + ": read error");
  return ss.str();
}

/// Typed access to the keys of a config.json object with uniform messages.
class ConfigReader {
public:
  ConfigReader(const json::object& obj, std::string file) : obj_(obj), file_(std::move(file)) {}

  /// Present and not null.
  [[nodiscard]] const json::value* find(std::string_view key) const {
    const auto* v = obj_.if_contains(key);
    return (v == nullptr || v->is_null()) ? nullptr : v;
  }

  [[noreturn]] void fail(std::string_view key, std::string_view expected, const json::value* got) const {
    throw ModelError(file_ + ": " + std::string(key) + ": expected " + std::string(expected) + ", got " +
                     (got ? jsonText(*got) : std::string("nothing (key missing)")));
  }

  [[noreturn]] void failText(std::string_view key, const std::string& what) const {
    throw ModelError(file_ + ": " + std::string(key) + ": " + what);
  }

  [[nodiscard]] std::uint32_t positiveInt(std::string_view key) const {
    const auto v = optPositiveInt(key);
    if (!v) fail(key, "a positive integer", obj_.if_contains(key));
    return *v;
  }

  [[nodiscard]] std::optional<std::uint32_t> optPositiveInt(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    const auto u = asUnsigned(*v);
    if (!u || *u == 0 || *u > std::numeric_limits<std::uint32_t>::max()) fail(key, "a positive integer", v);
    return static_cast<std::uint32_t>(*u);
  }

  [[nodiscard]] float positiveFloat(std::string_view key) const {
    const auto v = optPositiveFloat(key);
    if (!v) fail(key, "a positive number", obj_.if_contains(key));
    return *v;
  }

  [[nodiscard]] std::optional<float> optPositiveFloat(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_number()) fail(key, "a positive number", v);
    const auto f = static_cast<float>(v->to_number<double>());
    if (!std::isfinite(f) || !(f > 0.0f)) fail(key, "a positive number (representable in fp32)", v);
    return f;
  }

  /// A non-negative integer (0 allowed), absent or null: nullopt.
  [[nodiscard]] std::optional<std::uint32_t> optCount(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    const auto u = asUnsigned(*v);
    if (!u || *u > std::numeric_limits<std::uint32_t>::max()) fail(key, "a non-negative integer", v);
    return static_cast<std::uint32_t>(*u);
  }

  [[nodiscard]] const json::object* optObject(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return nullptr;
    if (!v->is_object()) fail(key, "an object", v);
    return &v->get_object();
  }

  [[nodiscard]] std::optional<bool> optBool(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) fail(key, "true or false", v);
    return v->get_bool();
  }

  [[nodiscard]] std::optional<std::string> optString(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(key, "a string", v);
    return std::string(v->get_string());
  }

private:
  const json::object& obj_;
  std::string file_;
};

// ------------------------------------------------------------ safetensors

constexpr std::uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000; // as the reference implementation

struct TensorInfo {
  std::string dtype;
  Shape shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

struct SafetensorsHeader {
  std::map<std::string, TensorInfo> tensors;
  std::uint64_t dataStart = 0; ///< file offset of the data section
  std::uint64_t dataBytes = 0; ///< bytes from dataStart to the end of the file
};

SafetensorsHeader readHeader(std::ifstream& in, const std::string& path) {
  std::error_code ec;
  const std::uint64_t fileSize = std::filesystem::file_size(path, ec);
  if (ec) throw ModelError(path + ": cannot stat file: " + ec.message());
  if (fileSize < 8)
    throw ModelError(path + ": truncated file: " + std::to_string(fileSize) +
                     " bytes, expected at least 8 (header length)");
  std::array<unsigned char, 8> lenBytes{};
  in.read(reinterpret_cast<char*>(lenBytes.data()), 8);
  if (!in) throw ModelError(path + ": read error in the header length");
  const std::uint64_t headerLen = getLe64(lenBytes.data());
  if (headerLen > kMaxHeaderBytes)
    throw ModelError(path + ": header too large: " + std::to_string(headerLen) + " bytes (limit " +
                     std::to_string(kMaxHeaderBytes) + "; not a safetensors file?)");
  if (headerLen > fileSize - 8)
    throw ModelError(path + ": truncated file: header length " + std::to_string(headerLen) + " but only " +
                     std::to_string(fileSize - 8) + " bytes follow");
  std::string text(headerLen, '\0');
  in.read(text.data(), static_cast<std::streamsize>(headerLen));
  if (!in) throw ModelError(path + ": read error in the header");

  std::error_code jec;
  json::value root = json::parse(text, jec);
  if (jec) throw ModelError(path + ": header is not valid JSON: " + jec.message());
  if (!root.is_object()) throw ModelError(path + ": header: expected a JSON object, got " + jsonText(root));

  SafetensorsHeader h;
  h.dataStart = 8 + headerLen;
  h.dataBytes = fileSize - h.dataStart;
  for (const auto& [key, val] : root.get_object()) {
    if (key == "__metadata__") continue;
    const std::string where = path + ": tensor '" + std::string(key) + "': ";
    const auto* obj = val.if_object();
    if (!obj) throw ModelError(where + "expected an object with dtype, shape, data_offsets, got " + jsonText(val));
    TensorInfo t;
    const auto* dt = obj->if_contains("dtype");
    if (!dt || !dt->is_string())
      throw ModelError(where + "dtype: expected a string, got " + (dt ? jsonText(*dt) : "nothing"));
    t.dtype = std::string(dt->get_string());
    const auto* shape = obj->if_contains("shape");
    if (!shape || !shape->is_array())
      throw ModelError(where + "shape: expected an array of integers, got " + (shape ? jsonText(*shape) : "nothing"));
    for (const auto& d : shape->get_array()) {
      const auto u = asUnsigned(d);
      if (!u) throw ModelError(where + "shape: expected non-negative integers, got " + jsonText(*shape));
      t.shape.push_back(*u);
    }
    const auto* off = obj->if_contains("data_offsets");
    const auto* offArr = off ? off->if_array() : nullptr;
    std::optional<std::uint64_t> b, e;
    if (offArr && offArr->size() == 2) {
      b = asUnsigned((*offArr)[0]);
      e = asUnsigned((*offArr)[1]);
    }
    if (!b || !e || *b > *e)
      throw ModelError(where + "data_offsets: expected [begin, end] with 0 <= begin <= end, got " +
                       (off ? jsonText(*off) : "nothing"));
    t.begin = *b;
    t.end = *e;
    if (t.end > h.dataBytes)
      throw ModelError(where + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                       "] out of range: the data section has " + std::to_string(h.dataBytes) +
                       " bytes (truncated file?)");
    h.tensors.emplace(std::string(key), std::move(t));
  }
  return h;
}

std::optional<std::size_t> safetensorsDtypeBytes(std::string_view dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  return std::nullopt;
}

/// Index of a "model.layers.<i>." tensor, if the name has that form.
std::optional<std::uint64_t> layerIndexOf(std::string_view name) {
  constexpr std::string_view prefix = "model.layers.";
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  name.remove_prefix(prefix.size());
  std::uint64_t v = 0;
  const auto res = std::from_chars(name.data(), name.data() + name.size(), v);
  if (res.ec != std::errc() || res.ptr == name.data() || res.ptr == name.data() + name.size() || *res.ptr != '.')
    return std::nullopt;
  return v;
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw ModelError(path + ": cannot open for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw ModelError(path + ": write error");
}

} // namespace

// ============================================================== validation

void validateSpec(const ModelSpec& s, const std::string& source) {
  auto fail = [&](const std::string& field, const std::string& what) {
    throw ModelError(source + ": " + field + ": " + what);
  };
  const std::pair<const char*, std::uint32_t> sizes[] = {
      {"layers", s.layers},   {"hidden", s.hidden}, {"heads", s.heads}, {"kvHeads", s.kvHeads},
      {"headDim", s.headDim}, {"ffn", s.ffn},       {"vocab", s.vocab}};
  for (const auto& [field, v] : sizes)
    if (v == 0) fail(field, "expected a positive integer, got 0");
  if (s.heads % s.kvHeads != 0)
    fail("kvHeads", std::to_string(s.kvHeads) + " does not divide heads " + std::to_string(s.heads));
  if (s.headDim % 2 != 0) fail("headDim", "expected an even number (RoPE pairs), got " + std::to_string(s.headDim));
  if (s.quant != WeightQuant::None &&
      (s.quantGroup == 0 || s.hidden % s.quantGroup != 0 || s.weightDtype != models::DType::Bf16))
    fail("quantGroup", "expected a positive divisor of hidden, with bf16 weightDtype");
  if (s.mla.enabled) {
    const MlaSpec& a = s.mla;
    if (a.kvLoraRank == 0 || a.qkNopeDim == 0 || a.vHeadDim == 0 || a.qkRopeDim == 0 || a.qkRopeDim % 2 != 0)
      fail("mla", "expected positive kv_lora_rank, qk_nope_head_dim, v_head_dim and an even qk_rope_head_dim");
    if (s.headDim != a.qkNopeDim + a.qkRopeDim)
      fail("headDim", std::to_string(s.headDim) + " must equal mla.qk_nope_head_dim + mla.qk_rope_head_dim (" +
                          std::to_string(a.qkNopeDim + a.qkRopeDim) + ")");
    if (s.quant != WeightQuant::None) fail("mla", "group-quantised weights are not supported with MLA");
  }
  if (s.moe.enabled()) {
    if (s.moe.topK == 0 || s.moe.topK > s.moe.experts) fail("moe.topK", "expected 1 .. experts");
    if (s.moe.expertFfn == 0) fail("moe.expertFfn", "expected a positive integer, got 0");
    if (s.moe.denseLayers > s.layers) fail("moe.denseLayers", "exceeds layers");
  }
  if (!std::isfinite(s.rmsEps) || !(s.rmsEps > 0.0f)) fail("rmsEps", "expected a positive number");
  if (!std::isfinite(s.ropeTheta) || !(s.ropeTheta > 0.0f)) fail("ropeTheta", "expected a positive number");
  if (!std::isfinite(s.initStd) || s.initStd < 0.0f) fail("initStd", "expected a non-negative number");
  const std::pair<const char*, models::DType> dtypes[] = {
      {"weightDtype", s.weightDtype}, {"kvDtype", s.kvDtype}, {"actDtype", s.actDtype}};
  for (const auto& [field, t] : dtypes)
    if (t == models::DType::U32) fail(field, "expected a floating-point type (fp32, bf16, fp8), got u32");
}

void validateWeights(const ModelSpec& spec, const Weights& w) {
  if (w.layers.size() != spec.layers)
    throw ModelError("weights: " + std::to_string(w.layers.size()) + " layers, expected " +
                     std::to_string(spec.layers));
  for (const auto& t : tensorTable(spec, w, true)) {
    if (t.data->size() != numel(t.shape))
      throw ModelError("weights: tensor '" + t.name + "' has " + std::to_string(t.data->size()) + " values, expected " +
                       std::to_string(numel(t.shape)) + " (shape " + shapeText(t.shape) + ")");
  }
  if (spec.tieEmbeddings && w.lmHead != w.embed)
    throw ModelError("weights: tied embeddings but lm_head.weight differs from model.embed_tokens.weight");
}

// ============================================================== random

Weights makeRandomWeights(const ModelSpec& spec, std::uint64_t seed) {
  validateSpec(spec);
  // Embedding std: we use spec.initStd (the Hugging Face Llama init for
  // nn.Embedding too) rather than 1.0. With a unit embedding the residual
  // stream of a tiny model (hidden 64-256, linear std 0.02) would be ~40x
  // larger than what each layer adds, so the layers would barely matter and a
  // tied LM head would mostly predict the input token again. With initStd the
  // embedding and the per-layer updates are of similar size; logits after the
  // final RMSNorm have std ~ initStd * sqrt(hidden) (0.16 for hidden 64),
  // far above the bf16 spacing at that magnitude (~1e-3), so argmax is not
  // dominated by rounding ties. Tests that want sharper attention raise initStd.
  Weights w;
  w.layers.resize(spec.layers);
  for (auto& t : tensorTable(spec, w, !spec.tieEmbeddings)) {
    NormalSource normal(splitMix64(seed ^ splitMix64(fnv1a64(t.name))));
    const std::uint64_t n = numel(t.shape);
    t.data->resize(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      const double z = normal.next();
      const double v = t.isNorm ? 1.0 + 0.1 * z : static_cast<double>(spec.initStd) * z;
      (*t.data)[i] = models::roundTo(spec.weightDtype, static_cast<float>(v));
    }
    if (t.linear && spec.quant != WeightQuant::None)
      quantizeInPlace(*t.data, t.shape.back(), spec.quantGroup, spec.quant);
  }
  if (spec.tieEmbeddings) w.lmHead = w.embed;
  return w;
}

// ============================================================== config.json

namespace {
/// DeepSeek-V3's multi-head latent attention and mixture of experts
/// (configuration_deepseek.py keys). Not modelled, and so refused where they
/// would change the architecture: MoE on a subset of layers (moe_layer_freq
/// != 1), softmax scoring or un-normalised top-k weights. Group-limited
/// routing (n_group, topk_group) and YaRN (rope_scaling) change which experts
/// and which values, not the bytes or FLOPs a token costs: they are read past
/// (docs/config-reference.md "Hugging Face config").
void readDeepSeek(const ConfigReader& cfg, ModelSpec& s) {
  s.mla.enabled = true;
  s.mla.qLoraRank = cfg.optCount("q_lora_rank").value_or(0);
  s.mla.kvLoraRank = cfg.positiveInt("kv_lora_rank");
  s.mla.qkNopeDim = cfg.positiveInt("qk_nope_head_dim");
  s.mla.qkRopeDim = cfg.positiveInt("qk_rope_head_dim");
  s.mla.vHeadDim = cfg.positiveInt("v_head_dim");
  if (const auto routed = cfg.optCount("n_routed_experts"); routed && *routed != 0) {
    s.moe.experts = *routed;
    s.moe.topK = cfg.positiveInt("num_experts_per_tok");
    s.moe.expertFfn = cfg.positiveInt("moe_intermediate_size");
    s.moe.sharedExperts = cfg.optCount("n_shared_experts").value_or(0);
    s.moe.denseLayers = cfg.optCount("first_k_dense_replace").value_or(0);
    if (const auto freq = cfg.optPositiveInt("moe_layer_freq"); freq && *freq != 1)
      cfg.failText("moe_layer_freq",
                   "only 1 (every layer after first_k_dense_replace) is supported, got " + std::to_string(*freq));
    const auto scoring = cfg.optString("scoring_func").value_or("softmax");
    if (scoring != "sigmoid")
      cfg.failText("scoring_func", "only \"sigmoid\" (DeepSeek-V3) is supported, got \"" + scoring + "\"");
    s.moe.scoring = RouterScoring::Sigmoid;
    if (const auto norm = cfg.optBool("norm_topk_prob"); norm && !*norm)
      cfg.failText("norm_topk_prob", "only true is supported (the chosen experts' weights are normalised)");
    s.moe.routedScale = cfg.optPositiveFloat("routed_scaling_factor").value_or(1.0f);
  }
}
} // namespace

ModelSpec specFromHfConfig(const std::string& configJsonPath) {
  const std::string& file = configJsonPath;
  const std::string text = readWholeFile(file);
  std::error_code ec;
  const json::value root = json::parse(text, ec);
  if (ec) throw ModelError(file + ": not valid JSON: " + ec.message());
  if (!root.is_object()) throw ModelError(file + ": expected a JSON object at the top level");
  const ConfigReader cfg(root.get_object(), file);

  const auto modelType = cfg.optString("model_type");
  const bool deepseek = modelType && *modelType == "deepseek_v3";
  if (!modelType || (*modelType != "llama" && !deepseek))
    cfg.fail("model_type", "\"llama\" or \"deepseek_v3\"", root.get_object().if_contains("model_type"));
  if (const auto* rs = cfg.find("rope_scaling"); rs && !deepseek)
    cfg.failText("rope_scaling", "not supported (only plain RoPE), got " + jsonText(*rs));
  if (const auto act = cfg.optString("hidden_act"); act && *act != "silu")
    cfg.failText("hidden_act", "only \"silu\" is supported, got \"" + *act + "\"");
  for (const char* key : {"attention_bias", "mlp_bias"})
    if (const auto b = cfg.optBool(key); b && *b) cfg.failText(key, "biases are not supported, got true");

  ModelSpec s;
  if (deepseek) readDeepSeek(cfg, s);
  s.hidden = cfg.positiveInt("hidden_size");
  s.ffn = cfg.positiveInt("intermediate_size");
  s.heads = cfg.positiveInt("num_attention_heads");
  s.kvHeads = cfg.optPositiveInt("num_key_value_heads").value_or(s.heads);
  s.layers = cfg.positiveInt("num_hidden_layers");
  s.vocab = cfg.positiveInt("vocab_size");
  s.rmsEps = cfg.positiveFloat("rms_norm_eps");
  s.ropeTheta = cfg.optPositiveFloat("rope_theta").value_or(10000.0f);
  s.tieEmbeddings = cfg.optBool("tie_word_embeddings").value_or(false);
  if (deepseek) {
    s.headDim = s.mla.qkNopeDim + s.mla.qkRopeDim; // the softmax-scale dimension (docs/architecture.md MLA)
  } else if (const auto hd = cfg.optPositiveInt("head_dim")) {
    s.headDim = *hd;
  } else {
    if (s.hidden % s.heads != 0)
      cfg.failText("num_attention_heads", std::to_string(s.heads) + " does not divide hidden_size " +
                                              std::to_string(s.hidden) + " (and head_dim is not given)");
    s.headDim = s.hidden / s.heads;
  }
  if (s.heads % s.kvHeads != 0)
    cfg.failText("num_key_value_heads",
                 std::to_string(s.kvHeads) + " does not divide num_attention_heads " + std::to_string(s.heads));
  if (s.headDim % 2 != 0)
    cfg.failText(cfg.find("head_dim") ? "head_dim" : "num_attention_heads",
                 "head dimension " + std::to_string(s.headDim) + " must be even (RoPE pairs)");

  const char* dtypeKey = cfg.find("torch_dtype") ? "torch_dtype" : "dtype";
  if (const auto dt = cfg.optString(dtypeKey)) {
    if (*dt == "float32")
      s.weightDtype = models::DType::Fp32;
    else if (*dt == "bfloat16" || *dt == "float16")
      s.weightDtype = models::DType::Bf16;
    else
      cfg.fail(dtypeKey, "\"float32\", \"bfloat16\" or \"float16\"", cfg.find(dtypeKey));
  }

  // DeepSeek-V3 releases fp8 (e4m3) weights with 128 x 128 block scales: the
  // weights are then fp8 (the block scales, 1/16384 of the bytes, are not modelled).
  if (const json::object* q = cfg.optObject("quantization_config")) {
    const ConfigReader qc(*q, file + ": quantization_config");
    const auto method = qc.optString("quant_method");
    if (!method || *method != "fp8") qc.fail("quant_method", "\"fp8\"", q->if_contains("quant_method"));
    if (const auto fmt = qc.optString("fmt"); fmt && *fmt != "e4m3")
      qc.failText("fmt", "only \"e4m3\" is supported, got \"" + *fmt + "\"");
    s.weightDtype = models::DType::Fp8E4M3;
  }

  const std::filesystem::path p(file);
  const std::filesystem::path dir = p.parent_path();
  s.name = dir.filename().string();
  if (s.name.empty() || s.name == "." || s.name == "..") s.name = "hf-model";
  s.weightSource = WeightSource::Safetensors;
  s.safetensorsPath = (dir / "model.safetensors").string();
  validateSpec(s, file);
  return s;
}

void writeHfConfig(const std::string& path, const ModelSpec& spec) {
  if (spec.qkvBias || spec.moe.enabled() || spec.mla.enabled)
    throw ModelError(path + ": only plain Llama architectures can be written as a Hugging Face config");
  validateSpec(spec);
  json::object o;
  o["architectures"] = json::array{"LlamaForCausalLM"};
  o["model_type"] = "llama";
  o["hidden_act"] = "silu";
  o["hidden_size"] = spec.hidden;
  o["intermediate_size"] = spec.ffn;
  o["num_attention_heads"] = spec.heads;
  o["num_key_value_heads"] = spec.kvHeads;
  o["num_hidden_layers"] = spec.layers;
  o["head_dim"] = spec.headDim;
  o["vocab_size"] = spec.vocab;
  o["rms_norm_eps"] = jsonFloat(spec.rmsEps);
  o["rope_theta"] = jsonFloat(spec.ropeTheta);
  o["rope_scaling"] = nullptr;
  o["tie_word_embeddings"] = spec.tieEmbeddings;
  o["attention_bias"] = false;
  o["mlp_bias"] = false;
  o["torch_dtype"] = spec.weightDtype == models::DType::Fp32 ? "float32" : "bfloat16";
  writeFile(path, json::serialize(o) + "\n");
}

// ============================================================== safetensors

Weights loadSafetensors(const std::string& path, const ModelSpec& spec) {
  if (spec.moe.enabled())
    throw ModelError(path + ": mixture-of-experts checkpoints are not supported (random weights only)");
  validateSpec(spec);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path + ": cannot open file");
  const SafetensorsHeader header = readHeader(in, path);

  for (const auto& [name, info] : header.tensors) {
    if (const auto li = layerIndexOf(name); li && *li >= spec.layers)
      throw ModelError(path + ": tensor '" + name + "' belongs to layer " + std::to_string(*li) +
                       " but the model spec has " + std::to_string(spec.layers) + " layers");
  }

  Weights w;
  w.layers.resize(spec.layers);
  std::vector<unsigned char> raw;
  for (auto& t : tensorTable(spec, w, !spec.tieEmbeddings)) {
    const std::string where = path + ": tensor '" + t.name + "': ";
    const auto it = header.tensors.find(t.name);
    if (it == header.tensors.end()) throw ModelError(path + ": missing tensor '" + t.name + "'");
    const TensorInfo& info = it->second;
    const auto elemBytes = safetensorsDtypeBytes(info.dtype);
    if (!elemBytes) throw ModelError(where + "unsupported dtype \"" + info.dtype + "\" (expected F32, F16 or BF16)");
    if (info.shape != t.shape)
      throw ModelError(where + "shape " + shapeText(info.shape) + ", expected " + shapeText(t.shape));
    const std::uint64_t n = numel(t.shape);
    if (info.end - info.begin != n * *elemBytes)
      throw ModelError(where + "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
                       "] span " + std::to_string(info.end - info.begin) + " bytes, but shape " + shapeText(t.shape) +
                       " of " + info.dtype + " needs " + std::to_string(n * *elemBytes));
    raw.resize(info.end - info.begin);
    in.seekg(static_cast<std::streamoff>(header.dataStart + info.begin));
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
    if (!in) throw ModelError(where + "read error (truncated file?)");

    t.data->resize(n);
    const unsigned char* p = raw.data();
    for (std::uint64_t i = 0; i < n; ++i) {
      float v;
      if (info.dtype == "F32")
        v = models::bitsFloat(getLe32(p + 4 * i));
      else if (info.dtype == "BF16")
        v = models::fromBf16(getLe16(p + 2 * i));
      else
        v = fromF16(getLe16(p + 2 * i));
      (*t.data)[i] = models::roundTo(spec.weightDtype, v);
    }
    // Round-to-nearest group quantisation of the checkpoint's projections.
    if (t.linear && spec.quant != WeightQuant::None)
      quantizeInPlace(*t.data, t.shape.back(), spec.quantGroup, spec.quant);
  }
  if (spec.tieEmbeddings) w.lmHead = w.embed;
  return w;
}

void writeSafetensors(const std::string& path, const ModelSpec& spec, const Weights& w) {
  if (spec.moe.enabled()) throw ModelError(path + ": mixture-of-experts checkpoints are not supported");
  validateSpec(spec);
  validateWeights(spec, w);
  const bool f32 = spec.weightDtype == models::DType::Fp32;
  const std::uint64_t elemBytes = f32 ? 4 : 2;
  const auto table = tensorTable(spec, w, !spec.tieEmbeddings);

  json::object header;
  header["__metadata__"] = json::object{{"format", "pt"}};
  std::uint64_t offset = 0;
  for (const auto& t : table) {
    json::array shape;
    for (auto d : t.shape) shape.emplace_back(d);
    const std::uint64_t bytes = numel(t.shape) * elemBytes;
    header[t.name] = json::object{{"dtype", f32 ? "F32" : "BF16"},
                                  {"shape", std::move(shape)},
                                  {"data_offsets", json::array{offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = json::serialize(header);
  text.append((8 - text.size() % 8) % 8, ' '); // data section 8-byte aligned, as the reference writer

  std::string out;
  out.reserve(8 + text.size() + offset);
  putLe(out, text.size(), 8);
  out += text;
  for (const auto& t : table) {
    for (float v : *t.data) {
      if (f32)
        putLe(out, models::floatBits(v), 4);
      else
        putLe(out, models::toBf16(v), 2);
    }
  }
  writeFile(path, out);
}

} // namespace llmvp::testbench
