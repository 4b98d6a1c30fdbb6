/* companion-sqlite-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One connection in WAL mode, used from the main thread only. Statements
 * are prepared once and reused. A state change is one transaction: the
 * compare-and-set UPDATE on the order and the INSERT of its event.
 */
#define G_LOG_DOMAIN "companion-store"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sodium.h>
#include <sqlite3.h>

#include "crossing-token.h"

#include "companion-sqlite-migrations.h"
#include "companion-sqlite-store.h"

#define ORDER_COLUMNS \
  "id, kind, adapter, status, claim_token_hash, desktop_token_hash, event_token_hash," \
  " challenge_token_hash, origin, return_to, title, summary, payload_hash, app_name," \
  " challenge_id, nonce, message, requester_ip, requester_user_agent, check_code," \
  " check_code_failures, subject, public_key_hex, signature_hex, session_id, created_at," \
  " issued_at, expires_at, approved_at, finalized_at, event_seq, challenge_id_hash," \
  " poll_interval, last_poll_at, user_code_hash, identified, subject_mismatches," \
  " extra_details, approved_extra"

#define USER_COLUMNS "id, subject, name, role, created_at, updated_at"

/* issue 16 */
#define PASSKEY_COLUMNS \
  "credential_id, alg, public_key_cose, sign_count, backup_eligible, backup_state," \
  " transports, attestation_format, created_at, last_used_at"
#define WEBAUTHN_PROOF_COLUMNS \
  "order_id, credential_id, client_data_json, attestation_object, authenticator_data, signature"
#define LEDGER_ENTRY_INSERT_COLUMNS \
  "id, user_id, type, asset, amount, posted_delta, reserved_delta, posted, reserved, reason," \
  " hold_id, order_id, created_at"
#define LEDGER_HOLD_COLUMNS \
  "id, user_id, asset, amount, status, reason, order_id, expires_at, created_at," \
  " captured_amount, released_amount"

typedef enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_INSERT_ORDER,
  STMT_GET_ORDER,
  STMT_GET_ORDER_BY_CHALLENGE_HASH,
  STMT_TRANSITION,
  STMT_INSERT_EVENT,
  STMT_ADD_CHECK_CODE_FAILURE,
  STMT_LIST_EVENTS,
  STMT_LIST_DUE,
  STMT_NEXT_EXPIRY,
  STMT_COUNT_PENDING,
  STMT_INSERT_USER,
  STMT_GET_USER_BY_SUBJECT,
  STMT_LIST_USERS,
  STMT_DELETE_USER,
  STMT_INSERT_SESSION,
  STMT_SET_ORDER_SESSION,
  STMT_LOOKUP_SESSION,
  STMT_DELETE_SESSION,
  STMT_INSERT_NIMIQ_NONCE,
  STMT_CONSUME_NIMIQ_NONCE,
  STMT_COUNT_NIMIQ_NONCES,
  STMT_SWEEP_NIMIQ_NONCES,
  /* issue 14 */
  STMT_UPDATE_POLL,
  STMT_COUNT_USER_CODES,
  STMT_GET_ORDER_BY_USER_CODE,
  STMT_GET_USER_CODE_MISSES,
  STMT_SWEEP_USER_CODE_MISSES,
  STMT_ADD_USER_CODE_MISS,
  STMT_ADD_SUBJECT_MISMATCH,
  /* issue 16 */
  STMT_INSERT_PASSKEY,
  STMT_GET_PASSKEY,
  STMT_USE_PASSKEY,
  STMT_PUT_WEBAUTHN_PROOF,
  STMT_GET_WEBAUTHN_PROOF,
  /* users by id, roles, the ledger */
  STMT_GET_USER_BY_ID,
  STMT_SET_USER_ROLE,
  STMT_LEDGER_GET_KEY,
  STMT_LEDGER_PUT_KEY,
  STMT_LEDGER_GET_BALANCE,
  STMT_LEDGER_PUT_BALANCE,
  STMT_LEDGER_INSERT_ENTRY,
  STMT_LEDGER_LIST_ENTRIES,
  STMT_LEDGER_LIST_ENTRIES_ASSET,
  STMT_LEDGER_INSERT_HOLD,
  STMT_LEDGER_GET_HOLD,
  STMT_LEDGER_RESOLVE_HOLD,
  STMT_LEDGER_GET_ORDER_HOLD,
  STMT_LEDGER_LIST_DUE_HOLDS,
  STMT_LEDGER_NEXT_HOLD_EXPIRY,
  N_STMTS
} Stmt;

static const char *stmt_sql[N_STMTS] = {
  [STMT_INSERT_NIMIQ_NONCE] =
    "INSERT INTO nimiq_nonces (id_hash, nonce, origin, app_name, issued_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  /* One statement: of two racing /verify requests only one gets the row. */
  [STMT_CONSUME_NIMIQ_NONCE] =
    "DELETE FROM nimiq_nonces WHERE id_hash = ?1"
    " RETURNING id_hash, nonce, origin, app_name, issued_at, expires_at",
  [STMT_COUNT_NIMIQ_NONCES] = "SELECT count (*) FROM nimiq_nonces WHERE expires_at > ?1",
  [STMT_SWEEP_NIMIQ_NONCES] = "DELETE FROM nimiq_nonces WHERE expires_at <= ?1",
  [STMT_UPDATE_POLL] =
    "UPDATE orders SET last_poll_at = ?4, poll_interval = ?5"
    " WHERE id = ?1 AND last_poll_at = ?2 AND poll_interval = ?3",
  [STMT_COUNT_USER_CODES] =
    "SELECT count (*) FROM orders"
    " WHERE status = 0 AND user_code_hash IS NOT NULL AND expires_at > ?1",
  [STMT_GET_ORDER_BY_USER_CODE] =
    "SELECT " ORDER_COLUMNS " FROM orders"
    " WHERE status = 0 AND user_code_hash = ?1 AND expires_at > ?2",
  [STMT_GET_USER_CODE_MISSES] =
    "SELECT misses, window_ends FROM user_code_misses WHERE scope = ?1 AND window_ends > ?2",
  [STMT_SWEEP_USER_CODE_MISSES] = "DELETE FROM user_code_misses WHERE window_ends <= ?1",
  /* One statement: companions on one database count every miss once. */
  [STMT_ADD_USER_CODE_MISS] =
    "INSERT INTO user_code_misses (scope, window_start, window_ends, misses)"
    " VALUES (?1, ?2, ?2 + ?3, 1)"
    " ON CONFLICT (scope) DO UPDATE SET"
    "  misses = CASE WHEN window_ends > ?2 THEN misses + 1 ELSE 1 END,"
    "  window_start = CASE WHEN window_ends > ?2 THEN window_start ELSE ?2 END,"
    "  window_ends = CASE WHEN window_ends > ?2 THEN window_ends ELSE ?2 + ?3 END"
    " RETURNING misses, window_ends",
  [STMT_ADD_SUBJECT_MISMATCH] =
    "UPDATE orders SET subject_mismatches = subject_mismatches + 1"
    " WHERE id = ?1 AND status IN (1, 2) RETURNING subject_mismatches",
  [STMT_INSERT_PASSKEY] =
    "INSERT INTO passkeys (" PASSKEY_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  [STMT_GET_PASSKEY] = "SELECT " PASSKEY_COLUMNS " FROM passkeys WHERE credential_id = ?1",
  [STMT_USE_PASSKEY] =
    "UPDATE passkeys SET sign_count = ?3, backup_state = ?4, last_used_at = ?5"
    " WHERE credential_id = ?1 AND sign_count = ?2",
  [STMT_PUT_WEBAUTHN_PROOF] =
    "INSERT OR REPLACE INTO webauthn_proofs (" WEBAUTHN_PROOF_COLUMNS ")"
    " SELECT id, ?2, ?3, ?4, ?5, ?6 FROM orders WHERE id = ?1",
  [STMT_GET_WEBAUTHN_PROOF] =
    "SELECT " WEBAUTHN_PROOF_COLUMNS " FROM webauthn_proofs WHERE order_id = ?1",
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_INSERT_ORDER] =
    "INSERT INTO orders (" ORDER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
    " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27,"
    " ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39)",
  [STMT_GET_ORDER] = "SELECT " ORDER_COLUMNS " FROM orders WHERE id = ?1",
  [STMT_GET_ORDER_BY_CHALLENGE_HASH] =
    "SELECT " ORDER_COLUMNS " FROM orders WHERE challenge_id_hash = ?1",
  [STMT_TRANSITION] =
    "UPDATE orders SET status = ?3,"
    " challenge_token_hash = coalesce (?4, challenge_token_hash),"
    " check_code = coalesce (?5, check_code),"
    " subject = coalesce (?6, subject),"
    " public_key_hex = coalesce (?7, public_key_hex),"
    " signature_hex = coalesce (?8, signature_hex),"
    " expires_at = coalesce (?9, expires_at),"
    " approved_at = coalesce (?10, approved_at),"
    " finalized_at = coalesce (?11, finalized_at),"
    " session_id = coalesce (?12, session_id),"
    " event_seq = event_seq + 1"
    " WHERE id = ?1 AND ((1 << status) & ?2) != 0 AND (?13 IS NULL OR expires_at <= ?13)"
    " RETURNING event_seq",
  [STMT_INSERT_EVENT] =
    "INSERT INTO order_events (order_id, seq, status, data, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_ADD_CHECK_CODE_FAILURE] =
    "UPDATE orders SET check_code_failures = check_code_failures + 1"
    " WHERE id = ?1 AND status IN (1, 2) RETURNING check_code_failures",
  [STMT_LIST_EVENTS] =
    "SELECT seq, status, data FROM order_events WHERE order_id = ?1 AND seq > ?2 ORDER BY seq",
  [STMT_LIST_DUE] =
    "SELECT " ORDER_COLUMNS " FROM orders WHERE status < 4 AND expires_at <= ?1"
    " ORDER BY expires_at LIMIT ?2",
  [STMT_NEXT_EXPIRY] = "SELECT min (expires_at) FROM orders WHERE status < 4",
  [STMT_COUNT_PENDING] = "SELECT count (*) FROM orders WHERE status < 4",
  [STMT_INSERT_USER] =
    "INSERT INTO users (id, subject, name, role, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_GET_USER_BY_SUBJECT] =
    "SELECT " USER_COLUMNS " FROM users WHERE subject = ?1",
  [STMT_LIST_USERS] = "SELECT " USER_COLUMNS " FROM users ORDER BY created_at, id",
  [STMT_DELETE_USER] = "DELETE FROM users WHERE subject = ?1",
  [STMT_INSERT_SESSION] =
    "INSERT INTO sessions (id, token_hash, user_id, order_id, ip_address, user_agent,"
    " created_at, updated_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
  [STMT_SET_ORDER_SESSION] = "UPDATE orders SET session_id = ?2 WHERE id = ?1",
  [STMT_LOOKUP_SESSION] =
    "SELECT s.id, s.user_id, s.order_id, s.created_at, s.expires_at, s.token_hash,"
    " s.updated_at, s.ip_address, s.user_agent,"
    " u.id, u.subject, u.name, u.role, u.created_at, u.updated_at"
    " FROM sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.token_hash = ?1 AND s.expires_at > ?2",
  [STMT_DELETE_SESSION] = "DELETE FROM sessions WHERE token_hash = ?1",
  /* users by id, roles, the ledger */
  [STMT_GET_USER_BY_ID] = "SELECT " USER_COLUMNS " FROM users WHERE id = ?1",
  [STMT_SET_USER_ROLE] = "UPDATE users SET role = ?2, updated_at = ?3 WHERE subject = ?1",
  [STMT_LEDGER_GET_KEY] =
    "SELECT fingerprint, status, body FROM ledger_idempotency_keys WHERE key = ?1",
  [STMT_LEDGER_PUT_KEY] =
    "INSERT INTO ledger_idempotency_keys (key, fingerprint, status, body, entry_seq)"
    " VALUES (?1, ?2, ?3, ?4, ?5)",
  /* One statement for what a posting checks: the user exists, the
   * balance row (zeros without one), the holds still live at ?3. */
  [STMT_LEDGER_GET_BALANCE] =
    "SELECT u.id IS NOT NULL, coalesce (b.posted, 0), coalesce (b.reserved, 0),"
    " (SELECT coalesce (sum (h.amount), 0) FROM ledger_holds h"
    "  WHERE h.user_id = ?1 AND h.asset = ?2 AND h.status = 0 AND h.expires_at > ?3)"
    " FROM (SELECT ?1 AS id) q LEFT JOIN users u ON u.id = q.id"
    " LEFT JOIN ledger_balances b ON b.user_id = q.id AND b.asset = ?2",
  [STMT_LEDGER_PUT_BALANCE] =
    "INSERT INTO ledger_balances (user_id, asset, posted, reserved) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (user_id, asset) DO UPDATE SET posted = ?3, reserved = ?4",
  [STMT_LEDGER_INSERT_ENTRY] =
    "INSERT INTO ledger_entries (" LEDGER_ENTRY_INSERT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING seq",
  [STMT_LEDGER_LIST_ENTRIES] =
    "SELECT seq, " LEDGER_ENTRY_INSERT_COLUMNS " FROM ledger_entries"
    " WHERE user_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
  [STMT_LEDGER_LIST_ENTRIES_ASSET] =
    "SELECT seq, " LEDGER_ENTRY_INSERT_COLUMNS " FROM ledger_entries"
    " WHERE user_id = ?1 AND asset = ?4 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
  [STMT_LEDGER_INSERT_HOLD] =
    "INSERT INTO ledger_holds (" LEDGER_HOLD_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
    " ?8, ?9, ?10, ?11)",
  [STMT_LEDGER_GET_HOLD] = "SELECT " LEDGER_HOLD_COLUMNS " FROM ledger_holds WHERE id = ?1",
  /* The compare-and-set: a hold resolves at most once. */
  [STMT_LEDGER_RESOLVE_HOLD] =
    "UPDATE ledger_holds SET status = ?2, captured_amount = ?3, released_amount = ?4"
    " WHERE id = ?1 AND status = 0",
  [STMT_LEDGER_LIST_DUE_HOLDS] =
    "SELECT " LEDGER_HOLD_COLUMNS " FROM ledger_holds WHERE status = 0 AND expires_at <= ?1"
    " ORDER BY expires_at LIMIT ?2",
  [STMT_LEDGER_NEXT_HOLD_EXPIRY] = "SELECT min (expires_at) FROM ledger_holds WHERE status = 0",
  /* issue 12 */
  [STMT_LEDGER_GET_ORDER_HOLD] = "SELECT id FROM ledger_holds WHERE order_id = ?1",
};

