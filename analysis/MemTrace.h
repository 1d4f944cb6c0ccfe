// SPDX-License-Identifier: Apache-2.0
#pragma once
/// `llmvp memtrace`: plays a memory trace on the detailed or the fast DRAM
/// model and reports bandwidth, read latency, row-buffer hit rate, per-bank
/// utilisation and energy; or records the HBM request stream of a decode run
/// as such a trace. Trace format: docs/memtrace.md.

#include <boost/json.hpp>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "models/memory/dram/AccessRecorder.h"
#include "models/memory/dram/Command.h"
#include "models/memory/dram/DetailedDram.h"
#include "models/memory/dram/Dram.h"
#include "models/memory/dram/DramParams.h"
#include "models/memory/dram/FastDram.h"

namespace llmvp::testbench {

/// One line of a trace.
struct TraceRequest {
  enum class When : std::uint8_t {
    Asap, ///< `*`: as soon as the memory accepts it
    At,   ///< absolute time in ns
    After ///< `+ns` after the previous request was issued
  };
  When when = When::Asap;
  models::Ps time = 0; ///< At: absolute; After: delay
  bool write = false;
  std::uint64_t addr = 0;
  std::uint32_t bytes = 0;
};

/// Parses a trace; throws ConfigError "FILE:LINE: ..." naming what was
/// expected. `limitBytes` (if not 0) bounds addresses.
[[nodiscard]] std::vector<TraceRequest> readTrace(std::istream& in, const std::string& file, std::uint64_t limitBytes);
[[nodiscard]] std::vector<TraceRequest> readTrace(const std::string& file, std::uint64_t limitBytes);

/// How a trace is played: requests are issued in order, each once its time
/// has come (unless `fullRate`), the previous one was accepted, and fewer
/// than `window` are outstanding.
struct PlayOptions {
  std::uint32_t window = 64;
  bool fullRate = false;
};

struct MemTraceResult {
  std::string model; ///< "detailed" or "fast"
  std::uint64_t reads = 0, writes = 0, bytes = 0;
  models::Ps firstIssue = 0, lastDone = 0;
  std::vector<double> readLatencyNs; ///< per read, issue to response
  double latencySumNs = 0;           ///< over all requests (reads and writes)
  double rowHitRate = 0;
  std::vector<double> bankUtilisation; ///< detailed: per (channel, pc, bank), share of time busy
  double dynamicPj = 0, backgroundPj = 0;
  std::array<std::uint64_t, models::dram::kCommandKinds> commands{}; ///< detailed only
  double wallSeconds = 0;

  [[nodiscard]] double seconds() const { return static_cast<double>(lastDone - firstIssue) * 1e-12; }
  [[nodiscard]] double gbps() const {
    return lastDone > firstIssue ? static_cast<double>(bytes) / static_cast<double>(lastDone - firstIssue) * 1e3 : 0;
  }
  [[nodiscard]] double meanReadLatencyNs() const;
  [[nodiscard]] double meanLatencyNs() const {
    return reads + writes > 0 ? latencySumNs / static_cast<double>(reads + writes) : 0;
  }
  /// Percentile p in [0, 100] of the read latencies (nearest rank).
  [[nodiscard]] double readLatencyPercentile(double p) const;
};

/// Plays a trace through the models' loosely-timed path (schedule(), what
/// b_transport does in whole-model runs; no simulation kernel needed): the
/// fast model always, the detailed model with `memtrace --lt`. Build during
/// elaboration.
class LtReplay {
public:
  /// `recorder` (detailed only, may be null) receives every command.
  LtReplay(const char* name, const models::dram::DramParams& params,
           models::dram::DramModel model = models::dram::DramModel::Fast,
           models::dram::ICommandRecorder* recorder = nullptr);
  [[nodiscard]] MemTraceResult run(const std::vector<TraceRequest>& trace, const PlayOptions& options);
  [[nodiscard]] models::dram::IDram& dram() { return *dram_; }

private:
  models::dram::DramModel model_;
  std::unique_ptr<models::dram::IDram> dram_;
  struct Unbound; ///< binds the model's socket (schedule() is called directly)
  std::unique_ptr<Unbound> unbound_;

public:
  ~LtReplay();
  LtReplay(const LtReplay&) = delete;
  LtReplay& operator=(const LtReplay&) = delete;
};
/// The fast model's replay (its only path).
using FastReplay = LtReplay;

/// Plays a trace on the detailed model through its TLM socket as a 4-phase
/// approximately-timed initiator. Build during elaboration, then sc_start(),
/// then result(). Several replays may share one sc_start().
class DetailedReplay {
public:
  DetailedReplay(const char* name, const models::dram::DramParams& params, std::vector<TraceRequest> trace,
                 const PlayOptions& options, models::dram::ICommandRecorder* recorder = nullptr);
  ~DetailedReplay();
  DetailedReplay(const DetailedReplay&) = delete;
  DetailedReplay& operator=(const DetailedReplay&) = delete;
  [[nodiscard]] MemTraceResult result();
  [[nodiscard]] models::dram::DetailedDram& dram();

private:
  class Player;
  std::unique_ptr<models::dram::DetailedDram> dram_;
  std::unique_ptr<Player> player_;
};

/// Writes the trace form of every request it is given (absolute times).
class MemTraceWriter : public models::dram::IAccessRecorder {
public:
  explicit MemTraceWriter(std::ostream& out) : out_(out) {}
  void access(models::Ps arrival, bool write, std::uint64_t addr, std::uint64_t bytes) override;

private:
  std::ostream& out_;
};

/// The human-readable report of one replay.
/// The result as JSON (`llmvp memtrace --json`).
[[nodiscard]] boost::json::object memTraceJson(const MemTraceResult& r, const models::dram::DramParams& p);
void printMemTrace(std::ostream& os, const MemTraceResult& r, const models::dram::DramParams& p, bool perBank);

} // namespace llmvp::testbench
