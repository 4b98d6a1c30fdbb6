/* companion-sqlite-migrations.c: the SQLite schema, numbered per feature
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each feature that keeps tables has its own list of steps here, named as
 * in core/companion-features.c ("core" is the store's own records: orders
 * and their events, users, sessions). Step i of a list moves that feature
 * from version i to i + 1; a released step is never edited, a change is a
 * new step at the end of its feature's list.
 *
 * What is applied is recorded in schema_migrations (feature, version). A
 * database of the first companions, which numbered one list for all tables
 * in PRAGMA user_version (1 to 4), is converted once: those four steps are
 * core 1, core 2, mobile-qr 1 and nimiq 1 below, unchanged.
 * PRAGMA user_version is then COMPANION_SQLITE_SCHEMA_PER_FEATURE, which
 * those companions refuse as newer than they know.
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include "companion-sqlite-migrations.h"

/* *INDENT-OFF* */
static const char *const core_steps[] = {
  /* 1: orders and their events, users, sessions */
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
  "  created_at INTEGER NOT NULL,"
  "  issued_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  approved_at INTEGER NOT NULL DEFAULT 0,"
  "  finalized_at INTEGER NOT NULL DEFAULT 0,"
  "  event_seq INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX orders_pending_expiry ON orders (expires_at) WHERE status < 4;"
  "CREATE TABLE order_events ("
  "  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,"
  "  seq INTEGER NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  data TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  PRIMARY KEY (order_id, seq)"
  ") WITHOUT ROWID;"
  "CREATE TABLE users ("
  "  id TEXT PRIMARY KEY,"
  "  subject TEXT NOT NULL UNIQUE,"
  "  name TEXT,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE sessions ("
  "  id TEXT PRIMARY KEY,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  order_id TEXT NOT NULL UNIQUE REFERENCES orders (id),"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL"
  ");",
  /* 2: Better Auth's user and session fields; a session need not come
   * from an order (the Nimiq and mobile-QR sign-ins). */
  "ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user'"
  "  CHECK (role IN ('user', 'admin'));"
  "ALTER TABLE users ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;"
  "UPDATE users SET updated_at = created_at;"
  "CREATE TABLE sessions_2 ("
  "  id TEXT PRIMARY KEY,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  order_id TEXT UNIQUE REFERENCES orders (id),"
  "  ip_address TEXT,"
  "  user_agent TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL"
  ");"
  "INSERT INTO sessions_2 (id, token_hash, user_id, order_id, ip_address, user_agent,"
  "  created_at, updated_at, expires_at)"
  "  SELECT s.id, s.token_hash, s.user_id, s.order_id, o.requester_ip, o.requester_user_agent,"
  "  s.created_at, s.created_at, s.expires_at"
  "  FROM sessions s LEFT JOIN orders o ON o.id = s.order_id;"
  "DROP TABLE sessions;"
  "ALTER TABLE sessions_2 RENAME TO sessions;",
};

static const char *const mobile_qr_steps[] = {
  /* 1: mobile QR finds its orders by the challenge ID's hash */
  "ALTER TABLE orders ADD COLUMN challenge_id_hash TEXT;"
  "CREATE UNIQUE INDEX orders_challenge_id_hash ON orders (challenge_id_hash)"
  " WHERE challenge_id_hash IS NOT NULL;",
};

static const char *const nimiq_steps[] = {
  /* 1: Nimiq direct sign-in's nonces, kept only until used or expired */
  "CREATE TABLE nimiq_nonces ("
  "  id_hash TEXT PRIMARY KEY,"
  "  nonce TEXT NOT NULL,"
  "  origin TEXT NOT NULL,"
  "  app_name TEXT NOT NULL,"
  "  issued_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE INDEX nimiq_nonces_expiry ON nimiq_nonces (expires_at);",
};

