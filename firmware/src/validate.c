/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/validate.h"

#include <stddef.h>

#include "firmware/include/descriptors.h"
#include "firmware/include/hal.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"
#include "firmware/src/fw_util.h"

#define REQUEST_CHUNK 16u /* requests read per burst */

static int bad(fw_fault* f, uint32_t field, uint32_t index) {
  f->code = FW_ERR_BAD_MANIFEST;
  f->source = 0;
  f->index = index;
  f->info = field;
  return -1;
}

/** [base, base + bytes) lies inside [win, win + win_bytes). */
static int inside(uint64_t base, uint64_t bytes, uint64_t win, uint64_t win_bytes) {
  return base >= win && bytes <= win_bytes && base - win <= win_bytes - bytes;
}

static int check_model(const llmvp_manifest* m, fw_fault* f) {
  if (m->magic != LLMVP_MANIFEST_MAGIC) return bad(f, FW_MFIELD_MAGIC, 0);
  if (m->version != LLMVP_MANIFEST_VERSION) return bad(f, FW_MFIELD_VERSION, 0);
  if (m->layers == 0) return bad(f, FW_MFIELD_LAYERS, 0);
  if (m->hidden == 0) return bad(f, FW_MFIELD_HIDDEN, 0);
  if (m->heads == 0) return bad(f, FW_MFIELD_HEADS, 0);
  if (m->kv_heads == 0 || m->heads % m->kv_heads != 0) return bad(f, FW_MFIELD_KV_HEADS, 0);
  if (m->head_dim == 0 || m->head_dim % 2u != 0 || (uint64_t)m->heads * m->head_dim > UINT32_MAX)
    return bad(f, FW_MFIELD_HEAD_DIM, 0);
  if (m->ffn == 0) return bad(f, FW_MFIELD_FFN, 0);
  if (m->vocab == 0) return bad(f, FW_MFIELD_VOCAB, 0);
  if (!fw_dtype_is_float(m->dt_w)) return bad(f, FW_MFIELD_DT_W, 0);
  if (!fw_dtype_is_float(m->dt_kv)) return bad(f, FW_MFIELD_DT_KV, 0);
  if (!fw_dtype_is_float(m->dt_act)) return bad(f, FW_MFIELD_DT_ACT, 0);
  if (m->w_group != 0u) {
    const int is_int = m->dt_linear == LLMVP_DT_INT8 || m->dt_linear == LLMVP_DT_INT4;
    const uint32_t g = m->w_group;
    if (!is_int || m->dt_w != LLMVP_DT_BF16 || g == 0u || m->hidden % g != 0u || (m->heads * m->head_dim) % g != 0u ||
        m->ffn % g != 0u || (m->experts != 0u && (m->expert_ffn % g != 0u || m->shared_ffn % g != 0u)))
      return bad(f, FW_MFIELD_DT_LINEAR, 0);
  }
  if (m->experts != 0u) {
    if (m->experts > LLMVP_MAX_EXPERTS || m->top_k == 0u || m->top_k > m->experts || m->top_k > LLMVP_MAX_TOP_K ||
        m->expert_ffn == 0u || m->first_moe_layer > m->layers || m->router_scoring > LLMVP_ROUTER_SIGMOID)
      return bad(f, FW_MFIELD_MOE, 0);
  }
  if (m->mla_kv_lora != 0u) {
    const uint32_t r = m->mla_rope;
    if (r == 0u || r % 2u != 0u || m->mla_nope == 0u || m->mla_v == 0u || m->head_dim != m->mla_nope + r ||
        m->head_dim > 0xFFFFu || m->w_group != 0u || (uint64_t)m->heads * m->mla_kv_lora > UINT32_MAX ||
        (uint64_t)m->heads * m->mla_v > UINT32_MAX)
      return bad(f, FW_MFIELD_MLA, 0);
  }
  return 0;
}

/** Near-memory per-operator modes (manifest pnm_ops): 0 if consistent. */
static int check_pnm_ops(const llmvp_manifest* m) {
  const uint32_t ops = m->pnm_ops, u = m->pnm_units;
  if ((ops >> LLMVP_PNM_OPS_BITS) != 0u) return -1;
  for (uint32_t shift = 0; shift <= LLMVP_PNM_SHIFT_LM_HEAD; shift += 2u) {
    const uint32_t mode = (ops >> shift) & 3u;
    if (mode > LLMVP_PNM_COLS) return -1;
    if (mode == LLMVP_PNM_COLS && shift != LLMVP_PNM_SHIFT_O && shift != LLMVP_PNM_SHIFT_DOWN) return -1;
  }
  const int attn = (ops & LLMVP_PNM_OPS_ATTN) != 0u;
  if (attn && (m->mla_kv_lora != 0u || m->kv_block_tokens != 0u)) return -1;
  if (((ops >> LLMVP_PNM_SHIFT_O) & 3u) == LLMVP_PNM_COLS && m->heads * m->head_dim < u) return -1;
  if (((ops >> LLMVP_PNM_SHIFT_DOWN) & 3u) == LLMVP_PNM_COLS && m->ffn < u) return -1;
  /* prefill over the shards (DESC_F_SHARDS): shard stride in 4 KiB units, at most 8 shards */
  if ((ops >> 12) != 0u && (m->pnm_stride % 4096u != 0u || m->pnm_stride / 4096u > UINT32_MAX || u > LLMVP_MAX_SHARDS))
    return -1;
  return 0;
}

