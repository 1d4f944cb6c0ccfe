/* SPDX-License-Identifier: Apache-2.0 */
#include "firmware/src/fw_main.h"

#include <string.h>

#include "firmware/include/regs.h"
#include "firmware/src/decode.h"
#include "firmware/src/mailbox.h"

int fw_main(void) {
  fw_ctx ctx;
  fw_fault fault;
  memset(&ctx, 0, sizeof ctx);
  memset(&fault, 0, sizeof fault);
  if (fw_decode(&ctx, mbox_manifest_addr(), &fault) != 0) {
    mbox_report_error(&fault);
    return (int)fault.code;
  }
  mbox_set_status(MBOX_ST_DONE);
  return 0;
}
