// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `--csv FILE`: the run as one table, one row per generated token and one
/// per engine, memory, operator and energy item (schema in docs/outputs.md).

#include <iosfwd>
#include <string>
#include <vector>

#include "report/Report.h"

namespace llmvp::testbench {

/// Column names, in order.
[[nodiscard]] const std::vector<std::string>& csvColumns();
void writeCsv(std::ostream& os, const Report& report);
/// A CSV field: quoted when it contains a comma, quote or newline.
[[nodiscard]] std::string csvField(const std::string& s);
/// A number as written in CSV and tables: shortest form that round-trips.
[[nodiscard]] std::string csvNumber(double v);

} // namespace llmvp::testbench
