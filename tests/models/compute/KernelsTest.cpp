// SPDX-License-Identifier: Apache-2.0
// Functional kernels of the compute tile (models/compute/Kernels) against the
// numerics contract of descriptors.h: exact cases where fp32 arithmetic is
// exact (so the only rounding is the single store to the output type), the
// accumulation order, and straightforward double-precision implementations
// with tolerances stated per output type.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "models/common/Numerics.h"
#include "models/compute/Kernels.h"

namespace llmvp::models::compute {
namespace {

constexpr DType kFloatTypes[] = {DType::Fp32, DType::Bf16, DType::Fp8E4M3};

std::vector<std::uint8_t> pack(DType t, const std::vector<float>& v) {
  std::vector<std::uint8_t> b(v.size() * dtypeBytes(t));
  for (std::size_t i = 0; i < v.size(); ++i) storeElement(b.data(), t, i, v[i]);
  return b;
}
std::vector<float> unpack(DType t, const std::vector<std::uint8_t>& b) {
  std::vector<float> v(b.size() / dtypeBytes(t));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = loadElement(b.data(), t, i);
  return v;
}
/// Random values already representable in `t` (what a stored tensor holds).
std::vector<float> randomValues(DType t, std::size_t n, std::uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = roundTo(t, d(rng));
  return v;
}

/// Tolerance of one output element against a double reference: half an ulp
/// of the output type relative to the value (bf16: 8 significant bits, fp8
/// E4M3: 4), or half the smallest subnormal step near zero (fp8: 2^-9 / 2),
/// plus fp32 rounding error relative to the magnitude of the terms summed.
double tolerance(DType out, double ref, double termMagnitude) {
  const double rel = out == DType::Fp32 ? 0.0 : out == DType::Bf16 ? std::ldexp(1.0, -8) : std::ldexp(1.0, -4);
  const double subnormal = out == DType::Fp8E4M3 ? std::ldexp(1.0, -10) : 0.0;
  return std::max(rel * std::fabs(ref), subnormal) + 1e-5 * termMagnitude + 1e-30;
}

// ---- GEMV -----------------------------------------------------------------------------

TEST(KernelGemv, ExactIntegerProductsForEveryTypeCombination) {
  constexpr std::uint32_t m = 2, n = 3, k = 5;
  std::vector<float> x(m * k), w(n * k), acc(m * n);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>((i * 5) % 7) - 3);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>((i * 3) % 7) - 3);
  for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = static_cast<float>(static_cast<int>(i) - 2);
  for (DType dx : kFloatTypes)
    for (DType dw : kFloatTypes)
      for (DType dy : kFloatTypes)
        for (bool accumulate : {false, true}) {
          const auto xb = pack(dx, x), wb = pack(dw, w), ab = pack(dy, acc);
          std::vector<std::uint8_t> yb(m * n * dtypeBytes(dy), 0xcc);
          gemv(xb.data(), dx, wb.data(), dw, accumulate ? ab.data() : nullptr, yb.data(), dy, m, n, k);
          const auto y = unpack(dy, yb);
          for (std::uint32_t r = 0; r < m; ++r)
            for (std::uint32_t o = 0; o < n; ++o) {
              int exact = 0;
              for (std::uint32_t j = 0; j < k; ++j)
                exact += static_cast<int>(w[o * k + j]) * static_cast<int>(x[r * k + j]);
              if (accumulate) exact += static_cast<int>(acc[r * n + o]);
              ASSERT_EQ(y[r * n + o], roundTo(dy, static_cast<float>(exact)))
                  << dtypeName(dx) << "/" << dtypeName(dw) << "->" << dtypeName(dy) << " accumulate " << accumulate
                  << " y[" << r << "][" << o << "]";
            }
        }
}

