// SPDX-License-Identifier: Apache-2.0
#include "workload/TimingRouting.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace llmvp::testbench {

TimingRouting::TimingRouting(std::shared_ptr<const TimingRoutingParams> params, std::uint64_t seed)
    : params_(std::move(params)), rng_(seed) {}

std::uint32_t TimingRouting::token(std::uint32_t vocab) { return static_cast<std::uint32_t>(rng_() % vocab); }

void TimingRouting::choose(std::uint32_t n, std::uint32_t k, std::uint32_t* ids) {
  using D = RoutingDistribution;
  const TimingRoutingParams& rp = *params_;
  if (rp.distribution == D::Trace && !rp.trace.empty()) {
    const auto& rec = rp.trace[traceNext_++ % rp.trace.size()];
    for (std::uint32_t j = 0; j < k; ++j) ids[j] = j < rec.size() ? rec[j] % n : j; // the loader checked sizes
    return;
  }
  if (rp.distribution == D::Zipf && zipfCdf_.size() != n) {
    zipfCdf_.assign(n, 0.0);
    double c = 0;
    for (std::uint32_t i = 0; i < n; ++i)
      zipfCdf_[i] = c += 1.0 / std::pow(static_cast<double>(i) + 1, rp.zipfExponent);
  }
  for (std::uint32_t j = 0; j < k; ++j) {
    std::uint32_t e = 0;
    do {
      if (rp.distribution == D::Zipf) {
        const double u = std::uniform_real_distribution<double>(0.0, zipfCdf_.back())(rng_);
        e = static_cast<std::uint32_t>(std::upper_bound(zipfCdf_.begin(), zipfCdf_.end(), u) - zipfCdf_.begin());
        if (e >= n) e = n - 1;
      } else {
        e = static_cast<std::uint32_t>(rng_() % n);
      }
    } while (std::find(ids, ids + j, e) != ids + j); // k distinct experts
    ids[j] = e;
  }
}

} // namespace llmvp::testbench
