/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/plan.h"

#include "firmware/include/descriptors.h"
#include "firmware/include/regs.h"
#include "firmware/src/fw_util.h"

static int no_space(fw_fault* f, uint32_t region, uint64_t needed) {
  f->code = FW_ERR_NO_SPACE;
  f->source = 0;
  f->index = fw_sat32(needed);
  f->info = region;
  return -1;
}

/** Returns the address of a new buffer of `bytes` at the 64-byte aligned cursor. */
static uint64_t take(uint64_t* cursor, uint64_t bytes) {
  const uint64_t at = fw_align_up(*cursor, FW_SPAD_ALIGN);
  *cursor = at + bytes;
  return at;
}

int fw_plan_spad(const llmvp_manifest* m, fw_spad_plan* p, fw_fault* f) {
  const uint64_t b = fw_spad_rows(m); /* logits: m->batch rows (prefill needs one) */
  const uint64_t act = fw_dtype_bytes(m->dt_act);
  const uint64_t head_w = m->mla_v > m->head_dim ? m->mla_v : m->head_dim; /* MLA: attn holds v per head */
  const uint64_t q_row = (uint64_t)m->heads * head_w * act;
  const uint64_t kv_row = (uint64_t)m->kv_heads * m->head_dim * act;
  uint64_t cur = m->spad_base;
  p->x = take(&cur, b * m->hidden * act);
  p->h = take(&cur, b * m->hidden * act);
  p->q = take(&cur, b * q_row);
  p->k = take(&cur, b * kv_row);
  p->v = take(&cur, b * kv_row);
  p->attn = take(&cur, b * q_row);
  const uint64_t ffn = m->ffn > m->shared_ffn ? m->ffn : m->shared_ffn;
  p->gate = take(&cur, b * ffn * act);
  p->up = take(&cur, b * ffn * act);
  p->router = p->route = p->egate = p->eup = p->eout = 0;
  if (m->experts != 0u) {
    const uint64_t slots = fw_expert_rows(m, b) * m->top_k; /* dispatch: the group's rows */
    p->router = take(&cur, b * m->experts * 4u);
    p->route = take(&cur, b * m->top_k * 8u);
    p->egate = take(&cur, slots * m->expert_ffn * act);
    p->eup = take(&cur, slots * m->expert_ffn * act);
    p->eout = take(&cur, slots * m->hidden * act);
  }
  p->mla_cq = p->mla_qrope = p->mla_lat = p->mla_krope = p->mla_qlat = p->mla_olat = 0;
  if (m->mla_kv_lora != 0u) {
    const uint64_t lat_heads = (uint64_t)m->heads * m->mla_kv_lora * act;
    p->mla_cq = take(&cur, b * m->mla_q_lora * act);
    p->mla_qrope = take(&cur, b * m->heads * m->mla_rope * act);
    p->mla_lat = take(&cur, b * m->mla_kv_lora * act);
    p->mla_krope = take(&cur, b * m->mla_rope * act);
    p->mla_qlat = take(&cur, b * lat_heads);
    p->mla_olat = take(&cur, b * lat_heads);
  }
  /* The host may ask for logits in a buffer of its own (manifest.logits). */
  p->logits = m->logits != 0 ? m->logits : take(&cur, (uint64_t)m->batch * m->vocab * act);
  p->tokens_in = take(&cur, b * 4u);
  p->positions = take(&cur, b * 4u);
  p->tokens_out = take(&cur, b * 4u);
  p->partial = fw_tp(m)             ? take(&cur, b * m->hidden * 4u)
               : fw_pnm_partials(m) ? take(&cur, (uint64_t)m->pnm_units * b * m->hidden * 4u) /* pnm.c */
                                    : 0u;
  p->dsend = p->drecv = p->dmap = p->dcounts = p->erows = p->eroute = p->eret = p->eback = 0;
  if (fw_ep_dispatch(m)) {
    const uint64_t r = m->ep_ranks, rows = r * b;
    const uint64_t block = b * llmvp_moe_record_words(m->hidden, m->top_k, (uint32_t)act) * 4u;
    p->dsend = take(&cur, r * block);
    p->drecv = take(&cur, r * block);
    p->dmap = take(&cur, (r + b * r) * 4u);
    p->dcounts = take(&cur, r * 4u);
    p->erows = take(&cur, rows * m->hidden * act);
    p->eroute = take(&cur, rows * m->top_k * 8u + r * 4u);
    p->eret = take(&cur, rows * m->hidden * 4u);
    p->eback = take(&cur, rows * m->hidden * 4u);
  }
  p->end = cur;
  const uint64_t needed = cur - m->spad_base;
  return needed > m->spad_bytes ? no_space(f, FW_SPACE_SPAD, needed) : 0;
}

