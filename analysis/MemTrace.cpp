// SPDX-License-Identifier: Apache-2.0
#include "analysis/MemTrace.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <queue>
#include <sstream>
#include <tlm_utils/simple_initiator_socket.h>

#include "config/Loaders.h"
#include "models/common/Extensions.h"

namespace llmvp::testbench {

using models::Ps;
using models::dram::DramParams;

namespace {
std::uint64_t parseUnsigned(const std::string& tok, bool& ok) {
  ok = false;
  if (tok.empty() || tok[0] == '-' || tok[0] == '+') return 0;
  try {
    std::size_t used = 0;
    const std::uint64_t v = std::stoull(tok, &used, 0);
    ok = used == tok.size();
    return v;
  } catch (const std::exception&) {
    return 0;
  }
}

double parseNs(const std::string& tok, bool& ok) {
  ok = false;
  try {
    std::size_t used = 0;
    const double v = std::stod(tok, &used);
    ok = used == tok.size() && std::isfinite(v) && v >= 0;
    return v;
  } catch (const std::exception&) {
    return 0;
  }
}
} // namespace

std::vector<TraceRequest> readTrace(std::istream& in, const std::string& file, std::uint64_t limitBytes) {
  std::vector<TraceRequest> out;
  std::size_t lineNo = 0;
  Ps lastAt = 0;
  for (std::string line; std::getline(in, line);) {
    ++lineNo;
    const std::size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string t; ls >> t;) tok.push_back(t);
    if (tok.empty()) continue;
    const auto bad = [&](const std::string& what) {
      throw ConfigError(file + ":" + std::to_string(lineNo) + ": " + what + " (line: \"" + line + "\")");
    };
    if (tok.size() != 4)
      bad("expected 4 fields: <time ns | +delay ns | *> <R|W> <address> <bytes>, got " + std::to_string(tok.size()));
    TraceRequest r;
    bool ok = false;
    if (tok[0] == "*") {
      r.when = TraceRequest::When::Asap;
    } else if (tok[0][0] == '+') {
      r.when = TraceRequest::When::After;
      r.time = models::nsToPs(parseNs(tok[0].substr(1), ok));
      if (!ok) bad("\"" + tok[0] + "\" is not a delay (+ns, a non-negative number)");
    } else {
      r.when = TraceRequest::When::At;
      r.time = models::nsToPs(parseNs(tok[0], ok));
      if (!ok) bad("\"" + tok[0] + "\" is not a time (ns, a non-negative number), a delay (+ns) or *");
      if (r.time < lastAt) bad("time " + tok[0] + " ns is before the previous request's (times must not decrease)");
      lastAt = r.time;
    }
    if (tok[1] == "R")
      r.write = false;
    else if (tok[1] == "W")
      r.write = true;
    else
      bad("\"" + tok[1] + "\" is not R or W");
    r.addr = parseUnsigned(tok[2], ok);
    if (!ok) bad("\"" + tok[2] + "\" is not an address (decimal or 0x hex)");
    const std::uint64_t bytes = parseUnsigned(tok[3], ok);
    if (!ok || bytes == 0 || bytes > (1u << 30)) bad("\"" + tok[3] + "\" is not a size in bytes (1 to 1073741824)");
    r.bytes = static_cast<std::uint32_t>(bytes);
    if (limitBytes != 0 && (r.addr >= limitBytes || bytes > limitBytes - r.addr))
      bad("address range " + tok[2] + " + " + tok[3] + " is beyond the memory (" + std::to_string(limitBytes) +
          " bytes)");
    out.push_back(r);
  }
  if (out.empty()) throw ConfigError(file + ": no requests");
  return out;
}

std::vector<TraceRequest> readTrace(const std::string& file, std::uint64_t limitBytes) {
  std::ifstream f(file);
  if (!f) throw ConfigError(file + ": cannot open file");
  return readTrace(f, file, limitBytes);
}

