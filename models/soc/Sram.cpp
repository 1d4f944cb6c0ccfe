// SPDX-License-Identifier: Apache-2.0
#include "models/soc/Sram.h"

#include "models/common/Extensions.h"

namespace llmvp::models::soc {

Sram::Sram(const sc_core::sc_module_name& name, const SramParams& params)
    : sc_module(name), socket("socket"), params_(params), store_(params.bytes), stats_(this->name()),
      bytesRead_(stats_.add("bytes_read", "bytes read", Unit::Bytes)),
      bytesWritten_(stats_.add("bytes_written", "bytes written", Unit::Bytes)),
      busy_(stats_.add("busy", "time the array was transferring", Unit::Ps)),
      energy_(stats_.add("energy", "dynamic access energy", Unit::Pj)) {
  socket.register_b_transport(this, &Sram::b_transport);
  socket.register_transport_dbg(this, &Sram::transport_dbg);
}

Ps Sram::accessLocal(bool write, std::uint64_t offset, std::uint8_t* data, std::uint64_t bytes, Ps at, bool& ok) {
  ok = store_.contains(offset, bytes);
  if (!ok) return at;
  if (data != nullptr) {
    if (write)
      store_.write(offset, data, bytes);
    else
      store_.read(offset, data, bytes);
  }
  const Ps duration = bytesToPs(static_cast<double>(bytes), params_.bandwidthGBps);
  const Ps start = timeline_.reserve(at, duration);
  (write ? bytesWritten_ : bytesRead_) += static_cast<double>(bytes);
  busy_ += static_cast<double>(duration);
  energy_ += static_cast<double>(bytes) * 8.0 * params_.pjPerBit;
  return start + duration + nsToPs(params_.latencyNs);
}

void Sram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  if (gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (gp.get_streaming_width() < gp.get_data_length()) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  bool ok = false;
  const Ps at = nowPs() + toPs(delay);
  const Ps done = accessLocal(gp.is_write(), gp.get_address(), carriesData(gp) ? gp.get_data_ptr() : nullptr,
                              gp.get_data_length(), at, ok);
  if (!ok) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  delay = fromPs(done - nowPs());
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned Sram::transport_dbg(tlm::tlm_generic_payload& gp) {
  return store_.debugAccess(gp.is_write(), gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
}

} // namespace llmvp::models::soc