/* issue 14: what the cross-device feature adds to the core's orders */
static const char *const cross_device_steps[] = {
  /* 1: status polling, the order's interval and its last answered poll */
  "ALTER TABLE orders ADD COLUMN poll_interval INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE orders ADD COLUMN last_poll_at INTEGER NOT NULL DEFAULT 0;",
  /* 2: user codes, unique among created orders, and the misses against
   * them per client address and in all ("*"), per window */
  "ALTER TABLE orders ADD COLUMN user_code_hash TEXT;"
  "CREATE UNIQUE INDEX orders_user_code_hash ON orders (user_code_hash)"
  " WHERE status = 0 AND user_code_hash IS NOT NULL;"
  "CREATE TABLE user_code_misses ("
  "  scope TEXT PRIMARY KEY,"
  "  window_start INTEGER NOT NULL,"
  "  window_ends INTEGER NOT NULL,"
  "  misses INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE INDEX user_code_misses_end ON user_code_misses (window_ends);",
  /* 3: identified orders, and approvals by another signer */
  "ALTER TABLE orders ADD COLUMN identified INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE orders ADD COLUMN subject_mismatches INTEGER NOT NULL DEFAULT 0;",
  /* 4: request context, the lines a start adds to the signed details */
  "ALTER TABLE orders ADD COLUMN extra_details TEXT;",
  /* 5: live user codes counted from an index alone (at 1000 live codes the
   * count read every order row: 1.3 ms a start) */
  "CREATE INDEX orders_live_user_codes ON orders (expires_at)"
  " WHERE status = 0 AND user_code_hash IS NOT NULL;",
  /* 6 (issue 16): passkeys of the adapter webauthn, and the passkey answer
   * that approved an order, for its proof artifact */
  "CREATE TABLE passkeys ("
  "  credential_id TEXT PRIMARY KEY,"
  "  alg INTEGER NOT NULL,"
  "  public_key_cose TEXT NOT NULL,"
  "  sign_count INTEGER NOT NULL,"
  "  backup_eligible INTEGER NOT NULL,"
  "  backup_state INTEGER NOT NULL,"
  "  transports TEXT,"
  "  attestation_format TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  last_used_at INTEGER NOT NULL DEFAULT 0"
  ") WITHOUT ROWID;"
  "CREATE TABLE webauthn_proofs ("
  "  order_id TEXT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,"
  "  credential_id TEXT NOT NULL,"
  "  client_data_json TEXT NOT NULL,"
  "  attestation_object TEXT,"
  "  authenticator_data TEXT,"
  "  signature TEXT"
  ") WITHOUT ROWID;",
  /* 7 (issue 12): what an approval adds to its event and finalize answer */
  "ALTER TABLE orders ADD COLUMN approved_extra TEXT;",
};

static const char *const ledger_steps[] = {
  /* 1: balances per (user, asset) with the journal's sums, the journal
   * (seq orders it and is never reused), holds (status 0 held, 1 captured,
   * 2 released, 3 expired) and the idempotency keys with the answer each
   * gave, kept as long as the journal. No foreign key to users: the
   * journal outlives a removed user. Entry ids are 128 random bits and
   * never looked up, so no index of their own (one page less per write). */
  "CREATE TABLE ledger_balances ("
  "  user_id TEXT NOT NULL,"
  "  asset TEXT NOT NULL,"
  "  posted INTEGER NOT NULL,"
  "  reserved INTEGER NOT NULL,"
  "  PRIMARY KEY (user_id, asset)"
  ") WITHOUT ROWID;"
  "CREATE TABLE ledger_entries ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  id TEXT NOT NULL,"
  "  user_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  asset TEXT NOT NULL,"
  "  amount INTEGER NOT NULL CHECK (amount > 0),"
  "  posted_delta INTEGER NOT NULL,"
  "  reserved_delta INTEGER NOT NULL,"
  "  posted INTEGER NOT NULL,"
  "  reserved INTEGER NOT NULL,"
  "  reason TEXT NOT NULL,"
  "  hold_id TEXT,"
  "  order_id TEXT,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX ledger_entries_user ON ledger_entries (user_id, seq);"
  "CREATE INDEX ledger_entries_user_asset ON ledger_entries (user_id, asset, seq);"
  "CREATE TABLE ledger_holds ("
  "  id TEXT PRIMARY KEY,"
  "  user_id TEXT NOT NULL,"
  "  asset TEXT NOT NULL,"
  "  amount INTEGER NOT NULL CHECK (amount > 0),"
  "  status INTEGER NOT NULL,"
  "  reason TEXT NOT NULL,"
  "  order_id TEXT,"
  "  expires_at INTEGER NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  captured_amount INTEGER,"
  "  released_amount INTEGER"
  ") WITHOUT ROWID;"
  "CREATE INDEX ledger_holds_live ON ledger_holds (user_id, asset, expires_at)"
  " WHERE status = 0;"
  "CREATE INDEX ledger_holds_expiry ON ledger_holds (expires_at) WHERE status = 0;"
  "CREATE TABLE ledger_idempotency_keys ("
  "  key TEXT PRIMARY KEY,"
  "  fingerprint TEXT NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  body TEXT NOT NULL,"
  "  entry_seq INTEGER NOT NULL"
  ") WITHOUT ROWID;",
  /* 2 (issue 12): a hold attached to an order is found by it when the
   * order moves. */
  "CREATE INDEX ledger_holds_order ON ledger_holds (order_id) WHERE order_id IS NOT NULL;",
};
/* *INDENT-ON* */

