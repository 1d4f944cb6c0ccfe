// SPDX-License-Identifier: Apache-2.0
#include "host/HostRuntime.h"

#include <chrono>
#include <sstream>

#include "firmware/include/regs.h"
#include "host/ManifestWriter.h"
#include "host/WeightLoader.h"

namespace llmvp::testbench {

namespace {
const char* engineErrorName(std::uint32_t code) {
  switch (code) {
  case ENG_ERR_BAD_OPCODE: return "bad opcode";
  case ENG_ERR_BAD_DTYPE: return "bad datatype";
  case ENG_ERR_BAD_SHAPE: return "bad shape";
  case ENG_ERR_BUS: return "bus error (unmapped or out-of-range address)";
  case ENG_ERR_BAD_SEM: return "bad semaphore index";
  case ENG_ERR_RING: return "ring misconfigured";
  case ENG_ERR_FETCH: return "descriptor fetch failed";
  case ENG_ERR_GROUP: return "collective without a valid group (descriptor m, k)";
  default: return "unknown error";
  }
}

const char* fieldName(std::uint32_t f) {
  switch (f) {
  case ENG_FIELD_OPCODE: return "opcode";
  case ENG_FIELD_DTYPE: return "dtype";
  case ENG_FIELD_DIMS: return "m/n/k";
  case ENG_FIELD_SRC0: return "src0";
  case ENG_FIELD_SRC1: return "src1";
  case ENG_FIELD_SRC2: return "src2";
  case ENG_FIELD_DST: return "dst";
  case ENG_FIELD_SEM: return "wait_sem/signal_sem";
  default: return "-";
  }
}
} // namespace

std::string HostRuntime::describeError() const {
  const auto& mb = chip_.mailbox();
  const std::uint32_t code = mb.reg(MBOX_ERR_CODE);
  std::ostringstream s;
  if (code == FW_ERR_ENGINE) {
    const std::uint32_t src = mb.reg(MBOX_ERR_SOURCE);
    const std::uint32_t info = mb.reg(MBOX_ERR_INFO);
    s << "device error: "
      << (src == ENG_ID_DMA    ? "DMA engine"
          : src == ENG_ID_TILE ? "compute tile"
          : src == ENG_ID_PNM  ? "PNM engine"
          : src == ENG_ID_PIM  ? "PIM engine"
          : src == ENG_ID_COLL ? "collectives engine"
                               : "engine")
      << " halted on descriptor #" << mb.reg(MBOX_ERR_INDEX) << ": " << engineErrorName(info >> 16) << " (field "
      << fieldName(info & 0xffff) << ")";
  } else if (code == FW_ERR_BAD_MANIFEST) {
    s << "firmware rejected the manifest (field code " << mb.reg(MBOX_ERR_INFO) << ")";
  } else if (code == FW_ERR_NO_SPACE) {
    const bool rings = mb.reg(MBOX_ERR_INFO) == FW_SPACE_RINGS;
    s << "firmware: " << (rings ? "control SRAM work region" : "scratchpad") << " too small for this model and batch ("
      << (rings ? "descriptor rings" : "activation buffers") << " need " << mb.reg(MBOX_ERR_INDEX)
      << " bytes): increase " << (rings ? "chip.ctrl_sram.kib" : "chip.tile.scratchpad.mib") << " or lower --batch"
      << (opt_.prefillChunk != 0 ? " or --prefill-chunk" : "");
  } else {
    s << "firmware error code 0x" << std::hex << code;
  }
  return s.str();
}

HostRuntime::HostRuntime(platform::Chip& chip, const ModelSpec& spec, const RunOptions& options, const Shard& shard)
    : chip_(chip), model_(spec), opt_(options), oracles_(attachRoutingOracles(chip, spec, options, shard)),
      lay_(placeModel(spec, chip.params(), options, shard)) {
  if (opt_.serving()) result_.served.assign(opt_.serve.size(), {});
}

std::vector<std::unique_ptr<TimingRouting>> HostRuntime::attachRoutingOracles(platform::Chip& chip,
                                                                              const ModelSpec& model,
                                                                              const RunOptions& options,
                                                                              const Shard& shard) {
  // The chips of a tensor-parallel group or pipeline use the same seeds, so
  // the ids they replicate agree, as they would on real hardware; with
  // data-parallel attention each chip decodes its own requests and draws its own.
  const auto routing = std::make_shared<const TimingRoutingParams>(routingParams(model));
  const std::uint64_t seed = options.seed + (shard.dataParallel ? kDataParallelSeedStride * shard.rank : 0);
  std::vector<std::unique_ptr<TimingRouting>> oracles;
  for (std::size_t i = 0; i < chip.tileCount(); ++i) {
    oracles.push_back(std::make_unique<TimingRouting>(routing, seed + i));
    chip.tile(i).setRoutingOracle(oracles.back().get());
  }
  return oracles;
}

RunResult HostRuntime::run() { return runAll({this}).front(); }

std::vector<RunResult> HostRuntime::runAll(const std::vector<HostRuntime*>& hosts) {
  // Finish elaboration (socket bindings resolve at its end) so the host can
  // load memory through the address map; nothing advances time yet.
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  const HostRuntime& h0 = *hosts.front();
  Weights weights;
  if (h0.opt_.functional)
    weights = h0.model_.weightSource == WeightSource::Safetensors
                  ? loadSafetensors(h0.model_.safetensorsPath, h0.model_)
                  : makeRandomWeights(h0.model_, h0.opt_.seed);
  for (HostRuntime* h : hosts) h->start(h0.opt_.functional ? &weights : nullptr);
  const auto wall0 = std::chrono::steady_clock::now();
  sc_core::sc_start(sc_core::sc_time(h0.opt_.maxSimulatedMs, sc_core::SC_MS));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::vector<RunResult> out;
  for (HostRuntime* h : hosts) {
    h->finish(wall);
    out.push_back(std::move(h->result_));
  }
  return out;
}

void HostRuntime::start(const Weights* weights) {
  RunResult& r = result_;
  r.prompts = lay_.prompts;
  WeightLoader(chip_, lay_).load(weights);
  ManifestWriter(chip_, lay_, opt_).write();
  r.stepEnd.reserve(lay_.steps);
  chip_.mailbox().onFirmwareWrite = [this](std::uint32_t reg, std::uint32_t value, models::Ps when) {
    if (reg == MBOX_STEP) {
      result_.stepEnd.push_back(when);
    } else if (reg == MBOX_PREFILLED) {
      result_.prefillEnd.push_back(when);
    } else if (reg == MBOX_SERVE_EVENT) {
      const std::uint32_t id = value & ~MBOX_EV_FINISHED;
      if (id < result_.served.size()) {
        ServeRecord& rec = result_.served[id];
        if ((value & MBOX_EV_FINISHED) != 0) {
          rec.finished = when;
          ++served_;
        } else {
          rec.firstToken = when;
        }
      }
    } else if (value == MBOX_ST_RUNNING) {
      result_.decodeStart = when;
      if (running_) running_->notify(sc_core::SC_ZERO_TIME);
    } else if (value == MBOX_ST_DONE) {
      done_ = true;
      result_.end = when;
    } else if (value == MBOX_ST_ERROR) {
      failed_ = true;
      result_.end = when;
    }
  };
  // Steps before the one at position promptLen - 1 only consume the prompt
  // (none after a prefill, which yields the first token itself).
  r.firstGeneratingStep = opt_.prefillChunk != 0 || opt_.serving() ? 0 : lay_.promptLen[0] - 1 - lay_.cachedLen[0];
  r.prefillRowwise = opt_.kvBlockTokens != 0 || lay_.spec.mla.enabled || chip_.pnmCount() != 0;
  if (opt_.serving()) startServe();

  chip_.cpu().releaseReset();
}

void HostRuntime::finish(double wallSeconds) {
  RunResult& r = result_;
  r.wallSeconds = wallSeconds;
  if (r.end == 0) r.end = models::nowPs();

  if (failed_) {
    r.error = describeError();
  } else if (!done_) {
    std::ostringstream s;
    if (!chip_.cpu().fault().empty()) s << "firmware fault: " << chip_.cpu().fault() << "; ";
    if (sc_core::sc_pending_activity())
      s << "firmware did not finish within sim.max_simulated_ms = " << opt_.maxSimulatedMs;
    else
      s << "simulation stalled: firmware is waiting for an event that can never happen (after " << r.stepEnd.size()
        << " of " << lay_.steps << " steps)";
    r.error = s.str();
  } else if (opt_.serving() && (chip_.cpu().exitCode() != 0 || served_ != opt_.serve.size())) {
    r.error = "firmware reported done after serving " + std::to_string(served_) + " of " +
              std::to_string(opt_.serve.size()) + " requests (exit code " + std::to_string(chip_.cpu().exitCode()) +
              ")";
  } else if (!opt_.serving() && (chip_.cpu().exitCode() != 0 || r.stepEnd.size() != lay_.steps ||
                                 (opt_.prefillChunk != 0 && r.prefillEnd.size() != opt_.batch))) {
    r.error = "firmware reported done after " + std::to_string(r.stepEnd.size()) + " of " + std::to_string(lay_.steps) +
              " steps (exit code " + std::to_string(chip_.cpu().exitCode()) + ")";
  }
  r.ok = r.error.empty();
  if (opt_.serving()) { // request i generated tokens[i * stride + prompt ..][gen]
    std::vector<std::uint32_t> tokens(opt_.serve.size() * std::size_t{lay_.placement.tokenStride});
    (void)chip_.debugRead(lay_.placement.tokens, tokens.data(), tokens.size() * 4);
    r.generated.assign(opt_.serve.size(), {});
    for (std::size_t i = 0; i < opt_.serve.size(); ++i) {
      if (r.served[i].finished == 0) continue;
      const auto at =
          tokens.begin() + static_cast<std::ptrdiff_t>(i * lay_.placement.tokenStride + opt_.serve[i].prompt);
      r.generated[i].assign(at, at + opt_.serve[i].gen);
    }
    return;
  }

  // Generated tokens (and logits) as the firmware left them.
  std::vector<std::uint32_t> tokens(std::size_t{opt_.batch} * lay_.placement.tokenStride);
  (void)chip_.debugRead(lay_.placement.tokens, tokens.data(), tokens.size() * 4);
  r.generated.assign(opt_.batch, {});
  const std::uint32_t produced = static_cast<std::uint32_t>(r.stepEnd.size());
  for (std::uint32_t q = 0; q < opt_.batch; ++q) {
    const std::size_t row = std::size_t{q} * lay_.placement.tokenStride;
    if (opt_.prefillChunk != 0) { // the prefill's token at promptLen, then one per step
      if (r.prefillEnd.size() > q) r.generated[q].push_back(tokens[row + lay_.promptLen[q]]);
      for (std::uint32_t s = 0; s < produced; ++s) r.generated[q].push_back(tokens[row + lay_.promptLen[q] + s + 1]);
      continue;
    }
    for (std::uint32_t s = r.firstGeneratingStep; s < produced; ++s)
      r.generated[q].push_back(tokens[row + lay_.cachedLen[q] + s + 1]);
  }
  if (opt_.captureLogits && lay_.placement.logits != 0) {
    const std::size_t n = std::size_t{lay_.spec.vocab};
    std::vector<std::uint8_t> raw(opt_.batch * n * models::dtypeBytes(lay_.spec.actDtype));
    (void)chip_.debugRead(lay_.placement.logits, raw.data(), raw.size());
    r.lastLogits.assign(opt_.batch, std::vector<float>(n));
    for (std::uint32_t q = 0; q < opt_.batch; ++q)
      for (std::size_t j = 0; j < n; ++j)
        r.lastLogits[q][j] = models::loadElement(raw.data(), lay_.spec.actDtype, q * n + j);
  }
}

} // namespace llmvp::testbench
