/* companion-pg-migrations.c: the PostgreSQL schema, numbered per feature
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same tables as store/sqlite/companion-sqlite-migrations.c, in the
 * same per-feature lists, recorded in the same schema_migrations (feature,
 * version). PostgreSQL databases have no history before this file, so
 * "core" starts at the shape SQLite reached with its second step; from
 * here on each list only grows: a released step is never edited, a change
 * is a new step at the end of its feature's list (in both backends).
 *
 * Times are epoch milliseconds (bigint), as in SQLite. Each step is a list
 * of single statements: the extended query protocol takes one at a time.
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include "companion-pg-connection.h"
#include "companion-pg-migrations.h"

/* *INDENT-OFF* */
static const char *const core_1[] = {
  /* orders and their events, users, sessions */
  "CREATE TABLE orders ("
  "  id TEXT PRIMARY KEY,"
  "  kind INTEGER NOT NULL,"
  "  adapter INTEGER NOT NULL,"
  "  status INTEGER NOT NULL," /* CrossingStatus: 0-3 pending, 4+ terminal */
  "  claim_token_hash TEXT NOT NULL,"
  "  desktop_token_hash TEXT NOT NULL,"
  "  event_token_hash TEXT NOT NULL,"
  "  challenge_token_hash TEXT,"
  "  origin TEXT NOT NULL,"
  "  return_to TEXT,"
  "  title TEXT NOT NULL,"
  "  summary TEXT NOT NULL,"
  "  payload_hash TEXT,"
  "  app_name TEXT NOT NULL,"
  "  challenge_id TEXT NOT NULL,"
  "  nonce TEXT NOT NULL,"
  "  message TEXT NOT NULL,"
  "  requester_ip TEXT,"
  "  requester_user_agent TEXT,"
  "  check_code TEXT,"
  "  check_code_failures INTEGER NOT NULL DEFAULT 0,"
  "  subject TEXT,"
  "  public_key_hex TEXT,"
  "  signature_hex TEXT,"
  "  session_id TEXT,"
  "  created_at BIGINT NOT NULL,"
  "  issued_at BIGINT NOT NULL,"
  "  expires_at BIGINT NOT NULL,"
  "  approved_at BIGINT NOT NULL DEFAULT 0,"
  "  finalized_at BIGINT NOT NULL DEFAULT 0,"
  "  event_seq BIGINT NOT NULL DEFAULT 0"
  ")",
  "CREATE INDEX orders_pending_expiry ON orders (expires_at) WHERE status < 4",
  "CREATE TABLE order_events ("
  "  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,"
  "  seq BIGINT NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  data TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  PRIMARY KEY (order_id, seq)"
  ")",
  "CREATE TABLE users ("
  "  id TEXT PRIMARY KEY,"
  "  subject TEXT NOT NULL UNIQUE,"
  "  name TEXT,"
  "  role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),"
  "  created_at BIGINT NOT NULL,"
  "  updated_at BIGINT NOT NULL DEFAULT 0"
  ")",
  "CREATE TABLE sessions ("
  "  id TEXT PRIMARY KEY,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  order_id TEXT UNIQUE REFERENCES orders (id),"
  "  ip_address TEXT,"
  "  user_agent TEXT,"
  "  created_at BIGINT NOT NULL,"
  "  updated_at BIGINT NOT NULL,"
  "  expires_at BIGINT NOT NULL"
  ")",
  NULL
};

static const char *const *const core_steps[] = { core_1 };

static const char *const mobile_qr_1[] = {
  /* mobile QR finds its orders by the challenge ID's hash */
  "ALTER TABLE orders ADD COLUMN challenge_id_hash TEXT",
  "CREATE UNIQUE INDEX orders_challenge_id_hash ON orders (challenge_id_hash)"
  " WHERE challenge_id_hash IS NOT NULL",
  NULL
};

static const char *const *const mobile_qr_steps[] = { mobile_qr_1 };

static const char *const nimiq_1[] = {
  /* Nimiq direct sign-in's nonces, kept only until used or expired */
  "CREATE TABLE nimiq_nonces ("
  "  id_hash TEXT PRIMARY KEY,"
  "  nonce TEXT NOT NULL,"
  "  origin TEXT NOT NULL,"
  "  app_name TEXT NOT NULL,"
  "  issued_at BIGINT NOT NULL,"
  "  expires_at BIGINT NOT NULL"
  ")",
  "CREATE INDEX nimiq_nonces_expiry ON nimiq_nonces (expires_at)",
  NULL
};

