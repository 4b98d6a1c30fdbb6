/* fuzz-common.h: what every libFuzzer target shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int  LLVMFuzzerTestOneInput (const guint8 *data,
                             size_t        size);
int  LLVMFuzzerInitialize   (int          *argc,
                             char       ***argv);

/* Once per process: warnings and criticals (a failed g_return_if_fail)
 * abort, so the fuzzer reports them as findings. */
void  fuzz_init_glib        (void);

/* @data as a NUL-terminated string (it may hold NULs of its own). */
char *fuzz_strndup          (const guint8 *data,
                             gsize         size);

G_END_DECLS
