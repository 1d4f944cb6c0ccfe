// SPDX-License-Identifier: Apache-2.0
// The High Bandwidth Flash section of the report: what was placed in HBF,
// how long the compute tile stalled on it, read-retries, and wear with the
// projected device lifetime when the KV cache is written to it.
#include <iomanip>
#include <ostream>
#include <sstream>

#include "report/Format.h"
#include "report/Report.h"

namespace llmvp::testbench {

namespace {
constexpr double kNsPerPs = 1e-3;
constexpr double kSecondsPerYear = 365.25 * 24 * 3600;

} // namespace

void addHbfUse(Report& r, platform::Chip& chip, const Placement& p) {
  models::flash::Hbf* hbf = chip.hbf();
  if (hbf == nullptr) return;
  HbfUse& h = r.hbf;
  h.present = true;
  const models::StatsGroup& g = hbf->stats();
  const auto& params = hbf->params();
  h.capacityBytes = static_cast<double>(params.capacityBytes());
  h.peakGBps = hbf->peakGBps();
  h.weightBytes = static_cast<double>(p.hbfWeightBytes);
  h.kvBytes = static_cast<double>(p.hbfKvBytes);
  h.prefixBytes = static_cast<double>(p.prefixBytes);
  h.prefixInHbm = p.prefixInHbm;
  h.kvInHbf = p.kvInHbf;
  h.prefetchDepth = p.prefetchDepth;
  h.prefixTokens = p.kvPrefixTokens;
  const double steps = static_cast<double>(r.steps);
  const double tokens = static_cast<double>(r.generatedTokens);
  // Flash stall: with HBM staging, the tile's waits for the prefetch DMA
  // (layers staged); else the tile's waits for data from the HBF window
  // (its weight streams through the buffer).
  double stallPs = 0, hit = 0, wasted = 0;
  for (std::size_t i = 0; i < chip.tileCount(); ++i) {
    const models::StatsGroup& t = chip.tile(i).stats();
    stallPs += p.prefetchDepth != 0 ? static_cast<double>(chip.tile(i).semWaitFor(chip.dma(p.prefetchDma).name()))
                                    : t.value("hbf_stall");
    hit += t.value("hbf_readahead_hit_bytes");
    wasted += t.value("hbf_readahead_wasted_bytes");
  }
  if (chip.tileCount() != 0) {
    const models::compute::ReadAheadParams& b = chip.tile(0).hbfBuffer().params();
    h.bufferChunks = b.depth;
    h.bufferBytes = static_cast<double>(b.depth) * static_cast<double>(chip.params().tile.engine.chunkBytes);
    h.bufferFactor = b.factor;
    h.bufferLatencyNs = b.latencyNs;
    h.readAhead = b.readAhead;
  }
  h.prefetchMode = p.prefetchDepth != 0 ? "hbm" : h.bufferFactor > 0 ? "sram" : "none";
  if (steps > 0) {
    h.readAheadHitBytesPerStep = hit / steps;
    h.readAheadWastedBytesPerStep = wasted / steps;
    h.flashStallNsPerStep = stallPs * kNsPerPs / steps;
    h.pageReadsPerStep = g.value("page_reads") / steps;
    h.retriesPerStep = g.value("read_retries") / steps;
    h.prefixBytesPerStep = h.prefixBytes; // read once per step for the whole batch (firmware/src/chains.c)
  }
  h.uncorrectable = g.value("uncorrectable_reads");
  h.maxBlockErases = g.value("max_block_erases");
  h.enduranceErrors = g.value("endurance_errors");
  if (tokens > 0) {
    h.pagesProgrammedPerToken = g.value("pages_programmed") / tokens;
    h.blockErasesPerToken = g.value("block_erases") / tokens;
    // A block is erased once per pagesPerBlock programs: the P/E cycles a
    // token consumes, whether or not this short run reached a block's erase.
    h.erasesPerToken = h.pagesProgrammedPerToken / params.pagesPerBlock;
  }
  if (h.erasesPerToken > 0) {
    // Every block may be erased enduranceCycles times (ideal wear levelling).
    const double budget = static_cast<double>(params.blocks()) * params.enduranceCycles;
    h.lifetimeTokens = budget / h.erasesPerToken;
    if (r.tokensPerSecond > 0) h.lifetimeYears = h.lifetimeTokens / r.tokensPerSecond / kSecondsPerYear;
  }
  MemoryUse u{hbf->basename(), g.value("bytes_read"), g.value("bytes_written"), 0, h.peakGBps};
  u.achievedGBps = r.decodeNs > 0 ? (u.bytesRead + u.bytesWritten) / r.decodeNs : 0;
  r.memories.push_back(u);
}

void printHbfUse(std::ostream& os, const HbfUse& h) {
  os << "\nHigh Bandwidth Flash\n";
  os << "  placed " << gbText(h.weightBytes) << " weights";
  if (h.kvBytes > 0) os << " + " << gbText(h.kvBytes) << " KV cache";
  if (h.prefixBytes > 0 && !h.prefixInHbm) os << " + " << gbText(h.prefixBytes) << " shared KV prefix";
  os << " of " << gbText(h.capacityBytes) << "; peak read " << fixedText(h.peakGBps, 1) << " GB/s\n";
  if (h.prefetchMode == "sram")
    os << "  weight prefetch: SRAM buffer " << h.bufferChunks << " chunks = " << fixedText(h.bufferBytes / 1048576.0, 0)
       << " MiB (>= " << fixedText(h.bufferFactor, 2) << " x " << fixedText(h.peakGBps, 1) << " GB/s x "
       << fixedText(h.bufferLatencyNs, 0) << " ns chunk read latency)"
       << (h.readAhead ? ", reading ahead across descriptors" : "") << "\n";
  os << "  flash stall " << msText(h.flashStallNsPerStep, 3) << " per step ("
     << (h.prefetchMode == "hbm"
             ? "HBM staging depth " + std::to_string(h.prefetchDepth) + ": tile waiting for staged layers"
         : h.prefetchMode == "sram"
             ? std::string("tile waiting for its buffered HBF reads")
             : "no prefetch: tile waiting on its " + std::to_string(h.bufferChunks) + " outstanding HBF reads")
     << ")\n";
  if (h.readAhead)
    os << "  read-ahead: " << gbText(h.readAheadHitBytesPerStep) << " per step found in flight, "
       << gbText(h.readAheadWastedBytesPerStep) << " read ahead and dropped\n";
  os << "  " << fixedText(h.pageReadsPerStep, 0) << " page reads per step, " << fixedText(h.retriesPerStep, 1)
     << " read-retries per step, " << fixedText(h.uncorrectable, 0) << " uncorrectable reads\n";
  if (h.prefixTokens != 0)
    os << "  KV prefix: " << h.prefixTokens << " shared precomputed positions in " << (h.prefixInHbm ? "HBM" : "HBF")
       << ", " << gbText(h.prefixBytesPerStep) << " read per step by attention (once for all requests)\n";
  if (h.kvInHbf) {
    os << "  wear (KV cache in HBF): " << fixedText(h.pagesProgrammedPerToken, 2) << " pages programmed and "
       << fixedText(h.erasesPerToken, 4) << " P/E cycles consumed per token (" << fixedText(h.blockErasesPerToken, 4)
       << " erases done per token in this run); most-worn block " << fixedText(h.maxBlockErases, 0) << " P/E cycles";
    if (h.enduranceErrors > 0) os << ", " << fixedText(h.enduranceErrors, 0) << " writes refused (worn out)";
    os << "\n  projected lifetime "
       << (h.lifetimeTokens > 0 ? fixedText(h.lifetimeTokens, 0) + " tokens = " + fixedText(h.lifetimeYears, 3) +
                                      " years at this token rate (ideal wear levelling)"
                                : std::string("unbounded (no erases in this run)"))
       << "\n";
  }
}

boost::json::object hbfJson(const HbfUse& h) {
  return {{"capacity_bytes", h.capacityBytes},
          {"peak_read_gbps", h.peakGBps},
          {"weight_bytes", h.weightBytes},
          {"kv_bytes", h.kvBytes},
          {"kv_prefix_bytes", h.prefixBytes},
          {"kv_prefix_tokens", h.prefixTokens},
          {"kv_prefix_in_hbm", h.prefixInHbm},
          {"kv_in_hbf", h.kvInHbf},
          {"prefetch_depth", h.prefetchDepth},
          {"prefetch_mode", h.prefetchMode},
          {"buffer_chunks", h.bufferChunks},
          {"buffer_bytes", h.bufferBytes},
          {"buffer_factor", h.bufferFactor},
          {"buffer_latency_ns", h.bufferLatencyNs},
          {"read_ahead", h.readAhead},
          {"readahead_hit_bytes_per_step", h.readAheadHitBytesPerStep},
          {"readahead_wasted_bytes_per_step", h.readAheadWastedBytesPerStep},
          {"flash_stall_ns_per_step", h.flashStallNsPerStep},
          {"page_reads_per_step", h.pageReadsPerStep},
          {"read_retries_per_step", h.retriesPerStep},
          {"uncorrectable_reads", h.uncorrectable},
          {"kv_prefix_bytes_per_step", h.prefixBytesPerStep},
          {"pages_programmed_per_token", h.pagesProgrammedPerToken},
          {"pe_cycles_per_token", h.erasesPerToken},
          {"block_erases_per_token", h.blockErasesPerToken},
          {"max_block_erases", h.maxBlockErases},
          {"endurance_errors", h.enduranceErrors},
          {"lifetime_tokens", h.lifetimeTokens},
          {"lifetime_years", h.lifetimeYears}};
}

} // namespace llmvp::testbench
