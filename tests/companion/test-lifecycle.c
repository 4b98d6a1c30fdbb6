/* test-lifecycle.c: restarts, expiry on the clock, databases that are not ours
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "crossing-token.h"

#include "companion-feature.h"
#include "companion-pg-migrations.h"
#include "companion-sqlite-migrations.h"
#include "companion-test-utils.h"

static void
setup_short_ttl (CtFixture     *f,
                 gconstpointer  data)
{
  ct_fixture_init (f);
  f->config->order_ttl = 1;
  f->config->finalize_grace = 1;
  ct_fixture_start (f);
}

static void
assert_last_event (CtEventStream *stream,
                   const char    *id,
                   const char    *status)
{
  GPtrArray *events = ct_event_stream_get_events (stream);
  CtEvent *event;
  g_autoptr(JsonNode) data = NULL;

  g_assert_cmpuint (events->len, >, 0);
  event = g_ptr_array_index (events, events->len - 1);
  g_assert_cmpstr (event->id, ==, id);
  g_assert_cmpstr (event->event, ==, status);
  data = ct_event_parse_data (event);
  g_assert_cmpstr (ct_json_string (json_node_get_object (data), "status"), ==, status);
}

static void
test_restart_keeps_orders_and_events (CtFixture     *f,
                                      gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) before = NULL;
  g_autoptr(CtEventStream) after = NULL;
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtResponse) session = NULL;
  g_autoptr(SoupMessage) get_session = NULL;
  g_autofree char *old_url = NULL;
  g_autofree char *last_id = NULL;
  g_autofree char *bearer = NULL;
  g_autofree char *subject = ct_ed25519_subject (order->seed);

  before = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  ct_order_approve (f, order);
  g_assert_true (ct_event_stream_wait_events (before, 3));
  assert_last_event (before, "3", "approved");
  last_id = g_strdup (ct_event_stream_get_event (before, 2)->id);
  g_clear_pointer (&before, ct_event_stream_close);

  old_url = g_strdup (f->url);
  ct_fixture_stop (f);
  g_assert_true (g_file_test (f->db_path, G_FILE_TEST_IS_REGULAR));
  ct_fixture_start (f);
  g_test_message ("restarted: %s -> %s", old_url, f->url);

  after = ct_event_stream_open (f, order->order_id, order->event_token, last_id);
  g_assert_cmpuint (ct_event_stream_get_status (after), ==, 200);

  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  g_assert_true (ct_event_stream_wait_end (after));
  g_assert_cmpuint (ct_event_stream_get_events (after)->len, ==, 1);
  assert_last_event (after, "4", "finalized");

  bearer = g_strdup_printf ("Bearer %s", ct_json_string (ct_response_object (finalized), "token"));
  get_session = ct_message_new (f, SOUP_METHOD_GET, "/api/auth/get-session");
  soup_message_headers_replace (soup_message_get_request_headers (get_session), "Authorization",
                                bearer);
  session = ct_send (f, get_session);
  g_assert_cmpuint (session->status, ==, 200);
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (session), "user"),
                                   "subject"), ==, subject);
}

static void
test_sessions_survive_restart (CtFixture     *f,
                               gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtResponse) finalized = NULL;
  g_autoptr(CtResponse) again = NULL;
  g_autoptr(CtResponse) session = NULL;
  g_autoptr(SoupMessage) get_session = NULL;
  g_autofree char *bearer = NULL;

  ct_order_approve (f, order);
  finalized = ct_order_finalize (f, order);
  g_assert_cmpuint (finalized->status, ==, 200);
  bearer = g_strdup_printf ("Bearer %s", ct_json_string (ct_response_object (finalized), "token"));

  ct_fixture_stop (f);
  ct_fixture_start (f);

  get_session = ct_message_new (f, SOUP_METHOD_GET, "/api/auth/get-session");
  soup_message_headers_replace (soup_message_get_request_headers (get_session), "Authorization",
                                bearer);
  session = ct_send (f, get_session);
  g_assert_cmpuint (session->status, ==, 200);
  ct_json_object (ct_response_object (session), "session");

  /* And the used login stays used. */
  again = ct_order_finalize (f, order);
  ct_response_assert_error (again, 409, "FINALIZE_ALREADY_USED");
}

