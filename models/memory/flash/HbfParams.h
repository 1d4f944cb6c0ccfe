// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Organisation, timing, reliability and energy of High Bandwidth Flash
/// (stacked NAND on a logic base die), as loaded from a flash spec in
/// configs/memory/ (config/FlashLoader). Peak bandwidth and
/// capacity are derived from the geometry, never given.

#include <algorithm>
#include <cstdint>
#include <string>

namespace llmvp::models::flash {

struct HbfParams {
  std::string name;
  std::uint32_t stacks = 1; ///< set by the platform
  // ---- geometry of one stack ----
  std::uint32_t channelsPerStack = 1; ///< per-channel controllers on the base die
  std::uint32_t diesPerStack = 1;     ///< NAND core dies; diesPerStack % channelsPerStack == 0
  std::uint32_t planesPerDie = 1;     ///< independently accessible planes / sub-arrays
  std::uint32_t blocksPerPlane = 1;
  std::uint32_t pagesPerBlock = 1;
  std::uint64_t pageBytes = 16384;
  // ---- timing ----
  double tRns = 0;              ///< page read (array to page register)
  double tPROGns = 0;           ///< page program
  double tBERSns = 0;           ///< block erase
  double channelGBps = 1;       ///< data-out/data-in rate of one channel (base die <-> its dies)
  double commandNs = 0;         ///< command/address cycles of one read or program command on a channel
  std::uint32_t multiPlane = 1; ///< pages of one die read by one multi-plane command
  bool cacheRead = true;        ///< cache register: the next tR overlaps the data-out of the last page
  double controllerNs = 0;      ///< base-die controller latency per request
  // ---- reliability ----
  double eccDecodeNs = 0;            ///< LDPC/BCH decode latency per request (pipelined)
  std::uint32_t codewordBytes = 1;   ///< ECC codeword; pageBytes % codewordBytes == 0
  std::uint32_t correctableBits = 0; ///< bit errors per codeword the ECC corrects
  double rawBitErrorRate = 0;        ///< per bit read, fresh block
  std::uint32_t maxReadRetries = 0;  ///< read-retry steps after an ECC failure
  double retryRberScale = 1;         ///< each retry multiplies the raw bit error rate by this
  std::uint32_t enduranceCycles = 1; ///< program/erase cycles per block; further erases fail
  std::uint64_t seed = 1;            ///< bit-error model
  // ---- energy ----
  double readPjPerBit = 0;    ///< per bit of a page read (whole pages are charged)
  double programPjPerBit = 0; ///< per bit of a page programmed
  double erasePjPerBlock = 0;

  [[nodiscard]] std::uint32_t diesPerChannel() const { return diesPerStack / channelsPerStack; }
  [[nodiscard]] std::uint64_t blockBytes() const { return pageBytes * pagesPerBlock; }
  [[nodiscard]] std::uint64_t planesPerStack() const { return std::uint64_t{diesPerStack} * planesPerDie; }
  [[nodiscard]] std::uint64_t bytesPerStack() const { return planesPerStack() * blocksPerPlane * blockBytes(); }
  [[nodiscard]] std::uint64_t capacityBytes() const { return bytesPerStack() * stacks; }
  [[nodiscard]] std::uint64_t blocks() const { return planesPerStack() * blocksPerPlane * stacks; }
  /// Sustained read bandwidth of one stack if every plane streams pages:
  /// the lesser of the channels' data-out rate (with the command overhead of
  /// one multi-plane command per multiPlane pages) and the planes' array
  /// rate (page / tR with cache read, page / (tR + data-out) without).
  [[nodiscard]] double channelLimitGBps() const {
    const double xferNs = static_cast<double>(pageBytes) / channelGBps + commandNs / multiPlane;
    return channelsPerStack * static_cast<double>(pageBytes) / xferNs;
  }
  [[nodiscard]] double arrayLimitGBps() const {
    const double perPageNs = cacheRead ? tRns : tRns + static_cast<double>(pageBytes) / channelGBps;
    return static_cast<double>(planesPerStack()) * static_cast<double>(pageBytes) / perPageNs;
  }
  [[nodiscard]] double peakReadGBpsPerStack() const { return std::min(channelLimitGBps(), arrayLimitGBps()); }
  [[nodiscard]] double peakReadGBps() const { return peakReadGBpsPerStack() * stacks; }
  /// Latency of one read of `bytes` (page aligned) on idle planes and
  /// channels, as Hbf::schedule times it: the controller, then the later of
  /// the planes' last page (tR per round of pages over the planes; data-out
  /// overlaps the next tR with cache read) and the busiest channel's
  /// data-out from the first tR on, then the ECC decode.
  [[nodiscard]] double unloadedReadNs(std::uint64_t bytes) const {
    const std::uint64_t pages = std::max<std::uint64_t>(1, (bytes + pageBytes - 1) / pageBytes);
    const std::uint64_t units = planesPerStack() * stacks, chans = std::uint64_t{channelsPerStack} * stacks;
    const std::uint64_t rounds = (pages + units - 1) / units, perChannel = (pages + chans - 1) / chans;
    const double xferNs = static_cast<double>(pageBytes) / channelGBps;
    const double array =
        cacheRead ? static_cast<double>(rounds) * tRns + xferNs : static_cast<double>(rounds) * (tRns + xferNs);
    const double commands = static_cast<double>((perChannel + multiPlane - 1) / multiPlane) * commandNs;
    const double channel = tRns + static_cast<double>(perChannel) * xferNs + commands;
    return controllerNs + std::max(array, channel) + eccDecodeNs;
  }
};

} // namespace llmvp::models::flash
