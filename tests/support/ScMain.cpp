// SPDX-License-Identifier: Apache-2.0
// Entry point of test executables that build SystemC models: sc_main runs
// the tests; each ctest runs one TEST in its own process, so SystemC
// elaborates once per process.
#include <cstdlib>
#include <gtest/gtest.h>
#include <systemc>

int sc_main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
