/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Descriptor format shared by firmware and engine models.
 *
 * Every engine consumes 64-byte descriptors of the same layout; the meaning
 * of the operand fields depends on the opcode (table below). Tensors are
 * dense, row-major and packed; element types are LLMVP_DT_*. Addresses are
 * chip physical addresses (memmap.h): an operand may live in any memory.
 *
 * Numerics (the contract the golden reference implements too): inputs are
 * widened to fp32, all arithmetic is fp32 with sequential accumulation in
 * index order, and each output element is rounded once to its destination
 * type (round to nearest even; fp8 saturates). See docs/architecture.md.
 *
 * Aliasing: an operation reads all its inputs before writing its output,
 * so dst may equal an input (GEMV dst == src2 for a residual add, SWIGLU
 * dst == src0, ROPE is in place). Fields an opcode does not list are ignored.
 *
 * Synchronisation: if wait_sem != 0 the engine blocks before the operation
 * until semaphore (wait_sem - 1) is >= 1 and decrements it; if
 * signal_sem != 0 it increments semaphore (signal_sem - 1) after the
 * operation's results are visible, and only then advances ENG_HEAD;
 * DESC_F_IRQ raises ENG_IRQ_DONE after HEAD has advanced.
 */
#pragma once
#include <stdint.h>

enum llmvp_dtype {
  LLMVP_DT_FP32 = 0,
  LLMVP_DT_BF16 = 1,
  LLMVP_DT_FP8_E4M3 = 2,
  LLMVP_DT_U32 = 3, /* token ids and positions only */
  /* Group-quantised weights (GEMV and GEMV_MOE dt_w only): a [n][k] matrix
   * is n*k signed integers (INT8: one byte each; INT4: two per byte, element
   * 2i in the low nibble, two's complement -8..7) followed by its scales,
   * bf16 [n][k / w_group]; element (o, j) = q * scale[o][j / w_group],
   * computed in fp32 (exact). The matrix engine runs at the dt_in rate after
   * the vector engine dequantises (LLMVP_OP_GEMV notes). */
  LLMVP_DT_INT8 = 4,
  LLMVP_DT_INT4 = 5,
  LLMVP_DT_COUNT
};

