// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Collective operations of a group of chips over a Network: the schedules
/// of each algorithm (ring, recursive doubling, one-shot direct, in-switch
/// reduction) as messages on the network's link timelines, the automatic
/// choice by message size, the rendezvous of the chips' collectives engines
/// with real data in functional mode, and the reliability policy (a late
/// contribution is replaced by the previous call's data or zeros).

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <systemc>
#include <tuple>
#include <vector>

#include "models/common/Numerics.h"
#include "models/common/Stats.h"
#include "models/common/Time.h"
#include "models/interconnect/CollectiveParams.h"
#include "models/interconnect/Network.h"

namespace llmvp::models::interconnect {

/// The outcome of one collective's schedule.
struct CollectiveTiming {
  std::vector<Ps> done; ///< per rank: result complete at that chip
  Ps latencyPs = 0;     ///< latency part along the critical path (steps x (endpoint + hops x per-hop))
  std::uint32_t steps = 0;
  std::uint32_t retries = 0;
  std::vector<bool> retriedFrom; ///< per rank: a message carrying its contribution was retried on a link
  Algorithm algorithm = Algorithm::Ring;
};

/// The chips of one collective (its group), as network chip ids in rank
/// order: every chip of the network, or a pipeline stage's tensor-parallel
/// group. The functions without a group run over every chip.
using Members = std::vector<std::uint32_t>;
[[nodiscard]] Members allChips(const Network& net);

/// Algorithms that can run `op` on `net` for a group of `ranks` chips
/// (in-switch needs a reducing switch tree, recursive doubling a
/// power-of-two group).
[[nodiscard]] bool algorithmApplies(const Network& net, CollectiveOp op, Algorithm a, std::uint32_t ranks);
[[nodiscard]] bool algorithmApplies(const Network& net, CollectiveOp op, Algorithm a);
/// Alpha-beta estimate on an idle network, used by the automatic choice:
/// the algorithm with the smallest estimate runs.
[[nodiscard]] Ps estimate(const Network& net, const Members& group, const CollectiveParams& p, CollectiveOp op,
                          Algorithm a, std::uint64_t bytes);
[[nodiscard]] Ps estimate(const Network& net, const CollectiveParams& p, CollectiveOp op, Algorithm a,
                          std::uint64_t bytes);
/// estimate() plus the collective's launch cost (launchNs).
[[nodiscard]] Ps estimateWithLaunch(const Network& net, const CollectiveParams& p, CollectiveOp op, Algorithm a,
                                    std::uint64_t bytes);
[[nodiscard]] Algorithm chooseAlgorithm(const Network& net, const Members& group, const CollectiveParams& p,
                                        CollectiveOp op, std::uint64_t bytes);
[[nodiscard]] Algorithm chooseAlgorithm(const Network& net, const CollectiveParams& p, CollectiveOp op,
                                        std::uint64_t bytes);
/// Schedules one collective on the network's timelines. `bytes` is the
/// per-rank message: all-reduce input, all-gather contribution,
/// reduce-scatter output, all-to-all block per destination. `ready` and the
/// timing's vectors are per rank of `group`. A variable all-to-all (MoE
/// dispatch and combine; direct only) gives `pairBytes`, rank s's message
/// to rank d at [s * ranks + d], instead of one size for all.
CollectiveTiming schedule(Network& net, const Members& group, const CollectiveParams& p, CollectiveOp op, Algorithm a,
                          const std::vector<Ps>& ready, std::uint64_t bytes,
                          const std::vector<std::uint64_t>* pairBytes = nullptr);
CollectiveTiming schedule(Network& net, const CollectiveParams& p, CollectiveOp op, Algorithm a,
                          const std::vector<Ps>& ready, std::uint64_t bytes);

/// The chips' meeting point. Each chip's collectives engine calls run() for
/// its next collective; the last of its group to arrive schedules it and
/// computes the data; every caller returns with its own completion time.
/// A request names its group, consecutive chips [groupFirst, groupFirst +
/// groupRanks) (what the chip's firmware put in the collective's descriptor,
/// descriptors.h m and k); point-to-point transfers reach any chip.
class CollectiveGroup : public sc_core::sc_object, public IHasStats {
public:
  CollectiveGroup(const char* name, Network& net, const CollectiveParams& params);