static void
test_expiry_pushed_without_requests (CtFixture     *f,
                                     gconstpointer  data)
{
  g_autoptr(CtOrder) created = ct_order_start (f, "login", NULL);
  g_autoptr(CtOrder) approved = ct_order_start (f, "sign", NULL);
  g_autoptr(CtEventStream) created_stream = NULL;
  g_autoptr(CtEventStream) approved_stream = NULL;
  g_autoptr(CtResponse) finalize = NULL;
  g_autoptr(CompanionOrder) stored = NULL;
  gint64 started = g_get_monotonic_time ();

  created_stream = ct_event_stream_open (f, created->order_id, created->event_token, NULL);
  /* An approved order has its own grace period before it expires. */
  ct_order_approve (f, approved);
  approved_stream = ct_event_stream_open (f, approved->order_id, approved->event_token, NULL);

  /* Nobody asks anything: the companion's timer must speak. */
  g_assert_true (ct_event_stream_wait_end (created_stream));
  g_assert_true (ct_event_stream_wait_end (approved_stream));
  g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);

  g_assert_cmpuint (ct_event_stream_get_events (created_stream)->len, ==, 1);
  assert_last_event (created_stream, "1", "expired");
  g_assert_cmpuint (ct_event_stream_get_events (approved_stream)->len, ==, 2);
  assert_last_event (approved_stream, "4", "expired");

  stored = companion_store_get_order (ct_fixture_get_store (f), created->order_id, NULL);
  g_assert_cmpint (stored->status, ==, CROSSING_STATUS_EXPIRED);
  finalize = ct_order_finalize (f, approved);
  ct_response_assert_error (finalize, 400, "ORDER_EXPIRED");
}

static void
test_restart_rearms_expiry (CtFixture     *f,
                            gconstpointer  data)
{
  g_autoptr(CtOrder) order = ct_order_start (f, "login", NULL);
  g_autoptr(CtEventStream) stream = NULL;

  ct_fixture_stop (f);
  ct_fixture_start (f);

  stream = ct_event_stream_open (f, order->order_id, order->event_token, NULL);
  g_assert_true (ct_event_stream_wait_end (stream));
  assert_last_event (stream, "1", "expired");
}

static void
assert_open_fails_untouched (const char *path,
                             GQuark      domain,
                             int         code)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  gsize before_len, after_len;
  g_autoptr(GError) error = NULL;
  g_autoptr(CompanionStore) store = NULL;

  g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));

  store = companion_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, domain, code);
  g_test_message ("error: %s", error->message);
  /* Clear: it names the file. */
  g_assert_nonnull (strstr (error->message, path));

  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
test_garbage_database_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crossing-companion-test-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(GString) garbage = g_string_new (NULL);

  g_assert_no_error (error);
  path = g_build_filename (dir, "companion.db", NULL);
  for (guint i = 0; i < 8192; i++)
    g_string_append_c (garbage, (char) ("not a database, just some text\n"[i % 31]));
  g_assert_true (g_file_set_contents (path, garbage->str, garbage->len, NULL));

  assert_open_fails_untouched (path, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CORRUPT);

  g_assert_no_errno (g_unlink (path));
  g_assert_no_errno (g_rmdir (dir));
}

static void
test_newer_schema_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crossing-companion-test-XXXXXX", &error);
  g_autofree char *path = NULL;
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "companion.db", NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE future (x); PRAGMA user_version = 999;", NULL,
                                 NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  assert_open_fails_untouched (path, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED);

  g_assert_no_errno (g_unlink (path));
  g_assert_no_errno (g_rmdir (dir));
}

/* Schema 1 as released (companion 0.x): frozen here on purpose. */
static const char *schema_1 =
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
  ");";

/* A database from before Better Auth's fields keeps its users and sessions:
 * role "user", updatedAt = createdAt, the session's address and User-Agent
 * from the order it finalized. */