static int check_run(const llmvp_manifest* m, fw_fault* f) {
  if (m->batch == 0 || m->batch > LLMVP_MAX_BATCH) return bad(f, FW_MFIELD_BATCH, 0);
  if (m->max_context == 0) return bad(f, FW_MFIELD_MAX_CONTEXT, 0);
  if (m->steps == 0 && m->prefill_chunk == 0u && m->serve_requests == 0u) return bad(f, FW_MFIELD_STEPS, 0);
  if (m->prefill_chunk > LLMVP_MAX_PREFILL_CHUNK) return bad(f, FW_MFIELD_PREFILL, 0);
  if ((uint64_t)m->token_stride < (uint64_t)m->kv_prefix_tokens + m->max_context + 1u)
    return bad(f, FW_MFIELD_TOKEN_STRIDE, 0);
  if (m->num_dma == 0) return bad(f, FW_MFIELD_NUM_DMA, 0);
  if (m->num_tiles == 0) return bad(f, FW_MFIELD_NUM_TILES, 0);
  const uint64_t cache_row =
      (m->mla_kv_lora != 0u ? (uint64_t)m->mla_kv_lora + m->mla_rope : (uint64_t)m->kv_heads * m->head_dim) *
      fw_dtype_bytes(m->dt_kv);
  if (m->kv_block_tokens != 0u) {
    const uint64_t table_bytes = (uint64_t)m->batch * m->block_table_stride * 4u;
    if ((uint64_t)m->block_table_stride * m->kv_block_tokens < m->max_context ||
        !inside(m->block_table, table_bytes, LLMVP_CTRL_SRAM_BASE, LLMVP_CTRL_SRAM_WINDOW))
      return bad(f, FW_MFIELD_PAGED, 0);
  } else if (m->pnm_units != 0u && (m->pnm_ops & LLMVP_PNM_OPS_ATTN)) {
    /* sharded cache: kv_request_stride is a shard's (checked by the host) */
  } else if (m->batch > 1u && m->kv_request_stride / cache_row < m->max_context) {
    return bad(f, FW_MFIELD_KV_REQUEST_STRIDE, 0);
  }
  if (m->pnm_units != 0u) {
    if (m->pnm_units > LLMVP_MAX_PNM || m->serve_requests != 0u || m->kv_prefix_tokens != 0u || m->pnm_stride == 0u)
      return bad(f, FW_MFIELD_PNM, 0);
    if (check_pnm_ops(m) != 0) return bad(f, FW_MFIELD_PNM_OPS, 0);
  }
  if (!inside(m->work_base, m->work_bytes, LLMVP_CTRL_SRAM_BASE, LLMVP_CTRL_SRAM_WINDOW))
    return bad(f, FW_MFIELD_WORK, 0);
  if (!inside(m->spad_base, m->spad_bytes, LLMVP_SPAD_BASE(0), LLMVP_SPAD_WINDOW)) return bad(f, FW_MFIELD_SPAD, 0);
  if (m->tp_ranks > 1u && (m->tp_rank >= m->tp_ranks || m->mla_kv_lora != 0u)) return bad(f, FW_MFIELD_TP, 0);
  if (m->pp_stages > 1u &&
      (m->pp_stage >= m->pp_stages || m->pnm_units != 0u || m->prefill_chunk != 0u || m->serve_requests != 0u ||
       m->prefetch_depth != 0u || (m->dt_act != LLMVP_DT_FP32 && m->dt_act != LLMVP_DT_BF16)))
    return bad(f, FW_MFIELD_PP, 0);
  if (m->ep_dispatch != 0u) {
    /* data-parallel attention, all-to-all dispatch (plan.h fw_ep_dispatch) */
    if (m->experts == 0u || m->ep_ranks <= 1u || m->ep_rank >= m->ep_ranks || m->tp_ranks > 1u ||
        m->ep_ranks > LLMVP_MAX_EP || m->experts % m->ep_ranks != 0u || m->pnm_units != 0u || m->pp_stages > 1u ||
        m->prefill_chunk != 0u || m->serve_requests != 0u || m->prefetch_depth != 0u)
      return bad(f, FW_MFIELD_EP, 0);
  } else if (m->ep_ranks > 1u || (m->experts != 0u && m->tp_ranks > 1u)) {
    /* expert parallel over the tensor-parallel group (plan.h fw_ep) */
    if (m->experts == 0u || m->ep_ranks != m->tp_ranks || m->ep_rank != m->tp_rank || m->ep_ranks > LLMVP_MAX_EP ||
        m->experts % m->ep_ranks != 0u || m->pnm_units != 0u)
      return bad(f, FW_MFIELD_EP, 0);
  }
  return 0;
}

