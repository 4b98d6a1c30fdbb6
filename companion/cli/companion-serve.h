/* companion-serve.h: `crossing-companion serve`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int companion_serve_main (int    argc,
                          char **argv);

/* The advisory lock beside an SQLite database ("{db}.lock") that tells a
 * serving companion from a stopped one: serve holds it shared while it
 * runs (the kernel drops it when the process dies, even by SIGKILL);
 * an operator's command that writes the database directly takes it
 * exclusively, without waiting. Returns the descriptor to close, or -1
 * when another process holds it the other way. A database that is not a
 * file (":memory:", another backend) gives a descriptor of /dev/null. */
int companion_serve_lock (const char *db_path,
                          gboolean    exclusive);

G_END_DECLS
