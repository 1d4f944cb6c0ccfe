// SPDX-License-Identifier: Apache-2.0
#include "workload/Scenario.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "config/ConfigNode.h"
#include "firmware/include/manifest.h"

namespace llmvp::testbench {

namespace {
constexpr std::uint64_t kMaxRequests = 1u << 20;
constexpr std::uint64_t kMaxTokens = 1u << 24; ///< prompt or generation length of one request
constexpr double kPsPerUs = 1e6;

/// A length distribution: {distribution: fixed, value: N} or
/// {distribution: uniform, min: A, max: B} (integers, both ends included).
struct Lengths {
  bool uniform = false;
  std::uint64_t lo = 0, hi = 0;
  static Lengths load(const ConfigNode& n) {
    Lengths l;
    l.uniform = n.choice("distribution", {"fixed", "uniform"}) == "uniform";
    if (l.uniform) {
      l.lo = n.integer("min", 1, kMaxTokens);
      l.hi = n.integer("max", l.lo, kMaxTokens);
    } else {
      l.lo = l.hi = n.integer("value", 1, kMaxTokens);
    }
    n.finish();
    return l;
  }
  std::uint32_t draw(std::mt19937_64& rng) const {
    return static_cast<std::uint32_t>(uniform ? std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng) : lo);
  }
};

void loadList(const ConfigNode& root, Scenario& s) {
  double last = 0;
  for (const ConfigNode& r : root.mappings("requests")) {
    ServeRequest q;
    const double us = r.number("arrival_us", 0, 1e12);
    if (us < last)
      r.fail("arrival_us",
             "requests must be listed in arrival order (" + std::to_string(us) + " < " + std::to_string(last) + ")");
    last = us;
    q.arrival = static_cast<models::Ps>(std::llround(us * kPsPerUs));
    q.gen = static_cast<std::uint32_t>(r.integer("gen_tokens", 1, kMaxTokens));
    if (r.has("prompt")) {
      for (std::uint64_t t : r.integers("prompt", 0, 0xffffffffu)) q.tokens.push_back(static_cast<std::uint32_t>(t));
      if (q.tokens.empty()) r.fail("prompt", "expected at least one token id");
      q.prompt = static_cast<std::uint32_t>(q.tokens.size());
      if (r.has("prompt_tokens") && r.integer("prompt_tokens", 1, kMaxTokens) != q.prompt)
        r.fail("prompt_tokens", "differs from the length of prompt (" + std::to_string(q.prompt) + ")");
    } else {
      q.prompt = static_cast<std::uint32_t>(r.integer("prompt_tokens", 1, kMaxTokens));
    }
    r.finish();
    s.requests.push_back(std::move(q));
  }
}

void loadGenerator(const ConfigNode& g, Scenario& s, std::uint64_t seed) {
  const auto count = g.integer("count", 1, kMaxRequests);
  if (g.has("seed")) seed = g.integer("seed", 0, ~std::uint64_t{0} >> 1);
  const ConfigNode a = g.child("arrival");
  const std::string process = a.choice("process", {"poisson", "uniform", "burst"});
  const double rate = process == "burst" ? 0 : a.number("rate_per_s", 1e-6, 1e9);
  a.finish();
  const Lengths prompt = Lengths::load(g.child("prompt_tokens"));
  const Lengths gen = Lengths::load(g.child("gen_tokens"));
  g.finish();
  // One stream per quantity, so changing the arrival rate keeps the lengths.
  std::mt19937_64 arrivals(seed), prompts(seed ^ 0x70726f6d7074ull), gens(seed ^ 0x67656eull);
  std::exponential_distribution<double> gap(rate > 0 ? rate : 1.0);
  double t = 0; // seconds
  for (std::uint64_t i = 0; i < count; ++i) {
    if (process == "poisson") t += gap(arrivals);
    if (process == "uniform" && i > 0) t += 1.0 / rate;
    ServeRequest q;
    q.arrival = static_cast<models::Ps>(std::llround(t * 1e12));
    q.prompt = prompt.draw(prompts);
    q.gen = gen.draw(gens);
    s.requests.push_back(q);
  }
}
} // namespace

Scenario loadScenario(const std::string& path, std::uint64_t seed) {
  const ConfigNode root = ConfigNode::load(path, nullptr, "");
  Scenario s;
  s.file = path;
  if (root.choice("kind", {"scenario"}) != "scenario") root.fail("kind", "expected scenario");
  s.name = root.string("name");
  s.maxBatch = static_cast<std::uint32_t>(root.integer("max_batch", 1, LLMVP_MAX_BATCH));
  if (root.has("prefill_chunk")) {
    s.prefillChunk = static_cast<std::uint32_t>(root.integer("prefill_chunk", 0, LLMVP_MAX_PREFILL_CHUNK));
    s.hasPrefillChunk = true;
  }
  const bool list = root.has("requests"), gen = root.has("generator");
  if (list == gen) root.fail(list ? "generator" : "requests", "give either requests (a list) or generator, not both");
  if (list)
    loadList(root, s);
  else
    loadGenerator(root.child("generator"), s, seed);
  root.finish();
  if (s.requests.size() > kMaxRequests)
    root.fail("requests", std::to_string(s.requests.size()) + " requests exceed " + std::to_string(kMaxRequests));
  return s;
}

} // namespace llmvp::testbench
