// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/AddressMapping.h"

#include <array>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace llmvp::models::dram {

namespace {
struct FieldName {
  const char* token;
  AddressField field;
  const char* what;
};
constexpr std::array<FieldName, 9> kFields{{{"By", AddressField::Byte, "byte"},
                                            {"Co", AddressField::Column, "column"},
                                            {"Ba", AddressField::Bank, "bank"},
                                            {"Bg", AddressField::BankGroup, "bank group"},
                                            {"Si", AddressField::StackId, "stack ID"},
                                            {"Pc", AddressField::PseudoChannel, "pseudo-channel"},
                                            {"Ch", AddressField::Channel, "channel"},
                                            {"Ro", AddressField::Row, "row"},
                                            {"Xx", AddressField::Ignored, "ignored"}}};
constexpr std::uint32_t kAll = 0; ///< slice without a count: the field's remaining bits

std::size_t index(AddressField f) { return static_cast<std::size_t>(f); }

bool isPow2(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
} // namespace

std::vector<MappingSlice> parseMapping(const std::string& text) {
  std::vector<MappingSlice> out;
  std::stringstream ss(text);
  for (std::string tok; ss >> tok;) {
    const FieldName* f = nullptr;
    for (const auto& k : kFields)
      if (tok.compare(0, 2, k.token) == 0) f = &k;
    if (f == nullptr || tok.size() > 4)
      throw std::invalid_argument(
          "\"" + tok + "\" is not a field (By, Co, Ba, Bg, Si, Pc, Ch, Ro, Xx, optionally followed by a bit count)");
    std::uint32_t bits = kAll;
    if (tok.size() > 2) {
      for (std::size_t i = 2; i < tok.size(); ++i)
        if (std::isdigit(static_cast<unsigned char>(tok[i])) == 0)
          throw std::invalid_argument("\"" + tok + "\": bit count must be a number");
      bits = static_cast<std::uint32_t>(std::stoul(tok.substr(2)));
      if (bits == 0) throw std::invalid_argument("\"" + tok + "\": bit count must be at least 1");
    }
    out.push_back({f->field, bits});
  }
  if (out.empty()) throw std::invalid_argument("empty mapping");
  return out;
}

AddressMapper::AddressMapper(const DramParams& p) : groupsPerSid_(p.bankGroups), banksPerGroup_(p.banksPerGroup) {
  const std::uint32_t beatBytes = p.widthBits / 8;
  std::array<std::uint64_t, 9> count{};
  count[index(AddressField::Byte)] = beatBytes;
  count[index(AddressField::Column)] = beatBytes == 0 ? 0 : p.rowBytes / beatBytes;
  count[index(AddressField::Bank)] = p.banksPerGroup;
  count[index(AddressField::BankGroup)] = p.bankGroups;
  count[index(AddressField::StackId)] = p.stackIds;
  count[index(AddressField::PseudoChannel)] = p.pseudoChannels;
  count[index(AddressField::Channel)] = p.channelsPerStack;
  count[index(AddressField::Row)] = p.rows;
  count[index(AddressField::Ignored)] = 1;
  if (p.widthBits % 8 != 0 || beatBytes == 0 || p.rowBytes % beatBytes != 0)
    throw std::invalid_argument("width_bits must be a multiple of 8 that divides row_bytes");
  for (const auto& f : kFields)
    if (!isPow2(count[index(f.field)]))
      throw std::invalid_argument(std::string("the number of ") + f.what + " values (" +
                                  std::to_string(count[index(f.field)]) + ") is not a power of two");
  std::array<unsigned, 9> need{}, have{};
  for (const auto& f : kFields) need[index(f.field)] = ceilLog2(count[index(f.field)]);
  const auto& m = p.ctrl.mapping;
  unsigned src = 0;
  bool rowRest = false, stacksPlaced = false;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const std::size_t fi = index(m[i].field);
    const FieldName& f = kFields[fi];
    unsigned bits = m[i].bits;
    if (m[i].field == AddressField::Ignored) {
      // Bits the memory does not decode: addresses differing only there alias.
      if (bits == kAll) throw std::invalid_argument("Xx needs a bit count");
      src += bits;
      ignoredBits_ += bits;
      continue;
    }
    if (bits == kAll) {
      if (m[i].field == AddressField::Row && i + 1 == m.size()) {
        rowRest = true;
        bits = 32 - have[fi] > 64 - src ? 64 - src : 32 - have[fi];
      } else {
        bits = need[fi] - have[fi];
      }
    } else if (have[fi] + bits > need[fi]) {
      throw std::invalid_argument(std::string(f.token) + std::to_string(bits) + ": the " + f.what + " has only " +
                                  std::to_string(need[fi]) + " bits");
    }
    if (bits > 0) slices_.push_back({m[i].field, src, bits, have[fi]});
    have[fi] += bits;
    src += bits;
    if (m[i].field == AddressField::Channel && have[fi] == need[fi] && p.stacks > 1 && !stacksPlaced) {
      // Stacks sit right above the channel bits: they extend the channel value.
      const unsigned sb = ceilLog2(p.stacks);
      slices_.push_back({AddressField::Channel, src, sb, have[fi]});
      if (!isPow2(p.stacks)) {
        // Not a power of two (e.g. 5 stacks): the stack is the address above
        // `src` modulo the stacks, and the fields above take the quotient.
        stacks_ = p.stacks;
        stackSrc_ = src;
        stackBits_ = sb;
      }
      src += sb;
      stacksPlaced = true;
    }
  }
  for (const auto& f : kFields) {
    const std::size_t fi = index(f.field);
    if ((f.field == AddressField::Row && rowRest) || f.field == AddressField::Ignored) continue;
    if (have[fi] != need[fi])
      throw std::invalid_argument(std::string("the ") + f.what + " needs " + std::to_string(need[fi]) +
                                  " bits, the mapping gives " + std::to_string(have[fi]));
  }
  if (p.stacks > 1 && !stacksPlaced)
    throw std::invalid_argument("several stacks need a Ch field in the mapping: stack bits sit right above it");
  // One burst must be contiguous: By first, then at least log2(BL) column bits.
  const unsigned burstBits = need[index(AddressField::Byte)] + ceilLog2(p.burstLength);
  unsigned contiguous = 0;
  for (const Slice& s : slices_) {
    if (s.src != contiguous || (s.field != AddressField::Byte && s.field != AddressField::Column)) break;
    if (s.field == AddressField::Column && s.dst != contiguous - need[index(AddressField::Byte)]) break;
    contiguous += s.bits;
  }
  if (!isPow2(p.burstLength) || contiguous < burstBits)
    throw std::invalid_argument("the lowest bits must be By then at least log2(burst_length) = " +
                                std::to_string(ceilLog2(p.burstLength)) + " column bits (a burst is contiguous)");
  runBits_ = contiguous;
  for (const Slice& s : slices_) {
    if (s.field == AddressField::Bank) bankSlices_.push_back({s.src, s.bits, s.dst, 1});
    if (s.field == AddressField::BankGroup) bankSlices_.push_back({s.src, s.bits, s.dst, banksPerGroup_});
    if (s.field == AddressField::StackId) bankSlices_.push_back({s.src, s.bits, s.dst, groupsPerSid_ * banksPerGroup_});
  }
  limit_ = rowRest || src >= 64 ? 0 : std::uint64_t{1} << src;
  if (stacks_ != 0 && limit_ != 0) limit_ = (limit_ >> (stackSrc_ + stackBits_)) * stacks_ << stackSrc_;
}

