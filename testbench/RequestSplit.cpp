// SPDX-License-Identifier: Apache-2.0
#include "testbench/RequestSplit.h"

#include <algorithm>
#include <string>
#include <type_traits>

#include "config/ConfigNode.h"
#include "firmware/include/manifest.h"

namespace llmvp::testbench {

std::vector<RunOptions> splitRequests(const RunOptions& options, const ModelSpec& model, std::uint32_t chips) {
  const std::string what = "system.parallel.attention: data: ";
  if (!model.moe.enabled())
    throw ConfigError(what + model.name +
                      " is a dense model; data-parallel attention needs routed experts to dispatch to (use tensor)");
  if (model.moe.experts % chips != 0)
    throw ConfigError(what + std::to_string(chips) + " chips do not divide the model's " +
                      std::to_string(model.moe.experts) + " routed experts (model.moe.experts)");
  if (chips > LLMVP_MAX_EP)
    throw ConfigError(what + std::to_string(chips) + " chips are more than the " + std::to_string(LLMVP_MAX_EP) +
                      " expert-parallel ranks the firmware supports");
  if (options.batch % chips != 0)
    throw ConfigError("--batch: " + std::to_string(options.batch) + " requests do not split evenly over the " +
                      std::to_string(chips) + " chips of data-parallel attention (system.parallel.attention: data)");
  if (!options.serve.empty())
    throw ConfigError("--scenario: serving on several chips is not supported yet; use one chip");
  const std::uint32_t per = options.batch / chips;
  std::vector<std::vector<std::uint32_t>> prompts = options.prompts;
  if (options.functional && prompts.empty())
    prompts = seededPrompts(options.seed, options.batch, options.context, model.vocab);
  if (!prompts.empty() && prompts.size() != options.batch)
    throw ConfigError("prompts: expected one per request (" + std::to_string(options.batch) + ")");
  if (!options.contexts.empty() && options.contexts.size() != options.batch)
    throw ConfigError("--context: " + std::to_string(options.contexts.size()) + " lengths given for batch " +
                      std::to_string(options.batch) + " (give one, or one per request)");
  std::vector<RunOptions> out(chips, options);
  for (std::uint32_t i = 0; i < chips; ++i) {
    RunOptions& o = out[i];
    o.batch = per;
    auto slice = [&](const auto& v) {
      return std::decay_t<decltype(v)>(v.begin() + i * per, v.begin() + (i + 1) * per);
    };
    if (!prompts.empty()) o.prompts = slice(prompts);
    if (!options.contexts.empty()) {
      o.contexts = slice(options.contexts);
      o.context = *std::max_element(o.contexts.begin(), o.contexts.end());
    }
  }
  return out;
}

RunResult mergeRequests(const std::vector<RunResult>& results) {
  RunResult m = results.front();
  m.prompts.clear();
  m.generated.clear();
  m.lastLogits.clear();
  for (const RunResult& r : results) {
    m.prompts.insert(m.prompts.end(), r.prompts.begin(), r.prompts.end());
    m.generated.insert(m.generated.end(), r.generated.begin(), r.generated.end());
    m.lastLogits.insert(m.lastLogits.end(), r.lastLogits.begin(), r.lastLogits.end());
    m.end = std::max(m.end, r.end);
    for (std::size_t s = 0; s < std::min(m.stepEnd.size(), r.stepEnd.size()); ++s)
      m.stepEnd[s] = std::max(m.stepEnd[s], r.stepEnd[s]);
  }
  return m;
}

} // namespace llmvp::testbench