struct _CompanionSqliteStore
{
  GObject       parent_instance;

  sqlite3      *db;
  sqlite3_stmt *stmts[N_STMTS];
};

static void companion_sqlite_store_iface_init (CompanionStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CompanionSqliteStore, companion_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (COMPANION_TYPE_STORE,
                                                      companion_sqlite_store_iface_init))

CompanionStoreError
companion_sqlite_error_code (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
    case SQLITE_PERM:
      return COMPANION_STORE_ERROR_UNAVAILABLE;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
    case SQLITE_SCHEMA:
      return COMPANION_STORE_ERROR_CORRUPT;
    case SQLITE_CONSTRAINT:
      return COMPANION_STORE_ERROR_CONFLICT;
    default:
      return COMPANION_STORE_ERROR_FAILED;
    }
}

/* Their text goes to the log only. */
static gboolean
set_db_error (CompanionSqliteStore  *self,
              GError               **error,
              const char            *what)
{
  g_set_error (error, COMPANION_STORE_ERROR, companion_sqlite_error_code (sqlite3_errcode (self->db)),
               "%s: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

static gboolean
set_error (GError              **error,
           CompanionStoreError   code,
           const char           *message)
{
  g_set_error_literal (error, COMPANION_STORE_ERROR, code, message);
  return FALSE;
}

/* After companion_store_close(). */
static gboolean
check_open (CompanionSqliteStore  *self,
            GError               **error)
{
  if (self->db != NULL)
    return TRUE;
  return set_error (error, COMPANION_STORE_ERROR_UNAVAILABLE, "The store is closed");
}

static sqlite3_stmt *
stmt (CompanionSqliteStore *self,
      Stmt                  which)
{
  sqlite3_stmt *s = self->stmts[which];

  sqlite3_reset (s);
  sqlite3_clear_bindings (s);
  return s;
}

static void
bind_text (sqlite3_stmt *s,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (s, index);
  else
    sqlite3_bind_text (s, index, text, -1, SQLITE_STATIC);
}

static void
bind_time (sqlite3_stmt *s,
           int           index,
           gint64        value)
{
  if (value == 0)
    sqlite3_bind_null (s, index);
  else
    sqlite3_bind_int64 (s, index, value);
}

static char *
column_text (sqlite3_stmt *s,
             int           index)
{
  const unsigned char *text = sqlite3_column_text (s, index);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

/* Runs a bound statement that returns no rows. */
static gboolean
step_done (CompanionSqliteStore  *self,
           sqlite3_stmt          *s,
           const char            *what,
           GError               **error)
{
  int rc = sqlite3_step (s);

  sqlite3_reset (s);
  if (rc != SQLITE_DONE)
    return set_db_error (self, error, what);
  return TRUE;
}

static gboolean
exec_simple (CompanionSqliteStore  *self,
             Stmt                   which,
             GError               **error)
{
  return step_done (self, stmt (self, which), stmt_sql[which], error);
}

static gboolean
begin (CompanionSqliteStore  *self,
       GError               **error)
{
  return exec_simple (self, STMT_BEGIN, error);
}

static gboolean
commit (CompanionSqliteStore  *self,
        GError               **error)
{
  return exec_simple (self, STMT_COMMIT, error);
}

static void
rollback (CompanionSqliteStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    exec_simple (self, STMT_ROLLBACK, NULL);
}

static CompanionOrder *
order_from_row (sqlite3_stmt *s)
{
  CompanionOrder *order = companion_order_new ();
  int i = 0;

  order->id = column_text (s, i++);
  order->kind = sqlite3_column_int (s, i++);
  order->adapter = sqlite3_column_int (s, i++);
  order->status = sqlite3_column_int (s, i++);
  order->claim_token_hash = column_text (s, i++);
  order->desktop_token_hash = column_text (s, i++);
  order->event_token_hash = column_text (s, i++);
  order->challenge_token_hash = column_text (s, i++);
  order->origin = column_text (s, i++);
  order->return_to = column_text (s, i++);
  order->title = column_text (s, i++);
  order->summary = column_text (s, i++);
  order->payload_hash = column_text (s, i++);
  order->app_name = column_text (s, i++);
  order->challenge_id = column_text (s, i++);
  order->nonce = column_text (s, i++);
  order->message = column_text (s, i++);
  order->requester_ip = column_text (s, i++);
  order->requester_user_agent = column_text (s, i++);
  order->check_code = column_text (s, i++);
  order->check_code_failures = sqlite3_column_int (s, i++);
  order->subject = column_text (s, i++);
  order->public_key_hex = column_text (s, i++);
  order->signature_hex = column_text (s, i++);
  order->session_id = column_text (s, i++);
  order->created_at = sqlite3_column_int64 (s, i++);
  order->issued_at = sqlite3_column_int64 (s, i++);
  order->expires_at = sqlite3_column_int64 (s, i++);
  order->approved_at = sqlite3_column_int64 (s, i++);
  order->finalized_at = sqlite3_column_int64 (s, i++);
  order->event_seq = sqlite3_column_int64 (s, i++);
  order->challenge_id_hash = column_text (s, i++);
  order->poll_interval = (guint) sqlite3_column_int (s, i++);
  order->last_poll_at = sqlite3_column_int64 (s, i++);
  order->user_code_hash = column_text (s, i++);
  order->identified = sqlite3_column_int (s, i++) != 0;
  order->subject_mismatches = (guint) sqlite3_column_int (s, i++);
  order->extra_details = column_text (s, i++);
  order->approved_extra = column_text (s, i++);

  /* A row written by a later version may hold values we do not know. */
  if (order->status < 0 || order->status >= CROSSING_N_STATUSES ||
      crossing_kind_to_string (order->kind) == NULL ||
      crossing_adapter_to_string (order->adapter) == NULL)
    g_clear_pointer (&order, companion_order_free);

  return order;
}

/* USER_COLUMNS from @first on. */
static CompanionUser *
user_from_row (sqlite3_stmt *s,
               int           first)
{
  CompanionUser *user = g_new0 (CompanionUser, 1);
  int role;

  user->id = column_text (s, first);
  user->subject = column_text (s, first + 1);
  user->name = column_text (s, first + 2);
  role = companion_role_from_string ((const char *) sqlite3_column_text (s, first + 3));
  /* The CHECK constraint allows no other; least privilege if it did. */
  user->role = role >= 0 ? (CompanionRole) role : COMPANION_ROLE_USER;
  user->created_at = sqlite3_column_int64 (s, first + 4);
  user->updated_at = sqlite3_column_int64 (s, first + 5);
  return user;
}

static gboolean
insert_order_row (CompanionSqliteStore  *self,
                  const CompanionOrder  *o,
                  GError               **error)
{
  sqlite3_stmt *s;
  int i = 1;

  s = stmt (self, STMT_INSERT_ORDER);
  bind_text (s, i++, o->id);
  sqlite3_bind_int (s, i++, o->kind);
  sqlite3_bind_int (s, i++, o->adapter);
  sqlite3_bind_int (s, i++, o->status);
  bind_text (s, i++, o->claim_token_hash);
  bind_text (s, i++, o->desktop_token_hash);
  bind_text (s, i++, o->event_token_hash);
  bind_text (s, i++, o->challenge_token_hash);
  bind_text (s, i++, o->origin);
  bind_text (s, i++, o->return_to);
  bind_text (s, i++, o->title);
  bind_text (s, i++, o->summary);
  bind_text (s, i++, o->payload_hash);
  bind_text (s, i++, o->app_name);
  bind_text (s, i++, o->challenge_id);
  bind_text (s, i++, o->nonce);
  bind_text (s, i++, o->message);
  bind_text (s, i++, o->requester_ip);
  bind_text (s, i++, o->requester_user_agent);
  bind_text (s, i++, o->check_code);
  sqlite3_bind_int (s, i++, o->check_code_failures);
  bind_text (s, i++, o->subject);
  bind_text (s, i++, o->public_key_hex);
  bind_text (s, i++, o->signature_hex);
  bind_text (s, i++, o->session_id);
  sqlite3_bind_int64 (s, i++, o->created_at);
  sqlite3_bind_int64 (s, i++, o->issued_at);
  sqlite3_bind_int64 (s, i++, o->expires_at);
  sqlite3_bind_int64 (s, i++, o->approved_at);
  sqlite3_bind_int64 (s, i++, o->finalized_at);
  sqlite3_bind_int64 (s, i++, o->event_seq);
  bind_text (s, i++, o->challenge_id_hash);
  sqlite3_bind_int (s, i++, (int) o->poll_interval);
  sqlite3_bind_int64 (s, i++, o->last_poll_at);
  bind_text (s, i++, o->user_code_hash);
  sqlite3_bind_int (s, i++, o->identified ? 1 : 0);
  sqlite3_bind_int (s, i++, (int) o->subject_mismatches);
  bind_text (s, i++, o->extra_details);
  bind_text (s, i++, o->approved_extra);

  if (!step_done (self, s, "insert order", error))
    return FALSE;
  return TRUE;
}

static gboolean
companion_sqlite_store_insert_order (CompanionStore        *store,
                                     const CompanionOrder  *o,
                                     GError               **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);

  if (!check_open (self, error))
    return FALSE;
  return insert_order_row (self, o, error);
}

/* The one order @which (bound to @key) selects, or NULL. */
static CompanionOrder *
select_order (CompanionSqliteStore  *self,
              Stmt                   which,
              const char            *key,
              GError               **error)
{
  sqlite3_stmt *s;
  CompanionOrder *order = NULL;
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, which);
  bind_text (s, 1, key);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      order = order_from_row (s);
      if (order == NULL)
        set_error (error, COMPANION_STORE_ERROR_CORRUPT,
                   "The order holds values this program does not know");
    }
  else if (rc == SQLITE_DONE)
    set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No such order");
  else
    set_db_error (self, error, "get order");
  sqlite3_reset (s);
  return order;
}

