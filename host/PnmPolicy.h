// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Near-memory offload policy: which operators of a decode step
/// the host puts on the near-memory engines and how it shards them, from
/// the rooflines of the engines and of the compute tile (docs/near-memory.md
/// "Offload policy"). Every rate comes from the platform config; nothing is
/// tuned here.
///
/// Per projection class (q/k/v, o, gate/up, down, LM head) at batch B, a
/// [n][k] matrix of W bytes takes, by roofline:
///   tile      max(W / BW_tile, B_pad * n * k / MAC_tile)
///             BW_tile = min(stacks x interface GB/s, fabric port GB/s),
///             MAC_tile = tile MACs/cycle (activation type) x clock,
///             B_pad = B rounded up to the tile's matrix rows
///   rows      max(W / U / BW_p, B * n/U * k / (min(units, n/U) x MAC_u))
///   columns   max(W / U / BW_p, B * n * k/U / (min(units, n) x MAC_u))
///             BW_p = throttled internal bandwidth of one partition,
///             MAC_u = one unit's MACs/cycle x the throttled logic clock
/// (with int8/int4 weights the engines' dequantisation, 2 vector ops per
/// weight, is the other bound). Attention of one request over `context`
/// positions compares the same two rooflines for its K and V bytes and its
/// score and value MACs (plus 5 softmax ops per score on the engines).
///
/// Choice: an operator goes to the engines if they are faster (offload
/// auto) or always (pnm) or never (tile). On the engines a projection is
/// split by input columns (partial sums, combined on the tile or with
/// PNM_REDUCE) when its input is already sharded the same way (o after
/// attention on the engines, kv heads a multiple of U: no barrier between
/// them) or when the column split is faster (more units busy: n/U rows
/// leave units idle); else by output rows. Operators the engines cannot
/// run (MoE experts, MLA attention, a paged KV cache) stay on the tile.
///
/// Prefill (row-wise passes of R rows, R = min(chunk, 256)) keeps the
/// decode placement; per sharded projection class it compares the same two
/// rooflines at batch R and runs the class on the tile, one GEMV per shard,
/// where the tile is faster (offload auto): prefill GEMMs are compute bound
/// and the tile has the MACs; it streams every shard at once (one GEMV with
/// DESC_F_SHARDS), at the same bandwidth as the interleaved view. Attention
/// stays where decode put it.

#include <array>
#include <cstdint>
#include <string>

#include "config/Loaders.h"
#include "platform/ChipParams.h"
#include "workload/ModelSpec.h"

namespace llmvp::testbench {

struct PnmOpChoice {
  std::uint32_t mode = 0;                    ///< LLMVP_PNM_TILE / ROWS / COLS (manifest.h)
  double tileUs = 0, rowsUs = 0, colsUs = 0; ///< roofline estimates (0: not possible)
};

struct PnmPlan {
  PnmOpChoice qkv, o, gateUp, down, lmHead;
  bool attn = false;                    ///< attention on the engines (sharded KV cache)
  bool oFused = false;                  ///< o by columns right after the engines' attention
  bool reduce = false;                  ///< partial sums combined by the engines
  double attnTileUs = 0, attnPnmUs = 0; ///< one request, one layer (0: not possible)
  std::uint32_t prefillRows = 0;        ///< rows of a prefill pass (0: no prefill)
  /// Per class (bit LLMVP_PNM_SHIFT_* / 2): a prefill pass runs it on the tile over its shards.
  std::uint32_t prefillTile = 0;
  struct Class {
    const PnmOpChoice& choice;
    std::uint32_t shift; ///< LLMVP_PNM_SHIFT_*
    const char* name;
  };
  /// The projection classes in manifest order.
  [[nodiscard]] std::array<Class, 5> classes() const;
  /// manifest pnm_ops bits.
  [[nodiscard]] std::uint32_t ops() const;
  /// One line: "qkv=rows o=cols(fused) gate_up=rows down=rows lm_head=rows attn=pnm combine=tile",
  /// then with prefill " prefill(256 rows): tile=qkv,o,gate_up,down pnm=lm_head".
  [[nodiscard]] std::string describe() const;
};

/// The plan for `spec` at `batch` rows and `context` positions per request
/// on `chip` (pnmCount engines) under the offload policy `mapping`;
/// `pagedKv`: the KV cache is paged.
[[nodiscard]] PnmPlan planPnm(const platform::ChipParams& chip, const PnmMapping& mapping, const ModelSpec& spec,
                              std::uint32_t batch, std::uint32_t context, bool pagedKv);

/// Fills plan.prefillRows and plan.prefillTile for prefill passes of `rows` rows.
void planPnmPrefill(PnmPlan& plan, const platform::ChipParams& chip, const PnmMapping& mapping, const ModelSpec& spec,
                    std::uint32_t rows);

} // namespace llmvp::testbench