static void
test_migrates_schema_1 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crossing-companion-test-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *hash = crossing_token_hash ("old-session-token");
  g_autofree char *sql = NULL;
  g_autoptr(CompanionStore) store = NULL;
  g_autoptr(CompanionSession) session = NULL;
  g_autoptr(CompanionUser) user = NULL;
  sqlite3 *db = NULL;
  const char *suffixes[] = { "", "-wal", "-shm" };

  g_assert_no_error (error);
  path = g_build_filename (dir, "companion.db", NULL);
  sql = g_strdup_printf (
    "BEGIN; %s"
    "INSERT INTO orders (id, kind, adapter, status, claim_token_hash, desktop_token_hash,"
    " event_token_hash, origin, title, summary, app_name, challenge_id, nonce, message,"
    " requester_ip, requester_user_agent, session_id, created_at, issued_at, expires_at)"
    " VALUES ('o1', 0, 0, 4, 'c', 'd', 'e', 'https://x', 't', 's', 'a', 'ch', 'n', 'm',"
    " '203.0.113.9', 'Old/1', 's1', 1000, 1000, 2000);"
    "INSERT INTO users (id, subject, name, created_at) VALUES ('u1', 'ed25519:ab', NULL, 900);"
    "INSERT INTO sessions (id, token_hash, user_id, order_id, created_at, expires_at)"
    " VALUES ('s1', '%s', 'u1', 'o1', 1500, 9999999999999);"
    "PRAGMA user_version = 1; COMMIT;", schema_1, hash);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  store = companion_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (companion_store_lookup_session (store, hash, 2000, &session, &user, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (session->id, ==, "s1");
  g_assert_cmpstr (session->order_id, ==, "o1");
  g_assert_cmpstr (session->ip_address, ==, "203.0.113.9");
  g_assert_cmpstr (session->user_agent, ==, "Old/1");
  g_assert_cmpint (session->created_at, ==, 1500);
  g_assert_cmpint (session->updated_at, ==, 1500);
  g_assert_cmpstr (user->id, ==, "u1");
  g_assert_cmpint (user->role, ==, COMPANION_ROLE_USER);
  g_assert_cmpint (user->updated_at, ==, 900);
  g_assert_finalize_object (g_steal_pointer (&store));

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_remove (file);
    }
  g_assert_no_errno (g_rmdir (dir));
}

/* The schema a database ends with, table by table, without the
 * bookkeeping table and in one order. */
static char *
schema_of (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  GString *schema = g_string_new (NULL);

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT type, name, coalesce (sql, '') FROM sqlite_schema"
                                       " WHERE name != 'schema_migrations'"
                                       " AND name NOT LIKE 'sqlite_autoindex_schema_migrations%'"
                                       " ORDER BY type, name", -1, &s, NULL), ==, SQLITE_OK);
  while (sqlite3_step (s) == SQLITE_ROW)
    g_string_append_printf (schema, "%s %s: %s\n", sqlite3_column_text (s, 0),
                            sqlite3_column_text (s, 1), sqlite3_column_text (s, 2));
  sqlite3_finalize (s);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return g_string_free (schema, FALSE);
}

static int
db_int (const char *path,
        const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  int value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  value = sqlite3_column_int (s, 0);
  sqlite3_finalize (s);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return value;
}

static void
remove_database (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_remove (file);
    }
}

/* A database of the companions that numbered one list (user_version 4:
 * core 1 and 2, mobile-qr 1, nimiq 1) ends with exactly the schema of a
 * new one, every step recorded once, and opens again without change. */
static void
test_migrates_single_list_to_per_feature (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crossing-companion-test-XXXXXX", &error);
  g_autofree char *fresh = NULL;
  g_autofree char *legacy = NULL;
  g_autofree char *fresh_schema = NULL;
  g_autofree char *legacy_schema = NULL;
  g_autoptr(GString) sql = g_string_new ("BEGIN;");
  sqlite3 *db = NULL;
  const char *legacy_features[] = { "core", "core", "mobile-qr", "nimiq" };
  guint legacy_versions[] = { 0, 1, 0, 0 };
  int steps = 0;

  g_assert_no_error (error);
  fresh = g_build_filename (dir, "fresh.db", NULL);
  legacy = g_build_filename (dir, "legacy.db", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (legacy_features); i++)
    for (gsize f = 0; f < companion_sqlite_n_migrations; f++)
      if (g_str_equal (companion_sqlite_migrations[f].feature, legacy_features[i]))
        g_string_append (sql, companion_sqlite_migrations[f].steps[legacy_versions[i]]);
  g_string_append (sql, "PRAGMA user_version = 4; COMMIT;");
  g_assert_cmpint (sqlite3_open (legacy, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql->str, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(CompanionStore) a = companion_store_open (fresh, &error);
      g_autoptr(CompanionStore) b = NULL;

      g_assert_no_error (error);
      b = companion_store_open (legacy, &error);
      g_assert_no_error (error);
      g_assert_finalize_object (g_steal_pointer (&a));
      g_assert_finalize_object (g_steal_pointer (&b));
    }

  fresh_schema = schema_of (fresh);
  legacy_schema = schema_of (legacy);
  g_assert_cmpstr (legacy_schema, ==, fresh_schema);

  for (gsize f = 0; f < companion_sqlite_n_migrations; f++)
    steps += companion_sqlite_migrations[f].n_steps;
  g_assert_cmpint (db_int (fresh, "SELECT count (*) FROM schema_migrations"), ==, steps);
  g_assert_cmpint (db_int (legacy, "SELECT count (*) FROM schema_migrations"), ==, steps);
  g_assert_cmpint (db_int (fresh, "PRAGMA user_version"), ==, COMPANION_SQLITE_SCHEMA_PER_FEATURE);
  g_assert_cmpint (db_int (legacy, "PRAGMA user_version"), ==, COMPANION_SQLITE_SCHEMA_PER_FEATURE);

  remove_database (fresh);
  remove_database (legacy);
  g_assert_no_errno (g_rmdir (dir));
}

/* One feature newer than this companion knows: refused, untouched; a
 * feature it does not know at all is left alone. */
static void
test_newer_feature_schema_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crossing-companion-test-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *bump = NULL;
  g_autoptr(CompanionStore) store = NULL;
  sqlite3 *db = NULL;
  const CompanionSqliteMigrations *last =
    &companion_sqlite_migrations[companion_sqlite_n_migrations - 1];

  g_assert_no_error (error);
  path = g_build_filename (dir, "companion.db", NULL);
  store = companion_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&store));

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO schema_migrations VALUES ('from-the-future', 7, 0);"
                                 "PRAGMA wal_checkpoint (TRUNCATE);", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  store = companion_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&store));

  bump = g_strdup_printf ("INSERT INTO schema_migrations VALUES ('%s', %" G_GSIZE_FORMAT ", 0);"
                          "PRAGMA journal_mode = DELETE;", last->feature, last->n_steps + 1);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, bump, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  assert_open_fails_untouched (path, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNSUPPORTED);

  remove_database (path);
  g_assert_no_errno (g_rmdir (dir));
}

