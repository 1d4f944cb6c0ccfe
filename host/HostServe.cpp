// SPDX-License-Identifier: Apache-2.0
// The host side of serving with continuous batching (manifest.h serve_requests):
// the host submits each request of the scenario at its arrival time through
// the mailbox; the firmware admits, prefills, decodes and retires them
// (firmware/src/serve.h).
#include <algorithm>
#include <random>
#include <systemc>

#include "config/ConfigNode.h"
#include "firmware/include/manifest.h"
#include "firmware/include/regs.h"
#include "host/HostRuntime.h"
#include "host/Placer.h"

namespace llmvp::testbench {

void Placer::prepareServe() {
  const std::string what = "--scenario " + opt_.scenarioName + ": ";
  if (shard_.ranks > 1) throw ConfigError(what + "serving on several chips is not supported yet; use one chip");
  if (chip_.pnmCount != 0)
    throw ConfigError(what + "serving with near-memory offload (pnm/pim platforms) is not supported yet");
  if (chip_.hasHbf && (opt_.hbf.prefetchDepth != 0 || opt_.hbf.kvPrefixTokens != 0))
    throw ConfigError(what + "serving is not supported with HBF weight prefetch or a shared KV prefix (set "
                             "chip.hbf.prefetch.depth=0 and chip.hbf.placement.kv_prefix_tokens=0)");
  if (!opt_.contexts.empty()) throw ConfigError(what + "--context lists do not apply to a scenario");
  std::mt19937_64 rng(opt_.seed);
  std::uint64_t longest = 0;
  lay_.prompts.clear();
  for (std::size_t i = 0; i < opt_.serve.size(); ++i) {
    const ServeRequest& q = opt_.serve[i];
    if (q.prompt == 0 || q.gen == 0)
      throw ConfigError(what + "request " + std::to_string(i) + ": prompt and generation need at least one token");
    std::vector<std::uint32_t> p = q.tokens;
    if (p.empty()) {
      p.resize(q.prompt);
      for (auto& t : p) t = static_cast<std::uint32_t>(rng() % spec_.vocab);
    }
    for (auto t : p)
      if (t >= spec_.vocab)
        throw ConfigError(what + "request " + std::to_string(i) + ": prompt token " + std::to_string(t) + " >= vocab " +
                          std::to_string(spec_.vocab));
    lay_.prompts.push_back(std::move(p));
    longest = std::max<std::uint64_t>(longest, std::uint64_t{q.prompt} + q.gen);
  }
  if (longest > (1u << 30)) throw ConfigError(what + "a request's prompt + generation exceeds 2^30 tokens");
  // Every slot holds the longest request: its last step processes position
  // prompt + gen - 2, and the token buffer holds prompt + gen tokens.
  lay_.placement.maxContext = static_cast<std::uint32_t>(longest);
  lay_.steps = 0;
}

void HostRuntime::startServe() {
  running_ = std::make_unique<sc_core::sc_event>();
  sc_core::sc_spawn([this] {
    if (result_.decodeStart == 0) sc_core::wait(*running_);
    const models::Ps t0 = result_.decodeStart;
    for (std::size_t i = 0; i < opt_.serve.size() && !failed_; ++i) {
      const models::Ps at = t0 + opt_.serve[i].arrival;
      if (at > models::nowPs()) sc_core::wait(models::fromPs(at - models::nowPs()));
      const llmvp_serve_request e{opt_.serve[i].prompt, opt_.serve[i].gen, {0, 0}};
      bool ok = chip_.debugWrite(lay_.serveTable + i * sizeof e, &e, sizeof e);
      ok = ok && chip_.debugWrite(lay_.placement.tokens + i * std::uint64_t{lay_.placement.tokenStride} * 4,
                                  lay_.prompts[i].data(), lay_.prompts[i].size() * 4);
      if (!ok) throw std::logic_error("host: request write outside device memory");
      result_.served[i].arrival = at;
      chip_.mailbox().hostWrite(MBOX_SUBMITTED, static_cast<std::uint32_t>(i + 1));
      chip_.mailbox().hostWrite(MBOX_HOST_IRQ, 1);
    }
  });
}

} // namespace llmvp::testbench
