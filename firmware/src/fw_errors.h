/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware error reporting: what the mailbox error registers hold.
 *
 * FW_ERR_BAD_MANIFEST (regs.h): MBOX_ERR_SOURCE = 0,
 *   MBOX_ERR_INFO  = FW_MFIELD_* below (the first field found invalid),
 *   MBOX_ERR_INDEX = the request index for FW_MFIELD_REQ_*, else 0.
 * FW_ERR_NO_SPACE: MBOX_ERR_SOURCE = 0,
 *   MBOX_ERR_INFO  = FW_SPACE_* (which region is too small),
 *   MBOX_ERR_INDEX = bytes the plan needs (saturated at 0xFFFFFFFF).
 * FW_ERR_ENGINE: MBOX_ERR_SOURCE = the engine's ENG_ID (ENG_ID_DMA / ENG_ID_TILE),
 *   MBOX_ERR_INDEX = its ENG_ERR_INDEX (descriptor counter of the failing descriptor),
 *   MBOX_ERR_INFO  = (ENG_ERR_CODE << 16) | (ENG_ERR_INFO & 0xFFFF).
 */
#pragma once
#include <stdint.h>

/* ---- FW_ERR_BAD_MANIFEST: MBOX_ERR_INFO values --------------------------- */
#define FW_MFIELD_MAGIC 1u              /* magic != LLMVP_MANIFEST_MAGIC */
#define FW_MFIELD_VERSION 2u            /* version != LLMVP_MANIFEST_VERSION */
#define FW_MFIELD_LAYERS 3u             /* layers == 0 */
#define FW_MFIELD_HIDDEN 4u             /* hidden == 0 */
#define FW_MFIELD_HEADS 5u              /* heads == 0 */
#define FW_MFIELD_KV_HEADS 6u           /* kv_heads == 0 or heads % kv_heads != 0 */
#define FW_MFIELD_HEAD_DIM 7u           /* head_dim == 0, odd, or heads * head_dim >= 2^32 */
#define FW_MFIELD_FFN 8u                /* ffn == 0 */
#define FW_MFIELD_VOCAB 9u              /* vocab == 0 */
#define FW_MFIELD_DT_W 10u              /* dt_w not FP32/BF16/FP8_E4M3 */
#define FW_MFIELD_DT_KV 11u             /* dt_kv not FP32/BF16/FP8_E4M3 */
#define FW_MFIELD_DT_ACT 12u            /* dt_act not FP32/BF16/FP8_E4M3 */
#define FW_MFIELD_BATCH 13u             /* batch not in 1 .. LLMVP_MAX_BATCH */
#define FW_MFIELD_MAX_CONTEXT 14u       /* max_context == 0 */
#define FW_MFIELD_STEPS 15u             /* steps == 0 */
#define FW_MFIELD_TOKEN_STRIDE 16u      /* token_stride < max_context + 1 */
#define FW_MFIELD_NUM_DMA 17u           /* num_dma == 0 (firmware needs DMA 0) */
#define FW_MFIELD_NUM_TILES 18u         /* num_tiles == 0 (firmware needs tile 0) */
#define FW_MFIELD_KV_REQUEST_STRIDE 19u /* batch > 1 and stride < max_context * kv_heads * head_dim * bytes(dt_kv) */
#define FW_MFIELD_WORK 20u              /* work_base/work_bytes not inside the control-SRAM window */
#define FW_MFIELD_SPAD 21u              /* spad_base/spad_bytes not inside tile 0's scratchpad window */
#define FW_MFIELD_REQ_CACHED_LEN 22u    /* requests[INDEX]: cached_len >= prompt_len */
#define FW_MFIELD_REQ_STEPS 23u         /* requests[INDEX]: cached_len + steps > max_context */
#define FW_MFIELD_MOE 24u               /* experts/top_k/expert_ffn/first_moe_layer/router_scoring inconsistent */
#define FW_MFIELD_TP 31u                /* tp_rank >= tp_ranks, or tensor parallel with MLA */
#define FW_MFIELD_PAGED 26u             /* block table outside the control SRAM or too short for max_context */
#define FW_MFIELD_PREFILL 28u           /* prefill_chunk > LLMVP_MAX_PREFILL_CHUNK */
#define FW_MFIELD_MLA 27u /* mla_*: rope odd or 0, nope/v 0, head_dim != nope + rope, dims >= 2^16, or quantised */
#define FW_MFIELD_PREFETCH                                                                                             \
  29u /* prefetch_dma not in 1 .. num_dma-1, a staging slot outside HBM,                                               \
         or a layer's w_bytes not a multiple of 4 / above the slot */
#define FW_MFIELD_KV_PREFIX                                                                                            \
  30u                         /* kv_prefix_tokens with a paged KV cache, or a request's cached_len                     \
                                 below it */
#define FW_MFIELD_PNM 32u     /* pnm_units > LLMVP_MAX_PNM, pnm_stride 0, or with serving / a KV prefix */
#define FW_MFIELD_PNM_OPS 39u /* pnm_ops: unknown mode, or columns where not allowed */
#define FW_MFIELD_EP                                                                                                   \
  40u /* ep_ranks/ep_rank/ep_dispatch: not the tensor-parallel group on an MoE model (or, with ep_dispatch, tensor     \
         parallel too), > LLMVP_MAX_EP, experts not divisible, with PNM, or dispatch with pipeline stages / prefill /  \
         serving / HBF prefetch */
#define FW_MFIELD_SERVE                                                                                                \
  33u /* serving: serve_table outside memory, or with tensor parallel / PNM / HBF prefetch / KV prefix; INDEX: a       \
         request whose prompt_len or gen_len is 0 or prompt_len + gen_len > max_context + 1 */
#define FW_MFIELD_PP                                                                                                   \
  41u /* pp_stages/pp_stage: stage out of range, or pipeline parallel with tensor parallel / near-memory offload /     \
         prefill / serving / HBF prefetch, or activations neither fp32 nor bf16 */
#define FW_MFIELD_DT_LINEAR 25u /* dt_linear/w_group invalid, or a GEMV k not a multiple of w_group */

/* FW_ERR_NO_SPACE: MBOX_ERR_INFO = FW_SPACE_RINGS or FW_SPACE_SPAD (regs.h), MBOX_ERR_INDEX = bytes needed. */

/** A failure on its way to the mailbox (fields as described above). */
typedef struct fw_fault {
  uint32_t code;   /* FW_ERR_* (regs.h) */
  uint32_t source; /* MBOX_ERR_SOURCE */
  uint32_t index;  /* MBOX_ERR_INDEX */
  uint32_t info;   /* MBOX_ERR_INFO */
} fw_fault;
