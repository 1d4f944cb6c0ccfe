// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Plain C++ reference transformer: the oracle that the firmware + engine
/// pipeline is checked against bit for bit. It shares nothing with the
/// engines except the scalar helpers of models/common/Numerics.h.
///
/// Numerics (descriptors.h contract): every operand is widened to fp32, all
/// arithmetic is fp32, sums accumulate sequentially in index order starting
/// from 0.0f, and each stored tensor element is rounded once (round_act =
/// models::roundTo(spec.actDtype, .), round_kv = roundTo(spec.kvDtype, .)).
/// One decode step of one row at position pos:
///   1. x = round_act(embed[token])
///   per layer:
///   2. h = RMSNorm(x, attnNorm): ss = sum_j x_j^2; inv = 1 / sqrt(ss/n + eps);
///      h_j = round_act((x_j * inv) * w_j)
///   3. q, k, v = round_act(GEMV(W, h)), GEMV y_n = sum_k W[n][k] * h[k]
///   4. RoPE on q (all heads) and k (all kv heads), rotate_half pairs
///      (i, i + d/2), angle = float(pos) * ropeInvFreq(theta, i, d), each
///      output rounded to act
///   5. K/V cache[pos] = round_kv(k), round_kv(v)
///   6. attention, query head h reads kv head h / (heads / kvHeads) over
///      t = 0..pos: s_t = dot(q, K_t) * (1 / sqrt(headDim)); p_t = exp(s_t - max);
///      out = round_act((sum_t p_t V_t) / sum_t p_t)
///   7. x = round_act(GEMV(wo, out) + x)
///   8. h = RMSNorm(x, ffnNorm); g = round_act(GEMV(wGate, h));
///      u = round_act(GEMV(wUp, h)); a = round_act(silu(g) * u);
///      x = round_act(GEMV(wDown, a) + x)
///   With spec.qkvBias, step 3 adds bq/bk/bv to the sums before rounding.
///   In an MoE layer (spec.isMoeLayer) step 8 becomes: logits = GEMV(router, h)
///      in fp32; the top_k largest (descending, ties to the lower index);
///      weights w_j = exp(l_j - l_0) (softmax) or sigmoid(l_j) (sigmoid),
///      w_j = w_j / sum_i w_i * routedScale; per chosen expert e, o_j =
///      round_act(GEMV(down_e, round_act(silu(g) * u))) with g, u as in 8;
///      x = round_act(sum_j w_j * o_j + x); then the shared experts as a dense
///      FFN of width sharedExperts * expertFfn.
///   With spec.mla (multi-head latent attention, absorbed as the firmware
///   runs it; L = kvLoraRank, R = qkRopeDim, N = qkNopeDim, V = vHeadDim),
///   steps 3-7 become: c = RMSNorm(round_act(GEMV(qA, h)), qANorm) (or h
///   without q_lora); q_nope[hd] = round_act(GEMV(qB rows hd*(N+R) + 0..N-1, c)),
///   q_rope[hd] = round_act(GEMV(qB rows hd*(N+R) + N..N+R-1, c));
///   lat = RMSNorm(round_act(GEMV(kvA rows 0..L-1, h)), kvANorm),
///   k_rope = round_act(GEMV(kvA rows L..L+R-1, h)); RoPE (dimension R) on
///   q_rope (every head) and k_rope (one head); cache[pos] = round_kv(lat |
///   k_rope); q_lat[hd][c] = round_act(sum_i kvB[hd*(N+V) + i][c] *
///   q_nope[hd][i]); s_t = (sum_c q_lat[c] C_t[c] + sum_j q_rope[j] C_t[L+j])
///   * (1 / sqrt(headDim)) in one sum; o_lat = round_act(sum_t p_t C_t[0..L) /
///   sum_t p_t); o[hd][v] = round_act(sum_c kvB[hd*(N+V) + N + v][c] *
///   o_lat[hd][c]); x = round_act(GEMV(wo, o) + x).
///   9. h = RMSNorm(x, finalNorm); logits = round_act(GEMV(lmHead, h));
///      next token = lowest index of the maximum logit.

#include <cstdint>
#include <vector>

#include "workload/ModelSpec.h"
#include "workload/Weights.h"

namespace llmvp::golden {

/// Greedy decoder over `batch` independent rows, each with its own KV cache of
/// `maxContext` positions.
///
/// Keeps a reference to the weights: they must outlive this object (binding a
/// temporary is rejected at compile time).
class ReferenceTransformer {
public:
  /// Validates the spec and the weight shapes (testbench::ModelError) and
  /// that batch and maxContext are positive (std::invalid_argument).
  ReferenceTransformer(const testbench::ModelSpec& spec, const testbench::Weights& weights, std::uint32_t batch,
                       std::uint32_t maxContext);
  ReferenceTransformer(const testbench::ModelSpec& spec, testbench::Weights&& weights, std::uint32_t batch,
                       std::uint32_t maxContext) = delete;

  /// One decode step for every row: row r consumes tokens[r] at positions[r]
  /// and writes its K/V at that position. Positions 0..positions[r]-1 of row r
  /// must have been written by earlier steps (a row may restart at any
  /// position <= the number written so far, e.g. 0 for a new sequence).
  /// Returns logits [batch][vocab], rounded to spec.actDtype.
  /// Throws std::invalid_argument for wrong sizes, a token >= vocab, a
  /// position >= maxContext or beyond what the row has written.
  [[nodiscard]] std::vector<float> step(const std::vector<std::uint32_t>& tokens,
                                        const std::vector<std::uint32_t>& positions);

