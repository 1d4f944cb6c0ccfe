// SPDX-License-Identifier: Apache-2.0
#pragma once
/// What every memory target (FastDram, StackedDram, Hbf) does with a
/// loosely-timed payload before and after timing it.

#include <tlm>

#include "models/common/BackingStore.h"
#include "models/common/Extensions.h"

namespace llmvp::models {

/// A non-empty range inside `store` and no byte enables; otherwise sets the
/// error response and returns false.
[[nodiscard]] inline bool acceptPayload(const BackingStore& store, tlm::tlm_generic_payload& gp) {
  if (gp.get_data_length() == 0 || !store.contains(gp.get_address(), gp.get_data_length())) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  return true;
}

/// Copies the payload's data to or from `store` (functional runs only).
inline void movePayloadData(BackingStore& store, tlm::tlm_generic_payload& gp) {
  if (!carriesData(gp)) return;
  if (gp.is_write())
    store.write(gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
  else
    store.read(gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
}

} // namespace llmvp::models