TEST(KernelGemv, AccumulatesInFp32InIndexOrderThenAddsTheResidual) {
  const float big = 16777216.0f; // 2^24: big + 1 rounds back to big in fp32
  const std::vector<float> x{1.0f, 1.0f, 1.0f};
  auto run = [&](const std::vector<float>& w, const float* residual) {
    const auto xb = pack(DType::Fp32, x), wb = pack(DType::Fp32, w);
    const auto ab = pack(DType::Fp32, {residual ? *residual : 0.0f});
    std::vector<std::uint8_t> yb(4);
    gemv(xb.data(), DType::Fp32, wb.data(), DType::Fp32, residual ? ab.data() : nullptr, yb.data(), DType::Fp32, 1, 1,
         3);
    return unpack(DType::Fp32, yb)[0];
  };
  EXPECT_EQ(run({big, 1.0f, -big}, nullptr), 0.0f); // (2^24 + 1) - 2^24 in fp32
  EXPECT_EQ(run({-big, big, 1.0f}, nullptr), 1.0f); // same terms, other order
  const float one = 1.0f;
  EXPECT_EQ(run({big, 1.0f, -big}, &one), 1.0f); // residual added after the dot product
}

TEST(KernelGemv, RandomInputsMatchDoubleReference) {
  constexpr std::uint32_t m = 3, n = 17, k = 64;
  for (DType dy : kFloatTypes) {
    const auto x = randomValues(DType::Bf16, m * k, 1), w = randomValues(DType::Fp8E4M3, n * k, 2);
    const auto acc = randomValues(dy, m * n, 3);
    const auto xb = pack(DType::Bf16, x), wb = pack(DType::Fp8E4M3, w), ab = pack(dy, acc);
    std::vector<std::uint8_t> yb(m * n * dtypeBytes(dy));
    gemv(xb.data(), DType::Bf16, wb.data(), DType::Fp8E4M3, ab.data(), yb.data(), dy, m, n, k);
    const auto y = unpack(dy, yb);
    for (std::uint32_t r = 0; r < m; ++r)
      for (std::uint32_t o = 0; o < n; ++o) {
        double ref = acc[r * n + o], mag = std::fabs(ref);
        for (std::uint32_t j = 0; j < k; ++j) {
          ref += static_cast<double>(w[o * k + j]) * x[r * k + j];
          mag += std::fabs(static_cast<double>(w[o * k + j]) * x[r * k + j]);
        }
        EXPECT_NEAR(y[r * n + o], ref, tolerance(dy, ref, mag)) << dtypeName(dy) << " y[" << r << "][" << o << "]";
      }
  }
}

// ---- attention ----------------------------------------------------------------------

/// Straightforward decode attention in double: head h reads KV head h / (heads / kvHeads).
std::vector<double> attentionRef(const std::vector<float>& q, const std::vector<float>& kc,
                                 const std::vector<float>& vc, std::uint32_t ctx, std::uint32_t heads,
                                 std::uint32_t kvHeads, std::uint32_t d) {
  std::vector<double> out(heads * d);
  for (std::uint32_t h = 0; h < heads; ++h) {
    const std::uint32_t g = h / (heads / kvHeads);
    std::vector<double> s(ctx);
    double mx = -INFINITY;
    for (std::uint32_t t = 0; t < ctx; ++t) {
      double dot = 0;
      for (std::uint32_t i = 0; i < d; ++i) dot += double{q[h * d + i]} * kc[(t * kvHeads + g) * d + i];
      s[t] = dot / std::sqrt(static_cast<double>(d));
      mx = std::max(mx, s[t]);
    }
    double sum = 0;
    for (auto& v : s) sum += (v = std::exp(v - mx));
    for (std::uint32_t i = 0; i < d; ++i) {
      double a = 0;
      for (std::uint32_t t = 0; t < ctx; ++t) a += s[t] * vc[(t * kvHeads + g) * d + i];
      out[h * d + i] = a / sum;
    }
  }
  return out;
}

struct AttnCase {
  std::uint32_t ctx, heads, kvHeads, headDim;
  DType dq, dkv, dout;
};

void PrintTo(const AttnCase& c, std::ostream* os) {
  *os << "ctx" << c.ctx << "_heads" << c.heads << "_kv" << c.kvHeads << "_d" << c.headDim << "_" << dtypeName(c.dq)
      << "_" << dtypeName(c.dkv) << "_" << dtypeName(c.dout);
}

