// SPDX-License-Identifier: Apache-2.0
// The multi-chip section of the report: network, collectives, stage
// transfers and per-chip balance.
#include <boost/json.hpp>
#include <ostream>

#include "report/Format.h"
#include "report/Report.h"

namespace llmvp::testbench {

void printSystemReport(std::ostream& os, const Report& r) {
  const SystemReport& s = r.system;
  if (s.chips <= 1) return;
  os << "\nSystem " << s.name << ": " << s.chips << " chips, " << s.topology << ", "
     << (s.dataAttention           ? "data-parallel attention, expert parallel " + std::to_string(s.tensorParallel)
         : s.pipelineParallel <= 1 ? "tensor parallel " + std::to_string(s.tensorParallel)
         : s.tensorParallel <= 1   ? "pipeline parallel " + std::to_string(s.pipelineParallel)
                                   : "tensor parallel " + std::to_string(s.tensorParallel) + " x pipeline parallel " +
                                       std::to_string(s.pipelineParallel))
     << " (engines, energy and cost above: every chip; memories, compute and the roofline: chip 0)\n";
  if (s.transfers > 0)
    os << "  stage transfers " << fixedText(s.transfers, 0) << ", per token "
       << fixedText(s.transferNsPerToken / 1e3, 3) << " us (latency part "
       << fixedText(s.transferLatencyNsPerToken / 1e3, 3) << " us), "
       << fixedText(r.tpotMeanNs > 0 ? 100.0 * s.transferNsPerToken / r.tpotMeanNs : 0.0, 1)
       << "% of TPOT; a stage waits " << fixedText(s.transferWaitNsPerStage / 1e3, 3) << " us per token for its input ("
       << fixedText(r.tpotMeanNs > 0 ? 100.0 * s.transferWaitNsPerStage / r.tpotMeanNs : 0.0, 1)
       << "% of TPOT: one micro-batch in flight)\n";
  if (s.collectives > 0 || s.transfers == 0)
    os << "  collectives " << fixedText(s.collectives, 0) << ", per token "
       << fixedText(s.collectiveNsPerToken / 1e3, 3) << " us (latency part "
       << fixedText(s.collectiveLatencyNsPerToken / 1e3, 3) << " us, waiting for the last chip "
       << fixedText(s.collectiveSkewNsPerToken / 1e3, 3) << " us, bandwidth and queueing "
       << fixedText(std::max(0.0, s.collectiveNsPerToken - s.collectiveLatencyNsPerToken - s.collectiveSkewNsPerToken) /
                        1e3,
                    3)
       << " us), " << fixedText(r.tpotMeanNs > 0 ? 100.0 * s.collectiveNsPerToken / r.tpotMeanNs : 0.0, 1)
       << "% of TPOT\n";
  if (!s.algorithms.empty()) {
    os << "  algorithms:";
    for (const auto& [a, n] : s.algorithms) os << " " << a << " " << fixedText(n, 0);
    os << "\n";
  }
  os << "  links " << s.links.size() << ": utilization mean " << fixedText(100.0 * s.linkUtilizationMean, 2)
     << "%, max " << fixedText(100.0 * s.linkUtilizationMax, 2) << "%, " << fixedText(s.linkBytes / 1e6, 3) << " MB\n";
  os << "  per chip (HBM MB per token, tile active %, collectives engine waiting %):";
  for (std::size_t i = 0; i < s.perChip.size(); ++i) {
    const ChipUse& u = s.perChip[i];
    os << (i % 4 == 0 ? "\n   " : "") << " " << i << ": " << fixedText(u.hbmBytesPerToken / 1e6, 1) << " MB "
       << fixedText(100.0 * u.tileActiveShare, 1) << "% " << fixedText(100.0 * u.collWaitShare, 1) << "%"
       << (i + 1 < s.perChip.size() ? "," : "");
  }
  os << "\n";
  os << "  link retries " << fixedText(s.retries, 0) << ", stragglers " << fixedText(s.stragglers, 0)
     << ", substitutions " << fixedText(s.substitutions, 0) << " (" << fixedText(s.retryTimeouts, 0)
     << " collectives timed out on a retrying link)\n";
}

boost::json::object systemReportJson(const Report& r) {
  namespace json = boost::json;
  const SystemReport& s = r.system;
  json::object o;
  o["name"] = s.name;
  o["chips"] = s.chips;
  o["topology"] = s.topology;
  o["tensor_parallel"] = s.tensorParallel;
  o["pipeline_parallel"] = s.pipelineParallel;
  o["attention"] = s.dataAttention ? "data" : "tensor";
  o["transfers"] = s.transfers;
  o["transfer_ns_per_token"] = s.transferNsPerToken;
  o["transfer_latency_ns_per_token"] = s.transferLatencyNsPerToken;
  o["transfer_wait_ns_per_stage_token"] = s.transferWaitNsPerStage;
  o["collectives"] = s.collectives;
  o["collective_ns_per_token"] = s.collectiveNsPerToken;
  o["collective_latency_ns_per_token"] = s.collectiveLatencyNsPerToken;
  o["collective_skew_ns_per_token"] = s.collectiveSkewNsPerToken;
  o["collective_share_of_tpot"] = s.collectiveShareOfTpot;
  o["substitutions"] = s.substitutions;
  o["retry_timeouts"] = s.retryTimeouts;
  o["stragglers"] = s.stragglers;
  o["link_retries"] = s.retries;
  json::object algs;
  for (const auto& [a, n] : s.algorithms) algs[a] = n;
  o["algorithms"] = algs;
  o["link_utilization_mean"] = s.linkUtilizationMean;
  o["link_utilization_max"] = s.linkUtilizationMax;
  o["link_bytes"] = s.linkBytes;
  json::array links;
  for (const auto& l : s.links)
    links.push_back(
        json::object{{"name", l.name}, {"bytes", l.bytes}, {"utilization", l.utilization}, {"retries", l.retries}});
  o["links"] = links;
  o["chips_agree"] = s.chipsAgree;
  json::array chips;
  for (const ChipUse& u : s.perChip)
    chips.push_back(json::object{{"hbm_bytes_per_token", u.hbmBytesPerToken},
                                 {"tile_active_share", u.tileActiveShare},
                                 {"collectives_wait_share", u.collWaitShare}});
  o["per_chip"] = chips;
  return o;
}

} // namespace llmvp::testbench
