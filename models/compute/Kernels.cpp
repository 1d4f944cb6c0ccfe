// SPDX-License-Identifier: Apache-2.0
#include "models/compute/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace llmvp::models::compute {

void gemv(const std::uint8_t* x, DType dx, const std::uint8_t* w, DType dw, const std::uint8_t* acc, std::uint8_t* y,
          DType dy, std::uint32_t m, std::uint32_t n, std::uint32_t k, const std::uint8_t* bias, DType db) {
  std::vector<float> xr(k);
  for (std::uint32_t r = 0; r < m; ++r) {
    for (std::uint32_t j = 0; j < k; ++j) xr[j] = loadElement(x, dx, std::size_t{r} * k + j);
    for (std::uint32_t o = 0; o < n; ++o) {
      float s = 0.0f;
      const std::size_t row = std::size_t{o} * k;
      for (std::uint32_t j = 0; j < k; ++j) s += loadElement(w, dw, row + j) * xr[j];
      const std::size_t out = std::size_t{r} * n + o;
      if (acc != nullptr) s += loadElement(acc, dy, out);
      if (bias != nullptr) s += loadElement(bias, db, o);
      storeElement(y, dy, out, s);
    }
  }
}

std::uint64_t weightMatrixBytes(std::uint8_t dt, std::uint64_t n, std::uint64_t k, std::uint32_t group) {
  if (!isQuantized(dt)) return n * k * dtypeBytes(static_cast<DType>(dt));
  if (group == 0 || k % group != 0 || (dt == LLMVP_DT_INT4 && k % 2 != 0)) return 0;
  const std::uint64_t values = dt == LLMVP_DT_INT8 ? n * k : n * k / 2;
  return values + n * (k / group) * dtypeBytes(DType::Bf16);
}

void dequantize(const std::uint8_t* w, std::uint8_t dt, std::uint64_t n, std::uint64_t k, std::uint32_t group,
                float* out) {
  const std::uint64_t values = dt == LLMVP_DT_INT8 ? n * k : n * k / 2;
  const std::uint8_t* scales = w + values;
  const std::uint64_t groups = k / group;
  for (std::uint64_t o = 0; o < n; ++o) {
    for (std::uint64_t j = 0; j < k; ++j) {
      const std::uint64_t i = o * k + j;
      int q = 0;
      if (dt == LLMVP_DT_INT8) {
        q = static_cast<std::int8_t>(w[i]); // NOLINT(bugprone-signed-char-misuse): an int8 weight is signed
      } else {
        const unsigned nib = (w[i / 2] >> ((i % 2) * 4)) & 0xfu;
        q = static_cast<int>(nib) - (nib >= 8 ? 16 : 0);
      }
      out[i] = static_cast<float>(q) * loadElement(scales, DType::Bf16, o * groups + j / group);
    }
  }
}

void topk(const float* logits, std::uint32_t n, std::uint32_t k, std::uint32_t scoring, float scale, std::uint32_t* ids,
          float* weights) {
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return logits[a] > logits[b]; });
  float sum = 0.0f;
  for (std::uint32_t j = 0; j < k; ++j) {
    ids[j] = order[j];
    const float l = logits[order[j]];
    weights[j] = scoring == LLMVP_ROUTER_SIGMOID ? 1.0f / (1.0f + std::exp(-l)) : std::exp(l - logits[order[0]]);
    sum += weights[j];
  }
  for (std::uint32_t j = 0; j < k; ++j) weights[j] = weights[j] / sum * scale;
}

void moeCombine(const std::uint8_t* e, DType de, const float* weights, const std::uint8_t* acc, std::uint8_t* y,
                DType dy, std::uint32_t m, std::uint32_t n, std::uint32_t k) {
  for (std::uint32_t r = 0; r < m; ++r) {
    for (std::uint32_t o = 0; o < n; ++o) {
      float s = 0.0f;
      for (std::uint32_t j = 0; j < k; ++j)
        s += weights[std::size_t{r} * k + j] * loadElement(e, de, (std::size_t{r} * k + j) * n + o);
      const std::size_t out = std::size_t{r} * n + o;
      storeElement(y, dy, out, s + loadElement(acc, dy, out));
    }
  }
}

void attention(const std::uint8_t* q, DType dq, const std::uint8_t* kc, const std::uint8_t* vc, DType dkv,
               std::uint8_t* out, DType dout, std::uint32_t ctx, std::uint32_t heads, std::uint32_t kvHeads,
               std::uint32_t headDim) {
  const std::uint32_t group = heads / kvHeads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  std::vector<float> p(ctx);
  for (std::uint32_t h = 0; h < heads; ++h) {
    const std::uint32_t g = h / group;
    float mx = -INFINITY;
    for (std::uint32_t t = 0; t < ctx; ++t) {
      float s = 0.0f;
      const std::size_t kb = (std::size_t{t} * kvHeads + g) * headDim;
      for (std::uint32_t d = 0; d < headDim; ++d)
        s += loadElement(q, dq, std::size_t{h} * headDim + d) * loadElement(kc, dkv, kb + d);
      p[t] = s * scale;
      mx = std::max(mx, p[t]);
    }
    float sum = 0.0f;
    for (std::uint32_t t = 0; t < ctx; ++t) {
      p[t] = std::exp(p[t] - mx);
      sum += p[t];
    }
    for (std::uint32_t d = 0; d < headDim; ++d) {
      float a = 0.0f;
      for (std::uint32_t t = 0; t < ctx; ++t)
        a += p[t] * loadElement(vc, dkv, (std::size_t{t} * kvHeads + g) * headDim + d);
      storeElement(out, dout, std::size_t{h} * headDim + d, a / sum);
    }
  }
}