enum llmvp_opcode {
  LLMVP_OP_NOP = 0x00, /* only waits/signals/IRQ */
  /* ---- DMA engine ---- */
  LLMVP_OP_COPY = 0x01, /* dst[i] = convert(src0[i]), i < n elements;
                           dt_in -> dt_out (equal types: plain byte copy) */
  /* ---- compute tile: matrix engine ---- */
  LLMVP_OP_GEMV = 0x10,         /* dst[m][n] = sum_k src1[n][k] * src0[m][k]
                                   (+ src2[m][n] if DESC_F_ACCUM); src0 dt_in,
                                   src1 (weights) dt_w, src2/dst dt_out.
                                   m = batch rows, n = out features, k = in features */
  LLMVP_OP_GEMV_MOE = 0x12,     /* grouped GEMV over the experts a router chose:
                                   src2 ids u32 [m][top_k] (expert of slot j of
                                   row r), arg0 = top_k | experts << 16 (an id >=
                                   experts is a bad shape), expert e's weights
                                   [n][k] (dt_w) at src1 + e * arg1 * 64 bytes;
                                   dst[m][top_k][n] (dt_out): dst[r][j] =
                                   W_ids[r][j] * x, x = src0[r][k] (dt_in), or
                                   src0[r][j][k] with DESC_F_SLOT_INPUT. Each
                                   chosen expert's weights are read once per
                                   descriptor; the rows that chose it share the
                                   pass (timing as GEMV with that many rows).
                                   top_k < 256. With DESC_F_EXPERT_WINDOW
                                   the chip holds a window of the experts
                                   (expert parallel): w = arg0 >> 8 & 0xff
                                   is the window index, experts the local
                                   count, expert id i at src1 + (i - w *
                                   experts) * arg1 * 64; a slot whose id is
                                   outside the window is skipped (its dst
                                   zeros, no MACs, no weight bytes) */
  LLMVP_OP_GEMV_HEADS = 0x13,   /* per-head GEMV (MLA absorbed projections):
                                 arg0 = heads; dst[m][heads][n] (dt_out):
                                 dst[r][h] = W_h * src0[r][h][k] (dt_in), head
                                 h's weights [n][k] (dt_w, a float type) at
                                 src1 + h * n * k * bytes(dt_w). Weights are
                                 read once per descriptor, shared by the m rows */
  LLMVP_OP_ATTN_MLA = 0x14,     /* multi-head latent attention of one sequence
                                 (absorbed form): m = context length, n = query
                                 heads, k = latent width L, arg0 = R | S << 16
                                 (R rope dims, even; S the dimension of the
                                 softmax scale 1/sqrt(S)); src1 latent cache
                                 [pos][L + R] (dt_w): compressed KV then the
                                 shared rope key; src0 q_lat [n][L] and src2
                                 q_rope [n][R] (dt_in); score s_t = (sum_{c<L}
                                 q_lat[c] C_t[c] + sum_{j<R} q_rope[j] C_t[L+j])
                                 / sqrt(S) (one fp32 sum in that order), softmax
                                 as ATTN, dst out[n][L] = sum_t p_t C_t[0..L) /
                                 sum_t p_t (dt_out). The cache is streamed once
                                 (values are the latent itself). DESC_F_PAGED
                                 as ATTN (arg1 block positions, w_group table) */
  LLMVP_OP_ATTN_PREFILL = 0x15, /* causal attention of a block of m
                               consecutive query positions of one sequence
                               (prefill): query row i is at position arg1 + i
                               and attends positions 0 .. arg1 + i; src0 q
                               [m][n][k], dst out [m][n][k] (dt_in/dt_out),
                               K/V caches as ATTN (arg0 kv heads), of which
                               positions 0 .. arg1 + m - 1 are read once for
                               the whole block. Row i's arithmetic is that of
                               ATTN with context arg1 + i + 1. Not paged */
  LLMVP_OP_ATTN = 0x11,         /* decode attention of one sequence:
                                   src0 q[n][k] (dt_in), n = query heads,
                                   k = head_dim, arg0 = kv heads (n % arg0 == 0),
                                   m = context length (positions 0..m-1 read),
                                   src1 K cache [pos][arg0][k] (dt_w),
                                   src2 V cache [pos][arg0][k] (dt_w),
                                   dst out[n][k] (dt_out); scale 1/sqrt(k),
                                   softmax in fp32 with max subtraction */
  /* ---- compute tile: vector engine ---- */
  LLMVP_OP_RMSNORM = 0x20, /* dst[m][n] = src0[m][n] / sqrt(mean_j src0[m][j]^2 + eps)
                            * src1[n]; arg0 = eps as fp32 bits; src1 dt_w */
  LLMVP_OP_ROPE = 0x21,    /* in place on dst[m][n][k] (dt_out): m rows,
                              n heads, k = head_dim (even); row r uses
                              position src0[r] (u32); arg0 = theta fp32 bits.
                              Hugging Face rotate_half pairing (i, i + k/2),
                              inv_freq_i = theta^(-2i/k) */
  LLMVP_OP_SWIGLU = 0x22,  /* dst[i] = silu(src0[i]) * src1[i], i < m*n;
                              silu(x) = x / (1 + exp(-x)) */
  LLMVP_OP_ADD = 0x23,     /* dst[i] = src0[i] + src1[i], i < m*n */
  LLMVP_OP_EMBED = 0x24,   /* dst[r][n] = src1[src0[r]][n] for r < m:
                              src0 token ids (u32), src1 table [k][n] (dt_w),
                              k = vocab (ids >= k are an error) */
  LLMVP_OP_ARGMAX = 0x25,  /* dst[r] (u32) = lowest j maximising src0[r][j],
                              r < m, j < n (dt_in) */
  LLMVP_OP_TOPK = 0x26,    /* router top-k: src0 logits [m][n] (dt_in), n experts,
                              k = top_k <= n; dst = routing record of m rows:
                              ids u32 [m][k] then weights fp32 [m][k] at
                              dst + m*k*4. Row r: the k largest logits,
                              descending, ties to the lower index; weights
                              (arg0 = LLMVP_ROUTER_SOFTMAX) e_j = exp(l_j - l_0)
                              / sum_i exp(l_i - l_0), or (LLMVP_ROUTER_SIGMOID)
                              s_j = sigmoid(l_j) / sum_i sigmoid(l_i), sums in
                              slot order, each times arg1 (fp32 bits). In
                              timing-only mode the ids come from the routing
                              oracle the host attached to the tile */
  /* ---- collectives engine (one per chip, all chips of the system) ----
   * src0 this chip's input, dst its result (both dt_in: FP32 or BF16),
   * n = elements per rank (below), arg0 = LLMVP_COLL_ALG_* (0: the system's
   * configured choice), arg1 = tag naming the call site (the reliability
   * policy substitutes a late chip's input by its input at the same tag in
   * the previous call), m = chips in the group and k = the system chip id of
   * its rank 0: the collective runs among chips [k, k + m), which must hold
   * this chip (else, or with m = 0, ENG_ERR_GROUP). Every chip of a group
   * must issue the same sequence of collectives with the same op, n, type,
   * tag and algorithm. Sums are fp32 in chip order, rounded once to dt_in.
   * "chips" below are the group's. */
  LLMVP_OP_ALL_REDUCE = 0x40,     /* dst[n] = sum over chips of src0[n] */
  LLMVP_OP_ALL_GATHER = 0x41,     /* dst[chips][n]: block c = chip c's src0[n] */
  LLMVP_OP_REDUCE_SCATTER = 0x42, /* src0[chips][n]; dst[n] = sum over chips of their block (this chip's index) */
  LLMVP_OP_ALL_TO_ALL = 0x43,     /* src0[chips][n]: block c goes to chip c; dst[chips][n]: block c from chip c.
                                     dt_in may also be U32 (opaque words, copied bit for bit; they travel in
                                     timing-only runs too: MoE dispatch records). Variable (src2 != 0, the MoE
                                     dispatch and combine): src2 holds u32 [chips] counts, the elements of
                                     block c this chip sends (<= n); only those travel (with the count: a
                                     message of 0 elements still carries it), are read from the start of
                                     block c and written at the start of the receiver's block for this
                                     chip, whose rest is left unchanged; src1 != 0 receives u32 [chips], the
                                     counts each chip sent here. Counts are control data (read and written
                                     in both modes). Always the direct algorithm; the reliability policy
                                     does not substitute a variable all-to-all's contributions */
  /* Point to point (pipeline parallel): arg0 = the peer chip, arg1 = tag;
   * dt_in FP32, BF16 or U32 (U32 data travels in timing-only runs too: token
   * ids). A SEND completes when its data arrived at the peer; a RECV when the
   * peer's SEND with the same tag (in order per sender, receiver and tag)
   * arrived. n and dt_in must match. */
  LLMVP_OP_SEND = 0x44, /* src0[n] to chip arg0 */
  LLMVP_OP_RECV = 0x45, /* dst[n] = src0[n] of chip arg0's SEND */
  /* ---- expert parallel with data-parallel attention (manifest ep_dispatch) ----
   * Each of the R = arg1 chips of a group owns m rows and routes them
   * itself; chip d holds experts [d * E / R, (d + 1) * E / R), E = arg0. A
   * row's dispatch record is W = llmvp_moe_record_words(n, k, dt) u32 words:
   * its n activations (dt, zero-padded to a word), then k expert ids (u32),
   * then k weights (fp32). */
  LLMVP_OP_MOE_DISPATCH = 0x28, /* pack for the dispatch ALL_TO_ALL: src0 rows [m][n] (dt_in),
                                   src1 the routing record TOPK wrote for them (ids, weights;
                                   k = top_k); dst [R][m][W] u32: block d holds, from its
                                   start and in row order, the record of every row with a
                                   slot on chip d, whose ids of slots on other chips are
                                   LLMVP_MOE_NO_EXPERT with weight 0; src2 the dispatch
                                   map: u32 [R] words in use per block (the ALL_TO_ALL's
                                   counts), then u32 [m][R], row r's record index in block
                                   d or LLMVP_MOE_NO_EXPERT. Ids, weights, counts and map
                                   are control data: written in both modes */
  LLMVP_OP_MOE_GATHER = 0x29,   /* unpack what the dispatch ALL_TO_ALL delivered: src0 [R][m][W]
                                   u32 blocks, src1 u32 [R] words received from each chip;
                                   dst rows [R * m][n] (dt_out, dt_in the records' type):
                                   row s * m + i is record i of block s, zeros past the
                                   count; src2 a routing record of those R * m rows (ids
                                   [R*m][k], LLMVP_MOE_NO_EXPERT past the count, weights
                                   [R*m][k], 0 there) followed by u32 [R]: n x the records
                                   from chip s, the combine ALL_TO_ALL's counts */
  LLMVP_OP_MOE_RETURN = 0x2a,   /* combine at the rows' owner: dst[r][n] = sum over chips d in
                                   order, where row r went (map of src1, the dispatch map
                                   MOE_DISPATCH wrote), of src0[d][map[r][d]][n], from 0,
                                   then + src2[r][n] with DESC_F_ACCUM; src0 the blocks the
                                   combine ALL_TO_ALL delivered [R][m][n] (dt_in), src2 and
                                   dst [m][n] (dt_out) */
  LLMVP_OP_MOE_COMBINE = 0x27   /* dst[r][n] = src2[r][n] + sum_j w[r][j] * src0[r][j][n]
                                   (sum from 0 in slot order, then the residual
                                   src2, which is added, and read, only with
                                   DESC_F_ACCUM; without it dst is the sum):
                                   src0 expert outputs [m][k][n] (dt_in), src1 the
                                   routing record TOPK wrote (weights read), src2
                                   and dst [m][n] (dt_out); k = top_k */
};

