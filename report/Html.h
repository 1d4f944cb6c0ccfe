// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `llmvp report RUN.json... -o report.html` and the sweep comparison: one
/// self-contained HTML file (inline CSS and SVG, no scripts, no network)
/// with a summary table and charts: TPOT per token, time per component,
/// roofline of every operator, bandwidth over time per memory, energy per
/// token by component, several runs side by side. Inputs are the files
/// written by `llmvp run --json` (docs/outputs.md).

#include <boost/json.hpp>
#include <iosfwd>
#include <string>
#include <vector>

namespace llmvp::testbench {

struct HtmlRun {
  std::string label;        ///< legend text
  boost::json::object json; ///< the whole --json document
};

/// Extra table shown above the charts (the sweep's point table).
struct HtmlTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

/// Reads and checks a --json run file. Throws ConfigError naming the file
/// and the missing or mistyped key.
[[nodiscard]] HtmlRun loadRunJson(const std::string& path);
/// Checks an already-parsed document; `where` names it in errors.
void checkRunJson(const boost::json::value& doc, const std::string& where);

void writeHtmlReport(std::ostream& os, const std::string& title, const std::vector<HtmlRun>& runs,
                     const HtmlTable* table = nullptr, const std::string& note = "");

/// Text with &, <, >, " escaped.
[[nodiscard]] std::string htmlEscape(const std::string& s);

} // namespace llmvp::testbench
