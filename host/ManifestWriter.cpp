// SPDX-License-Identifier: Apache-2.0
#include "host/ManifestWriter.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "config/ConfigNode.h"
#include "firmware/include/manifest.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"

namespace llmvp::testbench {

ManifestWriter::ManifestWriter(platform::Chip& chip, const ChipLayout& layout, const RunOptions& options)
    : chip_(chip), lay_(layout), opt_(options), spec_(layout.spec), shard_(layout.shard) {}

void ManifestWriter::write() const {
  // Control SRAM: manifest, layer table, request table, then the firmware's work area.
  const std::uint64_t manifestAddr = LLMVP_CTRL_SRAM_BASE;
  const std::uint64_t layerTable = alignUp(manifestAddr + sizeof(llmvp_manifest), 64);
  const std::uint64_t requestTable = alignUp(layerTable + sizeof(llmvp_layer_entry) * spec_.layers, 64);
  const std::uint64_t blockTable = alignUp(requestTable + sizeof(llmvp_request) * opt_.batch, 64);
  const std::uint64_t work = alignUp(blockTable + lay_.blockTable.size() * 4, 64);
  const std::uint64_t sramBytes = chip_.params().ctrlSram.bytes;
  if (work >= sramBytes) throw ConfigError("chip.ctrl_sram.kib: too small for the manifest tables of this model");

  std::vector<llmvp_layer_entry> table(spec_.layers);
  for (std::size_t i = 0; i < lay_.layers.size(); ++i) {
    const LayerAddr& a = lay_.layers[i];
    llmvp_layer_entry& e = table[i];
    std::memset(&e, 0, sizeof e);
    e.attn_norm = a.attnNorm;
    e.wq = a.wq;
    e.wk = a.wk;
    e.wv = a.wv;
    e.wo = a.wo;
    e.ffn_norm = a.ffnNorm;
    e.w_gate = a.wGate;
    e.w_up = a.wUp;
    e.w_down = a.wDown;
    e.k_cache = a.kCache;
    e.v_cache = a.vCache;
    e.bq = a.bq;
    e.bk = a.bk;
    e.bv = a.bv;
    e.router = a.router;
    e.exp_gate = a.expGate;
    e.exp_up = a.expUp;
    e.exp_down = a.expDown;
    e.expert_stride = a.expertStride;
    e.mla_q_a = a.mlaQA;
    e.mla_q_a_norm = a.mlaQANorm;
    e.mla_q_nope = a.mlaQNope;
    e.mla_q_rope = a.mlaQRope;
    e.mla_kv_a = a.mlaKvA;
    e.mla_k_rope = a.mlaKRope;
    e.mla_kv_norm = a.mlaKvNorm;
    e.mla_w_uk = a.mlaWUk;
    e.mla_w_uv = a.mlaWUv;
    e.w_base = a.wBase;
    e.w_bytes = a.wBytes;
    e.prefix_k = a.prefixK;
    e.prefix_v = a.prefixV;
  }
  std::vector<llmvp_request> reqs(opt_.batch);
  for (std::uint32_t r = 0; r < opt_.batch; ++r) reqs[r] = {lay_.promptLen[r], lay_.cachedLen[r], {0, 0}};
  // Serving: the host writes each prompt when its request arrives (HostServe.cpp).
  std::vector<std::uint32_t> tokens(opt_.serving() ? 0 : std::size_t{opt_.batch} * lay_.placement.tokenStride, 0);
  for (std::uint32_t r = 0; r < opt_.batch && !opt_.serving(); ++r)
    std::copy(lay_.prompts[r].begin(), lay_.prompts[r].end(),
              tokens.begin() + std::size_t{r} * lay_.placement.tokenStride);

  llmvp_manifest m;
  std::memset(&m, 0, sizeof m);
  m.magic = LLMVP_MANIFEST_MAGIC;
  m.version = LLMVP_MANIFEST_VERSION;
  m.layers = spec_.layers;
  m.hidden = spec_.hidden;
  m.heads = lay_.qDim / spec_.headDim;
  m.kv_heads = lay_.kvDim / spec_.headDim;
  m.head_dim = spec_.headDim;
  m.ffn = lay_.ffn;
  m.tp_ranks = lay_.tpRanks();
  m.tp_rank = lay_.tpRank();
  m.pp_stages = shard_.stages;
  m.pp_stage = shard_.stage;
  m.vocab = spec_.vocab;
  m.rms_eps_bits = models::floatBits(spec_.rmsEps);
  m.rope_theta_bits = models::floatBits(spec_.ropeTheta);
  m.dt_w = static_cast<std::uint8_t>(spec_.weightDtype);
  m.dt_kv = static_cast<std::uint8_t>(spec_.kvDtype);
  m.dt_act = static_cast<std::uint8_t>(spec_.actDtype);
  m.batch = opt_.batch;
  m.max_context = lay_.placement.maxContext;
  m.steps = lay_.steps;
  m.token_stride = lay_.placement.tokenStride;
  m.debug_flags = opt_.debugFlags;
  m.num_dma = static_cast<std::uint32_t>(chip_.dmaCount());
  m.num_tiles = static_cast<std::uint32_t>(chip_.tileCount());
  m.embed = lay_.embed;
  m.final_norm = lay_.finalNorm;
  m.lm_head = lay_.lmHead;
  m.layer_table = layerTable;
  m.kv_request_stride = lay_.kvRequestStride;
  m.requests = requestTable;
  m.tokens = lay_.placement.tokens;
  m.work_base = work;
  m.work_bytes = sramBytes - work;
  m.spad_base = LLMVP_SPAD_BASE(0);
  m.spad_bytes = chip_.params().tile.scratchpad.bytes;
  m.logits = lay_.placement.logits;
  m.attn_bias = spec_.qkvBias ? 1u : 0u;
  m.prefill_chunk = opt_.prefillChunk;
  if (opt_.kvBlockTokens != 0) {
    m.kv_block_tokens = opt_.kvBlockTokens;
    m.block_table_stride = lay_.blockTableStride;
    m.block_table = blockTable;
  }
  if (spec_.quant != WeightQuant::None) {
    m.dt_linear = spec_.quant == WeightQuant::Int8 ? LLMVP_DT_INT8 : LLMVP_DT_INT4;
    m.w_group = spec_.quantGroup;
  }
  if (spec_.moe.enabled()) {
    m.experts = spec_.moe.experts;
    m.top_k = spec_.moe.topK;
    m.expert_ffn = spec_.moe.expertFfn;
    m.shared_ffn = spec_.moe.sharedFfn() / lay_.tpRanks();
    if (shard_.ranks > 1) {
      m.ep_ranks = shard_.ranks;
      m.ep_rank = shard_.rank;
      m.ep_dispatch = shard_.dataParallel ? 1u : 0u;
    }
    m.first_moe_layer = spec_.moe.denseLayers;
    m.router_scoring = spec_.moe.scoring == RouterScoring::Sigmoid ? LLMVP_ROUTER_SIGMOID : LLMVP_ROUTER_SOFTMAX;
    m.routed_scale_bits = models::floatBits(spec_.moe.routedScale);
  }

  if (spec_.mla.enabled) {
    m.mla_q_lora = spec_.mla.qLoraRank;
    m.mla_kv_lora = spec_.mla.kvLoraRank;
    m.mla_nope = spec_.mla.qkNopeDim;
    m.mla_rope = spec_.mla.qkRopeDim;
    m.mla_v = spec_.mla.vHeadDim;
  }
  m.pnm_units = lay_.pnmUnits;
  m.pnm_stride = lay_.pnmStride;
  m.pnm_ops = lay_.pnmOps;
  // High Bandwidth Flash: weight prefetch by DMA 1, shared KV prefix.
  m.prefetch_depth = lay_.placement.prefetchDepth;
  m.prefetch_dma = lay_.placement.prefetchDma;
  m.staging_base = lay_.stagingBase;
  m.staging_slot_bytes = lay_.stagingSlot;
  m.kv_prefix_tokens = lay_.placement.kvPrefixTokens;
  m.serve_requests = static_cast<std::uint32_t>(opt_.serve.size());
  m.serve_table = lay_.serveTable;

  bool ok = chip_.debugWrite(manifestAddr, &m, sizeof m);
  ok = ok && chip_.debugWrite(layerTable, table.data(), table.size() * sizeof(llmvp_layer_entry));
  ok = ok && chip_.debugWrite(requestTable, reqs.data(), reqs.size() * sizeof(llmvp_request));
  if (!lay_.blockTable.empty())
    ok = ok && chip_.debugWrite(blockTable, lay_.blockTable.data(), lay_.blockTable.size() * 4);
  if (!tokens.empty()) ok = ok && chip_.debugWrite(lay_.placement.tokens, tokens.data(), tokens.size() * 4);
  if (!ok) throw std::logic_error("host: manifest write outside device memory");
  chip_.mailbox().hostWrite(MBOX_MANIFEST_LO, static_cast<std::uint32_t>(manifestAddr));
  chip_.mailbox().hostWrite(MBOX_MANIFEST_HI, static_cast<std::uint32_t>(manifestAddr >> 32));
}

} // namespace llmvp::testbench
