// SPDX-License-Identifier: Apache-2.0
#include "models/common/BackingStore.h"

#include <algorithm>
#include <cstring>

namespace llmvp::models {

void BackingStore::read(std::uint64_t offset, std::uint8_t* dst, std::uint64_t bytes) const {
  while (bytes > 0) {
    const std::uint64_t page = offset / kPageBytes;
    const std::uint64_t inPage = offset % kPageBytes;
    const std::uint64_t n = std::min(bytes, kPageBytes - inPage);
    const auto it = pages_.find(page);
    if (it == pages_.end())
      std::memset(dst, 0, n);
    else
      std::memcpy(dst, it->second.get() + inPage, n);
    dst += n;
    offset += n;
    bytes -= n;
  }
}

void BackingStore::write(std::uint64_t offset, const std::uint8_t* src, std::uint64_t bytes) {
  while (bytes > 0) {
    const std::uint64_t page = offset / kPageBytes;
    const std::uint64_t inPage = offset % kPageBytes;
    const std::uint64_t n = std::min(bytes, kPageBytes - inPage);
    auto& p = pages_[page];
    if (!p) {
      p = std::make_unique<std::uint8_t[]>(kPageBytes);
      std::memset(p.get(), 0, kPageBytes);
    }
    std::memcpy(p.get() + inPage, src, n);
    src += n;
    offset += n;
    bytes -= n;
  }
}

} // namespace llmvp::models
