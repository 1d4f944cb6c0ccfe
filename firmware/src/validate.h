/* SPDX-License-Identifier: Apache-2.0 */
/* Manifest loading and validation (checks listed in fw_errors.h). */
#pragma once
#include <stdint.h>

#include "firmware/src/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Reads the manifest at `addr` into c->m and the request table into
 *  c->prompt_len / c->cached_len. Returns 0, or -1 with `f` set to
 *  FW_ERR_BAD_MANIFEST naming the first invalid field. */
int fw_load_manifest(fw_ctx* c, uint64_t addr, fw_fault* f);

#ifdef __cplusplus
}
#endif
