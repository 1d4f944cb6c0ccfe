// SPDX-License-Identifier: Apache-2.0
// Serving scenarios: per-request TTFT, TPOT and end-to-end latency, their
// percentiles, and throughput.
#include <algorithm>
#include <iomanip>
#include <numeric>
#include <ostream>
#include <sstream>

#include "report/Format.h"
#include "report/Report.h"

namespace llmvp::testbench {

namespace {
constexpr double kNsPerPs = 1e-3;

LatencyStats stats(const std::vector<double>& v) {
  LatencyStats s;
  if (v.empty()) return s;
  s.meanNs = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  s.p50Ns = percentile(v, 50);
  s.p90Ns = percentile(v, 90);
  s.p99Ns = percentile(v, 99);
  return s;
}

boost::json::object statsJson(const LatencyStats& s) {
  return {{"mean_ns", s.meanNs}, {"p50_ns", s.p50Ns}, {"p90_ns", s.p90Ns}, {"p99_ns", s.p99Ns}};
}
} // namespace

void addServeReport(Report& r, const RunOptions& o, const RunResult& result) {
  ServeReport& s = r.serve;
  s.present = true;
  s.name = o.scenarioName;
  s.maxBatch = o.batch;
  s.prefillChunk = o.prefillChunk;
  std::vector<double> ttft, tpot, e2e;
  models::Ps first = ~models::Ps{0}, last = 0;
  double decodedPositions = 0; // positions processed by decode steps
  for (std::size_t i = 0; i < o.serve.size() && i < result.served.size(); ++i) {
    const ServeRecord& rec = result.served[i];
    ServedRequest q;
    q.promptTokens = o.serve[i].prompt;
    q.genTokens = o.serve[i].gen;
    q.finished = rec.finished != 0 && rec.firstToken != 0;
    q.arrivalNs = static_cast<double>(rec.arrival - result.decodeStart) * kNsPerPs;
    s.promptTokens += q.promptTokens;
    decodedPositions += (o.prefillChunk != 0 ? 0.0 : q.promptTokens - 1.0) + q.genTokens - (o.prefillChunk ? 1 : 0);
    if (q.finished) {
      q.ttftNs = static_cast<double>(rec.firstToken - rec.arrival) * kNsPerPs;
      q.e2eNs = static_cast<double>(rec.finished - rec.arrival) * kNsPerPs;
      ttft.push_back(q.ttftNs);
      e2e.push_back(q.e2eNs);
      // TPOT: time per output token after the first (the usual serving definition).
      if (q.genTokens > 1) {
        q.tpotNs = static_cast<double>(rec.finished - rec.firstToken) * kNsPerPs / (q.genTokens - 1);
        tpot.push_back(q.tpotNs);
      }
      ++s.completed;
      s.generatedTokens += q.genTokens;
      first = std::min(first, rec.arrival);
      last = std::max(last, rec.finished);
    }
    s.requests.push_back(q);
  }
  s.ttft = stats(ttft);
  s.tpot = stats(tpot);
  s.e2e = stats(e2e);
  if (s.completed > 0 && last > first) {
    s.durationNs = static_cast<double>(last - first) * kNsPerPs;
    s.tokensPerSecond = s.generatedTokens / (s.durationNs * 1e-9);
    s.requestsPerSecond = s.completed / (s.durationNs * 1e-9);
  }
  s.meanBatch = r.steps > 0 ? decodedPositions / r.steps : 0;
  r.generatedTokens = static_cast<std::uint64_t>(s.generatedTokens);
  r.tokensPerSecond = s.tokensPerSecond;
}

void printServeReport(std::ostream& os, const ServeReport& s) {
  os << "Scenario " << s.name << " (continuous batching, at most " << s.maxBatch << " requests in flight, "
     << (s.prefillChunk != 0
             ? "prefill in chunks of " + std::to_string(s.prefillChunk) + " tokens interleaved with decode steps"
             : "prompts fed token by token through decode steps")
     << ")\n";
  os << "  " << s.completed << " of " << s.requests.size() << " requests completed, "
     << static_cast<std::uint64_t>(s.promptTokens) << " prompt tokens, "
     << static_cast<std::uint64_t>(s.generatedTokens) << " generated tokens, mean batch " << std::fixed
     << std::setprecision(2) << s.meanBatch << "\n";
  os << "  latency (ms)        mean       p50       p90       p99\n";
  auto row = [&](const char* name, const LatencyStats& l) {
    os << "  " << std::left << std::setw(14) << name << std::right << std::setw(10) << msNumber(l.meanNs, 3)
       << std::setw(10) << msNumber(l.p50Ns, 3) << std::setw(10) << msNumber(l.p90Ns, 3) << std::setw(10)
       << msNumber(l.p99Ns, 3) << "\n";
  };
  row("TTFT", s.ttft);
  row("TPOT", s.tpot);
  row("end-to-end", s.e2e);
  os << "  throughput " << std::setprecision(1) << s.tokensPerSecond << " tokens/s, " << std::setprecision(3)
     << s.requestsPerSecond << " requests/s over " << msNumber(s.durationNs, 3)
     << " ms (first arrival to last completion)\n\n";
  os.unsetf(std::ios::floatfield);
}

boost::json::object serveJson(const ServeReport& s) {
  namespace json = boost::json;
  json::array reqs;
  for (const auto& q : s.requests)
    reqs.push_back(json::object{{"arrival_ns", q.arrivalNs},
                                {"prompt_tokens", q.promptTokens},
                                {"gen_tokens", q.genTokens},
                                {"finished", q.finished},
                                {"ttft_ns", q.ttftNs},
                                {"tpot_ns", q.tpotNs},
                                {"e2e_ns", q.e2eNs}});
  return {{"name", s.name},
          {"max_batch", s.maxBatch},
          {"prefill_chunk", s.prefillChunk},
          {"requests", s.requests.size()},
          {"completed", s.completed},
          {"prompt_tokens", s.promptTokens},
          {"generated_tokens", s.generatedTokens},
          {"mean_batch", s.meanBatch},
          {"ttft", statsJson(s.ttft)},
          {"tpot", statsJson(s.tpot)},
          {"e2e", statsJson(s.e2e)},
          {"duration_ns", s.durationNs},
          {"tokens_per_s", s.tokensPerSecond},
          {"requests_per_s", s.requestsPerSecond},
          {"per_request", reqs}};
}

} // namespace llmvp::testbench