class KernelAttention : public testing::TestWithParam<AttnCase> {};

TEST_P(KernelAttention, MatchesDoubleReferenceWithGroupedKvHeads) {
  const AttnCase& c = GetParam();
  const auto q = randomValues(c.dq, c.heads * c.headDim, 4, -3.0f, 3.0f);
  // KV heads differ strongly, so reading the wrong one cannot pass.
  auto kc = randomValues(c.dkv, c.ctx * c.kvHeads * c.headDim, 5);
  auto vc = randomValues(c.dkv, c.ctx * c.kvHeads * c.headDim, 6);
  for (std::uint32_t t = 0; t < c.ctx; ++t)
    for (std::uint32_t g = 0; g < c.kvHeads; ++g)
      for (std::uint32_t i = 0; i < c.headDim; ++i)
        vc[(t * c.kvHeads + g) * c.headDim + i] = roundTo(c.dkv, vc[(t * c.kvHeads + g) * c.headDim + i] + 4.0f * g);
  const auto qb = pack(c.dq, q), kb = pack(c.dkv, kc), vb = pack(c.dkv, vc);
  std::vector<std::uint8_t> ob(c.heads * c.headDim * dtypeBytes(c.dout));
  attention(qb.data(), c.dq, kb.data(), vb.data(), c.dkv, ob.data(), c.dout, c.ctx, c.heads, c.kvHeads, c.headDim);
  const auto out = unpack(c.dout, ob);
  const auto ref = attentionRef(q, kc, vc, c.ctx, c.heads, c.kvHeads, c.headDim);
  for (std::size_t i = 0; i < ref.size(); ++i)
    EXPECT_NEAR(out[i], ref[i], tolerance(c.dout, ref[i], 4.0 * c.kvHeads + 2.0)) << "out[" << i << "]";
}

INSTANTIATE_TEST_SUITE_P(Shapes, KernelAttention,
                         testing::Values(AttnCase{9, 4, 2, 16, DType::Fp32, DType::Fp32, DType::Fp32},
                                         AttnCase{5, 8, 2, 8, DType::Bf16, DType::Bf16, DType::Bf16},
                                         AttnCase{12, 6, 1, 4, DType::Fp32, DType::Fp8E4M3, DType::Bf16},
                                         AttnCase{3, 4, 4, 8, DType::Fp32, DType::Bf16, DType::Fp32}),
                         [](const testing::TestParamInfo<AttnCase>& i) { return testing::PrintToString(i.param); });

TEST(KernelAttentionExact, SinglePositionReturnsItsValueRow) {
  // softmax over one score is exactly 1: out[h] = V[0][h / group].
  constexpr std::uint32_t heads = 4, kvh = 2, d = 4;
  const auto q = randomValues(DType::Fp32, heads * d, 7);
  const auto kc = randomValues(DType::Fp32, kvh * d, 8);
  const auto vc = randomValues(DType::Bf16, kvh * d, 9);
  const auto qb = pack(DType::Fp32, q), kb = pack(DType::Bf16, kc), vb = pack(DType::Bf16, vc);
  std::vector<std::uint8_t> ob(heads * d * 4);
  attention(qb.data(), DType::Fp32, kb.data(), vb.data(), DType::Bf16, ob.data(), DType::Fp32, 1, heads, kvh, d);
  const auto out = unpack(DType::Fp32, ob);
  for (std::uint32_t h = 0; h < heads; ++h)
    for (std::uint32_t i = 0; i < d; ++i) EXPECT_EQ(out[h * d + i], vc[(h / 2) * d + i]) << h << "," << i;
}