std::uint64_t AddressMapper::expand(std::uint64_t addr) const {
  if (stacks_ == 0) return addr;
  const std::uint64_t high = addr >> stackSrc_;
  const std::uint64_t low = addr & ((std::uint64_t{1} << stackSrc_) - 1);
  return ((high / stacks_) << (stackSrc_ + stackBits_)) | ((high % stacks_) << stackSrc_) | low;
}

std::uint64_t AddressMapper::compress(std::uint64_t addr) const {
  if (stacks_ == 0) return addr;
  const std::uint64_t rest = addr >> (stackSrc_ + stackBits_);
  const std::uint64_t stack = (addr >> stackSrc_) & ((std::uint64_t{1} << stackBits_) - 1);
  const std::uint64_t low = addr & ((std::uint64_t{1} << stackSrc_) - 1);
  return ((rest * stacks_ + stack) << stackSrc_) | low;
}

DramAddress AddressMapper::decode(std::uint64_t byteAddr) const {
  const std::uint64_t addr = expand(byteAddr);
  std::array<std::uint64_t, 9> v{};
  for (const Slice& s : slices_) v[index(s.field)] |= ((addr >> s.src) & ((std::uint64_t{1} << s.bits) - 1)) << s.dst;
  DramAddress a;
  a.channel = static_cast<std::uint32_t>(v[index(AddressField::Channel)]);
  a.pc = static_cast<std::uint32_t>(v[index(AddressField::PseudoChannel)]);
  a.bankGroup =
      static_cast<std::uint32_t>(v[index(AddressField::StackId)] * groupsPerSid_ + v[index(AddressField::BankGroup)]);
  a.bank = a.bankGroup * banksPerGroup_ + static_cast<std::uint32_t>(v[index(AddressField::Bank)]);
  a.row = static_cast<std::uint32_t>(v[index(AddressField::Row)]);
  a.column = static_cast<std::uint32_t>(v[index(AddressField::Column)]);
  return a;
}

std::uint32_t AddressMapper::bankOf(std::uint64_t byteAddr) const {
  const std::uint64_t addr = expand(byteAddr);
  std::uint64_t bank = 0;
  for (const BankSlice& s : bankSlices_)
    bank += (((addr >> s.src) & ((std::uint64_t{1} << s.bits) - 1)) << s.dst) * s.weight;
  return static_cast<std::uint32_t>(bank);
}

std::uint64_t AddressMapper::encode(const DramAddress& a) const {
  std::array<std::uint64_t, 9> v{};
  v[index(AddressField::Channel)] = a.channel;
  v[index(AddressField::PseudoChannel)] = a.pc;
  v[index(AddressField::BankGroup)] = a.bankGroup % groupsPerSid_;
  v[index(AddressField::StackId)] = a.bankGroup / groupsPerSid_;
  v[index(AddressField::Bank)] = a.bank % banksPerGroup_;
  v[index(AddressField::Row)] = a.row;
  v[index(AddressField::Column)] = a.column;
  std::uint64_t addr = 0;
  for (const Slice& s : slices_) addr |= ((v[index(s.field)] >> s.dst) & ((std::uint64_t{1} << s.bits) - 1)) << s.src;
  return compress(addr);
}

} // namespace llmvp::models::dram
