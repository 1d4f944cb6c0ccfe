// SPDX-License-Identifier: Apache-2.0
// The functional platform (firmware + engines + memories on real data)
// against the plain C++ reference transformer (tests/golden): identical
// generated tokens, and final-step logits within a stated tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "testbench/Simulation.h"
#include "tests/golden/Reference.h"
#include "tests/support/Cli.h"
#include "tests/support/Logits.h"
#include "workload/Weights.h"

namespace llmvp::test {
namespace {

struct Case {
  std::uint64_t seed = 1;
  std::uint32_t batch = 1;
  std::uint32_t prompt = 6;
  std::uint32_t gen = 8;
  std::vector<std::string> overrides;
  std::string model = config("models/tiny-llama.yaml");
  std::uint32_t kvBlockTokens = 0; ///< paged KV cache (0: contiguous)
  std::uint32_t prefillChunk = 0;  ///< prefill the prompt in chunks (0: token by token)
};

void checkAgainstGolden(const Case& c, const testbench::Weights* explicitWeights = nullptr) {
  testbench::SimulationInputs in;
  in.platformFile = config("platforms/baseline.yaml");
  in.modelFile = c.model;
  in.overrides = c.overrides;
  in.options.functional = true;
  in.options.batch = c.batch;
  in.options.context = c.prompt;
  in.options.genTokens = c.gen;
  in.options.seed = c.seed;
  in.options.captureLogits = true;
  in.options.kvBlockTokens = c.kvBlockTokens;
  in.options.prefillChunk = c.prefillChunk;
  const testbench::SimulationOutput out = testbench::simulate(in);
  ASSERT_TRUE(out.result.ok) << out.result.error;

  const testbench::Weights weights =
      explicitWeights ? *explicitWeights : testbench::makeRandomWeights(out.model, c.seed);
  golden::ReferenceTransformer ref(out.model, weights, c.batch, c.prompt + c.gen);
  std::vector<std::vector<float>> refLogits;
  const auto expected = ref.generate(out.result.prompts, c.gen, &refLogits);

  ASSERT_EQ(out.result.generated.size(), expected.size());
  for (std::size_t r = 0; r < expected.size(); ++r) EXPECT_EQ(out.result.generated[r], expected[r]) << "request " << r;

  expectLogitsClose(out.result.lastLogits, refLogits);
  // The tokens are not degenerate: a model that always emits one id would hide bugs.
  std::vector<std::uint32_t> all;
  for (const auto& g : expected) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  EXPECT_GT(std::unique(all.begin(), all.end()) - all.begin(), 1);
}

TEST(Functional, TinyLlamaSeed1) { checkAgainstGolden({}); }
TEST(Functional, TinyLlamaSeed2LongerPrompt) { checkAgainstGolden({2, 1, 12, 6, {}}); }
TEST(Functional, TinyLlamaSeed3SingleTokenPrompt) { checkAgainstGolden({3, 1, 1, 10, {}}); }
TEST(Functional, BatchOfThree) { checkAgainstGolden({4, 3, 5, 6, {}}); }
TEST(Functional, Fp8KvCache) { checkAgainstGolden({5, 2, 6, 6, {"model.dtypes.kv=fp8"}}); }
TEST(Functional, Fp8Weights) { checkAgainstGolden({6, 1, 6, 6, {"model.dtypes.weights=fp8"}}); }
TEST(Functional, Fp32Activations) { checkAgainstGolden({7, 2, 4, 6, {"model.dtypes.activations=fp32"}}); }
TEST(Functional, TiedEmbeddingsMoreLayers) {
  checkAgainstGolden({8, 1, 5, 6, {"model.tie_embeddings=true", "model.layers=6"}});
}

// Model zoo (issue 4): q/k/v biases (Qwen2 structure) and mixture of experts
// (router, top-k, grouped expert GEMVs, weighted combine, shared expert).
TEST(Functional, TinyQwenBiases) { checkAgainstGolden({21, 1, 6, 8, {}, config("models/tiny-qwen.yaml")}); }
TEST(Functional, TinyQwenBiasesBatch2) { checkAgainstGolden({22, 2, 5, 6, {}, config("models/tiny-qwen.yaml")}); }
TEST(Functional, TinyMoe) { checkAgainstGolden({23, 1, 6, 8, {}, config("models/tiny-moe.yaml")}); }
TEST(Functional, TinyMoeBatch3) { checkAgainstGolden({24, 3, 5, 6, {}, config("models/tiny-moe.yaml")}); }
TEST(Functional, TinyMoeSigmoidRouterNoSharedExpert) {
  checkAgainstGolden({25,
                      2,
                      5,
                      6,
                      {"model.moe.scoring=sigmoid", "model.moe.routed_scale=2.5", "model.moe.shared_experts=0",
                       "model.moe.dense_layers=0", "model.moe.top_k=3"},
                      config("models/tiny-moe.yaml")});
}

// Group-quantised projections (int8 / int4 with bf16 scales per group): the
// device decodes the packed format, the reference multiplies by q * scale.
std::string quantizedModel(const ScratchDir& dir, const std::string& base, const std::string& type, int group) {
  dir.write("q.yaml", slurp(config("models/" + base)) + "quantization:\n  weights: " + type +
                          "\n  group_size: " + std::to_string(group) + "\n");
  return dir.file("q.yaml");
}
TEST(Functional, TinyLlamaInt8Weights) {
  ScratchDir dir("int8");
  checkAgainstGolden({31, 2, 5, 6, {}, quantizedModel(dir, "tiny-llama.yaml", "int8", 32)});
}
TEST(Functional, TinyLlamaInt4Weights) {
  ScratchDir dir("int4");
  checkAgainstGolden({32, 2, 5, 6, {}, quantizedModel(dir, "tiny-llama.yaml", "int4", 32)});
}
TEST(Functional, TinyMoeInt4Weights) {
  ScratchDir dir("moeint4");
  checkAgainstGolden({33, 2, 5, 6, {}, quantizedModel(dir, "tiny-moe.yaml", "int4", 64)});
}
TEST(Functional, TinyQwenInt8WeightsWithBiases) {
  ScratchDir dir("qweni8");
  checkAgainstGolden({34, 1, 5, 6, {}, quantizedModel(dir, "tiny-qwen.yaml", "int8", 128)});
}

// Paged KV cache (block tables in control SRAM, blocks scattered by a seeded
// shuffle): the layout must not change a single token.
TEST(Functional, PagedKvCacheBatch3) {
  Case c{41, 3, 7, 6, {}, config("models/tiny-llama.yaml")};
  c.kvBlockTokens = 4;
  checkAgainstGolden(c);
}
TEST(Functional, PagedKvCacheMoeBlockOfOne) {
  Case c{42, 2, 5, 5, {}, config("models/tiny-moe.yaml")};
  c.kvBlockTokens = 1;
  checkAgainstGolden(c);
}

// Multi-head latent attention (DeepSeek-V3 structure, absorbed projections,
// latent KV cache) with MoE: identical tokens to the reference.
TEST(Functional, TinyMla) { checkAgainstGolden({51, 1, 6, 8, {}, config("models/tiny-mla.yaml")}); }
TEST(Functional, TinyMlaBatch3PagedKv) {
  Case c{52, 3, 5, 6, {}, config("models/tiny-mla.yaml")};
  c.kvBlockTokens = 4;
  checkAgainstGolden(c);
}
TEST(Functional, TinyMlaNoQueryLoraFp8Kv) {
  checkAgainstGolden({53, 2, 5, 6, {"model.mla.q_lora_rank=0", "model.dtypes.kv=fp8"}, config("models/tiny-mla.yaml")});
}

// Prefill (GEMMs over a chunk of prompt rows, one causal ATTN_PREFILL per
// layer) must give the same tokens as feeding the prompt token by token.
TEST(Functional, PrefillInChunksBatch2) {
  Case c{61, 2, 7, 5, {}, config("models/tiny-llama.yaml")};
  c.prefillChunk = 3; // chunks of 3, 3 and 1 token
  checkAgainstGolden(c);
}
TEST(Functional, PrefillWholePromptMoe) {
  Case c{62, 1, 9, 4, {}, config("models/tiny-moe.yaml")};
  c.prefillChunk = 16;
  checkAgainstGolden(c);
}
TEST(Functional, PrefillQwenBiases) {
  Case c{63, 3, 6, 3, {}, config("models/tiny-qwen.yaml")};
  c.prefillChunk = 4;
  checkAgainstGolden(c);
}
// With a paged cache or MLA a chunk runs as decode-style rows at consecutive
// positions (plan.h fw_prefill_rowwise): chunks that straddle KV blocks.
TEST(Functional, PrefillPagedKv) {
  Case c{64, 2, 9, 4, {}, config("models/tiny-llama.yaml")};
  c.prefillChunk = 3; // blocks of 4: chunks at 0, 3, 6 cross block edges
  c.kvBlockTokens = 4;
  checkAgainstGolden(c);
}
TEST(Functional, PrefillMla) {
  Case c{65, 2, 7, 5, {}, config("models/tiny-mla.yaml")};
  c.prefillChunk = 4;
  checkAgainstGolden(c);
}
TEST(Functional, PrefillMlaPagedFp8Kv) {
  Case c{66, 3, 6, 4, {"model.dtypes.kv=fp8"}, config("models/tiny-mla.yaml")};
  c.prefillChunk = 5;
  c.kvBlockTokens = 2;
  checkAgainstGolden(c);
}

// A Hugging Face checkpoint (config.json + model.safetensors) written by the
// test, loaded by the host runtime, decoded by the firmware.
TEST(Functional, SafetensorsCheckpoint) {
  ScratchDir dir("safetensors");
  testbench::ModelSpec spec;
  spec.name = "ckpt";
  spec.layers = 3;
  spec.hidden = 96;
  spec.heads = 6;
  spec.kvHeads = 2;
  spec.headDim = 16;
  spec.ffn = 160;
  spec.vocab = 300;
  spec.ropeTheta = 10000.0f;
  spec.initStd = 0.05f;
  const testbench::Weights w = testbench::makeRandomWeights(spec, 99);
  testbench::writeHfConfig(dir.file("config.json"), spec);
  testbench::writeSafetensors(dir.file("model.safetensors"), spec, w);
  Case c;
  c.seed = 11;
  c.model = dir.file("");
  checkAgainstGolden(c, &w);
}

} // namespace
} // namespace llmvp::test