static CompanionOrder *
companion_sqlite_store_get_order (CompanionStore  *store,
                                  const char      *order_id,
                                  GError         **error)
{
  return select_order (COMPANION_SQLITE_STORE (store), STMT_GET_ORDER, order_id, error);
}

static CompanionOrder *
companion_sqlite_store_get_order_by_challenge_hash (CompanionStore  *store,
                                                    const char      *challenge_id_hash,
                                                    GError         **error)
{
  return select_order (COMPANION_SQLITE_STORE (store), STMT_GET_ORDER_BY_CHALLENGE_HASH,
                       challenge_id_hash, error);
}

static gboolean settle_order_hold (CompanionSqliteStore  *self,
                                   const char            *order_id,
                                   CrossingStatus         to,
                                   GError               **error);

/* Inside a transaction: the compare-and-set, the event it appends and the
 * settling of a hold attached to the order. */
static gboolean
transition_locked (CompanionSqliteStore        *self,
                   const char                  *order_id,
                   guint                        from_mask,
                   const CompanionOrderChange  *c,
                   const char                  *session_id,
                   const char                  *event_data,
                   gint64                      *out_seq,
                   GError                     **error)
{
  sqlite3_stmt *s = stmt (self, STMT_TRANSITION);
  gint64 seq;
  int rc;

  bind_text (s, 1, order_id);
  sqlite3_bind_int (s, 2, (int) from_mask);
  sqlite3_bind_int (s, 3, c->to);
  bind_text (s, 4, c->challenge_token_hash);
  bind_text (s, 5, c->check_code);
  bind_text (s, 6, c->subject);
  bind_text (s, 7, c->public_key_hex);
  bind_text (s, 8, c->signature_hex);
  bind_time (s, 9, c->expires_at);
  bind_time (s, 10, c->approved_at);
  bind_time (s, 11, c->finalized_at);
  bind_text (s, 12, session_id);
  bind_time (s, 13, c->only_if_expires_by);

  rc = sqlite3_step (s);
  if (rc == SQLITE_DONE)
    {
      sqlite3_reset (s);
      return set_error (error, COMPANION_STORE_ERROR_CONFLICT,
                        "The order is not in a state this change starts from");
    }
  if (rc != SQLITE_ROW)
    return set_db_error (self, error, "transition");

  seq = sqlite3_column_int64 (s, 0);
  /* RETURNING rows are only final once the statement has run to the end. */
  if (!step_done (self, s, "transition", error))
    return FALSE;

  s = stmt (self, STMT_INSERT_EVENT);
  bind_text (s, 1, order_id);
  sqlite3_bind_int64 (s, 2, seq);
  sqlite3_bind_int (s, 3, c->to);
  bind_text (s, 4, event_data);
  sqlite3_bind_int64 (s, 5, crossing_now_ms ());
  if (!step_done (self, s, "insert event", error))
    return FALSE;

  if (!settle_order_hold (self, order_id, c->to, error))
    return FALSE;

  if (out_seq != NULL)
    *out_seq = seq;
  return TRUE;
}

static gboolean
companion_sqlite_store_transition (CompanionStore              *store,
                                   const char                  *order_id,
                                   guint                        from_mask,
                                   const CompanionOrderChange  *change,
                                   const char                  *event_data,
                                   gint64                      *out_seq,
                                   GError                     **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  gint64 seq = 0;

  if (!check_open (self, error) || !begin (self, error))
    return FALSE;

  if (!transition_locked (self, order_id, from_mask, change, NULL, event_data, &seq, error) ||
      !commit (self, error))
    {
      rollback (self);
      return FALSE;
    }

  if (out_seq != NULL)
    *out_seq = seq;
  companion_store_emit_event_committed (store, order_id, seq, change->to, event_data);
  return TRUE;
}

/* Adds one to a counter of a claimed or waiting order with @which (it
 * returns the new count); CONFLICT when the order is in another state. */
static gboolean
count_on_waiting_order (CompanionSqliteStore  *self,
                        Stmt                   which,
                        const char            *what,
                        const char            *order_id,
                        guint                 *out_count,
                        GError               **error)
{
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, which);
  bind_text (s, 1, order_id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_DONE)
    {
      sqlite3_reset (s);
      return set_error (error, COMPANION_STORE_ERROR_CONFLICT,
                        "The order is not claimed or waiting for its user");
    }
  if (rc != SQLITE_ROW)
    return set_db_error (self, error, what);

  *out_count = (guint) sqlite3_column_int (s, 0);
  return step_done (self, s, what, error);
}

static gboolean
companion_sqlite_store_add_check_code_failure (CompanionStore  *store,
                                               const char      *order_id,
                                               guint           *out_failures,
                                               GError         **error)
{
  return count_on_waiting_order (COMPANION_SQLITE_STORE (store), STMT_ADD_CHECK_CODE_FAILURE,
                                 "check code failure", order_id, out_failures, error);
}

static CompanionUser *
find_user (CompanionSqliteStore  *self,
           const char            *subject,
           GError               **error)
{
  sqlite3_stmt *s = stmt (self, STMT_GET_USER_BY_SUBJECT);
  CompanionUser *user = NULL;
  int rc;

  bind_text (s, 1, subject);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    user = user_from_row (s, 0);
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "find user");
  sqlite3_reset (s);
  return user;
}

static gboolean
insert_user (CompanionSqliteStore  *self,
             const CompanionUser   *user,
             GError               **error)
{
  sqlite3_stmt *s = stmt (self, STMT_INSERT_USER);
  int rc;

  bind_text (s, 1, user->id);
  bind_text (s, 2, user->subject);
  bind_text (s, 3, user->name);
  bind_text (s, 4, companion_role_to_string (user->role));
  sqlite3_bind_int64 (s, 5, user->created_at);
  sqlite3_bind_int64 (s, 6, user->updated_at != 0 ? user->updated_at : user->created_at);
  rc = sqlite3_step (s);
  sqlite3_reset (s);
  if (rc == SQLITE_CONSTRAINT)
    {
      g_set_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_CONFLICT,
                   "A user with subject %s already exists", user->subject);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return set_db_error (self, error, "add user");
  return TRUE;
}