TEST(KernelAttentionExact, LargeScoresDoNotOverflow) {
  // Scores of 1e4 would overflow exp() without the max subtraction.
  constexpr std::uint32_t ctx = 2, d = 1;
  const auto qb = pack(DType::Fp32, {100.0f});
  const auto kb = pack(DType::Fp32, {100.0f, 100.0f});
  const auto vb = pack(DType::Fp32, {2.0f, 4.0f});
  std::vector<std::uint8_t> ob(4);
  attention(qb.data(), DType::Fp32, kb.data(), vb.data(), DType::Fp32, ob.data(), DType::Fp32, ctx, 1, 1, d);
  EXPECT_EQ(unpack(DType::Fp32, ob)[0], 3.0f);
}

// ---- RMSNorm ------------------------------------------------------------------------

TEST(KernelRmsnorm, ExactCaseAndEpsilon) {
  // x = 2 everywhere: mean square 4, 1/sqrt(4) = 0.5, y = x * 0.5 * w.
  const auto xb = pack(DType::Fp32, {2, 2, 2, 2, -2, -2, -2, -2});
  const auto wb = pack(DType::Bf16, {1, 2, 3, 0.5f});
  std::vector<std::uint8_t> yb(8 * 4);
  rmsnorm(xb.data(), DType::Fp32, wb.data(), DType::Bf16, yb.data(), DType::Fp32, 2, 4, 0.0f);
  EXPECT_EQ(unpack(DType::Fp32, yb), (std::vector<float>{1, 2, 3, 0.5f, -1, -2, -3, -0.5f}));
  // All-zero rows are finite thanks to eps.
  const auto zb = pack(DType::Fp32, {0, 0, 0, 0});
  rmsnorm(zb.data(), DType::Fp32, wb.data(), DType::Bf16, yb.data(), DType::Fp32, 1, 4, 1e-5f);
  for (float v : unpack(DType::Fp32, std::vector<std::uint8_t>(yb.begin(), yb.begin() + 16))) EXPECT_EQ(v, 0.0f);
}

TEST(KernelRmsnorm, RandomInputsMatchDoubleReference) {
  constexpr std::uint32_t m = 3, n = 96;
  const float eps = 1e-5f;
  for (DType dy : kFloatTypes) {
    const auto x = randomValues(DType::Bf16, m * n, 10, -3.0f, 3.0f), w = randomValues(DType::Fp32, n, 11);
    const auto xb = pack(DType::Bf16, x), wb = pack(DType::Fp32, w);
    std::vector<std::uint8_t> yb(m * n * dtypeBytes(dy));
    rmsnorm(xb.data(), DType::Bf16, wb.data(), DType::Fp32, yb.data(), dy, m, n, eps);
    const auto y = unpack(dy, yb);
    for (std::uint32_t r = 0; r < m; ++r) {
      double ss = 0;
      for (std::uint32_t j = 0; j < n; ++j) ss += double{x[r * n + j]} * x[r * n + j];
      const double inv = 1.0 / std::sqrt(ss / n + eps);
      for (std::uint32_t j = 0; j < n; ++j) {
        const double ref = x[r * n + j] * inv * w[j];
        EXPECT_NEAR(y[r * n + j], ref, tolerance(dy, ref, std::fabs(ref))) << dtypeName(dy) << " " << r << "," << j;
      }
    }
  }
}

// ---- RoPE ---------------------------------------------------------------------------

TEST(KernelRope, PositionZeroIsIdentity) {
  auto x = pack(DType::Bf16, randomValues(DType::Bf16, 2 * 8, 12));
  const auto before = x;
  const std::uint32_t pos[1] = {0};
  rope(x.data(), DType::Bf16, pos, 1, 2, 8, 10000.0f);
  EXPECT_EQ(x, before);
}

