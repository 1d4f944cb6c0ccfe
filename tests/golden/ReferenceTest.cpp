// SPDX-License-Identifier: Apache-2.0
// tests/golden/Reference: properties of the reference transformer and a check
// against an independent, straightforward double-precision implementation.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "tests/golden/Reference.h"
#include "workload/Weights.h"

namespace llmvp::golden {
namespace {

using models::DType;
using testbench::ModelSpec;
using testbench::Weights;

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
  s.initStd = 0.1f; // attention scores of a few units: softmax far from uniform
  return s;
}

ModelSpec allFp32(ModelSpec s) {
  s.weightDtype = s.kvDtype = s.actDtype = DType::Fp32;
  return s;
}

std::vector<float> rowOf(const std::vector<float>& logits, std::uint32_t row, std::uint32_t vocab) {
  return {logits.begin() + static_cast<std::ptrdiff_t>(row) * vocab,
          logits.begin() + static_cast<std::ptrdiff_t>(row + 1) * vocab};
}

float maxAbs(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

float maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0.0f;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// ------------------------------------------------------------------ naive model

/// Textbook Llama decode in double precision, no intermediate rounding
/// except, optionally, a quantised KV cache (values rounded to `kvRound` as
/// they are stored); written from the Hugging Face modelling code rather
/// than the contract.
class NaiveLlama {
public:
  NaiveLlama(const ModelSpec& s, const Weights& w, std::optional<DType> kvRound = std::nullopt)
      : s_(s), w_(w), kvRound_(kvRound), k_(s.layers), v_(s.layers) {}

  std::vector<double> step(std::uint32_t token, std::uint32_t pos) {
    const std::size_t H = s_.hidden, D = s_.headDim;
    std::vector<double> x(w_.embed.begin() + static_cast<std::ptrdiff_t>(token * H),
                          w_.embed.begin() + static_cast<std::ptrdiff_t>((token + 1) * H));
    for (std::uint32_t l = 0; l < s_.layers; ++l) {
      const auto& L = w_.layers[l];
      auto h = norm(x, L.attnNorm);
      auto q = linear(L.wq, h);
      auto k = linear(L.wk, h);
      auto v = linear(L.wv, h);
      rotate(q, pos);
      rotate(k, pos);
      if (kvRound_) {
        for (auto& e : k) e = models::roundTo(*kvRound_, static_cast<float>(e));
        for (auto& e : v) e = models::roundTo(*kvRound_, static_cast<float>(e));
      }
      k_[l].resize(pos + 1);
      v_[l].resize(pos + 1);
      k_[l][pos] = k;
      v_[l][pos] = v;
      std::vector<double> attn(s_.qDim());
      const std::size_t repeats = s_.heads / s_.kvHeads; // repeat_kv
      for (std::size_t head = 0; head < s_.heads; ++head) {
        const std::size_t kvHead = head / repeats;
        std::vector<double> w(pos + 1);
        double total = 0;
        for (std::size_t t = 0; t <= pos; ++t) {
          double dot = 0;
          for (std::size_t d = 0; d < D; ++d) dot += q[head * D + d] * k_[l][t][kvHead * D + d];
          w[t] = std::exp(dot / std::sqrt(static_cast<double>(D)));
          total += w[t];
        }
        for (std::size_t t = 0; t <= pos; ++t)
          for (std::size_t d = 0; d < D; ++d) attn[head * D + d] += w[t] / total * v_[l][t][kvHead * D + d];
      }
      const auto o = linear(L.wo, attn);
      for (std::size_t j = 0; j < H; ++j) x[j] += o[j];
      h = norm(x, L.ffnNorm);
      const auto g = linear(L.wGate, h);
      const auto u = linear(L.wUp, h);
      std::vector<double> a(s_.ffn);
      for (std::size_t i = 0; i < s_.ffn; ++i) a[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      const auto down = linear(L.wDown, a);
      for (std::size_t j = 0; j < H; ++j) x[j] += down[j];
    }
    return linear(w_.lmHead, norm(x, w_.finalNorm));
  }

private:
  std::vector<double> linear(const std::vector<float>& W, const std::vector<double>& x) const {
    std::vector<double> y(W.size() / x.size());
    for (std::size_t n = 0; n < y.size(); ++n)
      for (std::size_t k = 0; k < x.size(); ++k) y[n] += static_cast<double>(W[n * x.size() + k]) * x[k];
    return y;
  }
  std::vector<double> norm(const std::vector<double>& x, const std::vector<float>& w) const {
    double ms = 0;
    for (double v : x) ms += v * v;
    ms /= static_cast<double>(x.size());
    std::vector<double> y(x.size());
    for (std::size_t j = 0; j < x.size(); ++j) y[j] = x[j] / std::sqrt(ms + s_.rmsEps) * w[j];
    return y;
  }
  /// rotate_half convention: pairs (i, i + d/2) rotated by pos * theta^(-2i/d).
  void rotate(std::vector<double>& x, std::uint32_t pos) const {
    const std::size_t D = s_.headDim;
    for (std::size_t base = 0; base < x.size(); base += D) {
      for (std::size_t i = 0; i < D / 2; ++i) {
        const double ang = pos * std::pow(static_cast<double>(s_.ropeTheta), -2.0 * static_cast<double>(i) / D);
        const double a = x[base + i], b = x[base + i + D / 2];
        x[base + i] = a * std::cos(ang) - b * std::sin(ang);
        x[base + i + D / 2] = b * std::cos(ang) + a * std::sin(ang);
      }
    }
  }

  const ModelSpec& s_;
  const Weights& w_;
  std::optional<DType> kvRound_;
  std::vector<std::vector<std::vector<double>>> k_, v_; // [layer][pos][kvDim]
};

struct MicroCase {
  const char* name;
  std::uint32_t layers, hidden, heads, kvHeads, headDim, ffn;
};

ModelSpec microSpec(const MicroCase& c) {
  ModelSpec s;
  s.name = c.name;
  s.layers = c.layers;
  s.hidden = c.hidden;
  s.heads = c.heads;
  s.kvHeads = c.kvHeads;
  s.headDim = c.headDim;
  s.ffn = c.ffn;
  s.vocab = 5;
  s.ropeTheta = 10.0f; // every pair rotates noticeably within a few positions
  s.initStd = 0.7f;
  return allFp32(s);
}

const MicroCase kMicroCases[] = {
    {"single_layer_single_head", 1, 4, 1, 1, 4, 8},
    {"gqa_two_layers", 2, 8, 4, 2, 4, 12},
    {"head_dim_not_hidden_over_heads", 1, 6, 2, 2, 4, 6},
};

/// Compares the reference with the naive model over a whole prompt;
/// `relTol` is relative to the largest logit magnitude of each step.
void compareWithNaive(const ModelSpec& s, const Weights& w, double relTol,
                      std::optional<DType> kvRound = std::nullopt) {
  const std::vector<std::uint32_t> prompt = {1, 3, 0, 4, 4, 2};
  ReferenceTransformer ref(s, w, 1, 8);
  NaiveLlama naive(s, w, kvRound);
  for (std::uint32_t pos = 0; pos < prompt.size(); ++pos) {
    const auto got = ref.step({prompt[pos]}, {pos});
    const auto want = naive.step(prompt[pos], pos);
    double scale = 0;
    for (double v : want) scale = std::max(scale, std::fabs(v));
    ASSERT_GT(scale, 1e-3) << "degenerate micro model";
    for (std::uint32_t j = 0; j < s.vocab; ++j)
      EXPECT_NEAR(got[j], want[j], relTol * scale) << s.name << " pos " << pos << " logit " << j;
  }
}

TEST(ReferenceMicro, MatchesNaiveDoubleModelInFp32) {
  for (const auto& c : kMicroCases) {
    const ModelSpec s = microSpec(c);
    const Weights w = testbench::makeRandomWeights(s, 2024);
    compareWithNaive(s, w, 2e-5);
  }
}

TEST(ReferenceMicro, MatchesNaiveDoubleModelWithinBf16Error) {
  for (const auto& c : kMicroCases) {
    ModelSpec s = microSpec(c);
    s.weightDtype = s.kvDtype = s.actDtype = DType::Bf16;
    const Weights w = testbench::makeRandomWeights(s, 2024);
    compareWithNaive(s, w, 5e-2); // measured worst: 1.8e-2
  }
}

TEST(ReferenceMicro, MatchesNaiveDoubleModelWithFp8KvCache) {
  // fp32 everywhere but the cache: the cache's rounding point is the only
  // large error, and the naive model reproduces it.
  for (const auto& c : kMicroCases) {
    ModelSpec s = microSpec(c);
    s.kvDtype = DType::Fp8E4M3;
    const Weights w = testbench::makeRandomWeights(s, 99);
    compareWithNaive(s, w, 2e-5, DType::Fp8E4M3);
  }
}

TEST(ReferenceMicro, Bf16RoundingIsVisible) {
  // Same bf16 weights, fp32 vs bf16 activations: the rounding points exist.
  ModelSpec s = microSpec(kMicroCases[1]);
  s.weightDtype = DType::Bf16;
  const Weights w = testbench::makeRandomWeights(s, 7);
  ReferenceTransformer f32(s, w, 1, 4);
  ModelSpec sb = s;
  sb.actDtype = sb.kvDtype = DType::Bf16;
  ReferenceTransformer b16(sb, w, 1, 4);
  const auto a = f32.step({2}, {0});
  const auto b = b16.step({2}, {0});
  EXPECT_NE(a, b);
  for (float v : b) EXPECT_EQ(models::roundTo(DType::Bf16, v), v);
  // The K/V cache has its own rounding point.
  ModelSpec s8 = s;
  s8.kvDtype = DType::Fp8E4M3;
  ReferenceTransformer f32b(s, w, 1, 4);
  ReferenceTransformer kv8(s8, w, 1, 4);
  (void)f32b.step({2}, {0});
  (void)kv8.step({2}, {0});
  EXPECT_NE(f32b.step({4}, {1}), kv8.step({4}, {1}));
}

// ------------------------------------------------------------------ properties

TEST(Reference, IsDeterministic) {
  const ModelSpec s = tinySpec();
  const Weights w = testbench::makeRandomWeights(s, 1);
  const std::vector<std::vector<std::uint32_t>> prompts = {{5, 17, 3, 88}, {1}};
  std::vector<std::vector<float>> la, lb;
  ReferenceTransformer a(s, w, 2, 32);
  ReferenceTransformer b(s, w, 2, 32);
  const auto ga = a.generate(prompts, 10, &la);
  const auto gb = b.generate(prompts, 10, &lb);
  EXPECT_EQ(ga, gb);
  EXPECT_EQ(la, lb);
  ASSERT_EQ(ga.size(), 2u);
  EXPECT_EQ(ga[0].size(), 10u);
  // Running again on the same object restarts the sequences from position 0.
  std::vector<std::vector<float>> lc;
  EXPECT_EQ(a.generate(prompts, 10, &lc), ga);
  EXPECT_EQ(lc, la);
}

TEST(Reference, BatchRowsAreIndependent) {
  const ModelSpec s = tinySpec();
  const Weights w = testbench::makeRandomWeights(s, 2);
  const std::vector<std::vector<std::uint32_t>> prompts = {{5, 17, 3, 88}, {40, 2}, {96, 96, 0, 1, 7}};
  std::vector<std::vector<float>> batchLogits;
  ReferenceTransformer batched(s, w, 3, 16);
  const auto batchTokens = batched.generate(prompts, 8, &batchLogits);
  for (std::size_t r = 0; r < prompts.size(); ++r) {
    ReferenceTransformer single(s, w, 1, 16);
    std::vector<std::vector<float>> logits;
    EXPECT_EQ(single.generate({prompts[r]}, 8, &logits)[0], batchTokens[r]) << "row " << r;
    EXPECT_EQ(logits[0], batchLogits[r]) << "row " << r;
  }
  // The same through step(): row 1's logits do not depend on row 0's token.
  ReferenceTransformer x(s, w, 2, 4);
  ReferenceTransformer y(s, w, 2, 4);
  const auto lx = x.step({3, 9}, {0, 0});
  const auto ly = y.step({50, 9}, {0, 0});
  EXPECT_EQ(rowOf(lx, 1, s.vocab), rowOf(ly, 1, s.vocab));
  EXPECT_NE(rowOf(lx, 0, s.vocab), rowOf(ly, 0, s.vocab));
}

TEST(Reference, GenerateEqualsStepByStepArgmax) {
  const ModelSpec s = tinySpec();
  const Weights w = testbench::makeRandomWeights(s, 3);
  const std::vector<std::uint32_t> prompt = {11, 22, 33};
  ReferenceTransformer gen(s, w, 1, 16);
  std::vector<std::vector<float>> last;
  const auto tokens = gen.generate({prompt}, 5, &last)[0];

  ReferenceTransformer manual(s, w, 1, 16);
  std::vector<float> logits;
  std::uint32_t pos = 0;
  for (auto t : prompt) logits = manual.step({t}, {pos++});
  std::vector<std::uint32_t> expected;
  for (int i = 0; i < 5; ++i) {
    const auto next = static_cast<std::uint32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    expected.push_back(next);
    if (i < 4) logits = manual.step({next}, {pos++});
  }
  EXPECT_EQ(tokens, expected);
  EXPECT_EQ(last[0], logits);
  // genTokens == 0: only the prompt runs; lastLogits are the last prompt step's.
  ReferenceTransformer none(s, w, 1, 3);
  EXPECT_TRUE(none.generate({prompt}, 0, &last)[0].empty());
  ReferenceTransformer three(s, w, 1, 3);
  (void)three.step({11}, {0});
  (void)three.step({22}, {1});
  EXPECT_EQ(last[0], three.step({33}, {2}));
}

TEST(Reference, LogitsChangeWithPosition) {
  const ModelSpec s = tinySpec();
  const Weights w = testbench::makeRandomWeights(s, 4);
  ReferenceTransformer ref(s, w, 1, 8);
  std::vector<std::vector<float>> steps;
  const std::uint32_t prompt[] = {7, 61, 7, 30, 7};
  for (std::uint32_t p = 0; p < 5; ++p) steps.push_back(ref.step({prompt[p]}, {p}));
  for (std::size_t i = 0; i < steps.size(); ++i)
    for (std::size_t j = i + 1; j < steps.size(); ++j) EXPECT_NE(steps[i], steps[j]) << i << " vs " << j;
}

TEST(Reference, RopeMakesAttentionOrderSensitive) {
  // Without positional information, one layer of attention is a symmetric
  // function of its context: [a, b, c] and [b, a, c] would give the same final
  // logits (up to summation order). RoPE must make them clearly different.
  // (With more layers causal masking alone breaks the symmetry.)
  ModelSpec s = allFp32(tinySpec());
  s.layers = 1;
  const Weights w = testbench::makeRandomWeights(s, 5);
  auto lastLogits = [&](std::vector<std::uint32_t> prompt) {
    ReferenceTransformer ref(s, w, 1, 4);
    std::vector<std::vector<float>> last;
    (void)ref.generate({prompt}, 0, &last);
    return last[0];
  };
  const auto ab = lastLogits({10, 20, 30});
  const auto ba = lastLogits({20, 10, 30});
  EXPECT_GT(maxAbsDiff(ab, ba), 1e-2f * maxAbs(ab));
}

TEST(Reference, KvCacheCarriesHistory) {
  const ModelSpec s = tinySpec();
  const Weights w = testbench::makeRandomWeights(s, 6);
  ReferenceTransformer ref(s, w, 1, 8);
  (void)ref.step({1}, {0});
  const auto after1 = ref.step({2}, {1});
  (void)ref.step({50}, {0}); // rewrite position 0: history changes
  const auto after50 = ref.step({2}, {1});
  EXPECT_NE(after1, after50);
  (void)ref.step({1}, {0});
  EXPECT_EQ(ref.step({2}, {1}), after1);
}

TEST(Reference, LogitsAreActDtypeAndNotDegenerate) {
  const ModelSpec s = tinySpec();
  const Weights w = testbench::makeRandomWeights(s, 8);
  ReferenceTransformer ref(s, w, 1, 4);
  const auto logits = ref.step({3}, {0});
  ASSERT_EQ(logits.size(), s.vocab);
  for (float v : logits) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_EQ(models::roundTo(DType::Bf16, v), v);
  }
  const std::set<float> distinct(logits.begin(), logits.end());
  EXPECT_GT(distinct.size(), s.vocab * 3 / 4);
  const auto top = std::max_element(logits.begin(), logits.end());
  EXPECT_EQ(std::count(logits.begin(), logits.end(), *top), 1);
}

TEST(Reference, TiedEmbeddingsUseTheEmbeddingAsHead) {
  ModelSpec s = tinySpec();
  s.tieEmbeddings = true;
  const Weights w = testbench::makeRandomWeights(s, 9);
  ReferenceTransformer ref(s, w, 1, 4);
  Weights untied = w;
  ModelSpec su = s;
  su.tieEmbeddings = false;
  ReferenceTransformer refU(su, untied, 1, 4);
  EXPECT_EQ(ref.step({4}, {0}), refU.step({4}, {0}));
}

TEST(Reference, ArgmaxTakesTheLowestIndexOfEqualMaxima) {
  const float v[] = {1.0f, 3.0f, -2.0f, 3.0f, 2.0f};
  EXPECT_EQ(ReferenceTransformer::argmax(v, 5), 1u);
  const float n[] = {std::numeric_limits<float>::quiet_NaN(), 0.5f, 0.5f};
  EXPECT_EQ(ReferenceTransformer::argmax(n, 3), 1u);
  const float neg[] = {-5.0f, -1.0f, -1.0f};
  EXPECT_EQ(ReferenceTransformer::argmax(neg, 3), 1u);
}

TEST(Reference, RejectsBadInput) {
  const ModelSpec s = tinySpec();
  const Weights w = testbench::makeRandomWeights(s, 10);
  ReferenceTransformer ref(s, w, 2, 4);
  EXPECT_THROW((void)ref.step({1}, {0}), std::invalid_argument);                         // one row short
  EXPECT_THROW((void)ref.step({1, 97}, {0, 0}), std::invalid_argument);                  // token >= vocab
  EXPECT_THROW((void)ref.step({1, 2}, {0, 1}), std::invalid_argument);                   // position 0 not written
  EXPECT_THROW((void)ref.step({1, 2}, {4, 0}), std::invalid_argument);                   // >= maxContext
  EXPECT_THROW((void)ref.generate({{1, 2, 3}, {}}, 1, nullptr), std::invalid_argument);  // empty prompt
  EXPECT_THROW((void)ref.generate({{1, 2, 3}, {1}}, 3, nullptr), std::invalid_argument); // 3 + 3 - 1 > 4
  EXPECT_NO_THROW((void)ref.generate({{1, 2, 3}, {1}}, 2, nullptr));
  Weights bad = w;
  bad.layers[0].wo.resize(3);
  EXPECT_THROW(ReferenceTransformer(s, bad, 1, 4), testbench::ModelError);
  EXPECT_THROW(ReferenceTransformer(s, w, 0, 4), std::invalid_argument);
}

} // namespace
} // namespace llmvp::golden