/** HBF weight prefetch and shared KV prefix (manifest prefetch_depth, kv_prefix_tokens). */
static int check_hbf(const llmvp_manifest* m, fw_fault* f) {
  if (m->kv_prefix_tokens != 0u && (m->kv_block_tokens != 0u || m->prefill_chunk != 0u))
    return bad(f, FW_MFIELD_KV_PREFIX, 0);
  if (m->prefetch_depth != 0u && m->prefill_chunk != 0u) return bad(f, FW_MFIELD_PREFETCH, 0);
  if (m->prefetch_depth == 0u) return 0;
  if (m->prefetch_dma == 0u || m->prefetch_dma >= m->num_dma || m->staging_slot_bytes == 0u ||
      m->staging_slot_bytes > LLMVP_HBM_WINDOW / m->prefetch_depth ||
      !inside(m->staging_base, m->staging_slot_bytes * m->prefetch_depth, LLMVP_HBM_BASE, LLMVP_HBM_WINDOW))
    return bad(f, FW_MFIELD_PREFETCH, 0);
  for (uint32_t l = 0; l < m->layers; ++l) {
    uint64_t region[2]; /* w_base, w_bytes */
    hal_read_block(m->layer_table + (uint64_t)l * sizeof(llmvp_layer_entry) + offsetof(llmvp_layer_entry, w_base),
                   region, sizeof region);
    if (region[1] == 0u || region[1] % 4u != 0u || region[1] > m->staging_slot_bytes || region[1] / 4u > UINT32_MAX)
      return bad(f, FW_MFIELD_PREFETCH, l);
  }
  return 0;
}

static int load_requests(fw_ctx* c, fw_fault* f) {
  const llmvp_manifest* m = &c->m;
  llmvp_request chunk[REQUEST_CHUNK];
  for (uint32_t first = 0; first < m->batch; first += REQUEST_CHUNK) {
    const uint32_t n = m->batch - first < REQUEST_CHUNK ? m->batch - first : REQUEST_CHUNK;
    hal_read_block(m->requests + (uint64_t)first * sizeof(llmvp_request), chunk, n * sizeof(llmvp_request));
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t r = first + i;
      if (chunk[i].cached_len >= chunk[i].prompt_len) return bad(f, FW_MFIELD_REQ_CACHED_LEN, r);
      if (chunk[i].cached_len < m->kv_prefix_tokens) return bad(f, FW_MFIELD_KV_PREFIX, r);
      /* decode positions: from cached_len, or from prompt_len after a prefill;
       * own-cache rows exclude a shared KV prefix */
      const uint64_t from = (m->prefill_chunk != 0u ? chunk[i].prompt_len : chunk[i].cached_len) - m->kv_prefix_tokens;
      if (from + m->steps > m->max_context || (uint64_t)chunk[i].prompt_len - m->kv_prefix_tokens > m->max_context)
        return bad(f, FW_MFIELD_REQ_STEPS, r);
      c->prompt_len[r] = chunk[i].prompt_len;
      c->cached_len[r] = chunk[i].cached_len;
    }
  }
  return 0;
}

/** Serving (manifest serve_requests): requests arrive later (serve.c checks each). */
static int check_serve(const llmvp_manifest* m, fw_fault* f) {
  const uint64_t bytes = (uint64_t)m->serve_requests * sizeof(llmvp_serve_request);
  const int in_mem = inside(m->serve_table, bytes, LLMVP_CTRL_SRAM_BASE, LLMVP_CTRL_SRAM_WINDOW) ||
                     inside(m->serve_table, bytes, LLMVP_HBM_BASE, LLMVP_HBM_WINDOW);
  if (!in_mem || m->tp_ranks > 1u || m->pnm_units != 0u || m->prefetch_depth != 0u || m->kv_prefix_tokens != 0u)
    return bad(f, FW_MFIELD_SERVE, 0);
  return 0;
}

int fw_load_manifest(fw_ctx* c, uint64_t addr, fw_fault* f) {
  hal_read_block(addr, &c->m, sizeof c->m);
  if (check_model(&c->m, f) != 0 || check_run(&c->m, f) != 0 || check_hbf(&c->m, f) != 0) return -1;
  if (c->m.serve_requests != 0u) return check_serve(&c->m, f);
  return load_requests(c, f);
}
