/* companion-approve.h: `crossing-companion approve`, the phone in a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int   companion_approve_main           (int          argc,
                                        char       **argv);

/* The sentence a person reads for a contract error @code (with the
 * server's @message as a fallback). */
char *companion_approve_describe_error (const char  *code,
                                        const char  *message);

/* Loads the 32-byte seed at @path, creating it (0600, in a 0700 folder)
 * when missing. Refuses a file others can read. */
gboolean companion_approve_load_key    (const char  *path,
                                        guint8       seed[32],
                                        GError     **error);

G_END_DECLS
