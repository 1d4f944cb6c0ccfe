// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Sparse byte store for memory models: pages are allocated on first write,
/// unwritten bytes read as zero, so a 192 GB memory costs only what is used.

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace llmvp::models {

class BackingStore {
public:
  static constexpr std::uint64_t kPageBytes = std::uint64_t{64} * 1024;

  explicit BackingStore(std::uint64_t sizeBytes) : size_(sizeBytes) {}
  BackingStore(const BackingStore&) = delete;
  BackingStore& operator=(const BackingStore&) = delete;

  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] bool contains(std::uint64_t offset, std::uint64_t bytes) const {
    return offset <= size_ && bytes <= size_ - offset;
  }
  /// Copies `bytes` from `offset` into `dst`. Precondition: contains().
  void read(std::uint64_t offset, std::uint8_t* dst, std::uint64_t bytes) const;
  /// Copies `bytes` from `src` to `offset`. Precondition: contains().
  void write(std::uint64_t offset, const std::uint8_t* src, std::uint64_t bytes);
  /// Untimed access for transport_dbg: copies `bytes` in the direction of
  /// `write`; returns the bytes moved, 0 if the range is outside the store.
  unsigned debugAccess(bool write, std::uint64_t offset, std::uint8_t* data, std::uint64_t bytes) {
    if (!contains(offset, bytes)) return 0;
    if (write)
      this->write(offset, data, bytes);
    else
      read(offset, data, bytes);
    return static_cast<unsigned>(bytes);
  }
  [[nodiscard]] std::uint64_t allocatedBytes() const { return pages_.size() * kPageBytes; }

private:
  std::uint64_t size_;
  std::unordered_map<std::uint64_t, std::unique_ptr<std::uint8_t[]>> pages_;
};

} // namespace llmvp::models
