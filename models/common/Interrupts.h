// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <cstdint>

namespace llmvp::models {

/// Receiver of level-sensitive interrupt lines (the interrupt controller).
class IInterruptSink {
public:
  virtual ~IInterruptSink() = default;
  /// Drives `line` to `level` at the current kernel time. The source must
  /// have synchronised its local time before calling.
  virtual void setLine(std::uint32_t line, bool level) = 0;
};

/// The output end of one interrupt wire; unconnected until bound.
class IrqLine {
public:
  void bind(IInterruptSink& sink, std::uint32_t line) {
    sink_ = &sink;
    line_ = line;
  }
  void set(bool level) const {
    if (sink_ != nullptr) sink_->setLine(line_, level);
  }

private:
  IInterruptSink* sink_ = nullptr;
  std::uint32_t line_ = 0;
};

} // namespace llmvp::models