double MemTraceResult::meanReadLatencyNs() const {
  if (readLatencyNs.empty()) return 0;
  return std::accumulate(readLatencyNs.begin(), readLatencyNs.end(), 0.0) / static_cast<double>(readLatencyNs.size());
}

double MemTraceResult::readLatencyPercentile(double p) const {
  if (readLatencyNs.empty()) return 0;
  std::vector<double> v = readLatencyNs;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  const std::size_t k = std::min(v.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

namespace {
/// Earliest issue time of request i given the previous issue (unless full rate).
Ps earliest(const TraceRequest& r, Ps prevIssue, bool fullRate) {
  if (fullRate) return 0;
  switch (r.when) {
  case TraceRequest::When::At: return r.time;
  case TraceRequest::When::After: return prevIssue + r.time;
  case TraceRequest::When::Asap: break;
  }
  return 0;
}

double backgroundPj(const DramParams& p, Ps span) {
  return p.backgroundMwPerStack * 1e-3 * p.stacks * static_cast<double>(span) * 1e-12 * 1e12;
}
} // namespace

struct LtReplay::Unbound : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Unbound> socket;
  explicit Unbound(const sc_core::sc_module_name& n) : sc_module(n), socket("socket") {}
};

LtReplay::LtReplay(const char* name, const DramParams& params, models::dram::DramModel model,
                   models::dram::ICommandRecorder* recorder)
    : model_(model), dram_(model == models::dram::DramModel::Detailed
                               ? std::make_unique<models::dram::DetailedDram>(name, params, recorder)
                               : models::dram::makeDram(name, params, model)),
      unbound_(std::make_unique<Unbound>((std::string(name) + "_initiator").c_str())) {
  unbound_->socket.bind(dram_->targetSocket());
}

LtReplay::~LtReplay() = default;

MemTraceResult LtReplay::run(const std::vector<TraceRequest>& trace, const PlayOptions& options) {
  const auto wall0 = std::chrono::steady_clock::now();
  const bool detailed = model_ == models::dram::DramModel::Detailed;
  MemTraceResult r;
  r.model = detailed ? "detailed" : "fast";
  std::priority_queue<Ps, std::vector<Ps>, std::greater<>> outstanding;
  Ps prev = 0;
  bool first = true;
  for (const TraceRequest& q : trace) {
    Ps at = std::max(prev, earliest(q, prev, options.fullRate));
    if (outstanding.size() >= options.window) {
      at = std::max(at, outstanding.top());
      outstanding.pop();
    }
    const Ps done = dram_->schedule(q.write, q.addr, q.bytes, at);
    outstanding.push(done);
    if (first) r.firstIssue = at;
    first = false;
    prev = at;
    r.lastDone = std::max(r.lastDone, done);
    r.bytes += q.bytes;
    r.latencySumNs += static_cast<double>(done - at) * 1e-3;
    if (q.write) {
      ++r.writes;
    } else {
      ++r.reads;
      r.readLatencyNs.push_back(static_cast<double>(done - at) * 1e-3);
    }
  }
  if (detailed) {
    auto& d = static_cast<models::dram::DetailedDram&>(*dram_);
    d.finishAt(r.lastDone);
    const double cycles = std::max<double>(1.0, static_cast<double>(d.cycleAt(r.lastDone)));
    for (std::size_t c = 0; c < d.channelCount(); ++c) {
      const auto& n = d.counters(c);
      for (std::size_t k = 0; k < r.commands.size(); ++k) r.commands[k] += n.commands[k];
      for (const std::uint64_t b : n.bankBusyCycles)
        r.bankUtilisation.push_back(std::min(1.0, static_cast<double>(b) / cycles));
    }
    const auto& s = d.stats();
    const double pieces = s.value("pieces");
    r.rowHitRate = pieces > 0 ? s.value("row_hits") / pieces : 0;
    r.dynamicPj = d.energyPj();
  } else {
    const auto& s = dram_->stats();
    const double rows = s.value("row_accesses");
    r.rowHitRate = rows > 0 ? 1.0 - s.value("activations") / rows : 0;
    r.dynamicPj = s.value("energy");
  }
  r.backgroundPj = backgroundPj(dram_->params(), r.lastDone);
  r.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r;
}

/// The approximately-timed initiator that plays a trace.
class DetailedReplay::Player : public sc_core::sc_module {
public:
  tlm_utils::simple_initiator_socket<Player> socket;

  Player(const sc_core::sc_module_name& name, std::vector<TraceRequest> trace, const PlayOptions& options)
      : sc_module(name), socket("socket"), trace_(std::move(trace)), options_(options), slots_(options.window),
        issueAt_(options.window) {
    socket.register_nb_transport_bw(this, &Player::nb_transport_bw);
    for (std::uint32_t i = 0; i < options.window; ++i) {
      slots_[i].set_extension(new models::TimingOnlyExtension);
      slots_[i].set_data_ptr(nullptr);
      slots_[i].set_streaming_width(0);
      slots_[i].set_byte_enable_ptr(nullptr);
      free_.push_back(options.window - 1 - i);
    }
    SC_HAS_PROCESS(Player);
    SC_METHOD(trySend);
    sensitive << kick_;
  }

  MemTraceResult result;
  std::chrono::steady_clock::time_point wall0, wall1;

private:
  void trySend() {
    if (next_ == 0) wall0 = std::chrono::steady_clock::now();
    while (!waitingEndReq_ && next_ < trace_.size() && !free_.empty()) {
      const TraceRequest& q = trace_[next_];
      const Ps now = models::nowPs();
      const Ps at = std::max(prevIssue_, earliest(q, prevIssue_, options_.fullRate));
      if (at > now) {
        kick_.notify(models::fromPs(at - now));
        return;
      }
      const std::uint32_t slot = free_.back();
      free_.pop_back();
      tlm::tlm_generic_payload& gp = slots_[slot];
      gp.set_command(q.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      gp.set_address(q.addr);
      gp.set_data_length(q.bytes);
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      issueAt_[slot] = now;
      if (next_ == 0) result.firstIssue = now;
      prevIssue_ = now;
      ++next_;
      result.bytes += q.bytes;
      (q.write ? result.writes : result.reads) += 1;
      tlm::tlm_phase phase = tlm::BEGIN_REQ;
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      waitingEndReq_ = true;
      waitingGp_ = &gp;
      const tlm::tlm_sync_enum s = socket->nb_transport_fw(gp, phase, delay);
      if (s == tlm::TLM_UPDATED && phase == tlm::END_REQ) waitingEndReq_ = false;
      if (s == tlm::TLM_COMPLETED) {
        waitingEndReq_ = false;
        complete(gp);
      }
    }
  }

  void complete(tlm::tlm_generic_payload& gp) {
    const auto slot = static_cast<std::uint32_t>(&gp - slots_.data());
    const Ps now = models::nowPs();
    if (gp.is_read()) result.readLatencyNs.push_back(static_cast<double>(now - issueAt_[slot]) * 1e-3);
    result.latencySumNs += static_cast<double>(now - issueAt_[slot]) * 1e-3;
    if (!gp.is_response_ok()) ++errors_;
    result.lastDone = std::max(result.lastDone, now);
    free_.push_back(slot);
    if (&gp == waitingGp_) waitingGp_ = nullptr;
    if (++completed_ == trace_.size()) wall1 = std::chrono::steady_clock::now();
  }

  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time&) {
    if (phase == tlm::END_REQ) {
      waitingEndReq_ = false;
      trySend();
      return tlm::TLM_ACCEPTED;
    }
    if (phase == tlm::BEGIN_RESP) {
      if (&gp == waitingGp_) waitingEndReq_ = false; // BEGIN_RESP implies END_REQ
      complete(gp);
      trySend();
      return tlm::TLM_COMPLETED;
    }
    return tlm::TLM_ACCEPTED;
  }

  std::vector<TraceRequest> trace_;
  PlayOptions options_;
  std::vector<tlm::tlm_generic_payload> slots_;
  std::vector<Ps> issueAt_;
  std::vector<std::uint32_t> free_;
  std::size_t next_ = 0, completed_ = 0;
  std::uint64_t errors_ = 0;
  Ps prevIssue_ = 0;
  bool waitingEndReq_ = false;
  const tlm::tlm_generic_payload* waitingGp_ = nullptr;
  sc_core::sc_event kick_;
};

DetailedReplay::DetailedReplay(const char* name, const DramParams& params, std::vector<TraceRequest> trace,
                               const PlayOptions& options, models::dram::ICommandRecorder* recorder) {
  dram_ = std::make_unique<models::dram::DetailedDram>(name, params, recorder);
  player_ = std::make_unique<Player>((std::string(name) + "_player").c_str(), std::move(trace), options);
  player_->socket.bind(dram_->socket);
}

DetailedReplay::~DetailedReplay() = default;

models::dram::DetailedDram& DetailedReplay::dram() { return *dram_; }

MemTraceResult DetailedReplay::result() {
  dram_->finish();
  MemTraceResult r = player_->result;
  r.model = "detailed";
  const auto& p = dram_->params();
  double hits = 0;
  const double cycles = std::max<double>(1.0, static_cast<double>(dram_->cycleAt(r.lastDone)));
  for (std::size_t c = 0; c < dram_->channelCount(); ++c) {
    const auto& n = dram_->counters(c);
    hits += static_cast<double>(n.rowHits);
    for (std::size_t k = 0; k < r.commands.size(); ++k) r.commands[k] += n.commands[k];
    for (const std::uint64_t b : n.bankBusyCycles)
      r.bankUtilisation.push_back(std::min(1.0, static_cast<double>(b) / cycles));
  }
  const double pieces = dram_->stats().value("pieces");
  r.rowHitRate = pieces > 0 ? hits / pieces : 0;
  r.dynamicPj = dram_->energyPj();
  r.backgroundPj = backgroundPj(p, r.lastDone);
  r.wallSeconds = std::chrono::duration<double>(player_->wall1 - player_->wall0).count();
  return r;
}

void MemTraceWriter::access(Ps arrival, bool write, std::uint64_t addr, std::uint64_t bytes) {
  out_ << arrival / 1000 << '.' << std::setw(3) << std::setfill('0') << arrival % 1000 << std::setfill(' ')
       << (write ? " W 0x" : " R 0x") << std::hex << addr << std::dec << ' ' << bytes << '\n';
}

void printMemTrace(std::ostream& os, const MemTraceResult& r, const DramParams& p, bool perBank) {
  const auto pct = [](double v) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << 100.0 * v << " %";
    return s.str();
  };
  os << std::fixed << std::setprecision(2);
  os << "memory              " << p.name << " x " << p.stacks << " (" << r.model << " model), peak " << p.peakGBps()
     << " GB/s\n";
  os << "requests            " << r.reads + r.writes << " (reads " << r.reads << ", writes " << r.writes << "), "
     << static_cast<double>(r.bytes) / 1048576.0 << " MiB\n";
  os << "simulated time      " << r.seconds() * 1e6 << " us\n";
  os << "achieved bandwidth  " << r.gbps() << " GB/s (" << pct(r.gbps() / p.peakGBps()) << " of peak)\n";
  os << "read latency ns     avg " << r.meanReadLatencyNs() << "  p50 " << r.readLatencyPercentile(50) << "  p99 "
     << r.readLatencyPercentile(99) << "  max " << r.readLatencyPercentile(100) << "\n";
  os << "row-buffer hit rate " << pct(r.rowHitRate) << "\n";
  if (r.model == "detailed") {
    using models::dram::Command;
    const auto n = [&](Command c) { return r.commands[static_cast<std::size_t>(c)]; };
    os << "commands            ACT " << n(Command::ACT) << ", PRE " << n(Command::PRE) + n(Command::PREA) << ", RD "
       << n(Command::RD) + n(Command::RDA) << ", WR " << n(Command::WR) + n(Command::WRA) << ", REF "
       << n(Command::REFab) + n(Command::REFpb) << "\n";
    if (!r.bankUtilisation.empty()) {
      const auto [lo, hi] = std::minmax_element(r.bankUtilisation.begin(), r.bankUtilisation.end());
      const double mean = std::accumulate(r.bankUtilisation.begin(), r.bankUtilisation.end(), 0.0) /
                          static_cast<double>(r.bankUtilisation.size());
      os << "bank utilisation    min " << pct(*lo) << "  mean " << pct(mean) << "  max " << pct(*hi) << " over "
         << r.bankUtilisation.size() << " banks (row open, precharging or refreshing)\n";
      if (perBank || r.bankUtilisation.size() <= 64) {
        const std::size_t perPc = p.banksPerPc();
        for (std::size_t i = 0; i < r.bankUtilisation.size(); i += perPc) {
          const std::size_t pcIndex = i / perPc;
          os << "  ch " << pcIndex / p.pseudoChannels << " pc " << pcIndex % p.pseudoChannels << ":";
          for (std::size_t b = 0; b < perPc; ++b)
            os << ' ' << std::setw(3) << std::lround(100 * r.bankUtilisation[i + b]);
          os << "  (% per bank)\n";
        }
      }
    }
  } else {
    os << "bank utilisation    n/a (the fast model has no banks; use --detailed)\n";
  }
  const double totalPj = r.dynamicPj + r.backgroundPj;
  os << "energy              " << totalPj * 1e-6 << " uJ (dynamic " << r.dynamicPj * 1e-6 << ", background "
     << r.backgroundPj * 1e-6 << "), " << (r.bytes > 0 ? totalPj / (8.0 * static_cast<double>(r.bytes)) : 0)
     << " pJ/bit\n";
  os << "wall time           " << std::setprecision(3) << r.wallSeconds << " s, " << std::setprecision(0)
     << (r.wallSeconds > 0 ? static_cast<double>(r.reads + r.writes) / r.wallSeconds : 0)
     << " requests per wall second\n";
}

