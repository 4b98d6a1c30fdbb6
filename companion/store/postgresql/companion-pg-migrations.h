/* companion-pg-migrations.h: the PostgreSQL schema, numbered per feature
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to store/postgresql/.
 */
#pragma once

#include <gio/gio.h>

#include "companion-store.h"

G_BEGIN_DECLS

typedef struct {
  const char               *feature;  /* "core", or a name from core/companion-features.c */
  const char *const *const *steps;    /* steps[i], NULL-terminated statements, moves it
                                       * from version i to i + 1 */
  gsize                     n_steps;
} CompanionPgMigrations;

/* In the order they are applied, "core" first. */
extern const CompanionPgMigrations companion_pg_migrations[];
extern const gsize                 companion_pg_n_migrations;

/* Brings the database of @conninfo up to every feature's last step, on a
 * connection of its own that holds pg_advisory_lock meanwhile, so that
 * companions starting together take turns: the first applies the steps,
 * the others find them applied. Every pending step is applied in one
 * transaction (all or nothing). UNSUPPORTED when the database is newer
 * than this program for any feature; UNAVAILABLE when it cannot be
 * reached. */
void     companion_pg_migrate_async  (const char           *conninfo,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
/* @out_applied: how many steps this call applied. */
gboolean companion_pg_migrate_finish (GAsyncResult         *result,
                                      guint                *out_applied,
                                      GError              **error);

G_END_DECLS