TEST(KernelRope, RotatesPairsIAndIPlusHalfWithHuggingFaceFrequencies) {
  constexpr std::uint32_t m = 2, heads = 3, d = 8, half = d / 2;
  const float theta = 500000.0f;
  const std::uint32_t pos[m] = {1, 37};
  const auto x = randomValues(DType::Fp32, m * heads * d, 13);
  auto xb = pack(DType::Fp32, x);
  rope(xb.data(), DType::Fp32, pos, m, heads, d, theta);
  const auto y = unpack(DType::Fp32, xb);
  for (std::uint32_t r = 0; r < m; ++r)
    for (std::uint32_t h = 0; h < heads; ++h)
      for (std::uint32_t i = 0; i < half; ++i) {
        const double ang = pos[r] * std::pow(double{theta}, -2.0 * i / d);
        const std::size_t b = (r * heads + h) * d;
        const double a = x[b + i], c = x[b + i + half];
        EXPECT_NEAR(y[b + i], a * std::cos(ang) - c * std::sin(ang), 2e-5) << r << "," << h << "," << i;
        EXPECT_NEAR(y[b + i + half], c * std::cos(ang) + a * std::sin(ang), 2e-5) << r << "," << h << "," << i;
      }
}

TEST(KernelRope, RoundsOnceToBf16) {
  constexpr std::uint32_t d = 4;
  const std::uint32_t pos[1] = {3};
  const std::vector<float> x{0.75f, -1.25f, 0.5f, 2.0f};
  auto xb = pack(DType::Bf16, x);
  rope(xb.data(), DType::Bf16, pos, 1, 1, d, 10000.0f);
  const auto y = unpack(DType::Bf16, xb);
  for (std::uint32_t i = 0; i < d / 2; ++i) {
    const float ang = 3.0f * ropeInvFreq(10000.0f, i, d);
    const float c = std::cos(ang), s = std::sin(ang);
    EXPECT_EQ(y[i], roundTo(DType::Bf16, x[i] * c - x[i + 2] * s));
    EXPECT_EQ(y[i + 2], roundTo(DType::Bf16, x[i + 2] * c + x[i] * s));
  }
}

// ---- SwiGLU, add ----------------------------------------------------------------------

TEST(KernelSwiglu, MatchesDoubleReference) {
  constexpr std::size_t n = 200;
  const auto g = randomValues(DType::Fp32, n, 14, -8.0f, 8.0f), u = randomValues(DType::Bf16, n, 15);
  for (DType dy : kFloatTypes) {
    const auto gb = pack(DType::Fp32, g), ub = pack(DType::Bf16, u);
    std::vector<std::uint8_t> yb(n * dtypeBytes(dy));
    swiglu(gb.data(), DType::Fp32, ub.data(), DType::Bf16, yb.data(), dy, n);
    const auto y = unpack(dy, yb);
    for (std::size_t i = 0; i < n; ++i) {
      const double ref = g[i] / (1.0 + std::exp(-double{g[i]})) * u[i];
      EXPECT_NEAR(y[i], ref, tolerance(dy, ref, std::fabs(ref)) + 1e-6) << dtypeName(dy) << " " << i;
    }
  }
  const auto zb = pack(DType::Fp32, {0.0f});
  const auto ob = pack(DType::Fp32, {5.0f});
  std::vector<std::uint8_t> yb(4);
  swiglu(zb.data(), DType::Fp32, ob.data(), DType::Fp32, yb.data(), DType::Fp32, 1);
  EXPECT_EQ(unpack(DType::Fp32, yb)[0], 0.0f);
}

TEST(KernelAdd, ExactSumsRoundedOnceToOutput) {
  const std::vector<float> a{1.5f, -3.0f, 100.0f, 0.25f}, b{2.0f, 3.0f, 7.0f, 448.0f};
  for (DType da : kFloatTypes)
    for (DType dy : kFloatTypes) {
      const auto ab = pack(da, a), bb = pack(DType::Fp32, b);
      std::vector<std::uint8_t> yb(a.size() * dtypeBytes(dy));
      add(ab.data(), da, bb.data(), DType::Fp32, yb.data(), dy, a.size());
      const auto y = unpack(dy, yb);
      for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(y[i], roundTo(dy, roundTo(da, a[i]) + b[i])) << dtypeName(da) << "->" << dtypeName(dy) << " " << i;
    }
}

// ---- argmax -------------------------------------------------------------------------