static gboolean
finalize_login_locked (CompanionSqliteStore          *self,
                       const char                    *order_id,
                       const CompanionLoginFinalize  *login,
                       const char                    *event_data,
                       CompanionUser                **out_user,
                       gint64                        *out_seq,
                       GError                       **error)
{
  g_autoptr(CompanionUser) user = NULL;
  CompanionOrderChange change = {
    .to = CROSSING_STATUS_FINALIZED,
    .finalized_at = login->now,
  };
  sqlite3_stmt *s;

  /* The order first: a lost race must not create a user or a session. A
   * sign-in without an order (Nimiq direct) has none to finalize. */
  if (order_id != NULL &&
      !transition_locked (self, order_id, COMPANION_STATUS_BIT (CROSSING_STATUS_APPROVED),
                          &change, login->session_id, event_data, out_seq, error))
    return FALSE;

  user = find_user (self, login->subject, error);
  if (user == NULL && error != NULL && *error != NULL)
    return FALSE;

  if (user == NULL)
    {
      if (!login->create_user)
        return set_error (error, COMPANION_STORE_ERROR_NOT_FOUND,
                          "No user has this subject, and none may be created");

      user = g_new0 (CompanionUser, 1);
      user->id = g_strdup (login->new_user_id);
      user->subject = g_strdup (login->subject);
      user->role = COMPANION_ROLE_USER;
      user->created_at = login->now;
      user->updated_at = login->now;
      if (!insert_user (self, user, error))
        return FALSE;
    }

  s = stmt (self, STMT_INSERT_SESSION);
  bind_text (s, 1, login->session_id);
  bind_text (s, 2, login->session_token_hash);
  bind_text (s, 3, user->id);
  bind_text (s, 4, order_id);
  bind_text (s, 5, login->ip_address);
  bind_text (s, 6, login->user_agent);
  sqlite3_bind_int64 (s, 7, login->now);
  sqlite3_bind_int64 (s, 8, login->session_expires_at);
  if (!step_done (self, s, "insert session", error))
    return FALSE;

  if (out_user != NULL)
    *out_user = g_steal_pointer (&user);
  return TRUE;
}

static gboolean
companion_sqlite_store_finalize_login (CompanionStore                *store,
                                       const char                    *order_id,
                                       const CompanionLoginFinalize  *login,
                                       const char                    *event_data,
                                       CompanionUser                **out_user,
                                       gint64                        *out_seq,
                                       GError                       **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  g_autoptr(CompanionUser) user = NULL;
  gint64 seq = 0;

  if (!check_open (self, error) || !begin (self, error))
    return FALSE;

  if (!finalize_login_locked (self, order_id, login, event_data, &user, &seq, error) ||
      !commit (self, error))
    {
      rollback (self);
      return FALSE;
    }

  if (out_seq != NULL)
    *out_seq = seq;
  if (out_user != NULL)
    *out_user = g_steal_pointer (&user);
  if (order_id != NULL)
    companion_store_emit_event_committed (store, order_id, seq, CROSSING_STATUS_FINALIZED,
                                          event_data);
  return TRUE;
}

static gboolean
companion_sqlite_store_insert_nimiq_nonce (CompanionStore             *store,
                                           const CompanionNimiqNonce  *nonce,
                                           GError                    **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_INSERT_NIMIQ_NONCE);
  bind_text (s, 1, nonce->id_hash);
  bind_text (s, 2, nonce->nonce);
  bind_text (s, 3, nonce->origin);
  bind_text (s, 4, nonce->app_name);
  sqlite3_bind_int64 (s, 5, nonce->issued_at);
  sqlite3_bind_int64 (s, 6, nonce->expires_at);
  return step_done (self, s, "insert nimiq nonce", error);
}

static CompanionNimiqNonce *
companion_sqlite_store_consume_nimiq_nonce (CompanionStore  *store,
                                            const char      *id_hash,
                                            gint64           now,
                                            GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  g_autoptr(CompanionNimiqNonce) nonce = NULL;
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_CONSUME_NIMIQ_NONCE);
  bind_text (s, 1, id_hash);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      nonce = g_new0 (CompanionNimiqNonce, 1);
      nonce->id_hash = column_text (s, 0);
      nonce->nonce = column_text (s, 1);
      nonce->origin = column_text (s, 2);
      nonce->app_name = column_text (s, 3);
      nonce->issued_at = sqlite3_column_int64 (s, 4);
      nonce->expires_at = sqlite3_column_int64 (s, 5);
    }
  else if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "consume nimiq nonce");
      sqlite3_reset (s);
      return NULL;
    }
  /* RETURNING rows are only final once the statement has run to the end. */
  if (!step_done (self, s, "consume nimiq nonce", error))
    return NULL;

  /* Used up all the same: an expired nonce is gone either way. */
  if (nonce == NULL || nonce->expires_at <= now)
    {
      set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No such live nonce");
      return NULL;
    }
  return g_steal_pointer (&nonce);
}

static guint64
companion_sqlite_store_count_nimiq_nonces (CompanionStore  *store,
                                           gint64           now,
                                           GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  guint64 count;

  if (!check_open (self, error))
    return 0;

  s = stmt (self, STMT_COUNT_NIMIQ_NONCES);
  sqlite3_bind_int64 (s, 1, now);
  if (sqlite3_step (s) != SQLITE_ROW)
    {
      set_db_error (self, error, "count nimiq nonces");
      sqlite3_reset (s);
      return 0;
    }
  count = (guint64) sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return count;
}

static guint64
companion_sqlite_store_sweep_nimiq_nonces (CompanionStore  *store,
                                           gint64           now,
                                           GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return 0;

  s = stmt (self, STMT_SWEEP_NIMIQ_NONCES);
  sqlite3_bind_int64 (s, 1, now);
  if (!step_done (self, s, "sweep nimiq nonces", error))
    return 0;
  return (guint64) sqlite3_changes (self->db);
}

static GPtrArray *
companion_sqlite_store_list_events (CompanionStore  *store,
                                    const char      *order_id,
                                    gint64           after_seq,
                                    GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_event_free);
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_LIST_EVENTS);
  bind_text (s, 1, order_id);
  sqlite3_bind_int64 (s, 2, after_seq);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      CompanionEvent *event = g_new0 (CompanionEvent, 1);

      event->seq = sqlite3_column_int64 (s, 0);
      event->status = sqlite3_column_int (s, 1);
      event->data = column_text (s, 2);
      g_ptr_array_add (events, event);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list events");
      sqlite3_reset (s);
      return NULL;
    }
  sqlite3_reset (s);
  return g_steal_pointer (&events);
}

static GPtrArray *
companion_sqlite_store_list_due_orders (CompanionStore  *store,
                                        gint64           now,
                                        guint            limit,
                                        GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_order_free);
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_LIST_DUE);
  sqlite3_bind_int64 (s, 1, now);
  sqlite3_bind_int (s, 2, (int) MIN (limit, G_MAXINT));
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      CompanionOrder *order = order_from_row (s);

      if (order != NULL)
        g_ptr_array_add (orders, order);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list due orders");
      sqlite3_reset (s);
      return NULL;
    }
  sqlite3_reset (s);
  return g_steal_pointer (&orders);
}

/* The one time @which selects (a min () that is NULL over no rows), or
 * G_MAXINT64 for none and on error. */
static gint64
earliest_time (CompanionSqliteStore  *self,
               Stmt                   which,
               const char            *what,
               GError               **error)
{
  sqlite3_stmt *s;
  gint64 next = G_MAXINT64;

  if (!check_open (self, error))
    return G_MAXINT64;

  s = stmt (self, which);
  if (sqlite3_step (s) != SQLITE_ROW)
    {
      set_db_error (self, error, what);
      sqlite3_reset (s);
      return G_MAXINT64;
    }
  if (sqlite3_column_type (s, 0) != SQLITE_NULL)
    next = sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return next;
}

static gint64
companion_sqlite_store_next_expiry (CompanionStore  *store,
                                    GError         **error)
{
  return earliest_time (COMPANION_SQLITE_STORE (store), STMT_NEXT_EXPIRY, "next expiry", error);
}

static guint64
companion_sqlite_store_count_pending (CompanionStore  *store,
                                      GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  guint64 count;

  if (!check_open (self, error))
    return 0;

  s = stmt (self, STMT_COUNT_PENDING);
  if (sqlite3_step (s) != SQLITE_ROW)
    {
      set_db_error (self, error, "count pending");
      sqlite3_reset (s);
      return 0;
    }
  count = (guint64) sqlite3_column_int64 (s, 0);
  sqlite3_reset (s);
  return count;
}

static gboolean
companion_sqlite_store_add_user (CompanionStore       *store,
                                 const CompanionUser  *user,
                                 GError              **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);

  if (!check_open (self, error))
    return FALSE;
  return insert_user (self, user, error);
}

static CompanionUser *
companion_sqlite_store_get_user_by_subject (CompanionStore  *store,
                                            const char      *subject,
                                            GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  CompanionUser *user;

  if (!check_open (self, error))
    return NULL;

  user = find_user (self, subject, &local_error);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (user == NULL)
    set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No user has this subject");
  return user;
}

static GPtrArray *
companion_sqlite_store_list_users (CompanionStore  *store,
                                   GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_user_free);
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_LIST_USERS);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    g_ptr_array_add (users, user_from_row (s, 0));
  sqlite3_reset (s);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list users");
      return NULL;
    }
  return g_steal_pointer (&users);
}

