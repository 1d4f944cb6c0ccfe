// SPDX-License-Identifier: Apache-2.0
#include "host/WeightLoader.h"

#include <algorithm>
#include <stdexcept>

#include "workload/Quant.h"

namespace llmvp::testbench {

WeightLoader::WeightLoader(platform::Chip& chip, const ChipLayout& layout)
    : chip_(chip), lay_(layout), spec_(layout.spec), shard_(layout.shard) {}

void WeightLoader::loadMla(const LayerAddr& addr, const LayerWeights& lw) {
  const MlaSpec& a = spec_.mla;
  const models::DType t = spec_.weightDtype;
  const std::size_t h = spec_.hidden, heads = spec_.heads, N = a.qkNopeDim, R = a.qkRopeDim, V = a.vHeadDim,
                    L = a.kvLoraRank;
  const std::size_t qIn = a.qLoraRank != 0 ? a.qLoraRank : h;
  if (a.qLoraRank != 0) {
    writeTensor(addr.mlaQA, lw.qA, t);
    writeTensor(addr.mlaQANorm, lw.qANorm, t);
  }
  const std::vector<float>& qb = a.qLoraRank != 0 ? lw.qB : lw.wq;
  std::vector<float> nope, rope;
  for (std::size_t hd = 0; hd < heads; ++hd) {
    const auto head = qb.begin() + static_cast<std::ptrdiff_t>(hd * (N + R) * qIn);
    nope.insert(nope.end(), head, head + static_cast<std::ptrdiff_t>(N * qIn));
    rope.insert(rope.end(), head + static_cast<std::ptrdiff_t>(N * qIn),
                head + static_cast<std::ptrdiff_t>((N + R) * qIn));
  }
  writeTensor(addr.mlaQNope, nope, t);
  writeTensor(addr.mlaQRope, rope, t);
  writeTensor(addr.mlaKvA, std::vector<float>(lw.kvA.begin(), lw.kvA.begin() + static_cast<std::ptrdiff_t>(L * h)), t);
  writeTensor(addr.mlaKRope, std::vector<float>(lw.kvA.begin() + static_cast<std::ptrdiff_t>(L * h), lw.kvA.end()), t);
  writeTensor(addr.mlaKvNorm, lw.kvANorm, t);
  std::vector<float> uk(heads * L * N), uv(heads * V * L);
  for (std::size_t hd = 0; hd < heads; ++hd) {
    const float* w = lw.kvB.data() + hd * (N + V) * L; // [N + V][L] of this head
    for (std::size_t c = 0; c < L; ++c)
      for (std::size_t i = 0; i < N; ++i) uk[(hd * L + c) * N + i] = w[i * L + c];
    for (std::size_t v = 0; v < V; ++v)
      for (std::size_t c = 0; c < L; ++c) uv[(hd * V + v) * L + c] = w[(N + v) * L + c];
  }
  writeTensor(addr.mlaWUk, uk, t);
  writeTensor(addr.mlaWUv, uv, t);
  writeTensor(addr.wo, lw.wo, t);
}

void WeightLoader::writeTensor(std::uint64_t addr, const std::vector<float>& values, models::DType t) {
  std::vector<std::uint8_t> bytes(values.size() * models::dtypeBytes(t));
  for (std::size_t i = 0; i < values.size(); ++i) models::storeElement(bytes.data(), t, i, values[i]);
  if (!chip_.debugWrite(addr, bytes.data(), bytes.size()))
    throw std::logic_error("host: tensor write outside device memory");
}

void WeightLoader::writeLinear(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k) {
  if (const auto sharded = lay_.pnmSharded.find(addr); sharded != lay_.pnmSharded.end()) { // near-memory engines
    writeSharded(addr, values, n, k, true, sharded->second);
    return;
  }
  if (spec_.quant == WeightQuant::None) {
    writeTensor(addr, std::vector<float>(values, values + n * k), spec_.weightDtype);
    return;
  }
  const std::vector<std::uint8_t> bytes = encodeQuantized(values, n, k, spec_.quantGroup, spec_.quant);
  if (!chip_.debugWrite(addr, bytes.data(), bytes.size()))
    throw std::logic_error("host: tensor write outside device memory");
}

void WeightLoader::load(const Weights* w) {
  const models::DType t = spec_.weightDtype;
  if (w != nullptr) {
    if (lay_.embed != 0) writeTensor(lay_.embed, w->embed, t);
    for (std::size_t i = 0; i < lay_.layers.size(); ++i) {
      const LayerWeights& lw = w->layers[lay_.layer0 + i];
      const LayerAddr& a = lay_.layers[i];
      writeTensor(a.attnNorm, lw.attnNorm, t);
      const std::uint64_t h = spec_.hidden;
      if (spec_.mla.enabled) {
        loadMla(a, lw);
      } else {
        // Tensor parallel: q/k/v and gate/up by rows, o and down by columns
        // (one chip: the whole matrices).
        writeLinear(a.wq, rows(lw.wq, lay_.qFirst, h), lay_.qDim, h);
        writeLinear(a.wk, rows(lw.wk, lay_.kvFirst, h), lay_.kvDim, h);
        writeLinear(a.wv, rows(lw.wv, lay_.kvFirst, h), lay_.kvDim, h);
        writeLinear(a.wo, cols(lw.wo, h, spec_.qDim(), lay_.qFirst, lay_.qDim, lay_.attnReplica).data(), h, lay_.qDim);
      }
      writeTensor(a.ffnNorm, lw.ffnNorm, t);
      if (a.wGate != 0) {
        const std::uint64_t ffn = lw.wGate.size() / h / lay_.tpRanks(), first = lay_.tpRank() * ffn;
        writeLinear(a.wGate, rows(lw.wGate, first, h), ffn, h);
        writeLinear(a.wUp, rows(lw.wUp, first, h), ffn, h);
        writeLinear(a.wDown, cols(lw.wDown, h, ffn * lay_.tpRanks(), first, ffn, false).data(), h, ffn);
      }
      if (spec_.qkvBias) {
        auto part = [&](const std::vector<float>& v, std::uint64_t first, std::uint64_t n) {
          return std::vector<float>(v.begin() + static_cast<std::ptrdiff_t>(first),
                                    v.begin() + static_cast<std::ptrdiff_t>(first + n));
        };
        writeTensor(a.bq, part(lw.bq, lay_.qFirst, lay_.qDim), t);
        writeTensor(a.bk, part(lw.bk, lay_.kvFirst, lay_.kvDim), t);
        writeTensor(a.bv, part(lw.bv, lay_.kvFirst, lay_.kvDim), t);
      }
      if (a.router != 0) {
        writeTensor(a.router, lw.router, t);
        // Expert parallel: this chip's window of experts at local index 0...
        const std::uint64_t f = spec_.moe.expertFfn, per = f * h,
                            first = std::uint64_t{shard_.rank} * lay_.localExperts();
        for (std::uint32_t e = 0; e < lay_.localExperts(); ++e) {
          writeLinear(a.expGate + e * a.expertStride, lw.expGate.data() + (first + e) * per, f, h);
          writeLinear(a.expUp + e * a.expertStride, lw.expUp.data() + (first + e) * per, f, h);
          writeLinear(a.expDown + e * a.expertStride, lw.expDown.data() + (first + e) * per, h, f);
        }
      }
    }
    if (lay_.finalNorm != 0) writeTensor(lay_.finalNorm, w->finalNorm, t);
    if (lay_.lmHead == 0) {
      // not the last pipeline stage
    } else if (lay_.pnmSharded.count(lay_.lmHead) != 0)
      writeSharded(lay_.lmHead, (spec_.tieEmbeddings ? w->embed : w->lmHead).data(), spec_.vocab, spec_.hidden, false);
    else if (!spec_.tieEmbeddings)
      writeTensor(lay_.lmHead, w->lmHead, t);
  }
}

std::vector<float> WeightLoader::cols(const std::vector<float>& full, std::uint64_t n, std::uint64_t total,
                                      std::uint64_t first, std::uint64_t k, bool zero) {
  std::vector<float> out(n * k, 0.0f);
  if (zero) return out;
  for (std::uint64_t o = 0; o < n; ++o) std::copy_n(full.data() + o * total + first, k, out.data() + o * k);
  return out;
}

void WeightLoader::writeSharded(std::uint64_t addr, const float* values, std::uint64_t n, std::uint64_t k, bool linear,
                                bool cols) {
  for (std::uint64_t p = 0; p < lay_.pnmUnits; ++p) {
    const std::uint64_t rows = cols ? n : shardCount(n, lay_.pnmUnits, p);
    const std::uint64_t width = cols ? shardCount(k, lay_.pnmUnits, p) : k;
    if (rows == 0 || width == 0) continue;
    std::vector<float> shard(rows * width);
    const std::uint64_t r0 = cols ? 0 : shardFirst(n, lay_.pnmUnits, p),
                        c0 = cols ? shardFirst(k, lay_.pnmUnits, p) : 0;
    for (std::uint64_t r = 0; r < rows; ++r)
      std::copy_n(values + (r0 + r) * k + c0, width, shard.begin() + static_cast<std::ptrdiff_t>(r * width));
    const std::uint64_t at = addr + p * lay_.pnmStride;
    std::vector<std::uint8_t> bytes;
    if (linear && spec_.quant != WeightQuant::None) {
      bytes = encodeQuantized(shard.data(), rows, width, spec_.quantGroup, spec_.quant);
    } else {
      bytes.resize(rows * width * models::dtypeBytes(spec_.weightDtype));
      for (std::uint64_t i = 0; i < rows * width; ++i)
        models::storeElement(bytes.data(), spec_.weightDtype, i, shard[i]);
    }
    if (!chip_.debugWrite(at, bytes.data(), bytes.size()))
      throw std::logic_error("host: shard write outside device memory");
  }
}

} // namespace llmvp::testbench