#define LLMVP_COLL_ALG_CONFIG 0u /* collectives arg0: the system's choice (collectives.algorithm) */
#define LLMVP_COLL_ALG_RING 1u
#define LLMVP_COLL_ALG_RECURSIVE_DOUBLING 2u
#define LLMVP_COLL_ALG_DIRECT 3u
#define LLMVP_COLL_ALG_IN_SWITCH 4u
/* ---- near-memory engines: PNM on a logic base die, PIM in the
 * DRAM dies (models/memory/stacked/PnmEngine.h). Weight and KV operands are
 * read from the engine's own memory partition at internal bandwidth; other
 * operands (activations, results) cross the fabric. */
enum llmvp_pnm_opcode {
  /* As LLMVP_OP_GEMV (ACCUM, BIAS, int8/int4 weights), but row r of dst (and
   * of src2 with DESC_F_ACCUM) starts at element r * arg1 (arg1 = 0: n), so
   * that a shard of the output features lands in place in a [m][arg1]
   * matrix; row r of src0 starts at element r * arg0 (arg0 = 0: k), so
   * that a shard of the input features of a [m][arg0] matrix can be read
   * in place; with dt_out fp32 such a shard gives a partial sum for
   * LLMVP_OP_PNM_REDUCE. */
  LLMVP_OP_PNM_GEMV = 0x50,
  /* As LLMVP_OP_ATTN (not paged) over a KV-cache shard of arg0 kv heads. */
  LLMVP_OP_PNM_ATTN = 0x51,
  /* dst[i] = sum_{j < k} src0[j][i], i < m*n: k partial sums (dt_in),
   * partial j at element j * arg1 (arg1 = 0: m*n), summed in fp32 in order
   * j, rounded to dt_out; with DESC_F_ACCUM the sum starts from src2[i]
   * (dt_out). */
  LLMVP_OP_PNM_REDUCE = 0x52,
  /* As LLMVP_OP_PNM_ATTN (context m), after writing the new position's k
   * and v rows ([arg0][k] elements of dt_in at the 32-bit addresses arg1
   * and w_group, e.g. in the scratchpad) into the shard's K and V caches at
   * position m - 1 as dt_w: the engine appends its own KV shard, no DMA. */
  LLMVP_OP_PNM_ATTN_APPEND = 0x53
};