static gboolean
companion_sqlite_store_remove_user (CompanionStore  *store,
                                    const char      *subject,
                                    GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_DELETE_USER);
  bind_text (s, 1, subject);
  if (!step_done (self, s, "remove user", error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    return set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No user has this subject");
  return TRUE;
}

static gboolean
companion_sqlite_store_lookup_session (CompanionStore     *store,
                                       const char         *token_hash,
                                       gint64              now,
                                       CompanionSession  **out_session,
                                       CompanionUser     **out_user,
                                       GError            **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  const char *stored_hash;
  gboolean found = FALSE;
  int rc;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_LOOKUP_SESSION);
  bind_text (s, 1, token_hash);
  sqlite3_bind_int64 (s, 2, now);
  rc = sqlite3_step (s);
  if (rc != SQLITE_ROW)
    {
      if (rc != SQLITE_DONE)
        set_db_error (self, error, "lookup session");
      else
        set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No live session has this token");
      sqlite3_reset (s);
      return FALSE;
    }

  /* The index found it; the comparison that decides is constant-time. */
  stored_hash = (const char *) sqlite3_column_text (s, 5);
  if (stored_hash != NULL && strlen (stored_hash) == strlen (token_hash) &&
      sodium_memcmp (stored_hash, token_hash, strlen (token_hash)) == 0)
    {
      found = TRUE;
      if (out_session != NULL)
        {
          CompanionSession *session = g_new0 (CompanionSession, 1);

          session->id = column_text (s, 0);
          session->user_id = column_text (s, 1);
          session->order_id = column_text (s, 2);
          session->created_at = sqlite3_column_int64 (s, 3);
          session->expires_at = sqlite3_column_int64 (s, 4);
          session->updated_at = sqlite3_column_int64 (s, 6);
          session->ip_address = column_text (s, 7);
          session->user_agent = column_text (s, 8);
          *out_session = session;
        }
      if (out_user != NULL)
        *out_user = user_from_row (s, 9);
    }
  else
    set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No live session has this token");
  sqlite3_reset (s);
  return found;
}

static gboolean
companion_sqlite_store_delete_session (CompanionStore  *store,
                                       const char      *token_hash,
                                       GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_DELETE_SESSION);
  bind_text (s, 1, token_hash);
  if (!step_done (self, s, "delete session", error))
    return FALSE;
  return TRUE;
}

/* ---- issue 14 ----------------------------------------------------------- */

static gboolean
companion_sqlite_store_update_poll (CompanionStore  *store,
                                    const char      *order_id,
                                    gint64           seen_last_poll_at,
                                    guint            seen_interval,
                                    gint64           last_poll_at,
                                    guint            interval,
                                    GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_UPDATE_POLL);
  bind_text (s, 1, order_id);
  sqlite3_bind_int64 (s, 2, seen_last_poll_at);
  sqlite3_bind_int (s, 3, (int) seen_interval);
  sqlite3_bind_int64 (s, 4, last_poll_at);
  sqlite3_bind_int (s, 5, (int) interval);
  if (!step_done (self, s, "update poll", error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    return set_error (error, COMPANION_STORE_ERROR_CONFLICT,
                      "The order was polled meanwhile, or does not exist");
  return TRUE;
}

static guint64
companion_sqlite_store_count_user_codes (CompanionStore  *store,
                                         gint64           now,
                                         GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  guint64 count = 0;

  if (!check_open (self, error))
    return 0;

  s = stmt (self, STMT_COUNT_USER_CODES);
  sqlite3_bind_int64 (s, 1, now);
  if (sqlite3_step (s) == SQLITE_ROW)
    count = (guint64) sqlite3_column_int64 (s, 0);
  else
    set_db_error (self, error, "count user codes");
  sqlite3_reset (s);
  return count;
}

static CompanionOrder *
companion_sqlite_store_get_order_by_user_code (CompanionStore  *store,
                                               const char      *user_code_hash,
                                               gint64           now,
                                               GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  CompanionOrder *order = NULL;
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_GET_ORDER_BY_USER_CODE);
  bind_text (s, 1, user_code_hash);
  sqlite3_bind_int64 (s, 2, now);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      order = order_from_row (s);
      if (order == NULL)
        set_error (error, COMPANION_STORE_ERROR_CORRUPT,
                   "The order holds values this program does not know");
    }
  else if (rc == SQLITE_DONE)
    set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No live order has this code");
  else
    set_db_error (self, error, "get order by user code");
  sqlite3_reset (s);
  return order;
}

static gboolean
companion_sqlite_store_get_user_code_misses (CompanionStore       *store,
                                             const char           *scope,
                                             gint64                now,
                                             CompanionMissWindow  *out,
                                             GError              **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_GET_USER_CODE_MISSES);
  bind_text (s, 1, scope);
  sqlite3_bind_int64 (s, 2, now);
  rc = sqlite3_step (s);
  out->misses = rc == SQLITE_ROW ? (guint) sqlite3_column_int (s, 0) : 0;
  out->window_ends = rc == SQLITE_ROW ? sqlite3_column_int64 (s, 1) : 0;
  sqlite3_reset (s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (self, error, "get user code misses");
  return TRUE;
}

static gboolean
companion_sqlite_store_add_user_code_miss (CompanionStore       *store,
                                           const char           *scope,
                                           gint64                now,
                                           gint64                window_ms,
                                           CompanionMissWindow  *out,
                                           GError              **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error) || !begin (self, error))
    return FALSE;

  s = stmt (self, STMT_SWEEP_USER_CODE_MISSES);
  sqlite3_bind_int64 (s, 1, now);
  if (!step_done (self, s, "sweep user code misses", error))
    goto fail;

  s = stmt (self, STMT_ADD_USER_CODE_MISS);
  bind_text (s, 1, scope);
  sqlite3_bind_int64 (s, 2, now);
  sqlite3_bind_int64 (s, 3, window_ms);
  rc = sqlite3_step (s);
  if (rc != SQLITE_ROW)
    {
      set_db_error (self, error, "add user code miss");
      goto fail;
    }
  out->misses = (guint) sqlite3_column_int (s, 0);
  out->window_ends = sqlite3_column_int64 (s, 1);
  if (!step_done (self, s, "add user code miss", error) || !commit (self, error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

static gboolean
companion_sqlite_store_add_subject_mismatch (CompanionStore  *store,
                                             const char      *order_id,
                                             guint           *out_mismatches,
                                             GError         **error)
{
  return count_on_waiting_order (COMPANION_SQLITE_STORE (store), STMT_ADD_SUBJECT_MISMATCH,
                                 "subject mismatch", order_id, out_mismatches, error);
}

/* issue 16: passkeys */

static gboolean
companion_sqlite_store_add_passkey (CompanionStore          *store,
                                    const CompanionPasskey  *passkey,
                                    GError                 **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_INSERT_PASSKEY);
  bind_text (s, 1, passkey->credential_id);
  sqlite3_bind_int (s, 2, passkey->alg);
  bind_text (s, 3, passkey->public_key_cose);
  sqlite3_bind_int64 (s, 4, passkey->sign_count);
  sqlite3_bind_int (s, 5, passkey->backup_eligible ? 1 : 0);
  sqlite3_bind_int (s, 6, passkey->backup_state ? 1 : 0);
  bind_text (s, 7, passkey->transports);
  bind_text (s, 8, passkey->attestation_format);
  sqlite3_bind_int64 (s, 9, passkey->created_at);
  sqlite3_bind_int64 (s, 10, passkey->last_used_at);
  return step_done (self, s, "insert passkey", error);
}

static CompanionPasskey *
companion_sqlite_store_get_passkey (CompanionStore  *store,
                                    const char      *credential_id,
                                    GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  CompanionPasskey *passkey = NULL;
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_GET_PASSKEY);
  bind_text (s, 1, credential_id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      gint64 sign_count = sqlite3_column_int64 (s, 3);

      passkey = g_new0 (CompanionPasskey, 1);
      passkey->credential_id = column_text (s, 0);
      passkey->alg = sqlite3_column_int (s, 1);
      passkey->public_key_cose = column_text (s, 2);
      passkey->sign_count = (guint32) CLAMP (sign_count, 0, G_MAXUINT32);
      passkey->backup_eligible = sqlite3_column_int (s, 4) != 0;
      passkey->backup_state = sqlite3_column_int (s, 5) != 0;
      passkey->transports = column_text (s, 6);
      passkey->attestation_format = column_text (s, 7);
      passkey->created_at = sqlite3_column_int64 (s, 8);
      passkey->last_used_at = sqlite3_column_int64 (s, 9);
      if (passkey->public_key_cose == NULL || passkey->attestation_format == NULL)
        {
          g_clear_pointer (&passkey, companion_passkey_free);
          set_error (error, COMPANION_STORE_ERROR_CORRUPT, "A passkey row is incomplete");
        }
    }
  else if (rc == SQLITE_DONE)
    set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No such passkey");
  else
    set_db_error (self, error, "get passkey");
  sqlite3_reset (s);
  return passkey;
}

static gboolean
companion_sqlite_store_use_passkey (CompanionStore  *store,
                                    const char      *credential_id,
                                    guint32          seen_sign_count,
                                    guint32          sign_count,
                                    gboolean         backup_state,
                                    gint64           now,
                                    GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_USE_PASSKEY);
  bind_text (s, 1, credential_id);
  sqlite3_bind_int64 (s, 2, seen_sign_count);
  sqlite3_bind_int64 (s, 3, sign_count);
  sqlite3_bind_int (s, 4, backup_state ? 1 : 0);
  sqlite3_bind_int64 (s, 5, now);
  if (!step_done (self, s, "use passkey", error))
    return FALSE;
  if (sqlite3_changes (self->db) != 1)
    return set_error (error, COMPANION_STORE_ERROR_CONFLICT,
                      "The passkey's sign count changed, or there is no such passkey");
  return TRUE;
}

static gboolean
companion_sqlite_store_put_webauthn_proof (CompanionStore                *store,
                                           const CompanionWebauthnProof  *proof,
                                           GError                       **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_PUT_WEBAUTHN_PROOF);
  bind_text (s, 1, proof->order_id);
  bind_text (s, 2, proof->credential_id);
  bind_text (s, 3, proof->client_data_json);
  bind_text (s, 4, proof->attestation_object);
  bind_text (s, 5, proof->authenticator_data);
  bind_text (s, 6, proof->signature);
  if (!step_done (self, s, "put webauthn proof", error))
    return FALSE;
  if (sqlite3_changes (self->db) != 1)
    return set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No such order");
  return TRUE;
}

static CompanionWebauthnProof *
companion_sqlite_store_get_webauthn_proof (CompanionStore  *store,
                                           const char      *order_id,
                                           GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  CompanionWebauthnProof *proof = NULL;
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_GET_WEBAUTHN_PROOF);
  bind_text (s, 1, order_id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      proof = g_new0 (CompanionWebauthnProof, 1);
      proof->order_id = column_text (s, 0);
      proof->credential_id = column_text (s, 1);
      proof->client_data_json = column_text (s, 2);
      proof->attestation_object = column_text (s, 3);
      proof->authenticator_data = column_text (s, 4);
      proof->signature = column_text (s, 5);
    }
  else if (rc == SQLITE_DONE)
    set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "The order has no passkey answer");
  else
    set_db_error (self, error, "get webauthn proof");
  sqlite3_reset (s);
  return proof;
}

