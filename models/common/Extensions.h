// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Sideband information carried on TLM generic payloads.

#include <tlm>

namespace llmvp::models {

/// Marks a bulk transfer whose data is not modelled (timing-only mode): the
/// target accounts time, bytes and energy but must not touch the data pointer.
/// Control traffic (descriptors, registers, manifest) never carries it.
struct TimingOnlyExtension : tlm::tlm_extension<TimingOnlyExtension> {
  [[nodiscard]] tlm::tlm_extension_base* clone() const override { return new TimingOnlyExtension; }
  void copy_from(const tlm::tlm_extension_base&) override {}
};

/// True if the payload carries real data.
[[nodiscard]] inline bool carriesData(const tlm::tlm_generic_payload& gp) {
  return gp.get_extension<TimingOnlyExtension>() == nullptr;
}

} // namespace llmvp::models