static const char *const *const nimiq_steps[] = { nimiq_1 };

/* issue 14: what the cross-device feature adds to the core's orders, step
 * for step as in SQLite */
static const char *const cross_device_1[] = {
  /* status polling, the order's interval and its last answered poll */
  "ALTER TABLE orders ADD COLUMN poll_interval INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE orders ADD COLUMN last_poll_at BIGINT NOT NULL DEFAULT 0",
  NULL
};

static const char *const cross_device_2[] = {
  /* user codes, unique among created orders, and the misses against them
   * per client address and in all ("*"), per window */
  "ALTER TABLE orders ADD COLUMN user_code_hash TEXT",
  "CREATE UNIQUE INDEX orders_user_code_hash ON orders (user_code_hash)"
  " WHERE status = 0 AND user_code_hash IS NOT NULL",
  "CREATE TABLE user_code_misses ("
  "  scope TEXT PRIMARY KEY,"
  "  window_start BIGINT NOT NULL,"
  "  window_ends BIGINT NOT NULL,"
  "  misses INTEGER NOT NULL"
  ")",
  "CREATE INDEX user_code_misses_end ON user_code_misses (window_ends)",
  NULL
};

static const char *const cross_device_3[] = {
  /* identified orders, and approvals by another signer */
  "ALTER TABLE orders ADD COLUMN identified INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE orders ADD COLUMN subject_mismatches INTEGER NOT NULL DEFAULT 0",
  NULL
};

static const char *const cross_device_4[] = {
  /* request context, the lines a start adds to the signed details */
  "ALTER TABLE orders ADD COLUMN extra_details TEXT",
  NULL
};

static const char *const cross_device_5[] = {
  /* live user codes counted from an index alone */
  "CREATE INDEX orders_live_user_codes ON orders (expires_at)"
  " WHERE status = 0 AND user_code_hash IS NOT NULL",
  NULL
};

static const char *const cross_device_6[] = {
  /* issue 16: passkeys of the adapter webauthn, and the passkey answer that
   * approved an order, for its proof artifact */
  "CREATE TABLE passkeys ("
  "  credential_id TEXT PRIMARY KEY,"
  "  alg INTEGER NOT NULL,"
  "  public_key_cose TEXT NOT NULL,"
  "  sign_count BIGINT NOT NULL,"
  "  backup_eligible INTEGER NOT NULL,"
  "  backup_state INTEGER NOT NULL,"
  "  transports TEXT,"
  "  attestation_format TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  last_used_at BIGINT NOT NULL DEFAULT 0"
  ")",
  "CREATE TABLE webauthn_proofs ("
  "  order_id TEXT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,"
  "  credential_id TEXT NOT NULL,"
  "  client_data_json TEXT NOT NULL,"
  "  attestation_object TEXT,"
  "  authenticator_data TEXT,"
  "  signature TEXT"
  ")",
  NULL
};

static const char *const cross_device_7[] = {
  /* issue 12: what an approval adds to its event and finalize answer */
  "ALTER TABLE orders ADD COLUMN approved_extra TEXT",
  NULL
};

static const char *const *const cross_device_steps[] = {
  cross_device_1, cross_device_2, cross_device_3, cross_device_4, cross_device_5, cross_device_6,
  cross_device_7,
};

