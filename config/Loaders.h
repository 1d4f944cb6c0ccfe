// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Loaders from YAML files to the typed, validated parameter structs of the
/// platform and the model. Documented key by key in docs/config-reference.md.

#include <string>

#include "config/ConfigNode.h"
#include "platform/ChipParams.h"
#include "platform/SystemParams.h"
#include "workload/ModelSpec.h"
#include "workload/Scenario.h"
#include "workload/TimingRouting.h"

namespace llmvp::testbench {

struct SimParams {
  double quantumNs = 1000;     ///< temporal-decoupling quantum
  double maxSimulatedMs = 1e5; ///< a run that has not finished by then is stopped with an error
};

/// Cost and carbon of operating one chip (the paper's perf/TCO and perf/CO2e).
struct Economics {
  double priceUsd = 0;      ///< purchase price of one chip (with its share of the system)
  double lifetimeYears = 1; ///< amortisation period
  double electricityUsdPerKwh = 0;
  double pue = 1;             ///< data-centre power usage effectiveness
  double gridGco2ePerKwh = 0; ///< operational carbon intensity
  double embodiedKgco2e = 0;  ///< manufacturing carbon, amortised like the price
};

/// Host placement and firmware prefetch when the chip has HBF (chip.hbf).
struct HbfPlacement {
  bool weightsInHbf = true;          ///< read-only tensors (weights) in HBF
  bool kvInHbf = false;              ///< KV cache in HBF: only on explicit request (wear)
  std::uint32_t kvPrefixTokens = 0;  ///< precomputed read-only KV prefix held in HBF
  bool prefixInHbm = false;          ///< kv_prefix: hbm (the HBM-only baseline of the same chip)
  std::string prefetchMode = "none"; ///< chip.hbf.prefetch.mode: sram, hbm or none
  std::uint32_t prefetchDepth = 0;   ///< mode hbm: layers of weights staged in HBM ahead of use (else 0)
};

/// How the host offloads to the near-memory engines when the chip has them
/// (chip.pnm; host/PnmPolicy.h).
struct PnmMapping {
  /// Which operators go to the engines (chip.pnm.offload): auto (the faster
  /// of engines and tile by roofline), pnm (every operator the engines
  /// support), tile (none).
  enum class Offload : std::uint8_t { Auto, Pnm, Tile };
  Offload offload = Offload::Auto;
  /// Column-split partial sums combined by the engines (PNM_REDUCE,
  /// chip.pnm.combine: pnm) rather than by the tile (tile).
  bool reduceOnEngines = false;
};

/// How the host splits a model over a system's chips (system.parallel; one
/// chip: all 1). Chip i is tensor-parallel rank i % tensor of pipeline stage
/// i / tensor; its firmware programs that group into its collectives engine.
struct ParallelMapping {
  std::uint32_t tensor = 1;   ///< chips sharing every layer (heads, kv heads, FFN columns / rows)
  std::uint32_t pipeline = 1; ///< stages, each a contiguous range of layers on its own chip
  /// Data-parallel attention (system.parallel.attention: data): the tensor
  /// group's chips each own batch / tensor requests and hold the whole
  /// model but the routed experts, which they split and reach by all-to-all.
  bool dataAttention = false;
};

struct PlatformConfig {
  std::string name;
  std::string file;
  SimParams sim;
  platform::ChipParams chip;
  Economics economics;
  std::string memspecFile;
  /// Multi-chip system (configs/systems/*.yaml, `kind: system`); chips == 1
  /// for a platform file: a single chip without network.
  platform::SystemParams system;
  ParallelMapping parallel; ///< system.parallel
  std::string systemFile;
  std::string flashspecFile; ///< chip.hbf.flashspec, if the chip has HBF
  HbfPlacement hbf;
  PnmMapping pnm; ///< chip.pnm.offload and combine (ignored without chip.pnm)
};

/// Which kind of config a file holds (its `kind:` key).
enum class ConfigKind { Platform, Model, Memspec, System, Flashspec, Scenario };
[[nodiscard]] ConfigKind configKind(const std::string& path);

/// Loads a platform; `--set` keys start with "sim." or "chip." (memspec keys
/// with "chip.hbm.memspec."). A system file (`kind: system`) names the
/// platform of its chips and adds the network; its keys start with "system.".
[[nodiscard]] PlatformConfig loadPlatform(const std::string& path, Overrides& overrides);
/// Loads a system file: its platform (`platform:`, relative path) for every
/// chip, plus `system:` (chips, parallel, topology, collectives).
[[nodiscard]] PlatformConfig loadSystem(const std::string& path, Overrides& overrides);
/// Loads a memspec into the memory fields of DramParams (organisation,
/// timing, energy); stacks and capacity come from the platform.
void loadMemspec(const std::string& path, Overrides& overrides, const std::string& prefix,
                 models::dram::DramParams& out);
/// Loads a flash spec (kind: flashspec) into the fields of HbfParams other
/// than `stacks`; inconsistent geometry is a ConfigError naming the keys.
void loadFlashSpec(const std::string& path, Overrides& overrides, const std::string& prefix,
                   models::flash::HbfParams& out);
/// Loads configs/models/*.yaml (keys start with "model."), or a Hugging Face
/// checkpoint folder / config.json (weights from model.safetensors beside it).
[[nodiscard]] ModelSpec loadModel(const std::string& path, Overrides& overrides);

/// Loads and checks a scenario file (kind: scenario). `seed` drives a
/// generator that does not give its own. Throws ConfigError naming file and key.
[[nodiscard]] Scenario loadScenario(const std::string& path, std::uint64_t seed);
/// Timing-only expert choice of the compute tiles for `spec` (its
/// moe.timing_routing). A trace file holds one line per TOPK row in execution
/// order (decode step, MoE layer, batch row): top_k distinct expert ids,
/// whitespace separated; blank lines and lines starting with '#' are skipped.
/// Throws ConfigError naming file and line for a malformed trace.
[[nodiscard]] TimingRoutingParams routingParams(const ModelSpec& spec);

} // namespace llmvp::testbench
