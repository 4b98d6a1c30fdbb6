/* companion-sqlite-migrations.h: the SQLite schema, numbered per feature
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to store/sqlite/.
 */
#pragma once

#include <sqlite3.h>

#include "companion-store.h"

G_BEGIN_DECLS

/* PRAGMA user_version of a database whose versions are kept per feature in
 * schema_migrations; 1 to 4 are the single list of the first companions. */
#define COMPANION_SQLITE_SCHEMA_PER_FEATURE 1000
#define COMPANION_SQLITE_SCHEMA_LEGACY_LAST 4

typedef struct {
  const char        *feature;  /* "core", or a name from core/companion-features.c */
  const char *const *steps;    /* steps[i] moves it from version i to i + 1 */
  gsize              n_steps;
} CompanionSqliteMigrations;

/* In the order they are applied, "core" first. */
extern const CompanionSqliteMigrations companion_sqlite_migrations[];
extern const gsize                     companion_sqlite_n_migrations;

/* UNSUPPORTED when @db (whose PRAGMA user_version is @user_version) is
 * newer than this program, for any feature; reads only. */
gboolean companion_sqlite_check_version (sqlite3     *db,
                                         int          user_version,
                                         const char  *path,
                                         GError     **error);

/* Brings @db up to every feature's last step, in one write transaction
 * (all or nothing); UNSUPPORTED as above. */
gboolean companion_sqlite_migrate (sqlite3     *db,
                                   const char  *path,
                                   GError     **error);

/* SQLite's primary result code as the store's error. */
CompanionStoreError companion_sqlite_error_code (int rc);

G_END_DECLS
