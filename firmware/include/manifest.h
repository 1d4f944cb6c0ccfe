/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-chip manifest: what the host runtime (testbench) tells the firmware.
 * The host writes it into device memory and puts its address in the mailbox
 * (MBOX_MANIFEST_LO/HI) before releasing the control CPU from reset.
 *
 * Decode schedule: the firmware runs `steps` decode steps. In step s request
 * r processes position p = requests[r].cached_len + s: its input token is
 * tokens[r * token_stride + p]; its output (argmax) is written to
 * tokens[r * token_stride + p + 1] when p + 1 >= requests[r].prompt_len
 * (otherwise the next prompt token is already there: teacher forcing).
 * Positions 0 .. cached_len-1 are already in the KV cache.
 * After each step the firmware writes MBOX_STEP = s + 1.
 */
#pragma once
#include <stdint.h>

#include "firmware/include/descriptors.h" /* LLMVP_MAX_TOP_K, LLMVP_MAX_EP bound top_k and ep_ranks */

#define LLMVP_MANIFEST_MAGIC 0x504D4C4Cu /* "LLMP" */
/*
 * Manifest versions. The firmware accepts LLMVP_MANIFEST_VERSION only. What
 * each version added (fields of llmvp_manifest; "layer": fields of
 * llmvp_layer_entry):
 *    1  dense decode: model, run, tensors, requests, tokens, firmware memory,
 *       logits
 *    2  q/k/v biases (attn_bias; layer bq, bk, bv), mixture of experts
 *       (experts .. routed_scale_bits; layer router, exp_*), group-quantised
 *       weights (dt_linear, w_group), paged KV cache (kv_block_tokens,
 *       block_table_stride, block_table)
 *    3  multi-head latent attention (mla_*; layer mla_*), prefill
 *       (prefill_chunk)
 *    4  HBF weight prefetch and shared KV prefix (prefetch_depth,
 *       prefetch_dma, staging_*, kv_prefix_tokens; layer w_base, w_bytes,
 *       prefix_k, prefix_v)
 *    5  tensor parallel (tp_ranks, tp_rank)
 *    6  near-memory offload (pnm_units, pnm_stride)
 *    7  serving with continuous batching (serve_requests, serve_table;
 *       llmvp_serve_request)
 *    8  near-memory per-operator placement (pnm_ops)
 *    9  expert parallel (ep_ranks, ep_rank)
 *   10  prefill with near-memory offload (pnm_ops bits
 *       LLMVP_PNM_PREFILL_TILE)
 *   11  pipeline parallel (pp_stages, pp_stage)
 *   12  data-parallel attention with all-to-all expert dispatch (ep_dispatch)
 * This is the one list of versions; docs/register-map.md describes the
 * fields and points here.
 */
#define LLMVP_MANIFEST_VERSION 12u
#define LLMVP_MAX_BATCH 256u

/* debug_flags: deliberate faults for firmware/host error-path bring-up. */
#define FW_DEBUG_BAD_OPCODE (1u << 0)  /* corrupt the opcode of one tile descriptor */
#define FW_DEBUG_BAD_ADDRESS (1u << 1) /* point one weight operand at an unmapped address */

