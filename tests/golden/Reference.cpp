// SPDX-License-Identifier: Apache-2.0
#include "tests/golden/Reference.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "models/common/Numerics.h"

namespace llmvp::golden {
namespace {

/// y[n] = round(sum_k W[n][k] * x[k] (+ residual[n])): the dot product is
/// accumulated from 0.0f with k ascending, the residual added afterwards, and
/// the result rounded once to `t`.
/// With `bias`, bias[n] is added after the dot product instead (Qwen2 q/k/v).
/// `w` points at the first row of the [outFeatures][x.size()] matrix.
void gemv(const float* w, const std::vector<float>& x, std::uint32_t outFeatures, models::DType t,
          std::vector<float>& y, const std::vector<float>* residual = nullptr,
          const std::vector<float>* bias = nullptr) {
  const std::size_t in = x.size();
  y.resize(outFeatures);
  for (std::uint32_t n = 0; n < outFeatures; ++n) {
    const float* row = w + static_cast<std::size_t>(n) * in;
    float acc = 0.0f;
    for (std::size_t k = 0; k < in; ++k) acc += row[k] * x[k];
    if (residual) acc += (*residual)[n];
    if (bias) acc += (*bias)[n];
    y[n] = models::roundTo(t, acc);
  }
}
void gemv(const std::vector<float>& w, const std::vector<float>& x, std::uint32_t outFeatures, models::DType t,
          std::vector<float>& y, const std::vector<float>* residual = nullptr,
          const std::vector<float>* bias = nullptr) {
  gemv(w.data(), x, outFeatures, t, y, residual, bias);
}

std::string str(std::uint64_t v) { return std::to_string(v); }

} // namespace

ReferenceTransformer::ReferenceTransformer(const testbench::ModelSpec& spec, const testbench::Weights& weights,
                                           std::uint32_t batch, std::uint32_t maxContext)
    : spec_(spec), weights_(&weights), batch_(batch), maxContext_(maxContext) {
  testbench::validateSpec(spec_);
  testbench::validateWeights(spec_, weights);
  if (batch == 0) throw std::invalid_argument("ReferenceTransformer: batch must be positive");
  if (maxContext == 0) throw std::invalid_argument("ReferenceTransformer: maxContext must be positive");
  const std::size_t cacheSize = static_cast<std::size_t>(spec_.layers) * batch * maxContext * kvRowElems();
  kCache_.assign(cacheSize, 0.0f);
  vCache_.assign(cacheSize, 0.0f);
  written_.assign(batch, 0);
}

std::uint32_t ReferenceTransformer::kvRowElems() const {
  return spec_.mla.enabled ? spec_.mla.kvLoraRank + spec_.mla.qkRopeDim : spec_.kvDim();
}

float ReferenceTransformer::act(float v) const { return models::roundTo(spec_.actDtype, v); }

float* ReferenceTransformer::kvAt(std::vector<float>& cache, std::uint32_t layer, std::uint32_t row,
                                  std::uint32_t pos) {
  const std::size_t idx = ((static_cast<std::size_t>(layer) * batch_ + row) * maxContext_ + pos) * kvRowElems();
  return cache.data() + idx;
}

void ReferenceTransformer::rmsNorm(const std::vector<float>& x, const std::vector<float>& w,
                                   std::vector<float>& out) const {
  const std::size_t n = x.size();
  float ss = 0.0f;
  for (std::size_t j = 0; j < n; ++j) ss += x[j] * x[j];
  const float inv = 1.0f / std::sqrt(ss / static_cast<float>(n) + spec_.rmsEps);
  out.resize(n);
  for (std::size_t j = 0; j < n; ++j) out[j] = act((x[j] * inv) * w[j]);
}

void ReferenceTransformer::rope(std::vector<float>& x, std::uint32_t heads, std::uint32_t pos) const {
  ropeDim(x, heads, spec_.headDim, pos);
}

void ReferenceTransformer::ropeDim(std::vector<float>& x, std::uint32_t heads, std::uint32_t d,
                                   std::uint32_t pos) const {
  const std::uint32_t half = d / 2;
  for (std::uint32_t h = 0; h < heads; ++h) {
    float* v = x.data() + static_cast<std::size_t>(h) * d;
    for (std::uint32_t i = 0; i < half; ++i) {
      const float inv = models::ropeInvFreq(spec_.ropeTheta, i, d);
      const float ang = static_cast<float>(pos) * inv;
      const float c = std::cos(ang);
      const float s = std::sin(ang);
      const float a = v[i];
      const float b = v[i + half];
      v[i] = act(a * c - b * s);
      v[i + half] = act(b * c + a * s);
    }
  }
}

void ReferenceTransformer::mlaAttention(std::uint32_t layer, std::uint32_t row, std::uint32_t pos,
                                        const testbench::LayerWeights& lw) {
  const testbench::MlaSpec& a = spec_.mla;
  const std::uint32_t heads = spec_.heads, hidden = spec_.hidden;
  const std::uint32_t L = a.kvLoraRank, R = a.qkRopeDim, N = a.qkNopeDim, V = a.vHeadDim;
  const models::DType actT = spec_.actDtype;
  // Queries: through the compressed query when q_lora_rank != 0.
  std::vector<float> c = h_, tmp;
  const float* qw = lw.wq.data();
  if (a.qLoraRank != 0) {
    gemv(lw.qA, h_, a.qLoraRank, actT, tmp);
    rmsNorm(tmp, lw.qANorm, c);
    qw = lw.qB.data();
  }
  const std::size_t qin = c.size();
  std::vector<float> qNope(static_cast<std::size_t>(heads) * N), qRope(static_cast<std::size_t>(heads) * R), one;
  for (std::uint32_t hd = 0; hd < heads; ++hd) {
    const float* base = qw + static_cast<std::size_t>(hd) * (N + R) * qin;
    gemv(base, c, N, actT, one);
    std::copy(one.begin(), one.end(), qNope.begin() + static_cast<std::ptrdiff_t>(hd) * N);
    gemv(base + static_cast<std::size_t>(N) * qin, c, R, actT, one);
    std::copy(one.begin(), one.end(), qRope.begin() + static_cast<std::ptrdiff_t>(hd) * R);
  }
  // This token's latent and shared rope key.
  std::vector<float> lat, kRope;
  gemv(lw.kvA.data(), h_, L, actT, tmp);
  rmsNorm(tmp, lw.kvANorm, lat);
  gemv(lw.kvA.data() + static_cast<std::size_t>(L) * hidden, h_, R, actT, kRope);
  ropeDim(qRope, heads, R, pos);
  ropeDim(kRope, 1, R, pos);
  float* cache = kvAt(kCache_, layer, row, pos);
  for (std::uint32_t i = 0; i < L; ++i) cache[i] = models::roundTo(spec_.kvDtype, lat[i]);
  for (std::uint32_t j = 0; j < R; ++j) cache[L + j] = models::roundTo(spec_.kvDtype, kRope[j]);
  // Absorbed key up-projection, attention over latent rows, value up-projection.
  const std::size_t kvbRow = L; // kvB is [heads*(N+V)][L]
  const float scale = 1.0f / std::sqrt(static_cast<float>(spec_.headDim));
  const std::uint32_t ctx = pos + 1;
  std::vector<float> qLat(L), oLat(L), scores(ctx);
  attn_.assign(static_cast<std::size_t>(heads) * V, 0.0f);
  for (std::uint32_t hd = 0; hd < heads; ++hd) {
    const float* wkv = lw.kvB.data() + static_cast<std::size_t>(hd) * (N + V) * kvbRow;
    for (std::uint32_t ci = 0; ci < L; ++ci) {
      float acc = 0.0f;
      for (std::uint32_t i = 0; i < N; ++i) acc += wkv[static_cast<std::size_t>(i) * kvbRow + ci] * qNope[hd * N + i];
      qLat[ci] = act(acc);
    }
    for (std::uint32_t t = 0; t < ctx; ++t) {
      const float* ct = kvAt(kCache_, layer, row, t);
      float dot = 0.0f;
      for (std::uint32_t ci = 0; ci < L; ++ci) dot += qLat[ci] * ct[ci];
      for (std::uint32_t j = 0; j < R; ++j) dot += qRope[hd * R + j] * ct[L + j];
      scores[t] = dot * scale;
    }
    float m = scores[0];
    for (std::uint32_t t = 1; t < ctx; ++t) m = std::max(m, scores[t]);
    float sum = 0.0f;
    for (std::uint32_t t = 0; t < ctx; ++t) {
      scores[t] = std::exp(scores[t] - m);
      sum += scores[t];
    }
    for (std::uint32_t ci = 0; ci < L; ++ci) {
      float acc = 0.0f;
      for (std::uint32_t t = 0; t < ctx; ++t) acc += scores[t] * kvAt(kCache_, layer, row, t)[ci];
      oLat[ci] = act(acc / sum);
    }
    for (std::uint32_t v = 0; v < V; ++v) {
      const float* wv = wkv + static_cast<std::size_t>(N + v) * kvbRow;
      float acc = 0.0f;
      for (std::uint32_t ci = 0; ci < L; ++ci) acc += wv[ci] * oLat[ci];
      attn_[static_cast<std::size_t>(hd) * V + v] = act(acc);
    }
  }
}

void ReferenceTransformer::attention(std::uint32_t layer, std::uint32_t row, std::uint32_t ctx) {
  const std::uint32_t d = spec_.headDim;
  const std::uint32_t group = spec_.heads / spec_.kvHeads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::vector<float> scores(ctx);
  attn_.assign(spec_.qDim(), 0.0f);
  for (std::uint32_t h = 0; h < spec_.heads; ++h) {
    const std::uint32_t g = h / group;
    const float* q = q_.data() + static_cast<std::size_t>(h) * d;
    for (std::uint32_t t = 0; t < ctx; ++t) {
      const float* kt = kvAt(kCache_, layer, row, t) + static_cast<std::size_t>(g) * d;
      float dot = 0.0f;
      for (std::uint32_t i = 0; i < d; ++i) dot += q[i] * kt[i];
      scores[t] = dot * scale;
    }
    float m = scores[0];
    for (std::uint32_t t = 1; t < ctx; ++t) m = std::max(m, scores[t]);
    float sum = 0.0f;
    for (std::uint32_t t = 0; t < ctx; ++t) {
      scores[t] = std::exp(scores[t] - m);
      sum += scores[t];
    }
    float* out = attn_.data() + static_cast<std::size_t>(h) * d;
    for (std::uint32_t i = 0; i < d; ++i) {
      float acc = 0.0f;
      for (std::uint32_t t = 0; t < ctx; ++t) acc += scores[t] * kvAt(vCache_, layer, row, t)[g * d + i];
      out[i] = act(acc / sum);
    }
  }
}

void ReferenceTransformer::setTensorParallel(std::uint32_t ranks) {
  if (ranks == 0) throw std::invalid_argument("reference: tensor-parallel ranks must be positive");
  tp_ = ranks;
}

void ReferenceTransformer::setExpertDispatch(std::uint32_t ranks) {
  if (ranks == 0) throw std::invalid_argument("reference: expert-parallel ranks must be positive");
  dispatch_ = ranks;
}

void ReferenceTransformer::ffnActivations(const float* wGate, const float* wUp, std::uint32_t ffn) {
  const models::DType actT = spec_.actDtype;
  gemv(wGate, h_, ffn, actT, gate_);
  gemv(wUp, h_, ffn, actT, up_);
  ffnAct_.resize(ffn);
  for (std::uint32_t i = 0; i < ffn; ++i) ffnAct_[i] = act(models::silu(gate_[i]) * up_[i]);
}

void ReferenceTransformer::partialOf(const float* w, const std::vector<float>& a, std::uint32_t first,
                                     std::uint32_t count, std::vector<float>& p) const {
  const std::size_t in = a.size();
  p.assign(spec_.hidden, 0.0f);
  for (std::uint32_t n = 0; n < spec_.hidden; ++n) {
    const float* row = w + static_cast<std::size_t>(n) * in;
    float acc = 0.0f;
    for (std::uint32_t k = first; k < first + count; ++k) acc += row[k] * a[k];
    p[n] = acc;
  }
}

void ReferenceTransformer::addReduced(const std::vector<std::vector<float>>& partials) {
  for (std::uint32_t n = 0; n < spec_.hidden; ++n) {
    float sum = 0.0f;
    for (const auto& p : partials) sum += p[n];
    x_[n] = act(x_[n] + sum);
  }
}

void ReferenceTransformer::outputProjection(const std::vector<float>& wo) {
  if (tp_ == 1) {
    gemv(wo, attn_, spec_.hidden, spec_.actDtype, x_, &x_); // reads x_[n] before writing it: element-wise safe
    return;
  }
  // The host's head split: A shards; chips r >= A compute a shard again and
  // contribute zeros.
  std::uint32_t shards = tp_;
  while (spec_.heads % shards != 0) --shards;
  while (tp_ % shards != 0) --shards;
  const std::uint32_t cols = spec_.qDim() / shards;
  std::vector<std::vector<float>> partials(tp_);
  for (std::uint32_t r = 0; r < tp_; ++r) partialOf(wo.data(), attn_, r * cols, r < shards ? cols : 0, partials[r]);
  addReduced(partials);
}

void ReferenceTransformer::denseFfn(const float* wGate, const float* wUp, const float* wDown, std::uint32_t ffn) {
  ffnActivations(wGate, wUp, ffn);
  if (tp_ == 1) {
    gemv(wDown, ffnAct_, spec_.hidden, spec_.actDtype, x_, &x_);
    return;
  }
  const std::uint32_t share = ffn / tp_;
  std::vector<std::vector<float>> partials(tp_);
  for (std::uint32_t r = 0; r < tp_; ++r) partialOf(wDown, ffnAct_, r * share, share, partials[r]);
  addReduced(partials);
}

void ReferenceTransformer::routedExperts(const testbench::LayerWeights& lw) {
  const std::uint32_t n = spec_.moe.experts, k = spec_.moe.topK, f = spec_.moe.expertFfn, hidden = spec_.hidden;
  const models::DType actT = spec_.actDtype;
  // Router logits stay fp32.
  std::vector<float> logits;
  gemv(lw.router, h_, n, models::DType::Fp32, logits);
  // Top-k by repeated selection of the largest remaining logit (lowest index on ties).
  std::vector<std::uint32_t> chosen;
  std::vector<bool> taken(n, false);
  for (std::uint32_t j = 0; j < k; ++j) {
    std::uint32_t best = n;
    for (std::uint32_t e = 0; e < n; ++e)
      if (!taken[e] && (best == n || logits[e] > logits[best])) best = e;
    taken[best] = true;
    chosen.push_back(best);
  }
  std::vector<float> weight(k);
  float sum = 0.0f;
  for (std::uint32_t j = 0; j < k; ++j) {
    const float l = logits[chosen[j]];
    weight[j] = spec_.moe.scoring == testbench::RouterScoring::Sigmoid ? 1.0f / (1.0f + std::exp(-l))
                                                                       : std::exp(l - logits[chosen[0]]);
    sum += weight[j];
  }
  for (std::uint32_t j = 0; j < k; ++j) weight[j] = weight[j] / sum * spec_.moe.routedScale;
  // Each chosen expert: a SwiGLU FFN of width f; outputs rounded to act.
  std::vector<std::vector<float>> out(k);
  const std::size_t per = static_cast<std::size_t>(f) * hidden;
  for (std::uint32_t j = 0; j < k; ++j) {
    const std::size_t e = chosen[j];
    gemv(lw.expGate.data() + e * per, h_, f, actT, gate_);
    gemv(lw.expUp.data() + e * per, h_, f, actT, up_);
    ffnAct_.resize(f);
    for (std::uint32_t i = 0; i < f; ++i) ffnAct_[i] = act(models::silu(gate_[i]) * up_[i]);
    gemv(lw.expDown.data() + e * per, ffnAct_, hidden, actT, out[j]);
  }
  if (dispatch_ > 1) {
    // All-to-all dispatch: chip c's partial over its slots, the owner's sum
    // over the chips the row went to, in chip order, then x.
    const std::uint32_t local = n / dispatch_;
    for (std::uint32_t o = 0; o < hidden; ++o) {
      float acc = 0.0f;
      for (std::uint32_t c = 0; c < dispatch_; ++c) {
        bool went = false;
        float part = 0.0f;
        for (std::uint32_t j = 0; j < k; ++j) {
          const bool mine = chosen[j] / local == c;
          went = went || mine;
          part += (mine ? weight[j] : 0.0f) * (mine ? out[j][o] : 0.0f);
        }
        if (went) acc += part;
      }
      x_[o] = act(acc + x_[o]);
    }
    return;
  }
  if (tp_ == 1) {
    // x = round(sum_j w_j * out_j + x), the sum from 0 in slot order; the
    // shared experts follow as a dense FFN (stepRow).
    for (std::uint32_t o = 0; o < hidden; ++o) {
      float acc = 0.0f;
      for (std::uint32_t j = 0; j < k; ++j) acc += weight[j] * out[j][o];
      x_[o] = act(acc + x_[o]);
    }
    return;
  }
  // Expert parallel: chip r's MOE_COMBINE sums its window's slots (the
  // others are zeros) from 0 in slot order; its shard of the shared experts'
  // down projection is added to that partial (GEMV DESC_F_ACCUM: its own sum
  // from 0, then the partial); the all-reduce combines.
  const std::uint32_t local = n / tp_, shared = spec_.moe.sharedExperts > 0 ? spec_.moe.sharedFfn() : 0;
  if (shared != 0) ffnActivations(lw.wGate.data(), lw.wUp.data(), shared);
  std::vector<std::vector<float>> partials(tp_);
  std::vector<float> sharedPart;
  for (std::uint32_t r = 0; r < tp_; ++r) {
    std::vector<float>& p = partials[r];
    p.assign(hidden, 0.0f);
    for (std::uint32_t o = 0; o < hidden; ++o) {
      float acc = 0.0f;
      for (std::uint32_t j = 0; j < k; ++j) acc += weight[j] * (chosen[j] / local == r ? out[j][o] : 0.0f);
      p[o] = acc;
    }
    if (shared == 0) continue;
    partialOf(lw.wDown.data(), ffnAct_, r * (shared / tp_), shared / tp_, sharedPart);
    for (std::uint32_t o = 0; o < hidden; ++o) p[o] = sharedPart[o] + p[o];
  }
  addReduced(partials);
}

void ReferenceTransformer::ffnBlock(std::uint32_t layer, const testbench::LayerWeights& lw) {
  if (!spec_.isMoeLayer(layer)) {
    denseFfn(lw.wGate.data(), lw.wUp.data(), lw.wDown.data(), spec_.ffn);
    return;
  }
  // Tensor parallel: the shared experts join the routed combine's partials.
  const bool shared = spec_.moe.sharedExperts > 0 && tp_ == 1;
  // With all-to-all dispatch the shared experts run first, during the dispatch.
  if (shared && dispatch_ > 1) denseFfn(lw.wGate.data(), lw.wUp.data(), lw.wDown.data(), spec_.moe.sharedFfn());
  routedExperts(lw);
  if (shared && dispatch_ == 1) denseFfn(lw.wGate.data(), lw.wUp.data(), lw.wDown.data(), spec_.moe.sharedFfn());
}

void ReferenceTransformer::stepRow(std::uint32_t row, std::uint32_t token, std::uint32_t pos, float* logits) {
  const testbench::Weights& w = *weights_;
  const std::uint32_t hidden = spec_.hidden;
  const models::DType actT = spec_.actDtype;

  x_.resize(hidden);
  const float* e = w.embed.data() + static_cast<std::size_t>(token) * hidden;
  for (std::uint32_t j = 0; j < hidden; ++j) x_[j] = act(e[j]);

  for (std::uint32_t l = 0; l < spec_.layers; ++l) {
    const testbench::LayerWeights& lw = w.layers[l];
    rmsNorm(x_, lw.attnNorm, h_);
    if (spec_.mla.enabled) {
      mlaAttention(l, row, pos, lw);
      outputProjection(lw.wo);
      rmsNorm(x_, lw.ffnNorm, h_);
      ffnBlock(l, lw);
      continue;
    }
    const bool bias = spec_.qkvBias;
    gemv(lw.wq, h_, spec_.qDim(), actT, q_, nullptr, bias ? &lw.bq : nullptr);
    gemv(lw.wk, h_, spec_.kvDim(), actT, k_, nullptr, bias ? &lw.bk : nullptr);
    gemv(lw.wv, h_, spec_.kvDim(), actT, v_, nullptr, bias ? &lw.bv : nullptr);
    rope(q_, spec_.heads, pos);
    rope(k_, spec_.kvHeads, pos);
    float* kc = kvAt(kCache_, l, row, pos);
    float* vc = kvAt(vCache_, l, row, pos);
    for (std::uint32_t i = 0; i < spec_.kvDim(); ++i) {
      kc[i] = models::roundTo(spec_.kvDtype, k_[i]);
      vc[i] = models::roundTo(spec_.kvDtype, v_[i]);
    }
    attention(l, row, pos + 1);
    outputProjection(lw.wo);
    rmsNorm(x_, lw.ffnNorm, h_);
    ffnBlock(l, lw);
  }
  rmsNorm(x_, w.finalNorm, h_);
  std::vector<float> out;
  gemv(w.lmHead, h_, spec_.vocab, actT, out);
  std::copy(out.begin(), out.end(), logits);
}

std::vector<float> ReferenceTransformer::step(const std::vector<std::uint32_t>& tokens,
                                              const std::vector<std::uint32_t>& positions) {
  if (tokens.size() != batch_ || positions.size() != batch_)
    throw std::invalid_argument("ReferenceTransformer::step: expected " + str(batch_) + " tokens and positions, got " +
                                str(tokens.size()) + " and " + str(positions.size()));
  for (std::uint32_t r = 0; r < batch_; ++r) {
    if (tokens[r] >= spec_.vocab)
      throw std::invalid_argument("ReferenceTransformer::step: row " + str(r) + ": token " + str(tokens[r]) +
                                  " >= vocab " + str(spec_.vocab));
    if (positions[r] >= maxContext_)
      throw std::invalid_argument("ReferenceTransformer::step: row " + str(r) + ": position " + str(positions[r]) +
                                  " >= maxContext " + str(maxContext_));
    if (positions[r] > written_[r])
      throw std::invalid_argument("ReferenceTransformer::step: row " + str(r) + ": position " + str(positions[r]) +
                                  " but only positions < " + str(written_[r]) + " have been computed");
  }
  std::vector<float> logits(static_cast<std::size_t>(batch_) * spec_.vocab);
  for (std::uint32_t r = 0; r < batch_; ++r) {
    stepRow(r, tokens[r], positions[r], logits.data() + static_cast<std::size_t>(r) * spec_.vocab);
    written_[r] = positions[r] + 1;
  }
  return logits;
}

std::uint32_t ReferenceTransformer::argmax(const float* logits, std::uint32_t n) {
  std::uint32_t best = 0;
  for (std::uint32_t j = 1; j < n; ++j)
    if (logits[j] > logits[best] || (std::isnan(logits[best]) && !std::isnan(logits[j]))) best = j;
  return best;
}

std::vector<std::vector<std::uint32_t>>
ReferenceTransformer::generate(const std::vector<std::vector<std::uint32_t>>& prompts, std::uint32_t genTokens,
                               std::vector<std::vector<float>>* lastLogits) {
  if (prompts.size() != batch_)
    throw std::invalid_argument("ReferenceTransformer::generate: expected " + str(batch_) + " prompts, got " +
                                str(prompts.size()));
  for (std::uint32_t r = 0; r < batch_; ++r) {
    const std::uint64_t len = prompts[r].size();
    if (len == 0) throw std::invalid_argument("ReferenceTransformer::generate: row " + str(r) + ": empty prompt");
    if (len + genTokens - 1 > maxContext_)
      throw std::invalid_argument("ReferenceTransformer::generate: row " + str(r) + ": prompt of " + str(len) +
                                  " tokens + " + str(genTokens) + " generated needs " + str(len + genTokens - 1) +
                                  " positions, maxContext is " + str(maxContext_));
    for (auto t : prompts[r])
      if (t >= spec_.vocab)
        throw std::invalid_argument("ReferenceTransformer::generate: row " + str(r) + ": token " + str(t) +
                                    " >= vocab " + str(spec_.vocab));
  }
  std::vector<std::vector<std::uint32_t>> generated(batch_);
  if (lastLogits) lastLogits->assign(batch_, {});
  std::vector<float> logits(spec_.vocab);
  // Rows are independent, so each runs to completion on its own.
  for (std::uint32_t r = 0; r < batch_; ++r) {
    const auto& prompt = prompts[r];
    const std::uint32_t len = static_cast<std::uint32_t>(prompt.size());
    std::uint32_t token = prompt[0];
    for (std::uint32_t pos = 0;; ++pos) {
      stepRow(r, token, pos, logits.data());
      written_[r] = pos + 1;
      if (pos + 1 < len) {
        token = prompt[pos + 1];
        continue;
      }
      if (generated[r].size() == genTokens) break; // only when genTokens == 0
      token = argmax(logits.data(), spec_.vocab);
      generated[r].push_back(token);
      if (generated[r].size() == genTokens) break;
    }
    if (lastLogits) (*lastLogits)[r] = logits;
  }
  return generated;
}

} // namespace llmvp::golden