#define LLMVP_MOE_NO_EXPERT 0xffffffffu /* a dispatch slot or map entry that is not there */
#define LLMVP_MAX_TOP_K 64u             /* MOE_DISPATCH, MOE_GATHER: largest k (experts per token) */
#define LLMVP_MAX_EP 256u /* MOE_DISPATCH, MOE_GATHER, MOE_RETURN: most chips (GEMV_MOE window index is 8 bits) */
/** u32 words of one MOE_DISPATCH record: n activations of `dt_bytes` bytes
 *  each, padded to a word, then k ids and k weights. */
static inline uint32_t llmvp_moe_record_words(uint32_t n, uint32_t k, uint32_t dt_bytes) {
  return (n * dt_bytes + 3u) / 4u + 2u * k;
}

#define LLMVP_ROUTER_SOFTMAX 0u /* TOPK arg0: softmax over the selected logits (Mixtral) */
#define LLMVP_ROUTER_SIGMOID 1u /* TOPK arg0: sigmoid, normalised over the selected (DeepSeek-V3) */

#define DESC_F_IRQ (1u << 0)   /* raise ENG_IRQ_DONE when this descriptor completes */
#define DESC_F_ACCUM (1u << 1) /* GEMV, MOE_COMBINE: add src2 to the result */
#define DESC_F_BIAS                                                                                                    \
  (1u << 2) /* GEMV: add bias src2[n] (dt_w; bf16 when dt_w is an integer                                              \
               type) to every row's sum before rounding; not with                                                      \
               DESC_F_ACCUM (bad shape) */
