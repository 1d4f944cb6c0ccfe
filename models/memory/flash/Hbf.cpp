// SPDX-License-Identifier: Apache-2.0
#include "models/memory/flash/Hbf.h"

#include <algorithm>
#include <cmath>

#include "models/common/Extensions.h"
#include "models/common/MemoryTarget.h"

namespace llmvp::models::flash {

namespace {
constexpr double kPi = 3.14159265358979323846;
/// P(X > t) for X ~ Poisson(lambda), summed from the tail so that tiny
/// probabilities keep their precision.
double poissonTail(double lambda, std::uint32_t t) {
  if (lambda <= 0) return 0;
  // log P(X = i) = -lambda + i log(lambda) - log(i!)
  const auto logPmf = [&](std::uint32_t i) { return -lambda + i * std::log(lambda) - std::lgamma(i + 1.0); };
  double head = 0;
  for (std::uint32_t i = 0; i <= t; ++i) head += std::exp(logPmf(i));
  if (head < 0.5) return 1.0 - head;
  double term = std::exp(logPmf(t + 1)), sum = 0;
  for (std::uint32_t i = t + 1; i < t + 100000 && term > 0; ++i) {
    sum += term;
    if (term < sum * 1e-17) break;
    term *= lambda / static_cast<double>(i + 1);
  }
  return std::min(1.0, sum);
}
} // namespace

Hbf::Hbf(const sc_core::sc_module_name& name, const HbfParams& params)
    : sc_module(name), socket("socket"), params_(params), units_(params.planesPerStack() * params.stacks),
      channels_(std::uint64_t{params.channelsPerStack} * params.stacks), tR_(nsToPs(params.tRns)),
      tPROG_(nsToPs(params.tPROGns)), tBERS_(nsToPs(params.tBERSns)),
      xfer_(bytesToPs(static_cast<double>(params.pageBytes), params.channelGBps)), cmd_(nsToPs(params.commandNs)),
      ctrl_(nsToPs(params.controllerNs)), ecc_(nsToPs(params.eccDecodeNs)), plane_(units_, 0), channel_(channels_, 0),
      erases_(params.blocks(), 0), fill_(params.blocks(), 0), acc_(channels_), rng_(params.seed),
      store_(params.capacityBytes()), stats_(this->name()), reads_(stats_.add("reads", "read requests", Unit::Count)),
      writes_(stats_.add("writes", "write requests", Unit::Count)),
      bytesRead_(stats_.add("bytes_read", "bytes read", Unit::Bytes)),
      bytesWritten_(stats_.add("bytes_written", "bytes written", Unit::Bytes)),
      pageReads_(stats_.add("page_reads", "page reads from the array, retries included", Unit::Count)),
      retries_(stats_.add("read_retries", "page reads repeated after an ECC failure", Unit::Count)),
      uncorrectable_(stats_.add("uncorrectable_reads", "reads failing ECC after every retry", Unit::Count)),
      pagesProgrammed_(stats_.add("pages_programmed", "page programs (partial pages count whole)", Unit::Count)),
      blockErases_(stats_.add("block_erases", "block erases (program/erase cycles)", Unit::Count)),
      maxBlockErases_(stats_.add("max_block_erases", "program/erase cycles of the most-worn block", Unit::Count)),
      enduranceErrors_(stats_.add("endurance_errors", "writes refused: block at its endurance limit", Unit::Count)),
      planeWait_(stats_.add("plane_wait", "time requests waited for busy planes (stall)", Unit::Ps)),
      channelBusy_(stats_.add("channel_busy", "sum over channels of busy time", Unit::Ps)),
      energy_(stats_.add("energy", "dynamic energy (page reads, programs, erases)", Unit::Pj)) {
  touched_.reserve(channels_);
  const double codewords = static_cast<double>(params.pageBytes / params.codewordBytes);
  double rber = params.rawBitErrorRate;
  for (std::uint32_t level = 0; level <= params.maxReadRetries; ++level) {
    const double cw = poissonTail(rber * 8.0 * params.codewordBytes, params.correctableBits);
    pageFail_.push_back(cw >= 1.0 ? 1.0 : -std::expm1(codewords * std::log1p(-cw)));
    rber *= params.retryRberScale;
  }
  socket.register_b_transport(this, &Hbf::b_transport);
  socket.register_transport_dbg(this, &Hbf::transport_dbg);
}

std::uint64_t Hbf::blockOf(std::uint64_t addr) const {
  const std::uint64_t g = addr / params_.pageBytes;
  return (g % units_) * params_.blocksPerPlane + (g / units_) / params_.pagesPerBlock;
}

double Hbf::uniform() {
  // splitmix64: a fixed, portable sequence for a given seed.
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

std::uint64_t Hbf::binomial(std::uint64_t n, double p) {
  if (n == 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n <= 64) {
    std::uint64_t k = 0;
    for (std::uint64_t i = 0; i < n; ++i) k += uniform() < p ? 1 : 0;
    return k;
  }
  const double mean = static_cast<double>(n) * p;
  if (mean < 64) {
    // Poisson approximation, by inversion: one draw when nothing fails.
    const double u = uniform();
    double term = std::exp(-mean), cdf = term;
    std::uint64_t k = 0;
    while (u > cdf && k < n) {
      ++k;
      term *= mean / static_cast<double>(k);
      cdf += term;
      if (term < 1e-300) break;
    }
    return k;
  }
  // Normal approximation (Box-Muller).
  const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  const double k = std::round(mean + z * std::sqrt(mean * (1 - p)));
  return static_cast<std::uint64_t>(std::clamp(k, 0.0, static_cast<double>(n)));
}

Hbf::Result Hbf::scheduleRead(std::uint64_t addr, std::uint64_t bytes, Ps arrival) {
  Result r;
  const std::uint64_t page = params_.pageBytes;
  const std::uint64_t g0 = addr / page;
  const std::uint64_t n = (addr + bytes - 1) / page - g0 + 1;
  // Read-retry: pages failing at level k are read again at level k + 1.
  std::uint64_t failing = binomial(n, pageFail_[0]);
  std::uint64_t retries = 0;
  for (std::uint32_t level = 1; level <= params_.maxReadRetries && failing != 0; ++level) {
    retries += failing;
    failing = binomial(failing, pageFail_[level]);
  }
  r.ok = failing == 0;
  r.retries = retries;

  const Ps start = arrival + ctrl_;
  const Ps perPage = params_.cacheRead ? tR_ : tR_ + xfer_;
  const std::uint64_t touched = std::min(n, units_);
  const std::uint64_t q = n / units_, rem = n % units_;
  const std::uint64_t rq = retries / touched, rrem = retries % touched;
  double wait = 0;
  std::uint64_t u = g0 % units_;
  for (std::uint64_t j = 0; j < touched; ++j) {
    const std::uint64_t pages = q + (j < rem ? 1 : 0) + rq + (j < rrem ? 1 : 0);
    const Ps begin = std::max(start, plane_[u]);
    const Ps end = begin + pages * perPage;
    plane_[u] = end;
    wait += static_cast<double>(begin - start);
    ChannelAcc& a = acc_[u % channels_];
    const Ps first = begin + tR_;
    const Ps last = params_.cacheRead ? end : end - xfer_;
    if (a.pages == 0) {
      touched_.push_back(static_cast<std::uint32_t>(u % channels_));
      a.firstReady = first;
      a.lastReady = last;
    } else {
      a.firstReady = std::min(a.firstReady, first);
      a.lastReady = std::max(a.lastReady, last);
    }
    a.pages += pages;
    if (++u == units_) u = 0;
  }
  Ps done = start;
  double busy = 0;
  const std::uint32_t mp = params_.multiPlane;
  for (const std::uint32_t c : touched_) {
    ChannelAcc& a = acc_[c];
    const Ps service = a.pages * xfer_ + (a.pages + mp - 1) / mp * cmd_;
    const Ps begin = std::max(channel_[c], a.firstReady);
    const Ps end = std::max(begin + service, a.lastReady + xfer_);
    channel_[c] = end;
    busy += static_cast<double>(service);
    done = std::max(done, end);
    a.pages = 0;
  }
  touched_.clear();
  r.done = done + ecc_;

  reads_ += 1;
  bytesRead_ += static_cast<double>(bytes);
  pageReads_ += static_cast<double>(n + retries);
  retries_ += static_cast<double>(retries);
  if (!r.ok) uncorrectable_ += 1;
  planeWait_ += wait;
  channelBusy_ += busy;
  energy_ += static_cast<double>((n + retries) * page) * 8.0 * params_.readPjPerBit;
  return r;
}

Hbf::Result Hbf::scheduleWrite(std::uint64_t addr, std::uint64_t bytes, Ps arrival) {
  Result r;
  const std::uint64_t page = params_.pageBytes;
  const std::uint64_t g0 = addr / page, g1 = (addr + bytes - 1) / page;
  const Ps start = arrival + ctrl_;
  // Apply page by page, logging each block's previous state so that a write
  // refused for wear changes nothing.
  struct Undo {
    std::uint64_t block;
    std::uint32_t fill, erases;
  };
  std::vector<Undo> undo;
  undo.reserve(g1 - g0 + 1);
  std::uint64_t erased = 0;
  for (std::uint64_t g = g0; g <= g1; ++g) {
    const std::uint64_t b = blockOf(g * page);
    undo.push_back({b, fill_[b], erases_[b]});
    if (fill_[b] == params_.pagesPerBlock) {
      if (erases_[b] >= params_.enduranceCycles) {
        for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
          fill_[it->block] = it->fill;
          erases_[it->block] = it->erases;
        }
        enduranceErrors_ += 1;
        r.ok = false;
        r.done = start;
        return r;
      }
      fill_[b] = 0;
      ++erases_[b];
      ++erased;
    }
    ++fill_[b];
  }
  // Timing: data in over the channel, then erase (if the block was full) and program.
  Ps done = start;
  double busy = 0, wait = 0;
  for (std::uint64_t g = g0; g <= g1; ++g) {
    const std::uint64_t u = g % units_, c = u % channels_;
    const Undo& before = undo[g - g0];
    const Ps in = std::max(start, channel_[c]);
    channel_[c] = in + cmd_ + xfer_;
    busy += static_cast<double>(cmd_ + xfer_);
    // This page erased its block if the block was full before it (and the
    // erase was not done by an earlier page of this request).
    const bool erasedHere = before.fill == params_.pagesPerBlock;
    if (erasedHere) maxBlockErases_.value = std::max(maxBlockErases_.value, static_cast<double>(erases_[before.block]));
    const Ps work = tPROG_ + (erasedHere ? tBERS_ : 0);
    const Ps begin = std::max(channel_[c], plane_[u]);
    wait += static_cast<double>(begin - channel_[c]);
    plane_[u] = begin + work;
    done = std::max(done, plane_[u]);
  }
  r.done = done;
  const std::uint64_t pages = g1 - g0 + 1;
  writes_ += 1;
  bytesWritten_ += static_cast<double>(bytes);
  pagesProgrammed_ += static_cast<double>(pages);
  blockErases_ += static_cast<double>(erased);
  planeWait_ += wait;
  channelBusy_ += busy;
  energy_ += static_cast<double>(pages * page) * 8.0 * params_.programPjPerBit +
             static_cast<double>(erased) * params_.erasePjPerBlock;
  return r;
}

Hbf::Result Hbf::schedule(bool write, std::uint64_t addr, std::uint64_t bytes, Ps arrival) {
  return write ? scheduleWrite(addr, bytes, arrival) : scheduleRead(addr, bytes, arrival);
}

void Hbf::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t addr = gp.get_address();
  const std::uint64_t len = gp.get_data_length();
  if (!acceptPayload(store_, gp)) return;
  const Ps now = nowPs();
  const Ps arrival = now + toPs(delay);
  const Result res = schedule(gp.is_write(), addr, len, arrival);
  if (res.ok) movePayloadData(store_, gp);
  if (trace_ != nullptr) trace_->transfer(traceTrack_, arrival, res.done, len);
  delay = fromPs(res.done - now);
  gp.set_response_status(res.ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

unsigned Hbf::transport_dbg(tlm::tlm_generic_payload& gp) {
  return store_.debugAccess(gp.is_write(), gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
}

} // namespace llmvp::models::flash
