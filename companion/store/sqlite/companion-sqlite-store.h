/* companion-sqlite-store.h: the embedded SQLite backend of CompanionStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-store.h"

G_BEGIN_DECLS

#define COMPANION_TYPE_SQLITE_STORE (companion_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (CompanionSqliteStore, companion_sqlite_store, COMPANION, SQLITE_STORE, GObject)

/* Opens (creating if needed) and migrates the database at @path. Fails with
 * G_IO_ERROR when the file is not a database of ours or is newer than this
 * program, leaving it untouched. */
CompanionSqliteStore *companion_sqlite_store_open (const char  *path,
                                                   GError     **error);

/* The schema version this program writes. */
int                   companion_sqlite_store_schema_version (void);

G_END_DECLS
