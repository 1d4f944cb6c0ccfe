// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <systemc>

#include "testbench/Cli.h"

int sc_main(int argc, char** argv) { return llmvp::testbench::runCli(argc, argv); }

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0); // keep stdout to the report
  return sc_core::sc_elab_and_sim(argc, argv);
}
