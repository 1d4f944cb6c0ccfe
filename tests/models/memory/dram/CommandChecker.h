// SPDX-License-Identifier: Apache-2.0
#pragma once
/// An independent checker of DRAM command logs (written apart from the
/// controller, from the JEDEC-style rules of DramCycles): every pair of
/// commands of a channel closer than the longest constraint is checked
/// against each rule that relates them, plus bank state (ACT to a closed
/// bank, column commands to the open row, REF with banks closed), the
/// four-activate window, command-bus and data-bus occupancy.

#include <string>
#include <vector>

#include "models/memory/dram/Command.h"
#include "models/memory/dram/DramParams.h"

namespace llmvp::test {

class CommandChecker {
public:
  explicit CommandChecker(const models::dram::DramParams& p);
  /// Checks a whole log (any order of channels; each channel in time order).
  /// Returns one message per violation (empty: the log is legal).
  [[nodiscard]] std::vector<std::string> check(const std::vector<models::dram::CommandRecord>& log,
                                               std::size_t maxMessages = 20) const;

private:
  const models::dram::DramParams p_;
};

} // namespace llmvp::test