/* ---- users by id, roles, the ledger -------------------------------------- */

static CompanionUser *
companion_sqlite_store_get_user_by_id (CompanionStore  *store,
                                       const char      *user_id,
                                       GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  CompanionUser *user = NULL;
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_GET_USER_BY_ID);
  bind_text (s, 1, user_id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    user = user_from_row (s, 0);
  else if (rc == SQLITE_DONE)
    set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No user has this id");
  else
    set_db_error (self, error, "get user by id");
  sqlite3_reset (s);
  return user;
}

static gboolean
companion_sqlite_store_set_user_role (CompanionStore  *store,
                                      const char      *subject,
                                      CompanionRole    role,
                                      GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  sqlite3_stmt *s;

  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_SET_USER_ROLE);
  bind_text (s, 1, subject);
  bind_text (s, 2, companion_role_to_string (role));
  sqlite3_bind_int64 (s, 3, crossing_now_ms ());
  if (!step_done (self, s, "set user role", error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    return set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No user has this subject");
  return TRUE;
}

static void
bind_amount (sqlite3_stmt *s,
             int           index,
             gint64        value)
{
  if (value < 0)
    sqlite3_bind_null (s, index);
  else
    sqlite3_bind_int64 (s, index, value);
}

static CompanionLedgerEntry *
entry_from_row (sqlite3_stmt *s)
{
  CompanionLedgerEntry *entry = g_new0 (CompanionLedgerEntry, 1);
  int i = 0;

  entry->seq = sqlite3_column_int64 (s, i++);
  entry->id = column_text (s, i++);
  entry->user_id = column_text (s, i++);
  entry->type = column_text (s, i++);
  entry->asset = column_text (s, i++);
  entry->amount = sqlite3_column_int64 (s, i++);
  entry->posted_delta = sqlite3_column_int64 (s, i++);
  entry->reserved_delta = sqlite3_column_int64 (s, i++);
  entry->posted = sqlite3_column_int64 (s, i++);
  entry->reserved = sqlite3_column_int64 (s, i++);
  entry->reason = column_text (s, i++);
  entry->hold_id = column_text (s, i++);
  entry->order_id = column_text (s, i++);
  entry->created_at = sqlite3_column_int64 (s, i++);
  return entry;
}

static gint64
column_amount (sqlite3_stmt *s,
               int           index)
{
  return sqlite3_column_type (s, index) == SQLITE_NULL ? -1 : sqlite3_column_int64 (s, index);
}

/* NULL for a status this program does not know. */
static CompanionLedgerHold *
hold_from_row (sqlite3_stmt *s)
{
  CompanionLedgerHold *hold = g_new0 (CompanionLedgerHold, 1);
  int i = 0;

  hold->id = column_text (s, i++);
  hold->user_id = column_text (s, i++);
  hold->asset = column_text (s, i++);
  hold->amount = sqlite3_column_int64 (s, i++);
  hold->status = sqlite3_column_int (s, i++);
  hold->reason = column_text (s, i++);
  hold->order_id = column_text (s, i++);
  hold->expires_at = sqlite3_column_int64 (s, i++);
  hold->created_at = sqlite3_column_int64 (s, i++);
  hold->captured_amount = column_amount (s, i++);
  hold->released_amount = column_amount (s, i++);
  if (companion_hold_status_to_string (hold->status) == NULL)
    g_clear_pointer (&hold, companion_ledger_hold_free);
  return hold;
}

/* The hold @hold_id, NULL with no error when there is none. */
static CompanionLedgerHold *
find_hold (CompanionSqliteStore  *self,
           const char            *hold_id,
           GError               **error)
{
  sqlite3_stmt *s = stmt (self, STMT_LEDGER_GET_HOLD);
  CompanionLedgerHold *hold = NULL;
  int rc;

  bind_text (s, 1, hold_id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    {
      hold = hold_from_row (s);
      if (hold == NULL)
        set_error (error, COMPANION_STORE_ERROR_CORRUPT,
                   "The hold holds values this program does not know");
    }
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get hold");
  sqlite3_reset (s);
  return hold;
}

/* Whether the user exists, posted and journal reserved of the balance row
 * (zeros without one), and the reserved of its holds still live at @now. */
static gboolean
read_balance (CompanionSqliteStore  *self,
              const char            *user_id,
              const char            *asset,
              gint64                 now,
              gboolean              *out_user_exists,
              gint64                *out_posted,
              gint64                *out_journal_reserved,
              gint64                *out_live_reserved,
              GError               **error)
{
  sqlite3_stmt *s = stmt (self, STMT_LEDGER_GET_BALANCE);
  int rc;

  bind_text (s, 1, user_id);
  bind_text (s, 2, asset);
  sqlite3_bind_int64 (s, 3, now);
  rc = sqlite3_step (s);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (s);
      return set_db_error (self, error, "get balance");
    }
  if (out_user_exists != NULL)
    *out_user_exists = sqlite3_column_int (s, 0) != 0;
  *out_posted = sqlite3_column_int64 (s, 1);
  *out_journal_reserved = sqlite3_column_int64 (s, 2);
  *out_live_reserved = sqlite3_column_int64 (s, 3);
  sqlite3_reset (s);
  return TRUE;
}

/* Inside the transaction: TRUE with the outcome, FALSE for a store error.
 * @by_order: the settling of a hold by its order's transition. */
static gboolean
ledger_post_locked (CompanionSqliteStore          *self,
                    const CompanionLedgerPosting  *p,
                    gboolean                       by_order,
                    CompanionLedgerResult         *out,
                    GError                       **error)
{
  g_autoptr(CompanionLedgerHold) hold = NULL;
  g_autoptr(CompanionLedgerEntry) entry = NULL;
  const char *user_id = p->user_id;
  const char *asset = p->asset;
  gint64 posted, journal_reserved, live_reserved;
  gboolean user_exists = FALSE;
  gint64 posted_delta = 0, reserved_delta = 0, live_delta = 0, amount = 0;
  sqlite3_stmt *s;
  int rc;

  if (p->idempotency_key != NULL)
    {
      s = stmt (self, STMT_LEDGER_GET_KEY);
      bind_text (s, 1, p->idempotency_key);
      rc = sqlite3_step (s);
      if (rc == SQLITE_ROW)
        {
          const char *stored = (const char *) sqlite3_column_text (s, 0);

          if (g_strcmp0 (stored, p->fingerprint) == 0)
            {
              out->outcome = COMPANION_LEDGER_REPLAYED;
              out->status = (guint) sqlite3_column_int (s, 1);
              out->body = column_text (s, 2);
            }
          else
            out->outcome = COMPANION_LEDGER_KEY_CONFLICT;
          sqlite3_reset (s);
          return TRUE;
        }
      sqlite3_reset (s);
      if (rc != SQLITE_DONE)
        return set_db_error (self, error, "get idempotency key");
    }

  if (p->kind == COMPANION_POSTING_RESOLVE || p->kind == COMPANION_POSTING_EXPIRE)
    {
      hold = find_hold (self, p->hold_id, error);
      if (hold == NULL)
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          out->outcome = COMPANION_LEDGER_NO_HOLD;
          return TRUE;
        }
      user_id = hold->user_id;
      asset = hold->asset;
      if (p->kind == COMPANION_POSTING_EXPIRE)
        {
          if (hold->status != COMPANION_HOLD_HELD)
            out->outcome = COMPANION_LEDGER_HOLD_NOT_HELD;
          else if (hold->expires_at > p->now)
            out->outcome = COMPANION_LEDGER_HOLD_LIVE;
        }
      else if (hold->status == COMPANION_HOLD_EXPIRED ||
               (hold->status == COMPANION_HOLD_HELD && hold->expires_at <= p->now))
        out->outcome = COMPANION_LEDGER_HOLD_EXPIRED;
      else if (hold->status != COMPANION_HOLD_HELD)
        out->outcome = COMPANION_LEDGER_HOLD_NOT_HELD;
      else if (p->capture != 0 && hold->order_id != NULL && !by_order)
        out->outcome = COMPANION_LEDGER_HOLD_AWAITING_APPROVAL;
      else if (p->capture > hold->amount)
        out->outcome = COMPANION_LEDGER_CAPTURE_TOO_LARGE;
      if (out->outcome != COMPANION_LEDGER_APPLIED)
        return TRUE;
    }

  if (!read_balance (self, user_id, asset, p->now, &user_exists, &posted, &journal_reserved,
                     &live_reserved, error))
    return FALSE;
  /* A hold's user is not checked: the journal outlives a removed user. */
  if (!user_exists && hold == NULL)
    {
      out->outcome = COMPANION_LEDGER_NO_USER;
      return TRUE;
    }

  switch (p->kind)
    {
    case COMPANION_POSTING_MOVE:
      posted_delta = p->posted_delta;
      amount = ABS (p->posted_delta);
      break;
    case COMPANION_POSTING_HOLD:
      reserved_delta = live_delta = amount = p->amount;
      break;
    case COMPANION_POSTING_RESOLVE:
      {
        gint64 captured = p->capture < 0 ? hold->amount : p->capture;

        posted_delta = -captured;
        reserved_delta = live_delta = -hold->amount;
        amount = captured > 0 ? captured : hold->amount;
        hold->status = p->hold_status;
        hold->captured_amount = captured > 0 ? captured : -1;
        hold->released_amount = hold->amount - captured;
      }
      break;
    case COMPANION_POSTING_EXPIRE:
      /* The hold stopped counting in the live balance when it expired. */
      reserved_delta = -hold->amount;
      amount = hold->amount;
      hold->status = COMPANION_HOLD_EXPIRED;
      hold->captured_amount = -1;
      hold->released_amount = hold->amount;
      break;
    default:
      g_assert_not_reached ();
    }

  /* Amounts and balances stay within 2^53 - 1, so none of this overflows. */
  if (posted + posted_delta > COMPANION_LEDGER_MAX_AMOUNT ||
      journal_reserved + reserved_delta > COMPANION_LEDGER_MAX_AMOUNT)
    {
      out->outcome = COMPANION_LEDGER_ABOVE_LIMIT;
      return TRUE;
    }
  if (posted + posted_delta - (live_reserved + live_delta) < 0 &&
      (posted_delta < 0 || live_delta > 0))
    {
      out->outcome = COMPANION_LEDGER_BELOW_ZERO;
      return TRUE;
    }

  entry = g_new0 (CompanionLedgerEntry, 1);
  entry->id = g_strdup (p->entry_id);
  entry->user_id = g_strdup (user_id);
  entry->type = g_strdup (p->type);
  entry->asset = g_strdup (asset);
  entry->amount = amount;
  entry->posted_delta = posted_delta;
  entry->reserved_delta = reserved_delta;
  entry->posted = posted + posted_delta;
  entry->reserved = journal_reserved + reserved_delta;
  entry->reason = g_strdup (p->reason);
  entry->hold_id = g_strdup (p->kind == COMPANION_POSTING_HOLD ? p->hold_id
                             : hold != NULL ? hold->id : NULL);
  entry->order_id = g_strdup (hold != NULL ? hold->order_id : NULL);
  entry->created_at = p->now;

  s = stmt (self, STMT_LEDGER_INSERT_ENTRY);
  bind_text (s, 1, entry->id);
  bind_text (s, 2, entry->user_id);
  bind_text (s, 3, entry->type);
  bind_text (s, 4, entry->asset);
  sqlite3_bind_int64 (s, 5, entry->amount);
  sqlite3_bind_int64 (s, 6, entry->posted_delta);
  sqlite3_bind_int64 (s, 7, entry->reserved_delta);
  sqlite3_bind_int64 (s, 8, entry->posted);
  sqlite3_bind_int64 (s, 9, entry->reserved);
  bind_text (s, 10, entry->reason);
  bind_text (s, 11, entry->hold_id);
  bind_text (s, 12, entry->order_id);
  sqlite3_bind_int64 (s, 13, entry->created_at);
  rc = sqlite3_step (s);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (s);
      return set_db_error (self, error, "insert ledger entry");
    }
  entry->seq = sqlite3_column_int64 (s, 0);
  if (!step_done (self, s, "insert ledger entry", error))
    return FALSE;

  s = stmt (self, STMT_LEDGER_PUT_BALANCE);
  bind_text (s, 1, user_id);
  bind_text (s, 2, asset);
  sqlite3_bind_int64 (s, 3, entry->posted);
  sqlite3_bind_int64 (s, 4, entry->reserved);
  if (!step_done (self, s, "put balance", error))
    return FALSE;

  if (p->kind == COMPANION_POSTING_HOLD && p->order != NULL &&
      !insert_order_row (self, p->order, error))
    return FALSE;

  if (p->kind == COMPANION_POSTING_HOLD)
    {
      hold = g_new0 (CompanionLedgerHold, 1);
      hold->id = g_strdup (p->hold_id);
      hold->user_id = g_strdup (user_id);
      hold->asset = g_strdup (asset);
      hold->amount = p->amount;
      hold->status = COMPANION_HOLD_HELD;
      hold->reason = g_strdup (p->reason);
      hold->order_id = p->order != NULL ? g_strdup (p->order->id) : NULL;
      hold->expires_at = p->expires_at;
      hold->created_at = p->now;
      hold->captured_amount = -1;
      hold->released_amount = -1;

      s = stmt (self, STMT_LEDGER_INSERT_HOLD);
      bind_text (s, 1, hold->id);
      bind_text (s, 2, hold->user_id);
      bind_text (s, 3, hold->asset);
      sqlite3_bind_int64 (s, 4, hold->amount);
      sqlite3_bind_int (s, 5, hold->status);
      bind_text (s, 6, hold->reason);
      bind_text (s, 7, hold->order_id);
      sqlite3_bind_int64 (s, 8, hold->expires_at);
      sqlite3_bind_int64 (s, 9, hold->created_at);
      bind_amount (s, 10, hold->captured_amount);
      bind_amount (s, 11, hold->released_amount);
      if (!step_done (self, s, "insert hold", error))
        return FALSE;
    }
  else if (hold != NULL)
    {
      s = stmt (self, STMT_LEDGER_RESOLVE_HOLD);
      bind_text (s, 1, hold->id);
      sqlite3_bind_int (s, 2, hold->status);
      bind_amount (s, 3, hold->captured_amount);
      bind_amount (s, 4, hold->released_amount);
      if (!step_done (self, s, "resolve hold", error))
        return FALSE;
      /* Checked above in this transaction; only a bug gets here. */
      if (sqlite3_changes (self->db) != 1)
        return set_error (error, COMPANION_STORE_ERROR_CONFLICT, "The hold is no longer held");

      /* issue 12: releasing a hold cancels the order it waits for. The
       * order's own settling then finds the hold released. */
      if (p->kind == COMPANION_POSTING_RESOLVE && p->capture == 0 && !by_order &&
          hold->order_id != NULL)
        {
          CompanionOrderChange change = { .to = CROSSING_STATUS_CANCELLED };
          g_autoptr(GError) local_error = NULL;
          gint64 seq = 0;

          if (p->order_event_data == NULL)
            return set_error (error, COMPANION_STORE_ERROR_FAILED,
                              "Releasing a hold with an order needs the order's event");
          if (transition_locked (self, hold->order_id,
                                 COMPANION_STATUS_BIT (CROSSING_STATUS_CREATED) |
                                 COMPANION_STATUS_BIT (CROSSING_STATUS_CLAIMED) |
                                 COMPANION_STATUS_BIT (CROSSING_STATUS_WAITING_USER),
                                 &change, NULL, p->order_event_data, &seq, &local_error))
            {
              out->cancelled_order_id = g_strdup (hold->order_id);
              out->cancelled_order_seq = seq;
            }
          else if (!g_error_matches (local_error, COMPANION_STORE_ERROR,
                                     COMPANION_STORE_ERROR_CONFLICT))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
        }
    }

  out->outcome = COMPANION_LEDGER_APPLIED;
  out->balance.posted = entry->posted;
  out->balance.reserved = live_reserved + live_delta;
  out->entry = g_steal_pointer (&entry);
  out->hold = g_steal_pointer (&hold);

  if (p->respond != NULL)
    {
      out->status = 200;
      out->body = p->respond (out, p->respond_data);
    }
  if (p->idempotency_key != NULL)
    {
      s = stmt (self, STMT_LEDGER_PUT_KEY);
      bind_text (s, 1, p->idempotency_key);
      bind_text (s, 2, p->fingerprint);
      sqlite3_bind_int (s, 3, (int) out->status);
      bind_text (s, 4, out->body);
      sqlite3_bind_int64 (s, 5, out->entry->seq);
      if (!step_done (self, s, "put idempotency key", error))
        return FALSE;
    }
  return TRUE;
}