int fw_plan_rings(const llmvp_manifest* m, fw_ring_plan* p, fw_fault* f) {
  const uint64_t tile_len = fw_tile_chain_len(m);
  const uint64_t dma_len = fw_dma_chain_len(m->layers, m->batch);
  const uint64_t base = fw_align_up(m->work_base, LLMVP_DESC_BYTES);
  llmvp_manifest one = *m;
  /* row-wise: decode-style rows; block: one ATTN_PREFILL per request piece
   * and one final RMSNORM per piece that ends its prompt */
  const int rowwise = fw_prefill_rowwise(m);
  one.batch = rowwise ? fw_prefill_rows(m) : fw_prefill_max_segs(m);
  const uint64_t pre_tile = m->prefill_chunk == 0u ? 0u
                            : rowwise              ? fw_tile_chain_len(&one)
                                                   : fw_block_prefill_chain_len(m, one.batch) + one.batch - 1u;
  const uint64_t pre_dma = m->prefill_chunk != 0u ? fw_dma_chain_len(m->layers, one.batch) : 0u;
  const uint64_t coll_len = fw_coll_chain_len(m);
  const uint64_t pf_len = m->prefetch_depth != 0u ? m->layers : 0u; /* prefetch.h: one COPY per layer */
  const uint64_t rings_end = base + (tile_len + dma_len + pre_tile + pre_dma + coll_len + pf_len) * LLMVP_DESC_BYTES;
  /* batched ATTN row table: the decode batch, or a row-wise prefill pass */
  uint64_t table_rows = fw_attn_batched(m) ? m->batch : 0u;
  if (m->prefill_chunk != 0u && rowwise && fw_attn_batched(&one) && one.batch > table_rows) table_rows = one.batch;
  const uint64_t end = rings_end + table_rows * LLMVP_ATTN_ROW_BYTES;
  const uint64_t needed = end - m->work_base;
  if (needed > m->work_bytes) return no_space(f, FW_SPACE_RINGS, needed);
  p->tile_base = base;
  p->dma_base = base + tile_len * LLMVP_DESC_BYTES;
  p->tile_len = (uint32_t)tile_len; /* < 2^32: the work region lies in the 256 MiB SRAM window */
  p->dma_len = (uint32_t)dma_len;
  p->prefill_tile_base = p->dma_base + dma_len * LLMVP_DESC_BYTES;
  p->prefill_dma_base = p->prefill_tile_base + pre_tile * LLMVP_DESC_BYTES;
  p->prefill_tile_len = (uint32_t)pre_tile;
  p->prefill_dma_len = (uint32_t)pre_dma;
  p->coll_base = p->prefill_dma_base + pre_dma * LLMVP_DESC_BYTES;
  p->coll_len = (uint32_t)coll_len;
  p->pf_base = p->coll_base + coll_len * LLMVP_DESC_BYTES;
  p->pf_len = (uint32_t)pf_len;
  p->attn_rows = table_rows != 0u ? rings_end : 0u; /* 64-byte aligned, after the rings */
  return 0;
}