#define STEPS(feature, steps) { feature, steps, G_N_ELEMENTS (steps) }

/* In the order they are applied: "core" first, as every feature may refer
 * to its tables. */
const CompanionSqliteMigrations companion_sqlite_migrations[] = {
  STEPS ("core", core_steps),
  STEPS ("mobile-qr", mobile_qr_steps),
  STEPS ("nimiq", nimiq_steps),
  STEPS ("cross-device", cross_device_steps),
  STEPS ("ledger", ledger_steps),
};

const gsize companion_sqlite_n_migrations = G_N_ELEMENTS (companion_sqlite_migrations);

/* The single list of the first companions: user_version N meant its first
 * N steps, which are these (feature, version) pairs. */
static const struct {
  const char *feature;
  int         version;
} legacy_steps[] = {
  { "core", 1 },
  { "core", 2 },
  { "mobile-qr", 1 },
  { "nimiq", 1 },
};
G_STATIC_ASSERT (G_N_ELEMENTS (legacy_steps) == COMPANION_SQLITE_SCHEMA_LEGACY_LAST);

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          const char  *path,
          const char  *what,
          GError     **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);

  if (rc == SQLITE_OK)
    return TRUE;

  g_set_error (error, COMPANION_STORE_ERROR, companion_sqlite_error_code (rc),
               "Cannot %s in the database %s: %s", what, path,
               message != NULL ? message : sqlite3_errstr (rc));
  sqlite3_free (message);
  return FALSE;
}

static gboolean
read_user_version (sqlite3     *db,
                   int         *out_version,
                   const char  *path,
                   GError     **error)
{
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &s, NULL);

  if (rc == SQLITE_OK && (rc = sqlite3_step (s)) == SQLITE_ROW)
    *out_version = sqlite3_column_int (s, 0);
  sqlite3_finalize (s);

  if (rc == SQLITE_ROW)
    return TRUE;
  g_set_error (error, COMPANION_STORE_ERROR, companion_sqlite_error_code (rc),
               "Cannot read the schema version of the database %s: %s", path,
               sqlite3_errmsg (db));
  return FALSE;
}

/* The version of @feature recorded in schema_migrations, 0 for none;
 * -1 on error. */
static int
applied_version (sqlite3    *db,
                 const char *feature)
{
  sqlite3_stmt *s = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (db, "SELECT coalesce (max (version), 0) FROM schema_migrations"
                          " WHERE feature = ?1", -1, &s, NULL) == SQLITE_OK &&
      sqlite3_bind_text (s, 1, feature, -1, SQLITE_STATIC) == SQLITE_OK &&
      sqlite3_step (s) == SQLITE_ROW)
    version = sqlite3_column_int (s, 0);
  sqlite3_finalize (s);
  return version;
}