typedef struct llmvp_layer_entry {
  uint64_t attn_norm; /* [hidden] */
  uint64_t wq;        /* [heads*head_dim][hidden] */
  uint64_t wk;        /* [kv_heads*head_dim][hidden] */
  uint64_t wv;        /* [kv_heads*head_dim][hidden] */
  uint64_t wo;        /* [hidden][heads*head_dim] */
  uint64_t ffn_norm;  /* [hidden] */
  uint64_t w_gate;    /* [ffn][hidden] */
  uint64_t w_up;      /* [ffn][hidden] */
  uint64_t w_down;    /* [hidden][ffn] */
  uint64_t k_cache;   /* request r: k_cache + r * kv_request_stride, [max_context][kv_heads][head_dim] */
  uint64_t v_cache;   /* same layout as k_cache */
  /* q/k/v biases, mixture of experts */
  uint64_t bq, bk, bv; /* q/k/v biases [q_dim], [kv_dim], [kv_dim] (dt_w) when attn_bias, else 0 */
  /* MoE layers (layer >= first_moe_layer when experts != 0); w_gate/w_up/w_down
   * then hold the shared experts ([shared_ffn][hidden], [hidden][shared_ffn])
   * and are 0 without shared experts */
  uint64_t router;        /* [experts][hidden] */
  uint64_t exp_gate;      /* expert e: exp_gate + e * expert_stride, [expert_ffn][hidden] */
  uint64_t exp_up;        /* same layout */
  uint64_t exp_down;      /* expert e: exp_down + e * expert_stride, [hidden][expert_ffn] */
  uint64_t expert_stride; /* bytes between experts, a multiple of 64 */
  /* ---- multi-head latent attention (mla_kv_lora != 0) ----
   * wq/wk/wv/bq/bk/bv and v_cache are unused (0); wo is [hidden][heads*v];
   * k_cache holds the latent cache rows [kv_lora + rope] (dt_kv): request r
   * at k_cache + r * kv_request_stride, or paged as for GQA. */
  uint64_t mla_q_a;      /* [q_lora][hidden] (0 when q_lora == 0) */
  uint64_t mla_q_a_norm; /* [q_lora] */
  uint64_t mla_q_nope;   /* [heads*nope][q_lora or hidden] */
  uint64_t mla_q_rope;   /* [heads*rope][q_lora or hidden] */
  uint64_t mla_kv_a;     /* [kv_lora][hidden] */
  uint64_t mla_k_rope;   /* [rope][hidden] */
  uint64_t mla_kv_norm;  /* [kv_lora] */
  uint64_t mla_w_uk;     /* [heads][kv_lora][nope]: the key up-projection, transposed per head */
  uint64_t mla_w_uv;     /* [heads][v][kv_lora] */
  /* ---- High Bandwidth Flash: weight prefetch, shared KV prefix ---- */
  uint64_t w_base, w_bytes;    /* the layer's weights, one contiguous region (attn_norm .. last tensor):
                                  what the weight prefetch copies (manifest prefetch_depth) */
  uint64_t prefix_k, prefix_v; /* kv_prefix_tokens != 0: the shared precomputed KV prefix of this
                                  layer, [kv_prefix_tokens][kv_heads][head_dim] (dt_kv), read-only */
} llmvp_layer_entry;

typedef struct llmvp_request {
  uint32_t prompt_len; /* tokens given by the host (>= 1) */
  uint32_t cached_len; /* positions already in the KV cache (< prompt_len) */
  uint32_t reserved[2];
} llmvp_request;

