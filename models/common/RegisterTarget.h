// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Decoding of 32-bit register accesses for memory-mapped devices. A device
/// derives from RegisterTarget, implements readReg/writeReg, and forwards its
/// target socket's b_transport and transport_dbg to handle()/handleDebug().

#include <cstdint>
#include <cstring>
#include <tlm>

#include "models/common/Time.h"

namespace llmvp::models {

class RegisterTarget {
public:
  virtual ~RegisterTarget() = default;

protected:
  /// Reads register `offset`; returns false if there is none.
  virtual bool readReg(std::uint32_t offset, std::uint32_t& value) = 0;
  /// Writes register `offset` at absolute time `when`; false if there is none
  /// or it is read-only.
  virtual bool writeReg(std::uint32_t offset, std::uint32_t value, Ps when) = 0;

  /// Timed access: 4- or 8-byte aligned accesses (an 8-byte access is two
  /// registers, low word first; streaming is not supported). Adds `latency`
  /// to `delay`.
  void handle(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay, Ps latency) {
    delay += fromPs(latency);
    if (gp.get_streaming_width() < gp.get_data_length())
      gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    else
      gp.set_response_status(access(gp, nowPs() + toPs(delay)));
  }
  unsigned handleDebug(tlm::tlm_generic_payload& gp) {
    return access(gp, nowPs()) == tlm::TLM_OK_RESPONSE ? gp.get_data_length() : 0;
  }

private:
  tlm::tlm_response_status access(tlm::tlm_generic_payload& gp, Ps when) {
    const auto addr = static_cast<std::uint32_t>(gp.get_address());
    const unsigned len = gp.get_data_length();
    if ((len != 4 && len != 8) || (addr % 4) != 0 || gp.get_byte_enable_ptr() != nullptr)
      return tlm::TLM_BURST_ERROR_RESPONSE;
    std::uint8_t* data = gp.get_data_ptr();
    for (unsigned w = 0; w < len / 4; ++w) {
      std::uint32_t v = 0;
      if (gp.is_read()) {
        if (!readReg(addr + 4 * w, v)) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
        std::memcpy(data + std::size_t{4} * w, &v, 4);
      } else if (gp.is_write()) {
        std::memcpy(&v, data + std::size_t{4} * w, 4);
        if (!writeReg(addr + 4 * w, v, when)) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
      } else {
        return tlm::TLM_COMMAND_ERROR_RESPONSE;
      }
    }
    return tlm::TLM_OK_RESPONSE;
  }
};

} // namespace llmvp::models
