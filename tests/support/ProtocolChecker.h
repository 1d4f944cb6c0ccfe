// SPDX-License-Identifier: Apache-2.0
#pragma once
/// A pass-through module that checks the TLM-2.0 base-protocol rules that
/// apply to b_transport and transport_dbg (IEEE 1666-2011 ch. 14, the subset
/// the Accellera tlm2_base_protocol_checker enforces for blocking transport;
/// that checker is not shipped by Debian's libsystemc-dev). Put one between
/// every initiator and target of a unit test and expect no violations.
///
/// Initiator side (before forwarding): response status INCOMPLETE, data
/// pointer set, data length and streaming width non-zero, a byte-enable
/// pointer comes with a non-zero length, DMI hint cleared.
/// Target side (on return): response status no longer INCOMPLETE; command,
/// address, data pointer, data length, streaming width and byte-enable
/// attributes unchanged; the annotated delay did not decrease; a target that
/// does not support byte enables or streaming (the default: no model here
/// does) did not answer OK to a request that used them.

#include <cstdint>
#include <sstream>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

namespace llmvp::test {

struct ProtocolCheckerOptions {
  bool targetSupportsByteEnables = false;
  bool targetSupportsStreaming = false;
};

class ProtocolChecker : public sc_core::sc_module {
public:
  tlm_utils::simple_target_socket<ProtocolChecker> targetSocket;       ///< the initiator binds here
  tlm_utils::simple_initiator_socket<ProtocolChecker> initiatorSocket; ///< bind to the target

  explicit ProtocolChecker(const sc_core::sc_module_name& name, ProtocolCheckerOptions options = {})
      : sc_module(name), targetSocket("targetSocket"), initiatorSocket("initiatorSocket"), options_(options) {
    targetSocket.register_b_transport(this, &ProtocolChecker::b_transport);
    targetSocket.register_transport_dbg(this, &ProtocolChecker::transport_dbg);
  }

  [[nodiscard]] const std::vector<std::string>& violations() const { return violations_; }
  [[nodiscard]] std::uint64_t transactions() const { return transactions_; }
  [[nodiscard]] std::uint64_t debugTransactions() const { return debugTransactions_; }
  /// All violations, one per line (for test failure messages).
  [[nodiscard]] std::string report() const {
    std::string s;
    for (const auto& v : violations_) s += std::string(name()) + ": " + v + "\n";
    return s;
  }

private:
  struct Snapshot {
    tlm::tlm_command cmd;
    std::uint64_t address;
    unsigned char* data;
    unsigned length;
    unsigned streamingWidth;
    unsigned char* byteEnables;
    unsigned byteEnableLength;
    explicit Snapshot(const tlm::tlm_generic_payload& gp)
        : cmd(gp.get_command()), address(gp.get_address()), data(gp.get_data_ptr()), length(gp.get_data_length()),
          streamingWidth(gp.get_streaming_width()), byteEnables(gp.get_byte_enable_ptr()),
          byteEnableLength(gp.get_byte_enable_length()) {}
  };

  void violation(const tlm::tlm_generic_payload& gp, const std::string& what) {
    std::ostringstream s;
    s << "@" << sc_core::sc_time_stamp() << " addr 0x" << std::hex << gp.get_address() << std::dec << " len "
      << gp.get_data_length() << ": " << what;
    violations_.push_back(s.str());
  }
  void check(bool ok, const tlm::tlm_generic_payload& gp, const char* what) {
    if (!ok) violation(gp, what);
  }

  void checkUnchanged(const Snapshot& s, const tlm::tlm_generic_payload& gp) {
    check(gp.get_command() == s.cmd, gp, "target changed the command");
    check(gp.get_address() == s.address, gp, "address not restored on return");
    check(gp.get_data_ptr() == s.data, gp, "target changed the data pointer");
    check(gp.get_data_length() == s.length, gp, "target changed the data length");
    check(gp.get_streaming_width() == s.streamingWidth, gp, "target changed the streaming width");
    check(gp.get_byte_enable_ptr() == s.byteEnables, gp, "target changed the byte-enable pointer");
    check(gp.get_byte_enable_length() == s.byteEnableLength, gp, "target changed the byte-enable length");
  }

  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    ++transactions_;
    check(gp.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE, gp,
          "request: response status must be TLM_INCOMPLETE_RESPONSE");
    check(gp.get_data_ptr() != nullptr, gp, "request: null data pointer");
    check(gp.get_data_length() > 0, gp, "request: data length 0");
    check(gp.get_streaming_width() > 0, gp, "request: streaming width 0");
    check(gp.get_byte_enable_ptr() == nullptr || gp.get_byte_enable_length() > 0, gp,
          "request: byte-enable pointer with length 0");
    check(!gp.is_dmi_allowed(), gp, "request: DMI-allowed hint must be cleared by the initiator");
    const Snapshot before(gp);
    const sc_core::sc_time delayBefore = delay;

    initiatorSocket->b_transport(gp, delay);

    check(gp.get_response_status() != tlm::TLM_INCOMPLETE_RESPONSE, gp, "response: status left INCOMPLETE");
    checkUnchanged(before, gp);
    check(delay >= delayBefore, gp, "response: annotated delay decreased");
    if (gp.is_response_ok()) {
      check(options_.targetSupportsByteEnables || before.byteEnables == nullptr, gp,
            "response: OK to a byte-enabled request the target does not support");
      check(options_.targetSupportsStreaming || before.streamingWidth >= before.length, gp,
            "response: OK to a streaming request the target does not support");
    }
  }

  unsigned transport_dbg(tlm::tlm_generic_payload& gp) {
    ++debugTransactions_;
    const Snapshot before(gp);
    const unsigned n = initiatorSocket->transport_dbg(gp);
    check(n <= before.length, gp, "debug: more bytes reported than requested");
    check(gp.get_command() == before.cmd, gp, "debug: target changed the command");
    check(gp.get_address() == before.address, gp, "debug: address not restored on return");
    check(gp.get_data_ptr() == before.data, gp, "debug: target changed the data pointer");
    check(gp.get_data_length() == before.length, gp, "debug: target changed the data length");
    return n;
  }

  const ProtocolCheckerOptions options_;
  std::vector<std::string> violations_;
  std::uint64_t transactions_ = 0;
  std::uint64_t debugTransactions_ = 0;
};

} // namespace llmvp::test