typedef struct llmvp_manifest {
  uint32_t magic;   /* LLMVP_MANIFEST_MAGIC */
  uint32_t version; /* LLMVP_MANIFEST_VERSION */
  /* model */
  uint32_t layers, hidden, heads, kv_heads, head_dim, ffn, vocab;
  uint32_t rms_eps_bits;                  /* fp32 bits */
  uint32_t rope_theta_bits;               /* fp32 bits */
  uint8_t dt_w, dt_kv, dt_act, reserved0; /* enum llmvp_dtype */
  /* run */
  uint32_t batch;              /* 1 .. LLMVP_MAX_BATCH */
  uint32_t max_context;        /* KV cache positions per request */
  uint32_t steps;              /* decode steps to run */
  uint32_t token_stride;       /* u32 entries per request in `tokens` (>= max_context + 1) */
  uint32_t debug_flags;        /* FW_DEBUG_* */
  uint32_t num_dma, num_tiles; /* engines present (firmware uses DMA 0 and tile 0) */
  /* tensors */
  uint64_t embed;             /* [vocab][hidden] */
  uint64_t final_norm;        /* [hidden] */
  uint64_t lm_head;           /* [vocab][hidden] (== embed when tied) */
  uint64_t layer_table;       /* llmvp_layer_entry[layers] */
  uint64_t kv_request_stride; /* bytes */
  uint64_t requests;          /* llmvp_request[batch] */
  uint64_t tokens;            /* u32 [batch][token_stride] */
  /* memory the firmware may use */
  uint64_t work_base, work_bytes; /* control SRAM for rings (64-byte aligned) */
  uint64_t spad_base, spad_bytes; /* tile 0 scratchpad for activations */
  /* optional outputs */
  uint64_t logits; /* 0, or where the LM head writes logits [batch][vocab] (dt_act)
                      instead of the scratchpad, for the host to inspect */
  /* q/k/v biases, mixture of experts */
  uint32_t attn_bias;         /* nonzero: q/k/v projections add layer biases bq/bk/bv */
  uint32_t experts;           /* routed experts per MoE layer; 0: dense model */
  uint32_t top_k;             /* experts per token (1 .. experts, <= LLMVP_MAX_TOP_K) */
  uint32_t expert_ffn;        /* intermediate size of one expert */
  uint32_t shared_ffn;        /* shared experts x expert_ffn (0: none) */
  uint32_t first_moe_layer;   /* layers before it have a dense FFN of width ffn */
  uint32_t router_scoring;    /* LLMVP_ROUTER_* (descriptors.h) */
  uint32_t routed_scale_bits; /* fp32 bits: combine weights are multiplied by it */
  /* Linear projections (q/k/v/o, FFN, experts) may be group-quantised:
   * with w_group != 0 they are of type dt_linear (LLMVP_DT_INT8 or
   * LLMVP_DT_INT4, bf16 scales after each matrix, descriptors.h) and dt_w,
   * which types the rest (norms, embeddings, LM head, router, biases), must
   * be BF16; with w_group == 0 every weight is dt_w and dt_linear is ignored. */
  uint32_t dt_linear;
  uint32_t w_group; /* elements per scale */
  /* Paged KV cache (kv_block_tokens != 0): a layer's k_cache/v_cache are
   * pools of blocks of kv_block_tokens positions ([kv_block_tokens][kv_heads]
   * [head_dim] each, block b at pool + b * block bytes); request r's position
   * p lives in block block_table[r * block_table_stride + p / kv_block_tokens]
   * (u32 ids, in the control SRAM). kv_request_stride is then ignored. */
  uint32_t kv_block_tokens;
  uint32_t block_table_stride; /* entries per request (>= max_context / kv_block_tokens) */
  uint64_t block_table;
  /* ---- multi-head latent attention ----
   * mla_kv_lora != 0: attention is MLA in absorbed form (docs/architecture.md
   * "Multi-head latent attention"); head_dim is then nope + rope (the softmax
   * scale dimension) and kv_heads is ignored. */
  uint32_t mla_q_lora;  /* 0: queries projected from the hidden state */
  uint32_t mla_kv_lora; /* latent width L */
  uint32_t mla_nope;    /* per-head query/key dims without RoPE */
  uint32_t mla_rope;    /* RoPE dims (per query head; one shared key) */
  uint32_t mla_v;       /* per-head value dims */
  uint32_t mla_reserved;
  /* ---- prefill ----
   * prefill_chunk != 0: before the decode steps the firmware prefills every
   * request r over positions cached_len .. prompt_len-1 in passes of at
   * most prefill_chunk rows (GEMMs over the pass's rows; the requests'
   * positions packed in request order, one ATTN_PREFILL per request piece
   * per layer; with a paged KV cache or MLA one request per pass, as
   * decode-style rows, firmware/src/plan.h fw_prefill_rowwise), writes the
   * argmax of the last prompt position to tokens[r * token_stride +
   * prompt_len] and MBOX_PREFILLED = r + 1 (in request order). Decode step s
   * then processes position prompt_len + s (steps may be 0). */
  uint32_t prefill_chunk;
  uint32_t prefill_reserved;
  /* ---- High Bandwidth Flash ----
   * Weight prefetch (prefetch_depth != 0): DMA engine prefetch_dma copies
   * layer l's weights region (layer entry w_base, w_bytes) into staging slot
   * l % prefetch_depth at staging_base + slot * staging_slot_bytes while the
   * tile computes earlier layers; the tile reads layer l's weights from the
   * slot (address - w_base + slot base). Embeddings, final norm and LM head
   * are read in place.
   * KV prefix (kv_prefix_tokens != 0, contiguous KV layout only): positions
   * 0 .. kv_prefix_tokens-1 of every request are a shared precomputed prefix
   * at the layer entries' prefix_k/prefix_v; requests[r].cached_len counts
   * them, and a request's own cache (k_cache/v_cache) holds positions from
   * kv_prefix_tokens on at row 0. max_context counts own positions only. */
  uint32_t prefetch_depth;
  uint32_t prefetch_dma;
  uint64_t staging_base;
  uint64_t staging_slot_bytes;
  uint32_t kv_prefix_tokens;
  uint32_t reserved_hbf;
  /* ---- multi-chip tensor parallel ----
   * With tp_ranks > 1, heads, kv_heads and ffn above are this chip's shard
   * (the host splits wq/wk/wv/w_gate/w_up by rows and wo/w_down by
   * columns), and the firmware all-reduces the partial outputs of the
   * attention output and FFN down projections with the collectives engine
   * (LLMVP_COLL_BASE(0)) before adding them to the residual stream. MoE
   * layers run expert parallel (ep_ranks below). */
  uint32_t tp_ranks; /* chips in the tensor-parallel group; 0 or 1: one chip, no collectives */
  uint32_t tp_rank;  /* this chip's index in the group */
  /* ---- near-memory (PNM/PIM) offload ----
   * With pnm_units != 0 the host sharded the model over the memory
   * partitions of pnm_units near-memory engines (LLMVP_PNM_BASE(p)): shard p
   * of a sharded tensor is at (its address) + p * pnm_stride. Sharded are the
   * projections wq, wk, wv, wo, w_gate, w_up, w_down and lm_head (output
   * rows: shard p holds rows [n0_p, n0_p + n_p) of [n][k], n_p = n / U +
   * (p < n % U), n0_p = p * (n / U) + min(p, n % U), U = pnm_units; each
   * shard a complete matrix, with its own scales when quantised) and the KV
   * cache (kv heads split the same way: request r's cache in shard p is
   * [max_context][n_p][head_dim] at k_cache + p * pnm_stride + r *
   * kv_request_stride, r the KV row). Everything else is unsharded. */
  uint32_t pnm_units;
  uint32_t pnm_ops; /* per-operator placement: LLMVP_PNM_OPS_* (below) */
  uint64_t pnm_stride;
  /* ---- near-memory per-operator placement ----
   * pnm_ops holds, 2 bits per projection class at LLMVP_PNM_SHIFT_*, where
   * it runs: LLMVP_PNM_TILE (the tile, the whole matrix at its address,
   * normally in the interleaved view of the stacks), LLMVP_PNM_ROWS (the
   * engines, sharded by output rows as above) or LLMVP_PNM_COLS (the
   * engines, sharded by input features: shard p of [n][k] holds columns
   * [k0_p, k0_p + k_p) as a complete [n][k_p] matrix, k_p and k0_p as
   * n_p and n0_p; only O and DOWN). A column split writes fp32 partial sums
   * [U][batch][hidden] to the scratchpad, combined into x by the tile (ADDs)
   * or, with LLMVP_PNM_OPS_REDUCE, by the engines (PNM_REDUCE, engine p
   * summing elements [e0_p, e0_p + e_p) of batch x hidden). With O in
   * columns, attention on the engines and kv_heads % U == 0, engine p's
   * heads are its wo columns and it runs its o shard right after its
   * attention, without a barrier. LLMVP_PNM_OPS_ATTN: attention on the engines over
   * the sharded KV cache; else on the tile over an unsharded cache (layout
   * of the single-chip chains, paged or MLA allowed). Mixture-of-experts
   * FFNs and MLA attention blocks always run on the tile.
   * Prefill (prefill_chunk != 0) runs row-wise (plan.h
   * fw_prefill_rowwise) through the same chains, with a pass's rows as the
   * batch; a sharded projection class whose LLMVP_PNM_PREFILL_TILE bit is
   * set runs in prefill passes on the tile instead, one GEMV over all its
   * shards (DESC_F_SHARDS, descriptors.h; pnm_stride then a multiple of 4
   * KiB, at most LLMVP_MAX_SHARDS engines). Attention stays where
   * LLMVP_PNM_OPS_ATTN puts it. */
  /* ---- serving with continuous batching ----
   * serve_requests != 0: requests arrive over time instead of one batch.
   * `batch` is then the number of slots (requests in flight at most); slot s
   * owns the KV cache of request row s (k_cache + s * kv_request_stride, or
   * block table row s when paged). `requests` and `steps` are unused. The
   * host fills serve_table[i] (llmvp_serve_request) and request i's prompt at
   * tokens[i * token_stride ..], then writes MBOX_SUBMITTED = i + 1 and raises
   * the mailbox IRQ. Between steps the firmware admits submitted requests in
   * arrival order into free slots, prefills them (prefill_chunk != 0: one
   * chunk of one request between two decode steps, oldest first) or feeds
   * their prompt through decode steps (prefill_chunk == 0), decodes every
   * request holding a slot in one step, writes request i's generated tokens
   * to tokens[i * token_stride + prompt_len ..] and reports MBOX_SERVE_EVENT
   * (regs.h) when its first token is known and when its gen_len-th token is
   * written, which frees the slot. It finishes after serve_requests requests. */
  uint32_t serve_requests;
  uint32_t serve_reserved;
  uint64_t serve_table; /* llmvp_serve_request[serve_requests] */
  /* ---- expert parallel ----
   * ep_ranks > 1 (MoE model with tp_ranks > 1; then ep_ranks == tp_ranks
   * and ep_rank == tp_rank): `experts` above stays the model's count and
   * this chip holds experts [ep_rank * E, +E), E = experts / ep_ranks, at
   * local index 0 .. E - 1 of the expert tables; shared_ffn is this chip's
   * column shard of the shared experts. Router weights are whole (every
   * chip routes every row). */
  uint32_t ep_ranks; /* 0 or 1: all experts on this chip */
  uint32_t ep_rank;
  /* ---- pipeline parallel ----
   * pp_stages > 1: chip pp_stage of the system runs a contiguous range of
   * the model's layers as pipeline stage pp_stage; `layers`, the layer
   * table and first_moe_layer are the stage's own. Per step, stage 0 embeds
   * the tokens, runs its layers and SENDs x ([batch][hidden], dt_act) to
   * stage 1 (tag LLMVP_PP_TAG_X); stage s > 0 RECVs x from s - 1 into x
   * before its first layer and, unless it is the last, SENDs it on; the
   * last stage runs the final norm, lm_head and argmax and SENDs tokens_out
   * (u32 [batch]) to stage 0 (LLMVP_PP_TAG_TOKENS), whose RECV writes its
   * tokens_out, so the first and the last stage hold the generated tokens.
   * embed is only used on stage 0, final_norm and lm_head on the last. One
   * micro-batch is in flight: a stage idles while the others run. With
   * tp_ranks > 1 each stage is a tensor-parallel group: this chip is the
   * system's chip pp_stage * tp_ranks + tp_rank, its collectives run among
   * its stage's chips, and it sends to and receives from the same rank of
   * the neighbouring stages. Not with near-memory offload, prefill, serving
   * or HBF prefetch. */
  uint32_t pp_stages; /* 0 or 1: no pipeline */
  uint32_t pp_stage;
  /* ---- data-parallel attention, all-to-all expert dispatch ----
   * ep_dispatch != 0 (MoE model, ep_ranks > 1, tp_ranks <= 1): the chip owns
   * its `batch` rows and their KV cache and holds the whole attention, the
   * dense layers, the shared experts, the router, the embedding and the LM
   * head; its routed experts are [ep_rank * E, +E) as above. In each MoE
   * layer it routes its own rows, MOE_DISPATCH packs every row for the chips
   * that hold one of its experts, a variable ALL_TO_ALL (U32 records, tag
   * 2 * moe_layer) delivers them, MOE_GATHER unpacks the ep_ranks x batch
   * rows that arrived, the expert GEMVs and MOE_COMBINE run on them (fp32
   * partials), a second variable ALL_TO_ALL (tag 2 * moe_layer + 1) sends
   * the partials back, and MOE_RETURN adds them to x in chip order. The
   * shared experts run between dispatch and gather, overlapping the first
   * all-to-all. Not with pipeline stages, near-memory offload, prefill,
   * serving or HBF prefetch. */
  uint32_t ep_dispatch;
  uint32_t ep_reserved;
} llmvp_manifest;