void gemvHeads(const std::uint8_t* x, DType dx, const std::uint8_t* w, DType dw, std::uint8_t* y, DType dy,
               std::uint32_t m, std::uint32_t heads, std::uint32_t n, std::uint32_t k) {
  std::vector<float> xr(k);
  for (std::uint32_t r = 0; r < m; ++r) {
    for (std::uint32_t h = 0; h < heads; ++h) {
      const std::size_t xb = (std::size_t{r} * heads + h) * k;
      for (std::uint32_t j = 0; j < k; ++j) xr[j] = loadElement(x, dx, xb + j);
      const std::size_t wb = std::size_t{h} * n * k;
      for (std::uint32_t o = 0; o < n; ++o) {
        float s = 0.0f;
        for (std::uint32_t j = 0; j < k; ++j) s += loadElement(w, dw, wb + std::size_t{o} * k + j) * xr[j];
        storeElement(y, dy, (std::size_t{r} * heads + h) * n + o, s);
      }
    }
  }
}

void attentionMla(const std::uint8_t* qLat, const std::uint8_t* qRope, DType dq, const std::uint8_t* cache, DType dkv,
                  std::uint8_t* out, DType dout, std::uint32_t ctx, std::uint32_t heads, std::uint32_t latent,
                  std::uint32_t rope, std::uint32_t scaleDim) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(scaleDim));
  const std::size_t row = std::size_t{latent} + rope;
  std::vector<float> p(ctx);
  for (std::uint32_t h = 0; h < heads; ++h) {
    float mx = -INFINITY;
    for (std::uint32_t t = 0; t < ctx; ++t) {
      float s = 0.0f;
      for (std::uint32_t c = 0; c < latent; ++c)
        s += loadElement(qLat, dq, std::size_t{h} * latent + c) * loadElement(cache, dkv, t * row + c);
      for (std::uint32_t j = 0; j < rope; ++j)
        s += loadElement(qRope, dq, std::size_t{h} * rope + j) * loadElement(cache, dkv, t * row + latent + j);
      p[t] = s * scale;
      mx = std::max(mx, p[t]);
    }
    float sum = 0.0f;
    for (std::uint32_t t = 0; t < ctx; ++t) {
      p[t] = std::exp(p[t] - mx);
      sum += p[t];
    }
    for (std::uint32_t c = 0; c < latent; ++c) {
      float a = 0.0f;
      for (std::uint32_t t = 0; t < ctx; ++t) a += p[t] * loadElement(cache, dkv, t * row + c);
      storeElement(out, dout, std::size_t{h} * latent + c, a / sum);
    }
  }
}

void rmsnorm(const std::uint8_t* x, DType dx, const std::uint8_t* w, DType dw, std::uint8_t* y, DType dy,
             std::uint32_t m, std::uint32_t n, float eps) {
  for (std::uint32_t r = 0; r < m; ++r) {
    float ss = 0.0f;
    for (std::uint32_t j = 0; j < n; ++j) {
      const float v = loadElement(x, dx, std::size_t{r} * n + j);
      ss += v * v;
    }
    const float inv = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
    for (std::uint32_t j = 0; j < n; ++j) {
      const std::size_t i = std::size_t{r} * n + j;
      storeElement(y, dy, i, (loadElement(x, dx, i) * inv) * loadElement(w, dw, j));
    }
  }
}

void rope(std::uint8_t* x, DType dx, const std::uint32_t* pos, std::uint32_t m, std::uint32_t heads,
          std::uint32_t headDim, float theta) {
  const std::uint32_t half = headDim / 2;
  for (std::uint32_t r = 0; r < m; ++r) {
    for (std::uint32_t i = 0; i < half; ++i) {
      const float ang = static_cast<float>(pos[r]) * ropeInvFreq(theta, i, headDim);
      const float c = std::cos(ang), s = std::sin(ang);
      for (std::uint32_t h = 0; h < heads; ++h) {
        const std::size_t base = (std::size_t{r} * heads + h) * headDim;
        const float a = loadElement(x, dx, base + i), b = loadElement(x, dx, base + i + half);
        storeElement(x, dx, base + i, a * c - b * s);
        storeElement(x, dx, base + i + half, b * c + a * s);
      }
    }
  }
}

void swiglu(const std::uint8_t* g, DType dg, const std::uint8_t* u, DType du, std::uint8_t* y, DType dy,
            std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) storeElement(y, dy, i, silu(loadElement(g, dg, i)) * loadElement(u, du, i));
}

void add(const std::uint8_t* a, DType da, const std::uint8_t* b, DType db, std::uint8_t* y, DType dy,
         std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) storeElement(y, dy, i, loadElement(a, da, i) + loadElement(b, db, i));
}

void convert(const std::uint8_t* src, DType ds, std::uint8_t* dst, DType dd, std::uint64_t count) {
  if (ds == dd) {
    std::memmove(dst, src, count * dtypeBytes(ds));
    return;
  }
  for (std::uint64_t i = 0; i < count; ++i) storeElement(dst, dd, i, loadElement(src, ds, i));
}

void argmax(const std::uint8_t* x, DType dx, std::uint32_t* out, std::uint32_t m, std::uint32_t n) {
  for (std::uint32_t r = 0; r < m; ++r) {
    std::uint32_t best = 0;
    float bv = loadElement(x, dx, std::size_t{r} * n);
    for (std::uint32_t j = 1; j < n; ++j) {
      const float v = loadElement(x, dx, std::size_t{r} * n + j);
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[r] = best;
  }
}

} // namespace llmvp::models::compute