#define DESC_F_PAGED                                                                                                   \
  (1u << 4)                            /* ATTN: paged KV cache: src1/src2 are K/V block pools, position t of           \
                                          the sequence is row t % arg1 of block table[t / arg1], block b at            \
                                          pool + b * arg1 * arg0 * k * bytes(dt_w); table = u32 block ids at           \
                                          the low-4-GiB address w_group */
#define DESC_F_SLOT_INPUT (1u << 3)    /* GEMV_MOE: src0 holds one input per slot [m][top_k][k] */
#define DESC_F_EXPERT_WINDOW (1u << 6) /* GEMV_MOE: this chip holds window arg0 >> 8 & 0xff of the experts */
/* GEMV over weights stored as U = arg0 & 0xff shards (1 .. LLMVP_MAX_SHARDS)
 * arg1 x 4 KiB apart from src1, split by output rows (arg0 >> 8 == 0: shard
 * p holds rows [n0_p, n0_p + n_p) of [n][k], n_p = n / U + (p < n % U), n0_p
 * = p * (n / U) + min(p, n % U)) or by input columns (arg0 >> 8 == 1: shard
 * p holds columns [k0_p, k0_p + k_p) as a [n][k_p] matrix), each shard a
 * complete matrix (with its own scales when quantised); the result is the
 * unsharded GEMV's. Every shard streams at once (a prefill pass over the
 * near-memory shards, firmware pnm.c). */
#define DESC_F_SHARDS (1u << 7)
#define LLMVP_MAX_SHARDS 8u
/* ATTN over m sequences in one descriptor (one kernel for the batch, as
 * decode-attention kernels launch one grid over all sequences): row r's
 * query is src0 + r * n * k * bytes(dt_in), its output dst + r * n * k *
 * bytes(dt_out); its context length, K/V caches and (with DESC_F_PAGED) block
 * table come from entry r of the llmvp_attn_row table at the low-4-GiB
 * address w_group (control data: read in both modes). Row r then runs as an
 * ATTN with m = ctx, src1 + cache_offset, src2 + cache_offset, w_group =
 * block_table; rows run one after another. */
#define DESC_F_ROWS (1u << 5)

typedef struct llmvp_attn_row {
  uint32_t ctx;          /* positions 0 .. ctx - 1 attended */
  uint32_t block_table;  /* DESC_F_PAGED: the row's block table (low 4 GiB), else 0 */
  uint64_t cache_offset; /* added to src1 and src2 (contiguous caches: the request's slot) */
} llmvp_attn_row;
#define LLMVP_ATTN_ROW_BYTES 16u

typedef struct llmvp_desc {
  uint8_t opcode;     /* enum llmvp_opcode */
  uint8_t flags;      /* DESC_F_* */
  uint8_t wait_sem;   /* 0: none, else semaphore index + 1 */
  uint8_t signal_sem; /* 0: none, else semaphore index + 1 */
  uint8_t dt_in;      /* src0 element type */
  uint8_t dt_w;       /* src1 (and src2 for ATTN) element type */
  uint8_t dt_out;     /* dst (and src2 for GEMV) element type */
  uint8_t reserved0;
  uint64_t src0, src1, src2, dst;
  uint32_t m, n, k; /* dimensions, see opcode */
  uint32_t arg0, arg1;
  uint32_t w_group; /* GEMV/GEMV_MOE with integer dt_w: elements per scale (k % w_group == 0) */
} llmvp_desc;

#define LLMVP_DESC_BYTES 64u

/* Field offsets, for firmware that patches single fields in place. */
#define DESC_OFF_SRC0 8u
#define DESC_OFF_SRC1 16u
#define DESC_OFF_SRC2 24u
#define DESC_OFF_DST 32u
#define DESC_OFF_M 40u
#define DESC_OFF_N 44u
#define DESC_OFF_K 48u
#define DESC_OFF_ARG0 52u
#define DESC_OFF_ARG1 56u
#define DESC_OFF_W_GROUP 60u

#ifdef __cplusplus
static_assert(sizeof(llmvp_desc) == LLMVP_DESC_BYTES, "descriptor must be 64 bytes");
static_assert(sizeof(llmvp_attn_row) == LLMVP_ATTN_ROW_BYTES, "attention row entry must be 16 bytes");
#else
_Static_assert(sizeof(llmvp_desc) == LLMVP_DESC_BYTES, "descriptor must be 64 bytes");
_Static_assert(sizeof(llmvp_attn_row) == LLMVP_ATTN_ROW_BYTES, "attention row entry must be 16 bytes");
#endif
