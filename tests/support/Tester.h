// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Test-bench helpers: a tester initiator with doWrite/doRead returning the
/// TLM response status (QBox TEST_BENCH style), scripted register steps
/// (libsystemctlm style) and runScript(), which runs test code in a SystemC
/// thread and simulates until nothing is left to do.
///
/// Timed accesses (doWrite, doRead, transport) must be called from a SystemC
/// thread, i.e. inside runScript(); they block the caller for the annotated
/// delay, so the script's kernel time always equals its local time. The
/// debug accesses may be called anywhere, including from the test body
/// between runScript() calls.

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include <gtest/gtest.h>

namespace llmvp::test {

using tlm::tlm_response_status;

class Tester : public sc_core::sc_module {
public:
  tlm_utils::simple_initiator_socket<Tester> socket;

  explicit Tester(const sc_core::sc_module_name& name) : sc_module(name), socket("socket") {}

  /// One timed transaction issued at the caller's time plus `annotated`;
  /// does not wait. Returns the status; `delay` receives the returned delay.
  tlm_response_status transport(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len,
                                sc_core::sc_time& delay, unsigned char* byteEnables = nullptr,
                                unsigned byteEnableLen = 0, unsigned streamingWidth = 0) {
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(static_cast<unsigned char*>(data));
    gp.set_data_length(len);
    gp.set_streaming_width(streamingWidth == 0 ? len : streamingWidth);
    gp.set_byte_enable_ptr(byteEnables);
    gp.set_byte_enable_length(byteEnableLen);
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(gp, delay);
    return gp.get_response_status();
  }

  /// Sends a payload the caller prepared (extensions, commands); does not wait.
  tlm_response_status send(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    socket->b_transport(gp, delay);
    return gp.get_response_status();
  }

  /// Timed write/read that then waits for the returned delay.
  tlm_response_status doWrite(std::uint64_t addr, const void* data, unsigned len) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const auto st = transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len, delay);
    finish(delay);
    return st;
  }
  tlm_response_status doRead(std::uint64_t addr, void* data, unsigned len) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const auto st = transport(tlm::TLM_READ_COMMAND, addr, data, len, delay);
    finish(delay);
    return st;
  }
  tlm_response_status doWrite(std::uint64_t addr, std::uint32_t value) { return doWrite(addr, &value, 4); }
  tlm_response_status doRead(std::uint64_t addr, std::uint32_t& value) { return doRead(addr, &value, 4); }
  /// Register read that expects success (test failure otherwise).
  std::uint32_t read32(std::uint64_t addr) {
    std::uint32_t v = 0xdeadbeef;
    EXPECT_EQ(doRead(addr, v), tlm::TLM_OK_RESPONSE) << "read of 0x" << std::hex << addr;
    return v;
  }
  void write32(std::uint64_t addr, std::uint32_t value) {
    EXPECT_EQ(doWrite(addr, value), tlm::TLM_OK_RESPONSE) << "write of 0x" << std::hex << addr;
  }

  /// Untimed (debug) access; returns the byte count the target reported.
  unsigned debug(tlm::tlm_command cmd, std::uint64_t addr, void* data, unsigned len) {
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(static_cast<unsigned char*>(data));
    gp.set_data_length(len);
    return socket->transport_dbg(gp);
  }
  std::uint32_t debugRead32(std::uint64_t addr) {
    std::uint32_t v = 0xdeadbeef;
    EXPECT_EQ(debug(tlm::TLM_READ_COMMAND, addr, &v, 4), 4u) << "debug read of 0x" << std::hex << addr;
    return v;
  }

  [[nodiscard]] sc_core::sc_time lastDelay() const { return lastDelay_; }

private:
  void finish(const sc_core::sc_time& delay) {
    lastDelay_ = delay;
    sc_core::wait(delay);
  }
  sc_core::sc_time lastDelay_;
};

/// One step of a scripted register test.
struct RegStep {
  enum class Op { Write, Read } op;
  std::uint64_t addr;
  std::uint32_t value; ///< written, or expected on read
  tlm_response_status status = tlm::TLM_OK_RESPONSE;
  std::uint32_t mask = 0xffffffffu; ///< bits of a read that are compared
};
inline RegStep wr(std::uint64_t addr, std::uint32_t v, tlm_response_status st = tlm::TLM_OK_RESPONSE) {
  return {RegStep::Op::Write, addr, v, st};
}
inline RegStep rd(std::uint64_t addr, std::uint32_t v, tlm_response_status st = tlm::TLM_OK_RESPONSE,
                  std::uint32_t mask = 0xffffffffu) {
  return {RegStep::Op::Read, addr, v, st, mask};
}

/// Runs the steps in order from a SystemC thread; each mismatch is a test
/// failure naming the step.
inline void runSteps(Tester& t, const std::vector<RegStep>& steps, const std::string& what = "") {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const RegStep& s = steps[i];
    if (s.op == RegStep::Op::Write) {
      EXPECT_EQ(t.doWrite(s.addr, s.value), s.status) << what << " step " << i << ": write 0x" << std::hex << s.addr;
    } else {
      std::uint32_t v = 0;
      const auto st = t.doRead(s.addr, v);
      EXPECT_EQ(st, s.status) << what << " step " << i << ": read 0x" << std::hex << s.addr;
      if (st == tlm::TLM_OK_RESPONSE && s.status == tlm::TLM_OK_RESPONSE) {
        EXPECT_EQ(v & s.mask, s.value & s.mask) << what << " step " << i << ": read 0x" << std::hex << s.addr;
      }
    }
  }
}

/// Runs `script` in a new SystemC thread and simulates until no activity is
/// left (starvation). May be called several times in one test.
inline void runScript(std::function<void()> script) {
  sc_core::sc_spawn(std::move(script));
  sc_core::sc_start();
}

/// Current kernel time in ps.
[[nodiscard]] inline std::uint64_t nowPsTest() { return sc_core::sc_time_stamp().value(); }
[[nodiscard]] inline sc_core::sc_time ps(std::uint64_t v) { return sc_core::sc_time::from_value(v); }
[[nodiscard]] inline sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

} // namespace llmvp::test