  struct Request {
    CollectiveOp op = CollectiveOp::AllReduce;
    Algorithm algorithm = Algorithm::Auto; ///< Auto: the group's configured algorithm
    std::uint32_t tag = 0;                 ///< call site (previous data for substitution is per tag)
    std::uint32_t groupFirst = 0;          ///< the group's first chip (its rank 0)
    std::uint32_t groupRanks = 0;          ///< chips in the group; the caller is one of them
    DType dtype = DType::Fp32;
    std::uint64_t elements = 0;          ///< per-rank message in elements (see schedule())
    const std::uint8_t* input = nullptr; ///< functional: this rank's input (null: timing only)
    std::uint8_t* output = nullptr;      ///< functional: where this rank's result goes
    Ps ready = 0;                        ///< input available at the engine
    /// Variable all-to-all: elements of each destination's block this rank
    /// sends (size: the group's ranks; empty: every block whole).
    /// (u32 as in the descriptor's count array: elements is a u32 field.)
    std::vector<std::uint32_t> sendCounts;
    /// Variable all-to-all: where the counts the ranks sent here go (ranks entries).
    std::uint32_t* recvCounts = nullptr;
  };
  /// Whether `chip` may run a collective in the group of `req`: the group
  /// lies within the network and holds the chip.
  [[nodiscard]] bool validGroup(std::uint32_t chip, const Request& req) const;
  /// Blocks (SystemC thread) until every chip of the request's group
  /// arrived; returns this chip's completion time, or false in `ok` if the
  /// group is not valid for `chip` (then at once), the requests disagree or
  /// the algorithm cannot run here. The chips of a group meet in the order
  /// of their calls for that group: their k-th calls meet.
  Ps run(std::uint32_t chip, const Request& req, bool& ok);
  /// Bytes that carry a variable all-to-all message's element count.
  static constexpr std::uint64_t kCountBytes = 4;

  /// Point to point (pipeline parallel): one message of `elements` x
  /// `dtype` from `from` to `to`, injected at `ready` after the launch and
  /// endpoint costs, on the route's link timelines. `data` (may be null:
  /// timing only) is copied. Returns the arrival time at `to`; `ok` false for
  /// a bad peer. Messages are matched in order per (from, to, tag).
  Ps send(std::uint32_t from, std::uint32_t to, std::uint32_t tag, DType dtype, std::uint64_t elements,
          const std::uint8_t* data, Ps ready, bool& ok);
  /// Blocks (SystemC thread) until the matching send was issued; returns
  /// max(ready, its arrival) and copies its data to `out` (if both have
  /// data). `ok` false for a bad peer or a send of another size or type.
  Ps recv(std::uint32_t to, std::uint32_t from, std::uint32_t tag, DType dtype, std::uint64_t elements,
          std::uint8_t* out, Ps ready, bool& ok);

  /// Chips of the network: the peers of point-to-point transfers.
  [[nodiscard]] std::uint32_t chips() const { return net_.chips(); }
  [[nodiscard]] const CollectiveParams& params() const { return params_; }
  [[nodiscard]] Network& network() { return net_; }
  [[nodiscard]] const StatsGroup& stats() const override { return stats_; }
  [[nodiscard]] ComponentKind componentKind() const override { return ComponentKind::Other; }

private:
  struct Call {
    Members members; ///< the group's chips, in rank order
    std::vector<Request> req;
    std::vector<bool> arrived;
    std::uint32_t count = 0, taken = 0;
    bool complete = false, ok = true;
    std::vector<Ps> done;
  };
  void complete(Call& c);
  [[nodiscard]] static std::uint64_t inputElements(const Request& r);
  [[nodiscard]] static std::uint64_t outputElements(const Request& r);

  Network& net_;
  const CollectiveParams params_;
  std::vector<std::uint64_t> seq_; ///< per chip: collectives called
  /// Calls in progress by (the chips' call number, group first chip, group ranks).
  std::map<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>, Call> calls_;
  std::map<std::uint64_t, std::vector<float>> previous_; ///< (tag, rank) -> last input
  std::mt19937_64 rng_;
  sc_core::sc_event completed_;
  struct Message {
    DType dtype = DType::Fp32;
    std::uint64_t elements = 0;
    std::vector<std::uint8_t> data; ///< empty: timing only
    Ps arrival = 0;
  };
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, std::deque<Message>> mailbox_; ///< (from, to, tag)
  sc_core::sc_event delivered_;
  StatsGroup stats_;
  Stat &calls_count_, &time_, &latency_, &skew_, &bytes_, &substitutions_, &stragglers_, &retries_, &retryTimeouts_;
  Stat &transfers_, &transferTime_, &transferLatency_, &transferBytes_, &transferWait_;
  std::vector<Stat*> perAlgorithm_;
};

} // namespace llmvp::models::interconnect
