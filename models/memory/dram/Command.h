// SPDX-License-Identifier: Apache-2.0
#pragma once
/// DRAM commands and the command log of the detailed model. The log is the
/// interface to the independent timing checker (tests/models/memory/dram): one line
/// per command,
///   <cycle> <CMD> <channel> <pseudo-channel> <bank group> <bank> <row> <column>
/// where cycle is the command's first command-bus cycle and bank is the
/// index within the pseudo-channel (bank group major; SIDs are bank groups).

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace llmvp::models::dram {

using Cycle = std::int64_t;

enum class Command : std::uint8_t {
  ACT,   ///< activate a row
  PRE,   ///< precharge one bank
  PREA,  ///< precharge all banks of a pseudo-channel
  RD,    ///< read burst
  RDA,   ///< read burst with auto-precharge
  WR,    ///< write burst
  WRA,   ///< write burst with auto-precharge
  REFab, ///< all-bank refresh of a pseudo-channel
  REFpb  ///< per-bank refresh
};
inline constexpr std::size_t kCommandKinds = 9;

[[nodiscard]] const char* commandName(Command c);
[[nodiscard]] std::optional<Command> parseCommand(const std::string& name);
[[nodiscard]] inline bool isColumn(Command c) {
  return c == Command::RD || c == Command::RDA || c == Command::WR || c == Command::WRA;
}
[[nodiscard]] inline bool isRead(Command c) { return c == Command::RD || c == Command::RDA; }
[[nodiscard]] inline bool isWrite(Command c) { return c == Command::WR || c == Command::WRA; }

struct CommandRecord {
  Cycle cycle = 0;
  Command cmd = Command::ACT;
  std::uint32_t channel = 0, pc = 0, bankGroup = 0, bank = 0, row = 0, column = 0;
};

/// Receives every command the detailed controller issues (tracing is off
/// unless a recorder is attached).
class ICommandRecorder {
public:
  virtual ~ICommandRecorder() = default;
  virtual void record(const CommandRecord& r) = 0;
};

/// Keeps the commands in memory; writes and reads the text form above.
class CommandLog : public ICommandRecorder {
public:
  void record(const CommandRecord& r) override { records_.push_back(r); }
  [[nodiscard]] const std::vector<CommandRecord>& records() const { return records_; }
  void write(std::ostream& os) const;
  /// Parses the text form; throws std::invalid_argument naming the line.
  [[nodiscard]] static std::vector<CommandRecord> parse(std::istream& is);

private:
  std::vector<CommandRecord> records_;
};

} // namespace llmvp::models::dram
