// SPDX-License-Identifier: Apache-2.0
// Firmware decode executor against a fake chip (FakeChip.h): manifest
// validation, descriptor chains and their per-step patches, semaphore
// discipline, token bookkeeping, mailbox protocol and error paths.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "firmware/include/manifest.h"
#include "firmware/include/memmap.h"
#include "firmware/include/regs.h"
#include "firmware/src/engine.h"
#include "firmware/src/fw_errors.h"
#include "firmware/src/fw_main.h"
#include "firmware/src/plan.h"
#include "tests/firmware/FakeChip.h"

namespace llmvp::test {
namespace {

// ---- the test's own view of the chain layout (independent of firmware/src) --
constexpr std::uint32_t kSemKvReady = 0, kSemKvDone = 1; // FW_SEM_* as documented in plan.h
constexpr std::uint32_t kLayerFixed = 12, kChainFixed = 4;

std::uint32_t tileChainLen(std::uint32_t layers, std::uint32_t batch) {
  return kChainFixed + layers * (kLayerFixed + batch);
}
/// Descriptors in the tile ring: at batch > 1 a layer's attention is one
/// ATTN over every row (DESC_F_ROWS, firmware plan.h fw_attn_batched).
std::uint32_t tileRingLen(std::uint32_t layers, std::uint32_t batch) {
  return kChainFixed + layers * (kLayerFixed + (batch > 1 ? 1 : batch));
}
std::uint32_t dmaChainLen(std::uint32_t layers, std::uint32_t batch) { return 2 * layers * batch; }
std::uint32_t layerSlot(std::uint32_t l, std::uint32_t batch) { return 1 + l * (kLayerFixed + batch); }

// ---- a tiny model placed in fake memory -----------------------------------------
constexpr std::uint64_t kManifestAddr = 0x1000;
constexpr std::uint64_t kLayerTable = 0x2000;
constexpr std::uint64_t kRequests = 0x4000;
constexpr std::uint64_t kWork = 0x10000;
constexpr std::uint64_t kWorkBytes = 0x40000;
constexpr std::uint64_t kSpad = LLMVP_SPAD_BASE(0);
constexpr std::uint64_t kSpadBytes = 1u << 20;
constexpr std::uint64_t kTokens = LLMVP_HBM_BASE + 0x100000;
constexpr std::uint64_t kKv = LLMVP_HBM_BASE + 0x1000000;
constexpr std::uint64_t kWeights = LLMVP_HBM_BASE + 0x10000000;
constexpr std::uint32_t kEpsBits = 0x3727C5ACu;   // 1e-5f
constexpr std::uint32_t kThetaBits = 0x461C4000u; // 10000.0f

struct Model {
  llmvp_manifest m{};
  std::vector<llmvp_layer_entry> layers;
  std::vector<llmvp_request> requests;
  std::vector<std::vector<std::uint32_t>> tokens; // [batch][token_stride], prompt then zeros
};

Model tinyModel(std::uint32_t layers, std::uint32_t batch, std::uint32_t steps) {
  Model t;
  llmvp_manifest& m = t.m;
  m.magic = LLMVP_MANIFEST_MAGIC;
  m.version = LLMVP_MANIFEST_VERSION;
  m.layers = layers;
  m.hidden = 64;
  m.heads = 4;
  m.kv_heads = 2;
  m.head_dim = 16;
  m.ffn = 128;
  m.vocab = 100;
  m.rms_eps_bits = kEpsBits;
  m.rope_theta_bits = kThetaBits;
  m.dt_w = LLMVP_DT_BF16;
  m.dt_kv = LLMVP_DT_BF16;
  m.dt_act = LLMVP_DT_FP32;
  m.batch = batch;
  m.max_context = 16;
  m.steps = steps;
  m.token_stride = 20;
  m.num_dma = 1;
  m.num_tiles = 1;
  m.embed = kWeights;
  m.final_norm = kWeights + 0x10000;
  m.lm_head = kWeights + 0x20000;
  m.layer_table = kLayerTable;
  m.kv_request_stride = 4096; // >= 16 positions * 2 heads * 16 * 2 bytes
  m.requests = kRequests;
  m.tokens = kTokens;
  m.work_base = kWork;
  m.work_bytes = kWorkBytes;
  m.spad_base = kSpad;
  m.spad_bytes = kSpadBytes;
  for (std::uint32_t l = 0; l < layers; ++l) {
    const std::uint64_t w = kWeights + 0x100000 * (l + 1);
    llmvp_layer_entry e{};
    e.attn_norm = w;
    e.wq = w + 0x10000;
    e.wk = w + 0x20000;
    e.wv = w + 0x30000;
    e.wo = w + 0x40000;
    e.ffn_norm = w + 0x50000;
    e.w_gate = w + 0x60000;
    e.w_up = w + 0x70000;
    e.w_down = w + 0x80000;
    e.k_cache = kKv + 0x100000ull * l;
    e.v_cache = e.k_cache + 0x80000;
    t.layers.push_back(e);
  }
  for (std::uint32_t r = 0; r < batch; ++r) {
    llmvp_request q{};
    q.prompt_len = 2 + r % 4;                                   // 2..5
    q.cached_len = r % 2 ? q.prompt_len - 1 : q.prompt_len - 2; // some rows teacher-force first
    t.requests.push_back(q);
    std::vector<std::uint32_t> row(m.token_stride, 0);
    for (std::uint32_t i = 0; i < q.prompt_len; ++i) row[i] = (10 + 7 * r + 3 * i) % m.vocab;
    t.tokens.push_back(row);
  }
  return t;
}

void install(FakeChip& chip, const Model& t) {
  chip.put(kManifestAddr, t.m);
  chip.write(t.m.layer_table, t.layers.data(), t.layers.size() * sizeof(llmvp_layer_entry));
  chip.write(t.m.requests, t.requests.data(), t.requests.size() * sizeof(llmvp_request));
  for (std::size_t r = 0; r < t.tokens.size(); ++r)
    chip.write(t.m.tokens + r * t.m.token_stride * 4, t.tokens[r].data(), t.tokens[r].size() * 4);
  chip.setMailbox(MBOX_MANIFEST_LO, static_cast<std::uint32_t>(kManifestAddr));
  chip.setMailbox(MBOX_MANIFEST_HI, static_cast<std::uint32_t>(kManifestAddr >> 32));
  chip.allowWrites(t.m.work_base, t.m.work_bytes);
  chip.allowWrites(t.m.spad_base, t.m.spad_bytes);
  chip.allowWrites(t.m.tokens, std::uint64_t{t.m.batch} * t.m.token_stride * 4);
}

/// The token buffer the manifest's decode schedule must produce under fakeToken.
std::vector<std::vector<std::uint32_t>> expectedTokens(const Model& t) {
  auto buf = t.tokens;
  for (std::uint32_t s = 0; s < t.m.steps; ++s) {
    for (std::uint32_t r = 0; r < t.m.batch; ++r) {
      const std::uint32_t pos = t.requests[r].cached_len + s;
      const std::uint32_t out = fakeToken(buf[r][pos], pos, r, t.m.vocab);
      if (pos + 1 >= t.requests[r].prompt_len) buf[r][pos + 1] = out;
    }
  }
  return buf;
}

std::vector<std::vector<std::uint32_t>> tokenBuffer(const FakeChip& chip, const Model& t) {
  std::vector<std::vector<std::uint32_t>> buf(t.m.batch, std::vector<std::uint32_t>(t.m.token_stride));
  for (std::uint32_t r = 0; r < t.m.batch; ++r)
    chip.read(t.m.tokens + std::uint64_t{r} * t.m.token_stride * 4, buf[r].data(), t.m.token_stride * 4);
  return buf;
}

/// Executed descriptors of one engine in one step, indexed by chain position.
std::vector<llmvp_desc> stepChain(const FakeChip& chip, bool tile, std::uint32_t step) {
  const std::uint32_t size = tile ? chip.tile().ringSize : chip.dma().ringSize;
  std::vector<llmvp_desc> chain;
  for (const ExecutedDesc& e : chip.executed()) {
    if (e.tile != tile || e.counter / size != step) continue;
    if (e.rows.empty())
      chain.push_back(e.desc);
    else // a batched ATTN (DESC_F_ROWS) as the per-row ATTNs it runs
      chain.insert(chain.end(), e.rows.begin(), e.rows.end());
  }
  return chain;
}

std::vector<std::uint8_t> expectedTileOpcodes(std::uint32_t layers, std::uint32_t batch) {
  std::vector<std::uint8_t> ops = {LLMVP_OP_EMBED};
  for (std::uint32_t l = 0; l < layers; ++l) {
    for (auto op : {LLMVP_OP_RMSNORM, LLMVP_OP_GEMV, LLMVP_OP_GEMV, LLMVP_OP_GEMV, LLMVP_OP_ROPE, LLMVP_OP_ROPE})
      ops.push_back(op);
    ops.insert(ops.end(), batch, LLMVP_OP_ATTN);
    for (auto op : {LLMVP_OP_GEMV, LLMVP_OP_RMSNORM, LLMVP_OP_GEMV, LLMVP_OP_GEMV, LLMVP_OP_SWIGLU, LLMVP_OP_GEMV})
      ops.push_back(op);
  }
  for (auto op : {LLMVP_OP_RMSNORM, LLMVP_OP_GEMV, LLMVP_OP_ARGMAX}) ops.push_back(op);
  return ops;
}

std::uint8_t sem(std::uint32_t i) { return static_cast<std::uint8_t>(i + 1); }

// ---- full runs -------------------------------------------------------------------

struct Shape {
  std::uint32_t layers, batch, steps;
};

class FirmwareRun : public ::testing::TestWithParam<Shape> {};

TEST_P(FirmwareRun, DecodesToDoneWithTheRightTokens) {
  const Shape s = GetParam();
  const Model t = tinyModel(s.layers, s.batch, s.steps);
  FakeChip chip;
  install(chip, t);

  EXPECT_EQ(fw_main(), 0);
  EXPECT_EQ(chip.statusWrites(), (std::vector<std::uint32_t>{MBOX_ST_RUNNING, MBOX_ST_DONE}));
  std::vector<std::uint32_t> steps(s.steps);
  for (std::uint32_t i = 0; i < s.steps; ++i) steps[i] = i + 1;
  EXPECT_EQ(chip.stepWrites(), steps);
  EXPECT_EQ(chip.mailbox(MBOX_STEP), s.steps);
  EXPECT_EQ(tokenBuffer(chip, t), expectedTokens(t));
  EXPECT_EQ(chip.semaphore(kSemKvReady), 0u);
  EXPECT_EQ(chip.semaphore(kSemKvDone), 0u);
  EXPECT_EQ(chip.dma().ctrl & ENG_CTRL_ENABLE, 0u) << "engines disabled at the end";
  EXPECT_EQ(chip.tile().ctrl & ENG_CTRL_ENABLE, 0u);
  EXPECT_EQ(chip.dma().irqEnable, ENG_IRQ_DONE | ENG_IRQ_ERROR);
  EXPECT_EQ(chip.tile().irqEnable, ENG_IRQ_DONE | ENG_IRQ_ERROR);
  EXPECT_EQ(chip.intcEnable(), (1u << LLMVP_IRQ_DMA(0)) | (1u << LLMVP_IRQ_TILE(0)));
}

TEST_P(FirmwareRun, DescriptorCountsMatchTheFormula) {
  const Shape s = GetParam();
  const Model t = tinyModel(s.layers, s.batch, s.steps);
  FakeChip chip;
  install(chip, t);
  ASSERT_EQ(fw_main(), 0);

  const std::uint32_t tileLen = tileRingLen(s.layers, s.batch), dmaLen = dmaChainLen(s.layers, s.batch);
  EXPECT_EQ(chip.tile().ringSize, tileLen);
  EXPECT_EQ(chip.dma().ringSize, dmaLen);
  EXPECT_EQ(chip.tile().tail, tileLen * s.steps);
  EXPECT_EQ(chip.dma().tail, dmaLen * s.steps);
  const auto tileRuns = std::count_if(chip.executed().begin(), chip.executed().end(), [](auto& e) { return e.tile; });
  EXPECT_EQ(static_cast<std::uint64_t>(tileRuns), std::uint64_t{tileLen} * s.steps);
  EXPECT_EQ(chip.executed().size() - tileRuns, std::uint64_t{dmaLen} * s.steps);
  // Rings in the work region, 64-byte aligned, not overlapping.
  EXPECT_EQ(chip.tile().ringBase % 64, 0u);
  EXPECT_EQ(chip.dma().ringBase % 64, 0u);
  const auto [lo, hi] =
      std::minmax({&chip.tile(), &chip.dma()}, [](auto* a, auto* b) { return a->ringBase < b->ringBase; });
  EXPECT_GE(lo->ringBase, kWork);
  EXPECT_LE(lo->ringBase + 64ull * lo->ringSize, hi->ringBase);
  EXPECT_LE(hi->ringBase + 64ull * hi->ringSize, kWork + kWorkBytes);
}

TEST_P(FirmwareRun, TileChainStructureAndDataFlow) {
  const Shape s = GetParam();
  const Model t = tinyModel(s.layers, s.batch, s.steps);
  const llmvp_manifest& m = t.m;
  FakeChip chip;
  install(chip, t);
  ASSERT_EQ(fw_main(), 0);

  const auto expectedOps = expectedTileOpcodes(s.layers, s.batch);
  for (std::uint32_t step = 0; step < s.steps; ++step) {
    const auto chain = stepChain(chip, true, step);
    ASSERT_EQ(chain.size(), expectedOps.size());
    for (std::size_t i = 0; i < chain.size(); ++i)
      EXPECT_EQ(chain[i].opcode, expectedOps[i]) << "step " << step << " #" << i;
  }
  const auto c = stepChain(chip, true, 0);
  const llmvp_desc& embed = c.front();
  const std::uint64_t x = embed.dst, tokensIn = embed.src0;
  EXPECT_EQ(embed.src1, m.embed);
  EXPECT_EQ(embed.m, m.batch);
  EXPECT_EQ(embed.n, m.hidden);
  EXPECT_EQ(embed.k, m.vocab);
  EXPECT_EQ(embed.dt_in, LLMVP_DT_U32);
  EXPECT_EQ(embed.dt_w, m.dt_w);
  EXPECT_EQ(embed.dt_out, m.dt_act);

  const std::uint32_t qDim = m.heads * m.head_dim, kvDim = m.kv_heads * m.head_dim;
  const std::uint64_t qRow = qDim * 4ull; // dt_act fp32
  std::vector<std::pair<std::uint64_t, std::uint64_t>> buffers = {{x, m.hidden * 4ull}, {tokensIn, 4}};
  for (std::uint32_t l = 0; l < s.layers; ++l) {
    const llmvp_layer_entry& e = t.layers[l];
    const llmvp_desc* d = &c[layerSlot(l, s.batch)];
    const llmvp_desc &norm = d[0], &gq = d[1], &gk = d[2], &gv = d[3], &rq = d[4], &rk = d[5];
    const std::uint64_t h = norm.dst, q = gq.dst, k = gk.dst, v = gv.dst;
    EXPECT_EQ(norm.src0, x);
    EXPECT_EQ(norm.src1, e.attn_norm);
    EXPECT_EQ(norm.arg0, kEpsBits);
    EXPECT_EQ(norm.m, m.batch);
    EXPECT_EQ(norm.n, m.hidden);
    for (const llmvp_desc* g : {&gq, &gk, &gv}) {
      EXPECT_EQ(g->src0, h);
      EXPECT_EQ(g->m, m.batch);
      EXPECT_EQ(g->k, m.hidden);
      EXPECT_EQ(g->dt_in, m.dt_act);
      EXPECT_EQ(g->dt_w, m.dt_w);
      EXPECT_EQ(g->dt_out, m.dt_act);
      EXPECT_EQ(g->flags, 0);
    }
    EXPECT_EQ(gq.src1, e.wq);
    EXPECT_EQ(gk.src1, e.wk);
    EXPECT_EQ(gv.src1, e.wv);
    EXPECT_EQ(gq.n, qDim);
    EXPECT_EQ(gk.n, kvDim);
    EXPECT_EQ(gv.n, kvDim);
    EXPECT_EQ(rq.dst, q);
    EXPECT_EQ(rk.dst, k);
    EXPECT_EQ(rq.src0, rk.src0);
    EXPECT_EQ(rq.n, m.heads);
    EXPECT_EQ(rk.n, m.kv_heads);
    EXPECT_EQ(rq.k, m.head_dim);
    EXPECT_EQ(rq.arg0, kThetaBits);
    EXPECT_EQ(rq.dt_in, LLMVP_DT_U32);
    EXPECT_EQ(rk.signal_sem, sem(kSemKvReady));
    const std::uint64_t attn = d[6].dst;
    for (std::uint32_t r = 0; r < s.batch; ++r) {
      const llmvp_desc& a = d[6 + r];
      EXPECT_EQ(a.src0, q + r * qRow);
      EXPECT_EQ(a.dst, attn + r * qRow);
      EXPECT_EQ(a.n, m.heads);
      EXPECT_EQ(a.k, m.head_dim);
      EXPECT_EQ(a.arg0, m.kv_heads);
      EXPECT_EQ(a.dt_in, m.dt_act);
      EXPECT_EQ(a.dt_w, m.dt_kv);
      EXPECT_EQ(a.dt_out, m.dt_act);
    }
    const llmvp_desc* f = d + 6 + s.batch;
    const llmvp_desc &wo = f[0], &fnorm = f[1], &gate = f[2], &up = f[3], &swiglu = f[4], &down = f[5];
    EXPECT_EQ(wo.src0, attn);
    EXPECT_EQ(wo.src1, e.wo);
    EXPECT_EQ(wo.src2, x);
    EXPECT_EQ(wo.dst, x);
    EXPECT_EQ(wo.flags, DESC_F_ACCUM);
    EXPECT_EQ(wo.n, m.hidden);
    EXPECT_EQ(wo.k, qDim);
    EXPECT_EQ(fnorm.src0, x);
    EXPECT_EQ(fnorm.src1, e.ffn_norm);
    EXPECT_EQ(fnorm.dst, h);
    EXPECT_EQ(gate.src0, h);
    EXPECT_EQ(gate.src1, e.w_gate);
    EXPECT_EQ(gate.n, m.ffn);
    EXPECT_EQ(up.src0, h);
    EXPECT_EQ(up.src1, e.w_up);
    EXPECT_EQ(swiglu.src0, gate.dst);
    EXPECT_EQ(swiglu.src1, up.dst);
    EXPECT_EQ(swiglu.dst, gate.dst);
    EXPECT_EQ(swiglu.m * swiglu.n, m.batch * m.ffn);
    EXPECT_EQ(down.src0, gate.dst);
    EXPECT_EQ(down.src1, e.w_down);
    EXPECT_EQ(down.src2, x);
    EXPECT_EQ(down.dst, x);
    EXPECT_EQ(down.flags, DESC_F_ACCUM);
    EXPECT_EQ(down.k, m.ffn);
    if (l == 0) {
      const std::uint64_t b = m.batch;
      buffers.insert(buffers.end(), {{h, b * m.hidden * 4},
                                     {q, b * qRow},
                                     {k, b * kvDim * 4},
                                     {v, b * kvDim * 4},
                                     {attn, b * qRow},
                                     {gate.dst, b * m.ffn * 4},
                                     {up.dst, b * m.ffn * 4},
                                     {rq.src0, b * 4}});
      buffers[0].second = b * m.hidden * 4;
      buffers[1].second = b * 4;
    }
  }
  const llmvp_desc &fnorm = c[c.size() - 3], &head = c[c.size() - 2], &argmax = c.back();
  EXPECT_EQ(fnorm.src0, x);
  EXPECT_EQ(fnorm.src1, m.final_norm);
  EXPECT_EQ(head.src0, fnorm.dst);
  EXPECT_EQ(head.src1, m.lm_head);
  EXPECT_EQ(head.n, m.vocab);
  EXPECT_EQ(head.k, m.hidden);
  EXPECT_EQ(argmax.src0, head.dst);
  EXPECT_EQ(argmax.m, m.batch);
  EXPECT_EQ(argmax.n, m.vocab);
  EXPECT_EQ(argmax.dt_out, LLMVP_DT_U32);
  EXPECT_EQ(argmax.flags, DESC_F_IRQ);
  buffers.push_back({head.dst, std::uint64_t{m.batch} * m.vocab * 4});
  buffers.push_back({argmax.dst, std::uint64_t{m.batch} * 4});

  // Scratchpad layout: 64-byte aligned, disjoint, inside the region.
  std::sort(buffers.begin(), buffers.end());
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(buffers[i].first % 64, 0u) << "buffer " << i;
    EXPECT_GE(buffers[i].first, kSpad);
    const std::uint64_t end = buffers[i].first + buffers[i].second;
    EXPECT_LE(end, i + 1 < buffers.size() ? buffers[i + 1].first : kSpad + kSpadBytes) << "buffer " << i;
  }
}

TEST_P(FirmwareRun, PatchesAttentionAndKvCopiesEveryStep) {
  const Shape s = GetParam();
  const Model t = tinyModel(s.layers, s.batch, s.steps);
  const llmvp_manifest& m = t.m;
  FakeChip chip;
  install(chip, t);
  ASSERT_EQ(fw_main(), 0);

  const std::uint32_t kvDim = m.kv_heads * m.head_dim;
  const std::uint64_t cacheRow = kvDim * 2ull; // dt_kv bf16
  const std::uint64_t spadRow = kvDim * 4ull;  // dt_act fp32
  for (std::uint32_t step = 0; step < s.steps; ++step) {
    const auto tile = stepChain(chip, true, step);
    const auto dma = stepChain(chip, false, step);
    ASSERT_EQ(tile.size(), tileChainLen(s.layers, s.batch));
    ASSERT_EQ(dma.size(), dmaChainLen(s.layers, s.batch));
    for (std::uint32_t l = 0; l < s.layers; ++l) {
      const llmvp_layer_entry& e = t.layers[l];
      const llmvp_desc* layer = &tile[layerSlot(l, s.batch)];
      const std::uint64_t kBuf = layer[2].dst, vBuf = layer[3].dst;
      for (std::uint32_t r = 0; r < s.batch; ++r) {
        const std::uint32_t pos = t.requests[r].cached_len + step;
        const std::uint64_t req = r * m.kv_request_stride;
        const llmvp_desc& a = layer[6 + r];
        EXPECT_EQ(a.m, pos + 1) << "ATTN step " << step << " layer " << l << " row " << r;
        EXPECT_EQ(a.src1, e.k_cache + req);
        EXPECT_EQ(a.src2, e.v_cache + req);
        EXPECT_EQ(a.wait_sem, r == 0 ? sem(kSemKvDone) : 0);
        EXPECT_EQ(a.signal_sem, 0);

        const llmvp_desc& k = dma[2 * (l * s.batch + r)];
        const llmvp_desc& v = dma[2 * (l * s.batch + r) + 1];
        EXPECT_EQ(k.dst, e.k_cache + req + pos * cacheRow) << "K copy step " << step << " layer " << l << " row " << r;
        EXPECT_EQ(v.dst, e.v_cache + req + pos * cacheRow) << "V copy step " << step << " layer " << l << " row " << r;
        EXPECT_EQ(k.src0, kBuf + r * spadRow);
        EXPECT_EQ(v.src0, vBuf + r * spadRow);
        for (const llmvp_desc* c : {&k, &v}) {
          EXPECT_EQ(c->opcode, LLMVP_OP_COPY);
          EXPECT_EQ(c->n, kvDim);
          EXPECT_EQ(c->dt_in, m.dt_act);
          EXPECT_EQ(c->dt_out, m.dt_kv);
        }
        EXPECT_EQ(k.wait_sem, r == 0 ? sem(kSemKvReady) : 0);
        EXPECT_EQ(v.wait_sem, 0);
        EXPECT_EQ(k.signal_sem, 0);
        const bool lastRow = r + 1 == s.batch;
        EXPECT_EQ(v.signal_sem, lastRow ? sem(kSemKvDone) : 0);
        EXPECT_EQ(v.flags, lastRow && l + 1 == s.layers ? DESC_F_IRQ : 0);
      }
    }
  }
}

TEST_P(FirmwareRun, HalAccessesPerStepAreBounded) {
  const Shape s = GetParam();
  auto accessesFor = [&](std::uint32_t steps) {
    const Model t = tinyModel(s.layers, s.batch, steps);
    FakeChip chip;
    install(chip, t);
    EXPECT_EQ(fw_main(), 0);
    return chip.halAccesses();
  };
  const std::uint64_t one = accessesFor(1), more = accessesFor(s.steps);
  const std::uint64_t perStep = (more - one) / (s.steps - 1);
  const std::uint64_t chunks = (s.batch + 15) / 16 + (2 * s.batch + 15) / 16;
  // inputs: <= B token reads + 1 burst; patch: per layer 1 read + chunks; 2 doorbells;
  // IRQs: 1 INTC read + 2 x (status read + W1C), maybe twice; outputs: 1 burst + <= B writes; MBOX_STEP.
  const std::uint64_t bound = 2 * s.batch + s.layers * (1 + chunks) + 15;
  RecordProperty("hal_accesses_per_step", static_cast<int>(perStep));
  std::printf("HAL accesses: setup+1 step %llu, per further step %llu (bound %llu)\n",
              static_cast<unsigned long long>(one), static_cast<unsigned long long>(perStep),
              static_cast<unsigned long long>(bound));
  EXPECT_LE(perStep, bound);
}

INSTANTIATE_TEST_SUITE_P(Shapes, FirmwareRun,
                         ::testing::Values(Shape{2, 2, 5},   // the brief's tiny model
                                           Shape{1, 1, 3},   // smallest chains
                                           Shape{2, 20, 4}), // rings written in several bursts
                         [](const ::testing::TestParamInfo<Shape>& p) {
                           return "L" + std::to_string(p.param.layers) + "B" + std::to_string(p.param.batch);
                         });

// ---- manifest errors -----------------------------------------------------------------

struct BadCase {
  const char* name;
  std::function<void(Model&)> mutate;
  std::uint32_t code, info, index;
};

class FirmwareBadManifest : public ::testing::TestWithParam<BadCase> {};

TEST_P(FirmwareBadManifest, ReportsErrorWithoutTouchingEngines) {
  const BadCase& bc = GetParam();
  Model t = tinyModel(2, 2, 3);
  bc.mutate(t);
  FakeChip chip;
  install(chip, t);

  EXPECT_EQ(fw_main(), static_cast<int>(bc.code));
  EXPECT_EQ(chip.statusWrites(), std::vector<std::uint32_t>{MBOX_ST_ERROR});
  EXPECT_EQ(chip.mailbox(MBOX_ERR_CODE), bc.code);
  EXPECT_EQ(chip.mailbox(MBOX_ERR_INFO), bc.info);
  EXPECT_EQ(chip.mailbox(MBOX_ERR_INDEX), bc.index);
  EXPECT_EQ(chip.mailbox(MBOX_ERR_SOURCE), 0u);
  EXPECT_TRUE(chip.stepWrites().empty());
  EXPECT_TRUE(chip.executed().empty());
  EXPECT_EQ(chip.dma().resets + chip.tile().resets, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FirmwareBadManifest,
    ::testing::Values(
        BadCase{"Magic", [](Model& md) { md.m.magic ^= 1; }, FW_ERR_BAD_MANIFEST, FW_MFIELD_MAGIC, 0},
        BadCase{"Version", [](Model& md) { md.m.version = LLMVP_MANIFEST_VERSION + 1u; }, FW_ERR_BAD_MANIFEST,
                FW_MFIELD_VERSION, 0},
        BadCase{"Layers", [](Model& md) { md.m.layers = 0; }, FW_ERR_BAD_MANIFEST, FW_MFIELD_LAYERS, 0},
        BadCase{"KvHeadsNotDividing", [](Model& md) { md.m.kv_heads = 3; }, FW_ERR_BAD_MANIFEST, FW_MFIELD_KV_HEADS, 0},
        BadCase{"HeadDimOdd", [](Model& md) { md.m.head_dim = 15; }, FW_ERR_BAD_MANIFEST, FW_MFIELD_HEAD_DIM, 0},
        BadCase{"DtypeU32Weights", [](Model& md) { md.m.dt_w = LLMVP_DT_U32; }, FW_ERR_BAD_MANIFEST, FW_MFIELD_DT_W, 0},
        BadCase{"DtypeKv", [](Model& md) { md.m.dt_kv = 9; }, FW_ERR_BAD_MANIFEST, FW_MFIELD_DT_KV, 0},
        BadCase{"BatchZero", [](Model& md) { md.m.batch = 0; }, FW_ERR_BAD_MANIFEST, FW_MFIELD_BATCH, 0},
        BadCase{"BatchTooLarge", [](Model& md) { md.m.batch = LLMVP_MAX_BATCH + 1; }, FW_ERR_BAD_MANIFEST,
                FW_MFIELD_BATCH, 0},
        BadCase{"StepsZero", [](Model& md) { md.m.steps = 0; }, FW_ERR_BAD_MANIFEST, FW_MFIELD_STEPS, 0},
        BadCase{"TokenStride", [](Model& md) { md.m.token_stride = md.m.max_context; }, FW_ERR_BAD_MANIFEST,
                FW_MFIELD_TOKEN_STRIDE, 0},
        BadCase{"KvRequestStride", [](Model& md) { md.m.kv_request_stride = 512; }, FW_ERR_BAD_MANIFEST,
                FW_MFIELD_KV_REQUEST_STRIDE, 0},
        BadCase{"SpadOutsideWindow", [](Model& md) { md.m.spad_base = LLMVP_SPAD_BASE(1); }, FW_ERR_BAD_MANIFEST,
                FW_MFIELD_SPAD, 0},
        BadCase{"CachedNotBelowPrompt", [](Model& md) { md.requests[1].cached_len = md.requests[1].prompt_len; },
                FW_ERR_BAD_MANIFEST, FW_MFIELD_REQ_CACHED_LEN, 1},
        BadCase{"ContextOverflow", [](Model& md) { md.m.steps = md.m.max_context; }, FW_ERR_BAD_MANIFEST,
                FW_MFIELD_REQ_STEPS, 1},
        BadCase{"DispatchOnADenseModel",
                [](Model& md) {
                  md.m.ep_dispatch = 1;
                  md.m.ep_ranks = 2;
                },
                FW_ERR_BAD_MANIFEST, FW_MFIELD_EP, 0},
        // Rings need (4 + 2 * (12 + 1) + 2 * 2 * 2) * 64 bytes (one batched ATTN
        // per layer), then the 2-row attention table 2 * 16 bytes.
        BadCase{"WorkTooSmall", [](Model& md) { md.m.work_bytes = 2463; }, FW_ERR_NO_SPACE, FW_SPACE_RINGS, 2464},
        BadCase{"SpadTooSmall", [](Model& md) { md.m.spad_bytes = 4096; }, FW_ERR_NO_SPACE, FW_SPACE_SPAD, 5576}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

// ---- engine errors ----------------------------------------------------------------------

void expectEngineError(const FakeChip& chip, int rc, std::uint32_t source, std::uint32_t index, std::uint32_t info) {
  EXPECT_EQ(rc, static_cast<int>(FW_ERR_ENGINE));
  EXPECT_EQ(chip.statusWrites(), (std::vector<std::uint32_t>{MBOX_ST_RUNNING, MBOX_ST_ERROR}));
  EXPECT_EQ(chip.mailbox(MBOX_ERR_CODE), FW_ERR_ENGINE);
  EXPECT_EQ(chip.mailbox(MBOX_ERR_SOURCE), source);
  EXPECT_EQ(chip.mailbox(MBOX_ERR_INDEX), index);
  EXPECT_EQ(chip.mailbox(MBOX_ERR_INFO), info);
}

TEST(FirmwareEngineError, DebugBadOpcodeFailsFirstLayerWqOnTheTile) {
  Model t = tinyModel(2, 2, 3);
  t.m.debug_flags = FW_DEBUG_BAD_OPCODE;
  FakeChip chip;
  install(chip, t);
  const int rc = fw_main();
  // Tile counter 2: EMBED, RMSNORM, then GEMV q.
  expectEngineError(chip, rc, ENG_ID_TILE, 2, (ENG_ERR_BAD_OPCODE << 16) | ENG_FIELD_OPCODE);
  EXPECT_TRUE(chip.stepWrites().empty());
}

TEST(FirmwareEngineError, DebugBadAddressFailsFirstLayerWqOnTheTile) {
  Model t = tinyModel(2, 2, 3);
  t.m.debug_flags = FW_DEBUG_BAD_ADDRESS;
  FakeChip chip;
  install(chip, t);
  const int rc = fw_main();
  expectEngineError(chip, rc, ENG_ID_TILE, 2, (ENG_ERR_BUS << 16) | ENG_FIELD_SRC1);
}

TEST(FirmwareEngineError, DmaErrorInALaterStepIsReported) {
  const Model t = tinyModel(2, 2, 3);
  FakeChip chip;
  install(chip, t);
  const std::uint32_t failAt = dmaChainLen(2, 2) + 3; // step 1, layer 0, row 1, V copy
  chip.failDmaAt(failAt, ENG_ERR_BUS, ENG_FIELD_DST);
  const int rc = fw_main();
  expectEngineError(chip, rc, ENG_ID_DMA, failAt, (ENG_ERR_BUS << 16) | ENG_FIELD_DST);
  EXPECT_EQ(chip.stepWrites(), std::vector<std::uint32_t>{1});
}

// ---- engine driver ----------------------------------------------------------------------

TEST(FirmwareEngineDriver, PostRestartsTheRingBeforeTheCounterWraps) {
  FakeChip chip;
  fw_engine e;
  engine_init(&e, LLMVP_DMA_BASE(0), LLMVP_IRQ_DMA(0));
  engine_reset(&e);
  engine_configure(&e, 0x8000, 12);
  engine_enable(&e);
  engine_post(&e, 12);
  EXPECT_EQ(chip.dma().tail, 12u);
  EXPECT_EQ(chip.dma().resets, 1u);

  e.tail = UINT32_MAX - 5; // pretend the counter ran for a long time
  engine_post(&e, 12);
  EXPECT_EQ(chip.dma().resets, 2u);
  EXPECT_EQ(e.tail, 12u);
  EXPECT_EQ(chip.dma().tail, 12u);
  EXPECT_EQ(chip.dma().ringBase, 0x8000u);
  EXPECT_EQ(chip.dma().ringSize, 12u);
  EXPECT_EQ(chip.dma().ctrl, ENG_CTRL_ENABLE);
  EXPECT_EQ(chip.dma().irqEnable, ENG_IRQ_DONE | ENG_IRQ_ERROR);
}

// ---- collective groups ------------------------------------------------------------------

/// The group the firmware puts in its collective descriptors (m chips from
/// chip k) follows from the manifest's ranks alone.
TEST(FirmwareCollectiveGroup, FollowsTheManifestsRanks) {
  struct Case {
    const char* name;
    std::uint32_t tpRanks, tpRank, ppStages, ppStage, epRanks, epDispatch;
    std::uint32_t ranks, first;
  };
  for (const Case& c :
       {Case{"tensor parallel", 4, 2, 0, 0, 4, 0, 4, 0}, Case{"stage 1 of tensor x pipeline", 4, 3, 2, 1, 4, 0, 4, 4},
        Case{"pipeline only", 1, 0, 4, 3, 0, 0, 1, 3}, Case{"data-parallel attention", 1, 0, 0, 0, 8, 1, 8, 0}}) {
    llmvp_manifest m{};
    m.tp_ranks = c.tpRanks;
    m.tp_rank = c.tpRank;
    m.pp_stages = c.ppStages;
    m.pp_stage = c.ppStage;
    m.ep_ranks = c.epRanks;
    m.ep_dispatch = c.epDispatch;
    EXPECT_EQ(fw_coll_ranks(&m), c.ranks) << c.name;
    EXPECT_EQ(fw_coll_first(&m), c.first) << c.name;
  }
}

} // namespace
} // namespace llmvp::test
