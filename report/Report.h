// SPDX-License-Identifier: Apache-2.0
#pragma once
/// The run report: derived figures computed once from the run result and
/// the modules' statistics, printed for people and written as JSON.

#include <boost/json.hpp>
#include <iosfwd>
#include <string>
#include <vector>

#include "analysis/Estimate.h"
#include "config/Loaders.h"
#include "host/RunOptions.h"
#include "platform/Chip.h"

namespace llmvp::testbench {

struct EngineTime {
  std::string name;
  double busyNs = 0, memWaitNs = 0, semWaitNs = 0, idleNs = 0;
};

struct MemoryUse {
  std::string name;
  double bytesRead = 0, bytesWritten = 0, achievedGBps = 0, peakGBps = 0;
};

/// One opcode on one engine, summed over the run (roofline point).
struct OperatorUse {
  std::string engine, op;
  double count = 0, timeNs = 0, bytes = 0, flops = 0;
};

/// Per-memory bandwidth between consecutive firmware step marks.
struct BandwidthSeries {
  std::vector<double> endNs;                                     ///< end of each interval
  std::vector<std::pair<std::string, std::vector<double>>> gbps; ///< per memory, per interval
};

struct EnergyItem {
  std::string name;
  double joules = 0;
};

/// Multi-chip systems: the network and the collectives.
struct LinkUse {
  std::string name;
  double bytes = 0, utilization = 0, retries = 0;
};
/// One chip of a system: how busy it was (stage or shard balance).
struct ChipUse {
  double hbmBytesPerToken = 0; ///< main-memory bytes read and written per decode step
  double tileActiveShare = 0;  ///< tile 0 busy or waiting for memory / decode window
  double collWaitShare = 0;    ///< collectives engine: input read to result ready / decode window
};
struct SystemReport {
  std::uint32_t chips = 1; ///< 1: a single chip (nothing below is filled)
  std::string name, topology;
  std::uint32_t tensorParallel = 1;
  std::uint32_t pipelineParallel = 1;
  bool dataAttention = false;             ///< data-parallel attention, all-to-all expert dispatch
  double collectives = 0;                 ///< collectives run (each counted once for the system)
  double collectiveNsPerToken = 0;        ///< per decode step: first input ready to last chip done, summed
  double collectiveLatencyNsPerToken = 0; ///< its latency part: steps x (endpoint + hops x per-hop)
  double collectiveSkewNsPerToken = 0;    ///< its wait for the last chip's contribution (load imbalance, stragglers)
  double collectiveShareOfTpot = 0;       ///< (collectiveNsPerToken + transferNsPerToken) / mean TPOT
  // Pipeline parallel: point-to-point transfers between stages
  double transfers = 0;                 ///< messages sent
  double transferNsPerToken = 0;        ///< per decode step, send ready to arrival, summed over the step's
                                        ///< stage boundaries (a stage's T tensor-parallel messages in parallel)
  double transferLatencyNsPerToken = 0; ///< its latency part: launch + endpoint + hops x per-hop
  double transferWaitNsPerStage = 0;    ///< per step: a stage's wait for its input (the others' work), mean over chips
  double substitutions = 0, stragglers = 0, retries = 0, retryTimeouts = 0;
  std::vector<std::pair<std::string, double>> algorithms; ///< collectives per algorithm
  double linkUtilizationMean = 0, linkUtilizationMax = 0, linkBytes = 0;
  std::vector<LinkUse> links;
  bool chipsAgree = true; ///< every chip produced the same tokens
  std::vector<ChipUse> perChip;
};

/// High Bandwidth Flash: placement, stall, reliability and wear.
struct HbfUse {
  bool present = false;
  double capacityBytes = 0, peakGBps = 0;
  double weightBytes = 0, kvBytes = 0, prefixBytes = 0;
  bool kvInHbf = false, prefixInHbm = false;
  std::uint32_t prefetchDepth = 0, prefixTokens = 0;
  double flashStallNsPerStep = 0;    ///< compute tile waiting for HBF weights, per decode step
  std::string prefetchMode = "none"; ///< sram (tile buffer), hbm (staging) or none
  // tile weight-stream buffer (platform/HbfBuffer.h): depth x chunk >= factor x bandwidth x latency
  std::uint32_t bufferChunks = 0;
  double bufferBytes = 0, bufferFactor = 0, bufferLatencyNs = 0;
  bool readAhead = false;
  double readAheadHitBytesPerStep = 0, readAheadWastedBytesPerStep = 0;
  double pageReadsPerStep = 0, retriesPerStep = 0, uncorrectable = 0;
  double prefixBytesPerStep = 0; ///< shared KV prefix read per decode step
  // wear (writes reach HBF only with kvInHbf)
  double pagesProgrammedPerToken = 0, maxBlockErases = 0, enduranceErrors = 0;
  double erasesPerToken = 0;                    ///< P/E cycles consumed: pages programmed / pages per block
  double blockErasesPerToken = 0;               ///< erases this run performed
  double lifetimeTokens = 0, lifetimeYears = 0; ///< ideal wear levelling, at this run's token rate
};

/// Serving scenario (continuous batching): per-request latencies and throughput.
struct LatencyStats {
  double meanNs = 0, p50Ns = 0, p90Ns = 0, p99Ns = 0;
};
struct ServedRequest {
  double arrivalNs = 0, ttftNs = 0, tpotNs = 0, e2eNs = 0; ///< tpot 0 when gen == 1
  std::uint32_t promptTokens = 0, genTokens = 0;
  bool finished = false;
};
struct ServeReport {
  bool present = false;
  std::string name;
  std::uint32_t maxBatch = 0, prefillChunk = 0, completed = 0;
  std::vector<ServedRequest> requests;
  LatencyStats ttft, tpot, e2e; ///< over finished requests (tpot: those with gen > 1)
  double durationNs = 0;        ///< first arrival to last completion
  double tokensPerSecond = 0;   ///< generated tokens / duration
  double requestsPerSecond = 0; ///< completed requests / duration
  double generatedTokens = 0, promptTokens = 0;
  double meanBatch = 0; ///< requests decoded per decode step (generated and teacher-forced positions / steps)
};

struct Report {
  std::string platformName, modelName, platformFile, modelFile;
  RunOptions options;
  bool ok = false;
  std::string error;
  // time
  std::uint32_t steps = 0, generatingSteps = 0;
  std::uint64_t generatedTokens = 0;
  std::vector<double> tpotNs;    ///< per generating step
  std::vector<double> stepEndNs; ///< simulated time at the end of each generating step
  double tpotMeanNs = 0, tpotP50Ns = 0, tpotP99Ns = 0;
  double tokensPerSecond = 0;
  double setupNs = 0, decodeNs = 0, simulatedNs = 0;
  // prefill (options.prefillChunk != 0): TTFT of each request from the end of
  // set-up (requests are prefilled one after another), and the split of the
  // run into prefill and decode phases
  std::vector<double> ttftNs;
  double ttftMeanNs = 0, ttftP50Ns = 0, ttftP99Ns = 0;
  double prefillNs = 0;        ///< end of set-up to the last request's first token
  bool prefillRowwise = false; ///< one request at a time, passes of at most 256 rows (else packed passes)
  // where time and data went
  std::vector<EngineTime> engines;
  std::vector<MemoryUse> memories;
  std::vector<OperatorUse> operators;
  BandwidthSeries bandwidth;
  double flops = 0, achievedFlops = 0, peakFlops = 0;
  std::string computeDtype;
  // energy
  std::vector<EnergyItem> energy;
  double joules = 0, joulesPerToken = 0, averageWatts = 0;
  // the paper's metrics (economics section of the platform config)
  double tokensPerSecondPerWatt = 0;
  double usdPerMillionTokens = 0;   ///< amortised price + electricity at the facility
  double gco2ePerMillionTokens = 0; ///< operational (grid) + amortised embodied carbon
  // simulator
  double wallSeconds = 0, tokensPerWallSecond = 0;
  std::vector<std::vector<std::uint32_t>> generated; ///< functional runs
  boost::json::object stats;   ///< every module's statistics at the end of the run (--json "stats")
  SystemReport system;         ///< multi-chip runs
  HbfUse hbf;                  ///< filled by hbfUse() when the chip has HBF
  std::string pnmPlan;         ///< near-memory offload plan (host/PnmPolicy.h), empty without chip.pnm
  ServeReport serve;           ///< serving scenarios (options.serve)
  EstimateComparison estimate; ///< roofline estimate beside the simulated figures (addEstimate, analysis/Estimate)
};

[[nodiscard]] Report buildReport(const PlatformConfig& platform, const ModelSpec& model, const std::string& modelFile,
                                 platform::Chip& chip, const RunOptions& options, const RunResult& result);
void printReport(std::ostream& os, const Report& report);
/// J/token, average power and the economics (tokens/s/W, $ and gCO2e per
/// million tokens) from report.joules and the run's time and tokens, for
/// `chips` chips: each brings its price and embodied carbon, amortised over
/// the lifetime. buildReport calls it with 1; a system with its chip count.
void applyEconomics(Report& report, const Economics& economics, std::uint32_t chips);
/// The multi-chip section (nothing for one chip); report/SystemReport.cpp.
void printSystemReport(std::ostream& os, const Report& report);
[[nodiscard]] boost::json::object systemReportJson(const Report& report);
/// HBF figures of a finished run (report/HbfReport.cpp); also adds the
/// HBF to report.memories. Call after buildReport.
void addHbfUse(Report& report, platform::Chip& chip, const Placement& placement);
void printHbfUse(std::ostream& os, const HbfUse& h);
[[nodiscard]] boost::json::object hbfJson(const HbfUse& h);
/// Serving figures of a finished scenario run (report/ServeReport.cpp):
/// fills report.serve and sets generatedTokens and tokensPerSecond to the
/// scenario's. Called by buildReport.
void addServeReport(Report& report, const RunOptions& options, const RunResult& result);
void printServeReport(std::ostream& os, const ServeReport& s);
[[nodiscard]] boost::json::object serveJson(const ServeReport& s);
/// Report plus every module's statistics, the configuration and versions.
[[nodiscard]] boost::json::object reportJson(const Report& report, const std::vector<std::string>& overrides);

/// Estimates the run and puts it beside the simulated figures in
/// report.estimate (call after buildReport).
void addEstimate(Report& report, const PlatformConfig& platform, const ModelSpec& model, const RunOptions& options,
                 const OpCollector& collector, const RunResult& result);
/// Nearest-rank percentile (p in (0, 100]) of unsorted values; 0 if empty.
[[nodiscard]] double percentile(std::vector<double> values, double p);

} // namespace llmvp::testbench
