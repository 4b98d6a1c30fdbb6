/* companion-sqlite-store.h: the embedded SQLite backend of CompanionStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "companion-store.h"

G_BEGIN_DECLS

#define COMPANION_TYPE_SQLITE_STORE (companion_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (CompanionSqliteStore, companion_sqlite_store, COMPANION, SQLITE_STORE, GObject)

/* Opens (creating it and its folder if needed) and migrates the database at
 * @path. Fails with COMPANION_STORE_ERROR_CORRUPT when the file is not a
 * database, UNSUPPORTED when its schema is newer than this program (leaving
 * it untouched in both cases), UNAVAILABLE when it cannot be opened.
 * Callers outside the store use companion_store_open(). */
CompanionSqliteStore *companion_sqlite_store_open (const char  *path,
                                                   GError     **error);

G_END_DECLS