/* Inside a transition's transaction (issue 12): the hold attached to
 * @order_id, if any, follows the order to @to. */
static gboolean
settle_order_hold (CompanionSqliteStore  *self,
                   const char            *order_id,
                   CrossingStatus         to,
                   GError               **error)
{
  g_auto(CompanionLedgerResult) result = { 0, };
  g_autoptr(CompanionLedgerHold) hold = NULL;
  CompanionLedgerPosting p = { 0, };
  g_autofree char *hold_id = NULL;
  g_autofree char *entry_id = NULL;
  sqlite3_stmt *s;
  int rc;

  if (to == CROSSING_STATUS_APPROVED)
    {
      p.kind = COMPANION_POSTING_RESOLVE;
      p.reason = "order_approved";
      p.type = "capture";
      p.capture = -1;
      p.hold_status = COMPANION_HOLD_CAPTURED;
    }
  else if (to == CROSSING_STATUS_REJECTED)
    p.reason = "order_rejected";
  else if (to == CROSSING_STATUS_CANCELLED)
    p.reason = "order_cancelled";
  else if (to == CROSSING_STATUS_EXPIRED)
    p.reason = "order_expired";
  else
    return TRUE;

  s = stmt (self, STMT_LEDGER_GET_ORDER_HOLD);
  bind_text (s, 1, order_id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    hold_id = column_text (s, 0);
  sqlite3_reset (s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (self, error, "get the order's hold");
  if (hold_id == NULL)
    return TRUE;

  p.now = crossing_now_ms ();
  if (to != CROSSING_STATUS_APPROVED)
    {
      /* Released once: a hold no longer held stays as it is. */
      hold = find_hold (self, hold_id, error);
      if (hold == NULL)
        return error == NULL || *error == NULL;
      if (hold->status != COMPANION_HOLD_HELD)
        return TRUE;
      p.type = "release";
      if (hold->expires_at <= p.now)
        p.kind = COMPANION_POSTING_EXPIRE;
      else
        {
          p.kind = COMPANION_POSTING_RESOLVE;
          p.capture = 0;
          p.hold_status = COMPANION_HOLD_RELEASED;
        }
    }

  entry_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  p.entry_id = entry_id;
  p.hold_id = hold_id;
  if (!ledger_post_locked (self, &p, TRUE, &result, error))
    return FALSE;

  if (result.outcome == COMPANION_LEDGER_APPLIED)
    return TRUE;
  if (result.outcome == COMPANION_LEDGER_HOLD_EXPIRED)
    return set_error (error, COMPANION_STORE_ERROR_HOLD_EXPIRED, "The order's hold expired");
  if (result.outcome == COMPANION_LEDGER_HOLD_NOT_HELD)
    return set_error (error, COMPANION_STORE_ERROR_HOLD_NOT_HELD,
                      "The order's hold is no longer held");
  return set_error (error, COMPANION_STORE_ERROR_FAILED, "The order's hold could not be settled");
}

static gboolean
companion_sqlite_store_ledger_post (CompanionStore                *store,
                                    const CompanionLedgerPosting  *posting,
                                    CompanionLedgerResult         *out_result,
                                    GError                       **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);

  memset (out_result, 0, sizeof *out_result);
  if (!check_open (self, error) || !begin (self, error))
    return FALSE;

  if (!ledger_post_locked (self, posting, FALSE, out_result, error))
    {
      rollback (self);
      companion_ledger_result_clear (out_result);
      return FALSE;
    }
  if (out_result->outcome != COMPANION_LEDGER_APPLIED)
    {
      rollback (self);
      return TRUE;
    }
  if (!commit (self, error))
    {
      rollback (self);
      companion_ledger_result_clear (out_result);
      return FALSE;
    }
  if (out_result->cancelled_order_id != NULL)
    companion_store_emit_event_committed (store, out_result->cancelled_order_id,
                                          out_result->cancelled_order_seq,
                                          CROSSING_STATUS_CANCELLED, posting->order_event_data);
  return TRUE;
}

static gboolean
companion_sqlite_store_ledger_get_balance (CompanionStore          *store,
                                           const char              *user_id,
                                           const char              *asset,
                                           gint64                   now,
                                           CompanionLedgerBalance  *out_balance,
                                           GError                 **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  gint64 journal_reserved;

  if (!check_open (self, error))
    return FALSE;
  /* Two statements, one snapshot: a read transaction. */
  if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return set_db_error (self, error, "begin read");
  if (!read_balance (self, user_id, asset, now, NULL, &out_balance->posted, &journal_reserved,
                     &out_balance->reserved, error))
    {
      rollback (self);
      return FALSE;
    }
  rollback (self);
  return TRUE;
}

static GPtrArray *
companion_sqlite_store_ledger_list_entries (CompanionStore  *store,
                                            const char      *user_id,
                                            const char      *asset,
                                            gint64           before_seq,
                                            guint            limit,
                                            GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_ledger_entry_free);
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, asset != NULL ? STMT_LEDGER_LIST_ENTRIES_ASSET : STMT_LEDGER_LIST_ENTRIES);
  bind_text (s, 1, user_id);
  sqlite3_bind_int64 (s, 2, before_seq > 0 ? before_seq : G_MAXINT64);
  sqlite3_bind_int (s, 3, (int) MIN (limit, G_MAXINT));
  if (asset != NULL)
    bind_text (s, 4, asset);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    g_ptr_array_add (entries, entry_from_row (s));
  sqlite3_reset (s);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list ledger entries");
      return NULL;
    }
  return g_steal_pointer (&entries);
}

