// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Bit-field address mapping of the detailed DRAM model: which address bits
/// select channel, pseudo-channel, bank group, bank, row and column.
///
/// Source form (memspec `controller.address_mapping`), fields LSB first:
///   "By Co2 Pc Ch Bg Ba Co Ro"
/// By byte within a beat, Co column (in beats), Ba bank, Bg bank group,
/// Si stack ID (HBM: extra bank groups), Pc pseudo-channel, Ch channel of a
/// stack, Ro row, Xx bits the memory ignores (addresses alias). A number gives the bits of that slice; without one a
/// field takes all its remaining bits, and a final `Ro` takes every address
/// bit above the others. Stacks (several HBM stacks, DIMMs) take the bits
/// right above the channel bits; a number of stacks that is not a power of
/// two (5 on H100-class parts) takes the address above the channel bits
/// modulo the stacks, and the fields above it the quotient. By and the burst's column bits must come
/// first so that one burst is contiguous.

#include <cstdint>
#include <string>
#include <vector>

#include "models/memory/dram/DramParams.h"

namespace llmvp::models::dram {

/// Where a byte address lives. `bank` is the index within the pseudo-channel
/// (bank group major: bankGroup * banksPerGroup + bank-in-group), with SIDs
/// folded into bank groups.
struct DramAddress {
  std::uint32_t channel = 0; ///< across all stacks
  std::uint32_t pc = 0;
  std::uint32_t bankGroup = 0;
  std::uint32_t bank = 0;
  std::uint32_t row = 0;
  std::uint32_t column = 0; ///< in beats (width_bits each)
};

/// Parses the source form; throws std::invalid_argument naming the token.
[[nodiscard]] std::vector<MappingSlice> parseMapping(const std::string& text);

class AddressMapper {
public:
  /// Validates `p.ctrl.mapping` against the organisation (every field gets
  /// exactly log2(count) bits; counts other than stacks must be powers of two); throws
  /// std::invalid_argument with what is wrong.
  explicit AddressMapper(const DramParams& p);

  [[nodiscard]] DramAddress decode(std::uint64_t addr) const;
  /// decode(addr).bank alone: only the bank, bank-group and stack-ID bits
  /// are read (the fast model asks it once per channel a request touches).
  [[nodiscard]] std::uint32_t bankOf(std::uint64_t addr) const;
  [[nodiscard]] std::uint64_t encode(const DramAddress& a) const;
  /// Largest power-of-two block (aligned) that lies in one row of one bank:
  /// the bits below the first bit that is not byte or column.
  [[nodiscard]] std::uint64_t runBytes() const { return std::uint64_t{1} << runBits_; }
  /// Addresses beyond this are not mapped (row bits bounded), or 0 if the
  /// row takes every upper bit.
  [[nodiscard]] std::uint64_t limitBytes() const { return limit_; }
  /// Address bits the memory ignores (Xx): the address space is this many
  /// times larger than the organisation.
  [[nodiscard]] unsigned ignoredBits() const { return ignoredBits_; }

private:
  struct Slice {
    AddressField field;
    unsigned src; ///< first address bit
    unsigned bits;
    unsigned dst; ///< first bit within the field value
  };
  std::vector<Slice> slices_;
  /// The slices bankOf() reads, each with the weight of its field in the
  /// flat bank index (bank 1, bank group banksPerGroup, SID groups x that).
  struct BankSlice {
    unsigned src, bits, dst;
    std::uint32_t weight;
  };
  std::vector<BankSlice> bankSlices_;
  unsigned runBits_ = 0;
  unsigned ignoredBits_ = 0;
  std::uint32_t groupsPerSid_ = 1, banksPerGroup_ = 1;
  std::uint64_t limit_ = 0;
  /// Stacks not a power of two: the mixed-radix stack digit (0: bit fields only).
  std::uint64_t stacks_ = 0;
  unsigned stackSrc_ = 0, stackBits_ = 0;
  /// Byte address <-> the bit-field form in which the stack takes stackBits_ bits.
  [[nodiscard]] std::uint64_t expand(std::uint64_t addr) const;
  [[nodiscard]] std::uint64_t compress(std::uint64_t addr) const;
};

} // namespace llmvp::models::dram