  /// Greedy generation, one prompt per row (prompts.size() == batch, each
  /// non-empty, prompt length + genTokens - 1 <= maxContext). Each row is fed
  /// its prompt token by token from position 0 (restarting its cache), then
  /// its own argmax tokens; rows may have different prompt lengths. Returns
  /// genTokens generated ids per row. If lastLogits is given it receives, per
  /// row, the logits of that row's last step (those that chose the last
  /// generated token; the last prompt token's logits when genTokens == 0).
  [[nodiscard]] std::vector<std::vector<std::uint32_t>> generate(const std::vector<std::vector<std::uint32_t>>& prompts,
                                                                 std::uint32_t genTokens,
                                                                 std::vector<std::vector<float>>* lastLogits = nullptr);

  /// Tensor parallel over `ranks` chips (1, the default: one chip): the
  /// numerics of the firmware's multi-chip decode (docs/multichip.md). The
  /// attention's o projection, the FFN's down projection and an MoE layer's
  /// combine (with the shared experts' down projection added, GEMV
  /// DESC_F_ACCUM) are fp32 partial sums per chip over its shard, which the
  /// all-reduce adds in rank order from 0.0f; the residual is then added and
  /// rounded once. The shards are the host's: query heads in A shards (A the
  /// largest divisor of `ranks` that divides the heads; chips r >= A
  /// contribute zeros), the FFN's and shared experts' width and the routed
  /// experts split evenly. Pipeline stages do not change the numerics.
  void setTensorParallel(std::uint32_t ranks);

  /// Data-parallel attention with all-to-all expert dispatch over `ranks`
  /// chips (docs/multichip.md; 1, the default: one chip). Everything runs as
  /// on one chip but an MoE layer's FFN: the shared experts go first (they
  /// overlap the dispatch), then each chip holding one of a row's experts
  /// sums its slots' weighted outputs from 0.0f in slot order (fp32), and
  /// the row's owner adds those partials from 0.0f in chip order, then the
  /// residual, rounded once.
  void setExpertDispatch(std::uint32_t ranks);

  /// Lowest index of the maximum of `logits` (NaN never wins).
  [[nodiscard]] static std::uint32_t argmax(const float* logits, std::uint32_t n);

  [[nodiscard]] std::uint32_t batch() const { return batch_; }
  [[nodiscard]] std::uint32_t maxContext() const { return maxContext_; }

private:
  /// One decode step of one row; writes vocab logits to `logits`.
  void stepRow(std::uint32_t row, std::uint32_t token, std::uint32_t pos, float* logits);
  void rmsNorm(const std::vector<float>& x, const std::vector<float>& w, std::vector<float>& out) const;
  void rope(std::vector<float>& x, std::uint32_t heads, std::uint32_t pos) const;
  /// RoPE on x[heads][dim] (rotate_half pairs of dimension dim).
  void ropeDim(std::vector<float>& x, std::uint32_t heads, std::uint32_t dim, std::uint32_t pos) const;
  /// Multi-head latent attention of one row (absorbed form): h_ to attn_ ([heads][V]).
  void mlaAttention(std::uint32_t layer, std::uint32_t row, std::uint32_t pos, const testbench::LayerWeights& lw);
  /// Elements of one cached position: kvDim() (K or V), or L + R (MLA latent row).
  [[nodiscard]] std::uint32_t kvRowElems() const;
  void attention(std::uint32_t layer, std::uint32_t row, std::uint32_t ctx);
  /// SwiGLU FFN of width ffn on h_, added into x_ (dense layers, shared experts).
  void denseFfn(const float* wGate, const float* wUp, const float* wDown, std::uint32_t ffn);
  /// The FFN block of `layer` on h_, into x_: dense, or routed and shared experts
  /// (in the order the chips run them).
  void ffnBlock(std::uint32_t layer, const testbench::LayerWeights& lw);
  /// MoE: router (fp32 logits), top-k, the chosen experts, weighted sum into
  /// x_; tensor parallel: the shared experts too (they join the combine).
  void routedExperts(const testbench::LayerWeights& lw);
  /// SwiGLU activations of width ffn on h_ into ffnAct_.
  void ffnActivations(const float* wGate, const float* wUp, std::uint32_t ffn);
  /// Tensor parallel: a chip's fp32 partial of W[hidden][a.size()] a over
  /// the columns [first, first + count), each sum from 0.0f.
  void partialOf(const float* w, const std::vector<float>& a, std::uint32_t first, std::uint32_t count,
                 std::vector<float>& p) const;
  /// Tensor parallel: the all-reduce of the chips' partials (rank order from
  /// 0.0f), added to x_ and rounded once.
  void addReduced(const std::vector<std::vector<float>>& partials);
  /// The attention's o projection into x_ (one chip, or per-chip partials).
  void outputProjection(const std::vector<float>& wo);
  [[nodiscard]] float* kvAt(std::vector<float>& cache, std::uint32_t layer, std::uint32_t row, std::uint32_t pos);
  [[nodiscard]] float act(float v) const;

  testbench::ModelSpec spec_;
  const testbench::Weights* weights_;
  std::uint32_t batch_;
  std::uint32_t maxContext_;
  std::vector<float> kCache_;          ///< [layer][row][pos][kvRowElems()], kv dtype values (MLA: latent rows)
  std::vector<float> vCache_;          ///< same layout as kCache_
  std::vector<std::uint32_t> written_; ///< per row: positions 0..written-1 hold valid K/V
  std::uint32_t tp_ = 1;               ///< tensor-parallel chips (setTensorParallel)
  std::uint32_t dispatch_ = 1;         ///< expert-parallel chips with all-to-all dispatch (setExpertDispatch)

  // Scratch vectors of the row being computed.
  std::vector<float> x_, h_, q_, k_, v_, attn_, gate_, up_, ffnAct_;
};

} // namespace llmvp::golden