static const char *const ledger_1[] = {
  /* issue 12: balances per (user, asset) with the journal's sums, the
   * journal, holds (status 0 held, 1 captured, 2 released, 3 expired) and
   * the idempotency keys with the answer each gave, as in SQLite. The
   * journal's seq is an identity: never reused, but unlike SQLite's
   * AUTOINCREMENT a rolled-back insert leaves a gap. */
  "CREATE TABLE ledger_balances ("
  "  user_id TEXT NOT NULL,"
  "  asset TEXT NOT NULL,"
  "  posted BIGINT NOT NULL,"
  "  reserved BIGINT NOT NULL,"
  "  PRIMARY KEY (user_id, asset)"
  ")",
  "CREATE TABLE ledger_entries ("
  "  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
  "  id TEXT NOT NULL,"
  "  user_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  asset TEXT NOT NULL,"
  "  amount BIGINT NOT NULL CHECK (amount > 0),"
  "  posted_delta BIGINT NOT NULL,"
  "  reserved_delta BIGINT NOT NULL,"
  "  posted BIGINT NOT NULL,"
  "  reserved BIGINT NOT NULL,"
  "  reason TEXT NOT NULL,"
  "  hold_id TEXT,"
  "  order_id TEXT,"
  "  created_at BIGINT NOT NULL"
  ")",
  "CREATE INDEX ledger_entries_user ON ledger_entries (user_id, seq)",
  "CREATE INDEX ledger_entries_user_asset ON ledger_entries (user_id, asset, seq)",
  "CREATE TABLE ledger_holds ("
  "  id TEXT PRIMARY KEY,"
  "  user_id TEXT NOT NULL,"
  "  asset TEXT NOT NULL,"
  "  amount BIGINT NOT NULL CHECK (amount > 0),"
  "  status INTEGER NOT NULL,"
  "  reason TEXT NOT NULL,"
  "  order_id TEXT,"
  "  expires_at BIGINT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  captured_amount BIGINT,"
  "  released_amount BIGINT"
  ")",
  "CREATE INDEX ledger_holds_live ON ledger_holds (user_id, asset, expires_at)"
  " WHERE status = 0",
  "CREATE INDEX ledger_holds_expiry ON ledger_holds (expires_at) WHERE status = 0",
  "CREATE TABLE ledger_idempotency_keys ("
  "  key TEXT PRIMARY KEY,"
  "  fingerprint TEXT NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  body TEXT NOT NULL,"
  "  entry_seq BIGINT NOT NULL"
  ")",
  NULL
};

static const char *const ledger_2[] = {
  /* issue 12: a hold attached to an order is found by it when the order
   * moves */
  "CREATE INDEX ledger_holds_order ON ledger_holds (order_id) WHERE order_id IS NOT NULL",
  NULL
};

static const char *const *const ledger_steps[] = { ledger_1, ledger_2 };
/* *INDENT-ON* */

#define STEPS(feature, steps) { feature, steps, G_N_ELEMENTS (steps) }

const CompanionPgMigrations companion_pg_migrations[] = {
  STEPS ("core", core_steps),
  STEPS ("mobile-qr", mobile_qr_steps),
  STEPS ("nimiq", nimiq_steps),
  STEPS ("cross-device", cross_device_steps),
  STEPS ("ledger", ledger_steps),
};

const gsize companion_pg_n_migrations = G_N_ELEMENTS (companion_pg_migrations);

/* pg_advisory_lock's key for migrating: "crossing" in ASCII. Any program
 * sharing the database would have to pick the same by accident. */
#define MIGRATION_LOCK_KEY "7165912498748092007"

typedef struct {
  CompanionPgConnection *conn;
  guint                  applied;
  GError                *failure;  /* to return once unlocked */
} Migration;

static void
migration_free (Migration *m)
{
  if (m->conn != NULL)
    companion_pg_connection_close (m->conn);
  g_clear_object (&m->conn);
  g_clear_error (&m->failure);
  g_free (m);
}

/* Runs @request (taken) on the migration's connection; @task (taken) is
 * the callback's data. */
static void
execute (GTask               *task,
         CompanionPgRequest  *request,
         GAsyncReadyCallback  callback)
{
  Migration *m = g_task_get_task_data (task);

  companion_pg_connection_execute_async (m->conn, request, g_task_get_cancellable (task),
                                         callback, task);
}