static CompanionLedgerHold *
companion_sqlite_store_ledger_get_hold (CompanionStore  *store,
                                        const char      *hold_id,
                                        GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  g_autoptr(GError) local_error = NULL;
  CompanionLedgerHold *hold;

  if (!check_open (self, error))
    return NULL;

  hold = find_hold (self, hold_id, &local_error);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (hold == NULL)
    set_error (error, COMPANION_STORE_ERROR_NOT_FOUND, "No such hold");
  return hold;
}

static GPtrArray *
companion_sqlite_store_ledger_list_due_holds (CompanionStore  *store,
                                              gint64           now,
                                              guint            limit,
                                              GError         **error)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);
  g_autoptr(GPtrArray) holds = g_ptr_array_new_with_free_func ((GDestroyNotify) companion_ledger_hold_free);
  sqlite3_stmt *s;
  int rc;

  if (!check_open (self, error))
    return NULL;

  s = stmt (self, STMT_LEDGER_LIST_DUE_HOLDS);
  sqlite3_bind_int64 (s, 1, now);
  sqlite3_bind_int (s, 2, (int) MIN (limit, G_MAXINT));
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      CompanionLedgerHold *hold = hold_from_row (s);

      if (hold != NULL)
        g_ptr_array_add (holds, hold);
    }
  sqlite3_reset (s);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list due holds");
      return NULL;
    }
  return g_steal_pointer (&holds);
}

static gint64
companion_sqlite_store_ledger_next_hold_expiry (CompanionStore  *store,
                                                GError         **error)
{
  return earliest_time (COMPANION_SQLITE_STORE (store), STMT_LEDGER_NEXT_HOLD_EXPIRY,
                        "next hold expiry", error);
}

static const char *
companion_sqlite_store_get_backend_name (CompanionStore *store)
{
  return "sqlite";
}

static void
companion_sqlite_store_close (CompanionStore *store)
{
  CompanionSqliteStore *self = COMPANION_SQLITE_STORE (store);

  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
}

static void
companion_sqlite_store_iface_init (CompanionStoreInterface *iface)
{
  iface->get_backend_name = companion_sqlite_store_get_backend_name;
  iface->close = companion_sqlite_store_close;
  iface->insert_order = companion_sqlite_store_insert_order;
  iface->get_order = companion_sqlite_store_get_order;
  iface->transition = companion_sqlite_store_transition;
  iface->add_check_code_failure = companion_sqlite_store_add_check_code_failure;
  iface->finalize_login = companion_sqlite_store_finalize_login;
  iface->list_events = companion_sqlite_store_list_events;
  iface->list_due_orders = companion_sqlite_store_list_due_orders;
  iface->next_expiry = companion_sqlite_store_next_expiry;
  iface->count_pending = companion_sqlite_store_count_pending;
  iface->add_user = companion_sqlite_store_add_user;
  iface->get_user_by_subject = companion_sqlite_store_get_user_by_subject;
  iface->list_users = companion_sqlite_store_list_users;
  iface->remove_user = companion_sqlite_store_remove_user;
  iface->lookup_session = companion_sqlite_store_lookup_session;
  iface->delete_session = companion_sqlite_store_delete_session;
  iface->get_order_by_challenge_hash = companion_sqlite_store_get_order_by_challenge_hash;
  iface->insert_nimiq_nonce = companion_sqlite_store_insert_nimiq_nonce;
  iface->consume_nimiq_nonce = companion_sqlite_store_consume_nimiq_nonce;
  iface->count_nimiq_nonces = companion_sqlite_store_count_nimiq_nonces;
  iface->sweep_nimiq_nonces = companion_sqlite_store_sweep_nimiq_nonces;
  iface->update_poll = companion_sqlite_store_update_poll;
  iface->count_user_codes = companion_sqlite_store_count_user_codes;
  iface->get_order_by_user_code = companion_sqlite_store_get_order_by_user_code;
  iface->get_user_code_misses = companion_sqlite_store_get_user_code_misses;
  iface->add_user_code_miss = companion_sqlite_store_add_user_code_miss;
  iface->add_subject_mismatch = companion_sqlite_store_add_subject_mismatch;
  /* issue 16 */
  iface->add_passkey = companion_sqlite_store_add_passkey;
  iface->get_passkey = companion_sqlite_store_get_passkey;
  iface->use_passkey = companion_sqlite_store_use_passkey;
  iface->put_webauthn_proof = companion_sqlite_store_put_webauthn_proof;
  iface->get_webauthn_proof = companion_sqlite_store_get_webauthn_proof;
  /* users by id, roles, the ledger */
  iface->get_user_by_id = companion_sqlite_store_get_user_by_id;
  iface->set_user_role = companion_sqlite_store_set_user_role;
  iface->ledger_post = companion_sqlite_store_ledger_post;
  iface->ledger_get_balance = companion_sqlite_store_ledger_get_balance;
  iface->ledger_list_entries = companion_sqlite_store_ledger_list_entries;
  iface->ledger_get_hold = companion_sqlite_store_ledger_get_hold;
  iface->ledger_list_due_holds = companion_sqlite_store_ledger_list_due_holds;
  iface->ledger_next_hold_expiry = companion_sqlite_store_ledger_next_hold_expiry;
}

static void
companion_sqlite_store_finalize (GObject *object)
{
  companion_sqlite_store_close (COMPANION_STORE (object));

  G_OBJECT_CLASS (companion_sqlite_store_parent_class)->finalize (object);
}

static void
companion_sqlite_store_class_init (CompanionSqliteStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = companion_sqlite_store_finalize;
}

static void
companion_sqlite_store_init (CompanionSqliteStore *self)
{
}

static gboolean
open_error (sqlite3     *db,
            const char  *path,
            const char  *what,
            GError     **error)
{
  g_set_error (error, COMPANION_STORE_ERROR,
               db != NULL ? companion_sqlite_error_code (sqlite3_errcode (db))
                          : COMPANION_STORE_ERROR_UNAVAILABLE,
               "Cannot %s the database %s: %s", what, path,
               db != NULL ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

static gboolean
read_user_version (sqlite3  *db,
                   int      *out_version)
{
  sqlite3_stmt *s = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step (s) == SQLITE_ROW)
    {
      *out_version = sqlite3_column_int (s, 0);
      ok = TRUE;
    }
  sqlite3_finalize (s);
  return ok;
}

static gboolean
migrate (sqlite3     *db,
         const char  *path,
         GError     **error)
{
  int version = 0;

  /* Reading the header first: a file that is not a database fails here,
   * before anything could write to it. */
  if (!read_user_version (db, &version))
    return open_error (db, path, "read", error);

  if (!companion_sqlite_check_version (db, version, path, error))
    return FALSE;

  if (sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec (db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
      /* A flow appends about 24 pages to the log, so the default (1000)
       * checkpoints, with two fsyncs, every 40 flows, and copies the same
       * hot pages each time. 8192 pages (32 MiB of log at most) does that
       * 8 times less often; commits stay in the log before any answer. */
      sqlite3_exec (db, "PRAGMA wal_autocheckpoint = 8192", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec (db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
    return open_error (db, path, "configure", error);

  return companion_sqlite_migrate (db, path, error);
}

CompanionSqliteStore *
companion_sqlite_store_open (const char  *path,
                             GError     **error)
{
  g_autoptr(CompanionSqliteStore) self = NULL;
  sqlite3 *db = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (strcmp (path, ":memory:") != 0 && !g_str_has_prefix (path, "file:"))
    {
      g_autofree char *dir = g_path_get_dirname (path);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, COMPANION_STORE_ERROR, COMPANION_STORE_ERROR_UNAVAILABLE,
                       "Cannot create %s: %s", dir, g_strerror (saved_errno));
          return NULL;
        }
    }

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      open_error (db, path, "open", error);
      sqlite3_close (db);
      return NULL;
    }

  sqlite3_busy_timeout (db, 5000);
  sqlite3_extended_result_codes (db, 0);

  if (!migrate (db, path, error))
    {
      sqlite3_close (db);
      return NULL;
    }

  self = g_object_new (COMPANION_TYPE_SQLITE_STORE, NULL);
  self->db = db;

  for (guint i = 0; i < N_STMTS; i++)
    {
      if (sqlite3_prepare_v3 (db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmts[i],
                              NULL) != SQLITE_OK)
        {
          open_error (db, path, "prepare statements for", error);
          return NULL;
        }
    }

  return g_steal_pointer (&self);
}