TEST(KernelArgmax, TiesGoToTheLowestIndex) {
  for (DType t : kFloatTypes) {
    const std::vector<float> x{1, 5, 5, 2, /**/ -3, -1, -2, -1, /**/ 7, 7, 7, 7, /**/ -1, 0, 0, 4};
    const auto xb = pack(t, x);
    std::uint32_t out[4] = {99, 99, 99, 99};
    argmax(xb.data(), t, out, 4, 4);
    EXPECT_EQ(out[0], 1u) << dtypeName(t);
    EXPECT_EQ(out[1], 1u) << dtypeName(t);
    EXPECT_EQ(out[2], 0u) << dtypeName(t);
    EXPECT_EQ(out[3], 3u) << dtypeName(t);
  }
}

TEST(KernelArgmax, ValuesEqualAfterRoundingTieToo) {
  // 1.0 and 1.001 are distinct in fp32 but the same bf16 value.
  const auto xb = pack(DType::Bf16, {0.5f, 1.0f, 1.001f});
  std::uint32_t out = 99;
  argmax(xb.data(), DType::Bf16, &out, 1, 3);
  EXPECT_EQ(out, 1u);
  const auto fb = pack(DType::Fp32, {0.5f, 1.0f, 1.001f});
  argmax(fb.data(), DType::Fp32, &out, 1, 3);
  EXPECT_EQ(out, 2u);
}

// ---- convert ------------------------------------------------------------------------

TEST(KernelConvert, RoundsToNearestEvenAndSaturatesFp8) {
  const std::vector<float> src{1.0f, 1.0f + 0x1.0p-8f, 1.0f + 0x1.8p-8f, 1000.0f, -1000.0f, 0.0f, 3.14159265f};
  const auto sb = pack(DType::Fp32, src);
  std::vector<std::uint8_t> bb(src.size() * 2), fb(src.size());
  convert(sb.data(), DType::Fp32, bb.data(), DType::Bf16, src.size());
  convert(sb.data(), DType::Fp32, fb.data(), DType::Fp8E4M3, src.size());
  const auto b = unpack(DType::Bf16, bb), f = unpack(DType::Fp8E4M3, fb);
  EXPECT_EQ(b[1], 1.0f);             // tie to even: down
  EXPECT_EQ(b[2], 1.0f + 0x1.0p-7f); // above the tie: up
  EXPECT_EQ(b[3], 1000.0f);
  EXPECT_EQ(f[3], 448.0f); // fp8 saturates
  EXPECT_EQ(f[4], -448.0f);
  EXPECT_EQ(f[6], 3.25f);
  for (std::size_t i = 0; i < src.size(); ++i) {
    EXPECT_EQ(b[i], roundTo(DType::Bf16, src[i])) << i;
    EXPECT_EQ(f[i], roundTo(DType::Fp8E4M3, src[i])) << i;
  }
  // Widening is exact.
  std::vector<std::uint8_t> back(src.size() * 4);
  convert(bb.data(), DType::Bf16, back.data(), DType::Fp32, src.size());
  EXPECT_EQ(unpack(DType::Fp32, back), b);
  convert(fb.data(), DType::Fp8E4M3, back.data(), DType::Fp32, src.size());
  EXPECT_EQ(unpack(DType::Fp32, back), f);
}

TEST(KernelConvert, SameTypeIsABitCopy) {
  // fp32 NaN payloads and u32 values above 2^24 survive only a bit copy.
  const std::uint32_t words[] = {0x7fc01234u, 0xffffffffu, 16777217u, 0x80000000u};
  std::uint32_t out[4] = {};
  convert(reinterpret_cast<const std::uint8_t*>(words), DType::Fp32, reinterpret_cast<std::uint8_t*>(out), DType::Fp32,
          4);
  EXPECT_EQ(std::memcmp(words, out, sizeof words), 0);
  std::uint32_t outU[4] = {};
  convert(reinterpret_cast<const std::uint8_t*>(words), DType::U32, reinterpret_cast<std::uint8_t*>(outU), DType::U32,
          4);
  EXPECT_EQ(std::memcmp(words, outU, sizeof words), 0);
}

} // namespace
} // namespace llmvp::models::compute
