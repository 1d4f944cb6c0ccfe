// SPDX-License-Identifier: Apache-2.0
#include "models/memory/dram/Command.h"

#include <array>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace llmvp::models::dram {

namespace {
constexpr std::array<const char*, kCommandKinds> kNames{"ACT", "PRE", "PREA",  "RD",   "RDA",
                                                        "WR",  "WRA", "REFab", "REFpb"};
}

const char* commandName(Command c) { return kNames[static_cast<std::size_t>(c)]; }

std::optional<Command> parseCommand(const std::string& name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return static_cast<Command>(i);
  return std::nullopt;
}

void CommandLog::write(std::ostream& os) const {
  for (const auto& r : records_)
    os << r.cycle << ' ' << commandName(r.cmd) << ' ' << r.channel << ' ' << r.pc << ' ' << r.bankGroup << ' ' << r.bank
       << ' ' << r.row << ' ' << r.column << '\n';
}

std::vector<CommandRecord> CommandLog::parse(std::istream& is) {
  std::vector<CommandRecord> out;
  std::size_t lineNo = 0;
  for (std::string line; std::getline(is, line);) {
    ++lineNo;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    CommandRecord r;
    std::string name, extra;
    if (!(ls >> r.cycle >> name >> r.channel >> r.pc >> r.bankGroup >> r.bank >> r.row >> r.column) || (ls >> extra))
      throw std::invalid_argument("line " + std::to_string(lineNo) +
                                  ": expected <cycle> <CMD> <channel> <pc> <bank group> <bank> <row> <column>");
    const auto c = parseCommand(name);
    if (!c) throw std::invalid_argument("line " + std::to_string(lineNo) + ": unknown command \"" + name + "\"");
    r.cmd = *c;
    out.push_back(r);
  }
  return out;
}

} // namespace llmvp::models::dram
