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

#define LLMVP_MANIFEST_MAGIC 0x504D4C4Cu /* "LLMP" */
#define LLMVP_MANIFEST_VERSION 1u
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
} llmvp_manifest;