boost::json::object memTraceJson(const MemTraceResult& r, const DramParams& p) {
  boost::json::object o;
  o["memspec"] = p.name;
  o["model"] = r.model;
  o["stacks"] = p.stacks;
  o["reads"] = r.reads;
  o["writes"] = r.writes;
  o["bytes"] = r.bytes;
  o["simulated_ns"] = r.seconds() * 1e9;
  o["bandwidth_gbps"] = r.gbps();
  o["peak_gbps"] = p.peakGBps();
  o["read_latency_ns"] = {{"avg", r.meanReadLatencyNs()},
                          {"p50", r.readLatencyPercentile(50)},
                          {"p99", r.readLatencyPercentile(99)},
                          {"max", r.readLatencyPercentile(100)}};
  o["mean_latency_ns"] = r.meanLatencyNs();
  o["row_hit_rate"] = r.rowHitRate;
  boost::json::array banks;
  for (const double b : r.bankUtilisation) banks.push_back(b);
  o["bank_utilisation"] = banks;
  boost::json::object cmds;
  for (std::size_t k = 0; k < r.commands.size(); ++k)
    cmds[models::dram::commandName(static_cast<models::dram::Command>(k))] = r.commands[k];
  o["commands"] = cmds;
  o["energy_pj"] = {{"dynamic", r.dynamicPj}, {"background", r.backgroundPj}};
  o["wall_seconds"] = r.wallSeconds;
  return o;
}

} // namespace llmvp::testbench