static void
unlocked (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Migration *m = g_task_get_task_data (task);
  g_autoptr(GPtrArray) results = NULL;
  GError *error = NULL;

  results = companion_pg_connection_execute_finish (m->conn, result, &error);
  if (m->failure != NULL)
    {
      g_clear_error (&error);
      g_task_return_error (task, g_steal_pointer (&m->failure));
    }
  else if (results == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Ending the session would release the lock too, but only once the
 * server notices; a companion that failed lets go at once. */
static void
unlock (GTask *task)
{
  g_autoptr(CompanionPgRequest) request = companion_pg_request_new ();
  const char *params[] = { MIGRATION_LOCK_KEY };

  companion_pg_request_add (request, "SELECT pg_advisory_unlock ($1::bigint)", 1, params);
  execute (g_steal_pointer (&task), g_steal_pointer (&request), unlocked);
}

static void
migrated (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Migration *m = g_task_get_task_data (task);
  g_autoptr(GPtrArray) results = NULL;
  GError *error = NULL;

  results = companion_pg_connection_execute_finish (m->conn, result, &error);
  m->failure = error;
  unlock (g_steal_pointer (&task));
}

/* The version of @feature in the rows of "SELECT feature, max (version)". */
static gint64
applied_version (const PGresult *versions,
                 const char     *feature)
{
  for (int row = 0; row < PQntuples (versions); row++)
    if (g_strcmp0 (PQgetvalue (versions, row, 0), feature) == 0)
      return companion_pg_result_get_int64 (versions, row, 1);
  return 0;
}

static void
locked (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Migration *m = g_task_get_task_data (task);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(CompanionPgRequest) request = NULL;
  GError *error = NULL;
  const PGresult *versions;

  results = companion_pg_connection_execute_finish (m->conn, result, &error);
  if (results == NULL)
    {
      m->failure = error;
      unlock (g_steal_pointer (&task));
      return;
    }
  versions = g_ptr_array_index (results, 2);

  request = companion_pg_request_new ();
  for (gsize f = 0; f < companion_pg_n_migrations; f++)
    {
      const CompanionPgMigrations *mig = &companion_pg_migrations[f];
      gint64 version = applied_version (versions, mig->feature);

      if (version > (gint64) mig->n_steps)
        {
          m->failure = g_error_new (COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED,
                                    "The database has %s schema version %" G_GINT64_FORMAT
                                    ", newer than this companion knows (%" G_GSIZE_FORMAT ")",
                                    mig->feature, version, mig->n_steps);
          m->applied = 0;
          unlock (g_steal_pointer (&task));
          return;
        }

      for (gsize v = version; v < mig->n_steps; v++)
        {
          g_autofree char *number = g_strdup_printf ("%" G_GSIZE_FORMAT, v + 1);
          const char *params[] = { mig->feature, number };

          for (const char *const *sql = mig->steps[v]; *sql != NULL; sql++)
            companion_pg_request_add (request, *sql, 0, NULL);
          companion_pg_request_add (request,
                                    "INSERT INTO schema_migrations (feature, version, applied_at)"
                                    " VALUES ($1::text, $2::integer,"
                                    " (extract (epoch FROM now ()) * 1000)::bigint)",
                                    2, params);
          m->applied++;
          g_debug ("Migrating %s to schema version %" G_GSIZE_FORMAT, mig->feature, v + 1);
        }
    }

  /* A feature this companion does not know (a newer one added it) keeps
   * its tables and its rows; nothing here reads them. */
  if (companion_pg_request_get_length (request) == 0)
    {
      unlock (g_steal_pointer (&task));
      return;
    }
  /* The unlock is a request of its own, after this one's Sync: another
   * companion must find the steps committed once it holds the lock. */
  execute (g_steal_pointer (&task), g_steal_pointer (&request), migrated);
}

static void
connected (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Migration *m = g_task_get_task_data (task);
  g_autoptr(CompanionPgRequest) request = NULL;
  GError *error = NULL;
  const char *params[] = { MIGRATION_LOCK_KEY };

  if (!companion_pg_connection_connect_finish (m->conn, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* The lock waits on the server, not here. Once it is held, nobody else
   * is creating schema_migrations or reading it to migrate. */
  request = companion_pg_request_new ();
  companion_pg_request_add (request, "SELECT pg_advisory_lock ($1::bigint)", 1, params);
  companion_pg_request_add (request,
                            "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            "  feature TEXT NOT NULL,"
                            "  version INTEGER NOT NULL,"
                            "  applied_at BIGINT NOT NULL,"
                            "  PRIMARY KEY (feature, version)"
                            ")", 0, NULL);
  companion_pg_request_add (request,
                            "SELECT feature, max (version) FROM schema_migrations"
                            " GROUP BY feature", 0, NULL);
  execute (g_steal_pointer (&task), g_steal_pointer (&request), locked);
}

void
companion_pg_migrate_async (const char          *conninfo,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Migration *m;

  g_return_if_fail (conninfo != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, companion_pg_migrate_async);
  m = g_new0 (Migration, 1);
  m->conn = companion_pg_connection_new (conninfo);
  g_task_set_task_data (task, m, (GDestroyNotify) migration_free);

  companion_pg_connection_connect_async (m->conn, cancellable, connected, g_steal_pointer (&task));
}

gboolean
companion_pg_migrate_finish (GAsyncResult  *result,
                             guint         *out_applied,
                             GError       **error)
{
  GTask *task;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  task = G_TASK (result);
  if (!g_task_propagate_boolean (task, error))
    return FALSE;
  if (out_applied != NULL)
    *out_applied = ((Migration *) g_task_get_task_data (task))->applied;
  return TRUE;
}