/* Every list of steps belongs to the core or to a feature of the one list
 * in core/companion-features.c, once. */
static void
test_migrations_named_after_features (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpstr (companion_sqlite_migrations[0].feature, ==, "core");
  for (gsize f = 0; f < companion_sqlite_n_migrations; f++)
    {
      const char *feature = companion_sqlite_migrations[f].feature;
      gboolean known = g_str_equal (feature, "core");

      for (gsize i = 0; companion_features[i] != NULL; i++)
        known = known || g_str_equal (companion_features[i]->name, feature);
      g_assert_true (known);
      g_assert_true (g_hash_table_add (seen, (gpointer) feature));
      g_assert_cmpuint (companion_sqlite_migrations[f].n_steps, >, 0);
    }

  /* Both backends have the same features, in the same order, with as many
   * steps each, so a step added to one is added to the other; but for the
   * core's first two SQLite steps, which came before PostgreSQL and are its
   * core step 1. */
  g_assert_cmpuint (companion_pg_n_migrations, ==, companion_sqlite_n_migrations);
  for (gsize f = 0; f < companion_sqlite_n_migrations; f++)
    {
      gsize folded = f == 0 ? 1 : 0;

      g_assert_cmpstr (companion_pg_migrations[f].feature, ==,
                       companion_sqlite_migrations[f].feature);
      g_assert_cmpuint (companion_pg_migrations[f].n_steps + folded, ==,
                        companion_sqlite_migrations[f].n_steps);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/companion/lifecycle/restart/finalize-and-resume-events", CtFixture, NULL,
              ct_fixture_setup, test_restart_keeps_orders_and_events, ct_fixture_teardown);
  g_test_add ("/companion/lifecycle/restart/sessions-survive", CtFixture, NULL,
              ct_fixture_setup, test_sessions_survive_restart, ct_fixture_teardown);
  g_test_add ("/companion/lifecycle/expiry/pushed-to-subscribers-without-requests", CtFixture,
              NULL, setup_short_ttl, test_expiry_pushed_without_requests, ct_fixture_teardown);
  g_test_add ("/companion/lifecycle/restart/rearms-expiry-timer", CtFixture, NULL,
              setup_short_ttl, test_restart_rearms_expiry, ct_fixture_teardown);
  g_test_add_func ("/companion/lifecycle/database/garbage-file-refused-untouched",
                   test_garbage_database_refused);
  g_test_add_func ("/companion/lifecycle/database/newer-schema-refused-untouched",
                   test_newer_schema_refused);
  g_test_add_func ("/companion/lifecycle/database/migrates-schema-1",
                   test_migrates_schema_1);
  g_test_add_func ("/companion/lifecycle/database/migrates-single-list-to-per-feature",
                   test_migrates_single_list_to_per_feature);
  g_test_add_func ("/companion/lifecycle/database/newer-feature-schema-refused-untouched",
                   test_newer_feature_schema_refused);
  g_test_add_func ("/companion/lifecycle/database/migrations-named-after-features",
                   test_migrations_named_after_features);

  return g_test_run ();
}