static gboolean
record_step (sqlite3     *db,
             const char  *feature,
             int          version,
             const char  *path,
             GError     **error)
{
  sqlite3_stmt *s = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, "INSERT INTO schema_migrations (feature, version, applied_at)"
                           " VALUES (?1, ?2, ?3)",
                           -1, &s, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (s, 1, feature, -1, SQLITE_STATIC);
      sqlite3_bind_int (s, 2, version);
      sqlite3_bind_int64 (s, 3, g_get_real_time () / 1000);
      rc = sqlite3_step (s);
      if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    }
  sqlite3_finalize (s);

  if (rc == SQLITE_OK)
    return TRUE;
  g_set_error (error, COMPANION_STORE_ERROR, companion_sqlite_error_code (rc),
               "Cannot record %s schema version %d in the database %s: %s",
               feature, version, path, sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
migrate_in_transaction (sqlite3     *db,
                        int          user_version,
                        const char  *path,
                        GError     **error)
{
  if (user_version != COMPANION_SQLITE_SCHEMA_PER_FEATURE)
    {
      if (!exec_sql (db, "CREATE TABLE schema_migrations ("
                     "  feature TEXT NOT NULL,"
                     "  version INTEGER NOT NULL,"
                     "  applied_at INTEGER NOT NULL,"
                     "  PRIMARY KEY (feature, version)"
                     ") WITHOUT ROWID;", path, "create schema_migrations", error))
        return FALSE;

      for (int i = 0; i < user_version; i++)
        if (!record_step (db, legacy_steps[i].feature, legacy_steps[i].version, path, error))
          return FALSE;
    }

  for (gsize f = 0; f < companion_sqlite_n_migrations; f++)
    {
      const CompanionSqliteMigrations *m = &companion_sqlite_migrations[f];
      int version = applied_version (db, m->feature);

      if (version < 0)
        return exec_sql (db, "SELECT * FROM schema_migrations", path,
                         "read schema_migrations", error);

      for (gsize v = version; v < m->n_steps; v++)
        {
          g_autofree char *what = g_strdup_printf ("migrate %s to schema version %" G_GSIZE_FORMAT,
                                                   m->feature, v + 1);

          if (!exec_sql (db, m->steps[v], path, what, error) ||
              !record_step (db, m->feature, (int) v + 1, path, error))
            return FALSE;
          g_debug ("Migrated %s to %s schema version %" G_GSIZE_FORMAT, path, m->feature, v + 1);
        }
    }

  /* A feature this companion does not know (a newer one added it) keeps
   * its tables and its rows; nothing here reads them. */
  if (user_version != COMPANION_SQLITE_SCHEMA_PER_FEATURE)
    {
      g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %d",
                                              COMPANION_SQLITE_SCHEMA_PER_FEATURE);

      if (!exec_sql (db, sql, path, "set the schema layout", error))
        return FALSE;
    }

  return TRUE;
}

gboolean
companion_sqlite_check_version (sqlite3     *db,
                                int          user_version,
                                const char  *path,
                                GError     **error)
{
  if (user_version >= 0 && user_version <= COMPANION_SQLITE_SCHEMA_LEGACY_LAST)
    return TRUE;

  if (user_version != COMPANION_SQLITE_SCHEMA_PER_FEATURE)
    {
      g_set_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED,
                   "The database %s has schema version %d, newer than this companion knows",
                   path, user_version);
      return FALSE;
    }

  for (gsize f = 0; f < companion_sqlite_n_migrations; f++)
    {
      const CompanionSqliteMigrations *m = &companion_sqlite_migrations[f];
      int version = applied_version (db, m->feature);

      if (version < 0)
        return exec_sql (db, "SELECT * FROM schema_migrations", path,
                         "read schema_migrations", error);
      if ((gsize) version > m->n_steps)
        {
          g_set_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED,
                       "The database %s has %s schema version %d, newer than this companion "
                       "knows (%" G_GSIZE_FORMAT ")", path, m->feature, version, m->n_steps);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
companion_sqlite_migrate (sqlite3     *db,
                          const char  *path,
                          GError     **error)
{
  int user_version = 0;

  /* One write transaction for every step: two companions starting on one
   * file take turns, and a kill leaves all of a migration or none. */
  if (!exec_sql (db, "BEGIN IMMEDIATE", path, "begin the migration", error))
    return FALSE;
  /* Read again inside: another companion may have migrated meanwhile. */
  if (!read_user_version (db, &user_version, path, error) ||
      !companion_sqlite_check_version (db, user_version, path, error) ||
      !migrate_in_transaction (db, user_version, path, error))
    {
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return exec_sql (db, "COMMIT", path, "commit the migration", error);
}