#define LLMVP_PP_TAG_X 0u      /* pipeline parallel: the residual stream to the next stage */
#define LLMVP_PP_TAG_TOKENS 1u /* pipeline parallel: the last stage's argmax to stage 0 */

#define LLMVP_PNM_TILE 0u
#define LLMVP_PNM_ROWS 1u
#define LLMVP_PNM_COLS 2u
#define LLMVP_PNM_SHIFT_QKV 0u
#define LLMVP_PNM_SHIFT_O 2u
#define LLMVP_PNM_SHIFT_GATE_UP 4u
#define LLMVP_PNM_SHIFT_DOWN 6u
#define LLMVP_PNM_SHIFT_LM_HEAD 8u
#define LLMVP_PNM_OPS_ATTN (1u << 10)
#define LLMVP_PNM_OPS_REDUCE (1u << 11)
/* Prefill passes run class `shift` (LLMVP_PNM_SHIFT_*) on the tile over its shards. */
#define LLMVP_PNM_PREFILL_TILE(shift) (1u << (12u + (shift) / 2u))
#define LLMVP_PNM_OPS_BITS 17u /* pnm_ops bits in use */

/** One served request (manifest serve_table). */
typedef struct llmvp_serve_request {
  uint32_t prompt_len; /* prompt tokens (>= 1) */
  uint32_t gen_len;    /* tokens to generate (>= 1); prompt_len + gen_len <= max_context */
  uint32_t reserved[2];
} llmvp_serve_request;

#define LLMVP_MAX_PREFILL_CHUNK 8192u
#define LLMVP_MAX_EXPERTS 65535u
