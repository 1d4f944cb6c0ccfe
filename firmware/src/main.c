/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/fw_main.h"

#include <string.h>

#include "firmware/include/regs.h"
#include "firmware/src/decode.h"
#include "firmware/src/mailbox.h"
#include "firmware/src/serve.h"
#include "firmware/src/step.h"

/** Set-up, the decode of one batch or the serving loop, tear-down. */
static int run(fw_ctx* c, fw_fault* f) {
  if (fw_step_start(c, mbox_manifest_addr(), f) != 0) return -1;
  if ((c->m.serve_requests != 0u ? fw_serve(c, f) : fw_decode(c, f)) != 0) return -1;
  fw_step_stop(c);
  return 0;
}

int fw_main(void) {
  fw_ctx ctx;
  fw_fault fault;
  memset(&ctx, 0, sizeof ctx);
  memset(&fault, 0, sizeof fault);
  if (run(&ctx, &fault) != 0) {
    mbox_report_error(&fault);
    return (int)fault.code;
  }
  mbox_set_status(MBOX_ST_DONE);
  return 0;
}
