/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/tile.h"

#include "firmware/src/fw_util.h"

llmvp_desc tile_embed(uint64_t dst, uint64_t ids, uint64_t table, uint32_t rows, uint32_t hidden, uint32_t vocab,
                      uint8_t act, uint8_t w) {
  llmvp_desc d = fw_desc(LLMVP_OP_EMBED, LLMVP_DT_U32, w, act);
  d.src0 = ids;
  d.src1 = table;
  d.dst = dst;
  d.m = rows;
  d.n = hidden;
  d.k = vocab;
  return d;
}

llmvp_desc tile_rmsnorm(uint64_t dst, uint64_t src, uint64_t weight, uint32_t rows, uint32_t n, uint32_t eps_bits,
                        uint8_t act, uint8_t w) {
  llmvp_desc d = fw_desc(LLMVP_OP_RMSNORM, act, w, act);
  d.src0 = src;
  d.src1 = weight;
  d.dst = dst;
  d.m = rows;
  d.n = n;
  d.arg0 = eps_bits;
  return d;
}

llmvp_desc tile_gemv(uint64_t dst, uint64_t x, uint64_t weight, uint32_t rows, uint32_t out, uint32_t in, uint8_t act,
                     uint8_t w) {
  llmvp_desc d = fw_desc(LLMVP_OP_GEMV, act, w, act);
  d.src0 = x;
  d.src1 = weight;
  d.dst = dst;
  d.m = rows;
  d.n = out;
  d.k = in;
  return d;
}

llmvp_desc tile_gemv_accum(uint64_t dst, uint64_t x, uint64_t weight, uint64_t acc, uint32_t rows, uint32_t out,
                           uint32_t in, uint8_t act, uint8_t w) {
  llmvp_desc d = tile_gemv(dst, x, weight, rows, out, in, act, w);
  d.src2 = acc;
  d.flags |= DESC_F_ACCUM;
  return d;
}

llmvp_desc tile_rope(uint64_t x, uint64_t positions, uint32_t rows, uint32_t heads, uint32_t head_dim,
                     uint32_t theta_bits, uint8_t act) {
  llmvp_desc d = fw_desc(LLMVP_OP_ROPE, LLMVP_DT_U32, LLMVP_DT_FP32, act);
  d.src0 = positions;
  d.dst = x;
  d.m = rows;
  d.n = heads;
  d.k = head_dim;
  d.arg0 = theta_bits;
  return d;
}

llmvp_desc tile_attn(uint64_t dst, uint64_t q, uint64_t k_cache, uint64_t v_cache, uint32_t ctx_len, uint32_t heads,
                     uint32_t kv_heads, uint32_t head_dim, uint8_t act, uint8_t kv) {
  llmvp_desc d = fw_desc(LLMVP_OP_ATTN, act, kv, act);
  d.src0 = q;
  d.src1 = k_cache;
  d.src2 = v_cache;
  d.dst = dst;
  d.m = ctx_len;
  d.n = heads;
  d.k = head_dim;
  d.arg0 = kv_heads;
  return d;
}

llmvp_desc tile_swiglu(uint64_t dst, uint64_t gate, uint64_t up, uint32_t rows, uint32_t n, uint8_t act) {
  llmvp_desc d = fw_desc(LLMVP_OP_SWIGLU, act, act, act);
  d.src0 = gate;
  d.src1 = up;
  d.dst = dst;
  d.m = rows;
  d.n = n;
  return d;
}

llmvp_desc tile_argmax(uint64_t dst, uint64_t x, uint32_t rows, uint32_t n, uint8_t act) {
  llmvp_desc d = fw_desc(LLMVP_OP_ARGMAX, act, LLMVP_DT_FP32, LLMVP_DT_U32);
  d.src0 = x;
  d.dst = dst;
  d.m = rows;
  d.n = n;
  return d;
}

llmvp_desc tile_gemv_bias(uint64_t dst, uint64_t x, uint64_t weight, uint64_t bias, uint32_t rows, uint32_t out,
                          uint32_t in, uint8_t act, uint8_t w) {
  llmvp_desc d = tile_gemv(dst, x, weight, rows, out, in, act, w);
  d.src2 = bias;
  d.flags |= DESC_F_BIAS;
  return d;
}

llmvp_desc tile_topk(uint64_t dst, uint64_t logits, uint32_t rows, uint32_t experts, uint32_t top_k, uint32_t scoring,
                     uint32_t scale_bits) {
  llmvp_desc d = fw_desc(LLMVP_OP_TOPK, LLMVP_DT_FP32, LLMVP_DT_FP32, LLMVP_DT_FP32);
  d.src0 = logits;
  d.dst = dst;
  d.m = rows;
  d.n = experts;
  d.k = top_k;
  d.arg0 = scoring;
  d.arg1 = scale_bits;
  return d;
}

llmvp_desc tile_gemv_moe(uint64_t dst, uint64_t x, uint64_t weights, uint64_t stride, uint64_t ids, uint32_t rows,
                         uint32_t out, uint32_t in, uint32_t top_k, uint32_t experts, int slot_input, uint8_t act,
                         uint8_t w) {
  llmvp_desc d = tile_gemv(dst, x, weights, rows, out, in, act, w);
  d.opcode = LLMVP_OP_GEMV_MOE;
  d.src2 = ids;
  d.arg0 = top_k | (experts << 16);
  d.arg1 = (uint32_t)(stride / 64u);
  if (slot_input) d.flags |= DESC_F_SLOT_INPUT;
  return d;
}

llmvp_desc tile_moe_combine(uint64_t dst, uint64_t y, uint64_t route, uint64_t acc, uint32_t rows, uint32_t n,
                            uint32_t top_k, uint8_t act) {
  llmvp_desc d = fw_desc(LLMVP_OP_MOE_COMBINE, act, LLMVP_DT_FP32, act);
  d.src0 = y;
  d.src1 = route;
  d.src2 = acc;
  d.dst = dst;
  d.m = rows;
  d.n = n;
  d.k = top_k;
  d.flags |= DESC_F_ACCUM;
  return d;
}

llmvp_desc tile_gemv_heads(uint64_t dst, uint64_t x, uint64_t weight, uint32_t rows, uint32_t heads, uint32_t out,
                           uint32_t in, uint8_t act, uint8_t w) {
  llmvp_desc d = tile_gemv(dst, x, weight, rows, out, in, act, w);
  d.opcode = LLMVP_OP_GEMV_HEADS;
  d.arg0 = heads;
  return d;
}

llmvp_desc tile_attn_mla(uint64_t dst, uint64_t q_lat, uint64_t q_rope, uint64_t cache, uint32_t ctx_len,
                         uint32_t heads, uint32_t latent, uint32_t rope, uint32_t scale_dim, uint8_t act, uint8_t kv) {
  llmvp_desc d = fw_desc(LLMVP_OP_ATTN_MLA, act, kv, act);
  d.src0 = q_lat;
  d.src1 = cache;
  d.src2 = q_rope;
  d.dst = dst;
  d.m = ctx_len;
  d.n = heads;
  d.k = latent;
  d.arg0 = rope | (scale_dim << 16);
  return d;
}
