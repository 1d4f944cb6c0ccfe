// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Writes a chip's manifest (firmware/include/manifest.h) from its layout
/// (host/ChipLayout.h) into control SRAM: the llmvp_manifest, the layer, request
/// and block tables and the prompts, then hands the manifest's address to
/// the firmware through the mailbox.

#include "host/ChipLayout.h"
#include "platform/Chip.h"

namespace llmvp::testbench {

class ManifestWriter {
public:
  ManifestWriter(platform::Chip& chip, const ChipLayout& layout, const RunOptions& options);
  /// Throws ConfigError if the tables do not fit in control SRAM.
  void write() const;

private:
  platform::Chip& chip_;
  const ChipLayout& lay_;
  const RunOptions& opt_;
  const ModelSpec& spec_; ///< lay_.spec
  const Shard& shard_;    ///< lay_.shard
};

} // namespace llmvp::testbench
