/* test-ledger.c: the ledger's routes, as PROTOCOL.md "Ledger" describes them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An in-process companion with two assets (coin:0, eur:2), mutations on
 * (unless a test turns them off), one admin key, a user, and an admin and a
 * plain user who hold sessions. Every route, every code of the contract's
 * table that the ledger can answer, and its list of checks.
 */
#include "config.h"

#include <string.h>

#include "crossing-token.h"

#include "companion-sessions.h"
#include "companion-test-utils.h"

#define API "/api/auth/ledger/"

typedef struct {
  CtFixture  f;
  char      *admin_key;
  char      *user_id;          /* the account the tests move */
  char      *admin_session;    /* a session of a user with role admin */
  char      *user_session;     /* a session of the user above (role user) */
} Fixture;

/* A user with @role and, when @out_token, a session of theirs. */
static char *
add_user (Fixture        *fx,
          CompanionRole   role,
          char          **out_token)
{
  CompanionStore *store = ct_fixture_get_store (&fx->f);
  g_autoptr(GError) error = NULL;
  char *id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  g_autofree char *subject = g_strconcat ("ed25519:", id, NULL);
  CompanionUser user = {
    .id = id, .subject = subject, .role = role, .created_at = crossing_now_ms (),
  };

  g_assert_true (companion_store_add_user (store, &user, &error));
  g_assert_no_error (error);
  if (out_token != NULL)
    {
      CompanionSessionRequest request = { .subject = subject, .ttl_seconds = 3600 };

      g_assert_true (companion_sessions_create (store, &request, out_token, NULL, &error));
      g_assert_no_error (error);
    }
  return id;
}

static void
setup_with (Fixture  *fx,
            gboolean  mutations,
            guint     max_failures)
{
  g_autofree char *random = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *other = NULL;
  char *assets[] = { (char *) "coin:0", (char *) "eur:2", NULL };

  ct_fixture_init (&fx->f);
  random = crossing_token_new (CROSSING_SESSION_TOKEN_BYTES);
  fx->admin_key = g_strconcat ("crossing_admin_", random, NULL);
  hash = crossing_sha256_hex (fx->admin_key, strlen (fx->admin_key));
  /* A rotated-out key's hash first: every configured hash is compared. */
  other = g_strnfill (64, 'a');
  fx->f.config->ledger_mutations = mutations;
  fx->f.config->ledger_admin_key_sha256 = g_strdupv ((char *[]) { other, hash, NULL });
  g_strfreev (fx->f.config->ledger_assets);
  fx->f.config->ledger_assets = g_strdupv (assets);
  fx->f.config->metrics = TRUE;
  if (max_failures != 0)
    fx->f.config->max_failures_per_minute = max_failures;
  ct_fixture_start (&fx->f);

  g_free (add_user (fx, COMPANION_ROLE_ADMIN, &fx->admin_session));
  fx->user_id = add_user (fx, COMPANION_ROLE_USER, &fx->user_session);
}

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  setup_with (fx, TRUE, 0);
}

static void
setup_off (Fixture       *fx,
           gconstpointer  data)
{
  setup_with (fx, FALSE, 0);
}

static void
setup_limited (Fixture       *fx,
               gconstpointer  data)
{
  setup_with (fx, TRUE, 2);
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  ct_fixture_finish (&fx->f);
  g_free (fx->admin_key);
  g_free (fx->user_id);
  g_free (fx->admin_session);
  g_free (fx->user_session);
}

/* ---- requests ------------------------------------------------------------ */

/* POST {API}@route with @bearer (NULL: none) and @extra_header "Name: value". */
static CtResponse *
post_as (Fixture    *fx,
         const char *bearer,
         const char *route,
         const char *body,
         const char *idempotency_header)
{
  g_autofree char *path = g_strconcat (API, route, NULL);
  g_autoptr(SoupMessage) msg = ct_message_new_post (&fx->f, path, "application/json", body, -1);

  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    value);
    }
  if (idempotency_header != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                  idempotency_header);
  return ct_send (&fx->f, msg);
}

static CtResponse *
post_admin (Fixture    *fx,
            const char *route,
            const char *format,
            ...) G_GNUC_PRINTF (3, 4);

static CtResponse *
post_admin (Fixture    *fx,
            const char *route,
            const char *format,
            ...)
{
  g_autofree char *body = NULL;
  va_list args;

  va_start (args, format);
  body = g_strdup_vprintf (format, args);
  va_end (args);
  return post_as (fx, fx->admin_key, route, body, NULL);
}

static CtResponse *
get_as (Fixture    *fx,
        const char *bearer,
        const char *path_and_query)
{
  g_autofree char *path = g_strconcat (API, path_and_query, NULL);
  g_autoptr(SoupMessage) msg = ct_message_new (&fx->f, SOUP_METHOD_GET, path);

  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    value);
    }
  return ct_send (&fx->f, msg);
}

/* A credit of @amount coin with a fresh key; asserts 200. */
static void
credit (Fixture *fx,
        gint64   amount)
{
  g_autofree char *key = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autoptr(CtResponse) r = post_admin (fx, "credit", "{\"userId\":\"%s\",\"asset\":\"coin\","
                                        "\"amount\":%" G_GINT64_FORMAT ",\"reason\":\"top up\","
                                        "\"idempotencyKey\":\"%s\"}", fx->user_id, amount, key);

  g_assert_cmpuint (r->status, ==, 200);
}

/* A reserve of @amount coin; returns the reservation's id. */
static char *
reserve (Fixture *fx,
         gint64   amount,
         guint    seconds)
{
  g_autofree char *key = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autoptr(CtResponse) r = post_admin (fx, "reserve", "{\"userId\":\"%s\",\"asset\":\"coin\","
                                        "\"amount\":%" G_GINT64_FORMAT ",\"reason\":\"order 7\","
                                        "\"idempotencyKey\":\"%s\",\"expiresInSeconds\":%u}",
                                        fx->user_id, amount, key, seconds);
  JsonObject *reservation;

  g_assert_cmpuint (r->status, ==, 200);
  reservation = ct_json_object (ct_response_object (r), "reservation");
  g_assert_cmpstr (ct_json_string (reservation, "status"), ==, "held");
  return g_strdup (ct_json_string (reservation, "id"));
}

/* The user's coin balance member @name. */
static gint64
coin (Fixture    *fx,
      const char *name)
{
  g_autoptr(CtResponse) r = get_as (fx, fx->user_session, "balance?asset=coin");
  JsonArray *balances;

  g_assert_cmpuint (r->status, ==, 200);
  balances = json_object_get_array_member (ct_response_object (r), "balances");
  g_assert_cmpuint (json_array_get_length (balances), ==, 1);
  return ct_json_int (json_array_get_object_element (balances, 0), name);
}

static JsonArray *
entries_of (CtResponse *response)
{
  g_assert_cmpuint (response->status, ==, 200);
  return json_object_get_array_member (ct_response_object (response), "entries");
}

static gboolean
time_passed (gpointer data)
{
  return crossing_now_ms () >= *(gint64 *) data;
}

/* Runs the main loop (the companion's timers) until @ms have passed. */
static void
wait_ms (gint64 ms)
{
  gint64 until = crossing_now_ms () + ms;

  g_assert_true (ct_wait_until (time_passed, &until, (guint) ms + 1000));
}

/* ---- authorization, in the contract's order ------------------------------ */

static void
test_mutations_off (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(CtResponse) with_key = post_admin (fx, "credit", "{\"userId\":\"%s\",\"asset\":"
                                               "\"coin\",\"amount\":1,\"reason\":\"x\","
                                               "\"idempotencyKey\":\"k\"}", fx->user_id);
  g_autoptr(CtResponse) admin = post_as (fx, fx->admin_session, "debit", "{}", NULL);
  g_autoptr(CtResponse) nobody = post_as (fx, NULL, "reserve", "not json", NULL);
  g_autoptr(CtResponse) read = get_as (fx, fx->user_session, "balance");

  ct_response_assert_error (with_key, 403, "LEDGER_MUTATIONS_DISABLED");
  ct_response_assert_error (admin, 403, "LEDGER_MUTATIONS_DISABLED");
  ct_response_assert_error (nobody, 403, "LEDGER_MUTATIONS_DISABLED");
  /* Reads do not depend on it. */
  g_assert_cmpuint (read->status, ==, 200);
}

static void
test_credentials_then_body (Fixture       *fx,
                            gconstpointer  data)
{
  g_autofree char *wrong_key = g_strconcat (fx->admin_key, "x", NULL);
  g_autoptr(CtResponse) none = post_as (fx, NULL, "credit", "not json", NULL);
  g_autoptr(CtResponse) bad_key = post_as (fx, wrong_key, "credit", "{}", NULL);
  g_autoptr(CtResponse) bad_session = post_as (fx, "bm90LWEtc2Vzc2lvbg", "credit", "{}", NULL);
  g_autoptr(CtResponse) no_role = post_as (fx, fx->user_session, "credit", "not json", NULL);
  g_autoptr(CtResponse) body = post_as (fx, fx->admin_key, "credit", "not json", NULL);
  g_autoptr(CtResponse) admin_session = NULL;
  g_autofree char *json = g_strdup_printf ("{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":5,"
                                           "\"reason\":\"by an admin\",\"idempotencyKey\":\"a1\"}",
                                           fx->user_id);

  ct_response_assert_error (none, 401, "UNAUTHORIZED");
  ct_response_assert_error (bad_key, 401, "UNAUTHORIZED");
  ct_response_assert_error (bad_session, 401, "UNAUTHORIZED");
  ct_response_assert_error (no_role, 403, "FORBIDDEN");
  ct_response_assert_error (body, 400, "INVALID_REQUEST");

  admin_session = post_as (fx, fx->admin_session, "credit", json, NULL);
  g_assert_cmpuint (admin_session->status, ==, 200);
  g_assert_cmpint (coin (fx, "posted"), ==, 5);
}

/* ---- the contract's checks ----------------------------------------------- */

static void
test_credit_twice_replays (Fixture       *fx,
                           gconstpointer  data)
{
#define BONUS "{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":%d,\"reason\":" \
              "\"daily bonus\",\"idempotencyKey\":\"daily_bonus:u:2026-05-06\"}"
  g_autofree char *body_100 = g_strdup_printf (BONUS, fx->user_id, 100);
  g_autofree char *body_101 = g_strdup_printf (BONUS, fx->user_id, 101);
  g_autoptr(CtResponse) first = post_as (fx, fx->admin_key, "credit", body_100, NULL);
  g_autoptr(CtResponse) second = NULL;
  g_autoptr(CtResponse) other = NULL;
  g_autoptr(CtResponse) header_same = NULL;
  g_autoptr(CtResponse) header_differs = NULL;
  g_autoptr(CtResponse) entries = NULL;

  g_assert_cmpuint (first->status, ==, 200);
  g_assert_null (soup_message_headers_get_one (first->headers, "Idempotency-Hit"));
  /* Balances move before the replay: it still answers as it did. */
  credit (fx, 7);

  second = post_as (fx, fx->admin_key, "credit", body_100, NULL);
  g_assert_cmpuint (second->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (second->headers, "Idempotency-Hit"), ==, "true");
  g_assert_true (g_bytes_equal (first->body, second->body));

  header_same = post_as (fx, fx->admin_key, "credit", body_100, "daily_bonus:u:2026-05-06");
  g_assert_cmpuint (header_same->status, ==, 200);
  g_assert_true (g_bytes_equal (first->body, header_same->body));
  header_differs = post_as (fx, fx->admin_key, "credit", body_100, "another-key");
  ct_response_assert_error (header_differs, 400, "INVALID_REQUEST");

  other = post_as (fx, fx->admin_key, "credit", body_101, NULL);
  ct_response_assert_error (other, 422, "IDEMPOTENCY_CONFLICT");

  g_assert_cmpint (coin (fx, "posted"), ==, 107);
  entries = get_as (fx, fx->user_session, "entries");
  g_assert_cmpuint (json_array_get_length (entries_of (entries)), ==, 2);
}

static void
test_reserve_then_debit_insufficient (Fixture       *fx,
                                      gconstpointer  data)
{
  g_autofree char *hold = NULL;
  g_autoptr(CtResponse) debit = NULL;
  g_autoptr(CtResponse) retry = NULL;
#define DEBIT_40 "{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":40,\"reason\":\"buy\"," \
                 "\"idempotencyKey\":\"debit-40\"}"

  credit (fx, 100);
  hold = reserve (fx, 70, 900);
  g_assert_cmpint (coin (fx, "available"), ==, 30);
  debit = post_admin (fx, "debit", DEBIT_40, fx->user_id);
  ct_response_assert_error (debit, 409, "INSUFFICIENT_FUNDS");

  /* The refusal consumed nothing: the same key works once funds are there. */
  credit (fx, 10);
  retry = post_admin (fx, "debit", DEBIT_40, fx->user_id);
  g_assert_cmpuint (retry->status, ==, 200);
  g_assert_cmpint (coin (fx, "available"), ==, 0);
  g_assert_cmpint (coin (fx, "posted"), ==, 70);
}

static void
test_capture_part_of_hold (Fixture       *fx,
                           gconstpointer  data)
{
  g_autofree char *hold = NULL;
  g_autoptr(CtResponse) capture = NULL;
  g_autoptr(CtResponse) again = NULL;
  JsonObject *entry, *reservation, *balance;

  credit (fx, 100);
  hold = reserve (fx, 50, 900);
  capture = post_admin (fx, "reservations/capture", "{\"reservationId\":\"%s\",\"amount\":20,"
                        "\"idempotencyKey\":\"cap-1\",\"reason\":\"order_paid\"}", hold);
  g_assert_cmpuint (capture->status, ==, 200);
  entry = ct_json_object (ct_response_object (capture), "entry");
  reservation = ct_json_object (ct_response_object (capture), "reservation");
  balance = ct_json_object (ct_response_object (capture), "balance");
  g_assert_cmpstr (ct_json_string (entry, "type"), ==, "capture");
  g_assert_cmpint (ct_json_int (entry, "amount"), ==, 20);
  g_assert_cmpint (ct_json_int (entry, "postedDelta"), ==, -20);
  g_assert_cmpint (ct_json_int (entry, "reservedDelta"), ==, -50);
  g_assert_cmpint (ct_json_int (entry, "posted"), ==, 80);
  g_assert_cmpint (ct_json_int (entry, "reserved"), ==, 0);
  g_assert_cmpstr (ct_json_string (entry, "reservationId"), ==, hold);
  g_assert_cmpstr (ct_json_string (reservation, "status"), ==, "captured");
  g_assert_cmpint (ct_json_int (reservation, "capturedAmount"), ==, 20);
  g_assert_cmpint (ct_json_int (reservation, "releasedAmount"), ==, 30);
  g_assert_cmpint (ct_json_int (balance, "available"), ==, 80);

  again = post_admin (fx, "reservations/release", "{\"reservationId\":\"%s\","
                      "\"idempotencyKey\":\"rel-1\"}", hold);
  ct_response_assert_error (again, 409, "RESERVATION_NOT_HELD");
}

static void
test_hold_expires (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *hold = NULL;
  g_autoptr(CtResponse) capture = NULL;
  g_autoptr(CtResponse) entries = NULL;
  JsonObject *newest;

  credit (fx, 10);
  hold = reserve (fx, 10, 1);
  g_assert_cmpint (coin (fx, "reserved"), ==, 10);
  wait_ms (1100);
  g_assert_cmpint (coin (fx, "reserved"), ==, 0);
  g_assert_cmpint (coin (fx, "available"), ==, 10);

  capture = post_admin (fx, "reservations/capture", "{\"reservationId\":\"%s\","
                        "\"idempotencyKey\":\"late\"}", hold);
  ct_response_assert_error (capture, 409, "RESERVATION_EXPIRED");

  entries = get_as (fx, fx->user_session, "entries?limit=1");
  newest = json_array_get_object_element (entries_of (entries), 0);
  g_assert_cmpstr (ct_json_string (newest, "type"), ==, "release");
  g_assert_cmpstr (ct_json_string (newest, "reason"), ==, "expired");
  g_assert_cmpint (ct_json_int (newest, "reservedDelta"), ==, -10);
  g_assert_cmpstr (ct_json_string (newest, "reservationId"), ==, hold);
}

/* A hold past its expiry no longer counts, in reads and in the balance
 * check, while its release is not written yet: the hold is put in the
 * store directly, already expired, so the feature's timer (armed by the
 * reserve route and at start) knows nothing of it. */
static void
test_expired_hold_stops_counting_before_timer (Fixture       *fx,
                                               gconstpointer  data)
{
  CompanionStore *store = ct_fixture_get_store (&fx->f);
  g_autofree char *entry_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  g_autofree char *hold_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  g_auto(CompanionLedgerResult) result = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(CtResponse) debit = NULL;
  g_autoptr(CtResponse) entries = NULL;
  gint64 now = crossing_now_ms ();
  CompanionLedgerPosting hold = {
    .kind = COMPANION_POSTING_HOLD, .entry_id = entry_id, .type = "reserve", .reason = "old",
    .user_id = fx->user_id, .asset = "coin", .amount = 10, .hold_id = hold_id,
    .expires_at = now - 1000, .now = now - 2000,
  };

  credit (fx, 10);
  g_assert_true (companion_store_ledger_post (store, &hold, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result.outcome, ==, COMPANION_LEDGER_APPLIED);

  g_assert_cmpint (coin (fx, "reserved"), ==, 0);
  g_assert_cmpint (coin (fx, "available"), ==, 10);
  debit = post_admin (fx, "debit", "{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":10,"
                      "\"reason\":\"all of it\",\"idempotencyKey\":\"all\"}", fx->user_id);
  g_assert_cmpuint (debit->status, ==, 200);
  /* No release was written: the newest entry is the debit. */
  entries = get_as (fx, fx->user_session, "entries?limit=1");
  g_assert_cmpstr (ct_json_string (json_array_get_object_element (entries_of (entries), 0),
                                   "type"), ==, "debit");
}

static void
test_entries_walk_while_credits_arrive (Fixture       *fx,
                                        gconstpointer  data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  guint pages = 0;

  for (guint i = 0; i < 6; i++)
    credit (fx, i + 1);

  do
    {
      g_autofree char *path = cursor != NULL
        ? g_strdup_printf ("entries?limit=1&cursor=%s", cursor)
        : g_strdup ("entries?limit=1");
      g_autoptr(CtResponse) page = get_as (fx, fx->user_session, path);
      JsonObject *object = ct_response_object (page);
      JsonArray *entries = json_object_get_array_member (object, "entries");
      JsonNode *next = json_object_get_member (object, "nextCursor");

      g_assert_cmpuint (json_array_get_length (entries), ==, 1);
      g_assert_true (g_hash_table_add (seen, g_strdup (ct_json_string (
                                                         json_array_get_object_element (entries, 0),
                                                         "id"))));
      /* A credit lands between every two pages. */
      credit (fx, 100);
      g_clear_pointer (&cursor, g_free);
      if (!JSON_NODE_HOLDS_NULL (next))
        cursor = g_strdup (json_node_get_string (next));
      pages++;
    }
  while (cursor != NULL && pages < 50);

  g_assert_cmpuint (pages, ==, 6);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 6);
}

/* ---- every error code ---------------------------------------------------- */

static void
test_amounts_integers_only (Fixture       *fx,
                            gconstpointer  data)
{
  static const char *const refused[] = {
    "100.0", "1e2", "1E2", "\"100\"", "0", "-0", "-5", "null", "true", "[100]", "{}",
    "9007199254740992", "99999999999999999999", "-9223372036854775808", "1.5",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(CtResponse) r = post_admin (fx, "credit", "{\"userId\":\"%s\",\"asset\":\"coin\","
                                            "\"amount\":%s,\"reason\":\"x\",\"idempotencyKey\":"
                                            "\"amount-%u\"}", fx->user_id, refused[i], i);

      g_test_message ("amount %s", refused[i]);
      ct_response_assert_error (r, 400, "INVALID_AMOUNT");
    }

  {
    g_autoptr(CtResponse) missing = post_admin (fx, "credit", "{\"userId\":\"%s\",\"asset\":"
                                                "\"coin\",\"reason\":\"x\",\"idempotencyKey\":"
                                                "\"m\"}", fx->user_id);
    g_autoptr(CtResponse) max = post_admin (fx, "credit", "{\"userId\":\"%s\",\"asset\":\"coin\","
                                            "\"amount\":9007199254740991,\"reason\":\"x\","
                                            "\"idempotencyKey\":\"max\"}", fx->user_id);
    g_autoptr(CtResponse) over = post_admin (fx, "credit", "{\"userId\":\"%s\",\"asset\":\"coin\","
                                             "\"amount\":1,\"reason\":\"x\",\"idempotencyKey\":"
                                             "\"over\"}", fx->user_id);
    g_autoptr(CtResponse) down = post_admin (fx, "adjust", "{\"userId\":\"%s\",\"asset\":\"coin\","
                                             "\"amount\":-9007199254740991,\"reason\":\"fix\","
                                             "\"idempotencyKey\":\"down\"}", fx->user_id);
    g_autoptr(CtResponse) below = post_admin (fx, "adjust", "{\"userId\":\"%s\",\"asset\":"
                                              "\"coin\",\"amount\":-1,\"reason\":\"fix\","
                                              "\"idempotencyKey\":\"below\"}", fx->user_id);
    g_autoptr(CtResponse) zero = post_admin (fx, "adjust", "{\"userId\":\"%s\",\"asset\":\"coin\","
                                             "\"amount\":0,\"reason\":\"fix\",\"idempotencyKey\":"
                                             "\"zero\"}", fx->user_id);

    ct_response_assert_error (missing, 400, "INVALID_AMOUNT");
    g_assert_cmpuint (max->status, ==, 200);
    ct_response_assert_error (over, 409, "BALANCE_LIMIT_EXCEEDED");
    g_assert_cmpuint (down->status, ==, 200);
    g_assert_cmpint (ct_json_int (ct_json_object (ct_response_object (down), "entry"),
                                  "postedDelta"), ==, -9007199254740991);
    ct_response_assert_error (below, 409, "INSUFFICIENT_FUNDS");
    ct_response_assert_error (zero, 400, "INVALID_AMOUNT");
  }

  /* json-glib reads an integer too large for 64 bits as -1: a signed
   * adjust would take it, were the raw token not checked too. */
  {
    g_autoptr(CtResponse) huge = post_admin (fx, "adjust", "{\"userId\":\"%s\",\"asset\":\"coin\","
                                             "\"amount\":99999999999999999999,\"reason\":\"fix\","
                                             "\"idempotencyKey\":\"huge\"}", fx->user_id);
    g_autoptr(CtResponse) spaced = post_admin (fx, "adjust", "{\"userId\":\"%s\",\"asset\":"
                                               "\"coin\",\"am\\u006funt\" :  1 ,\"reason\":\"fix\","
                                               "\"idempotencyKey\":\"spaced\"}", fx->user_id);

    ct_response_assert_error (huge, 400, "INVALID_AMOUNT");
    /* An escaped member name and white space around the token are fine. */
    g_assert_cmpuint (spaced->status, ==, 200);
  }
}

static void
test_body_errors (Fixture       *fx,
                  gconstpointer  data)
{
  static const struct {
    const char *route;
    const char *body;     /* @U: the user id */
    guint       status;
    const char *code;
  } cases[] = {
    { "credit", "{\"userId\":\"@U\",\"asset\":\"gold\",\"amount\":1,\"reason\":\"x\","
      "\"idempotencyKey\":\"k\"}", 400, "UNKNOWN_ASSET" },
    { "credit", "{\"userId\":\"@U\",\"asset\":\"Coin\",\"amount\":1,\"reason\":\"x\","
      "\"idempotencyKey\":\"k\"}", 400, "UNKNOWN_ASSET" },
    { "credit", "{\"userId\":\"@U\",\"amount\":1,\"reason\":\"x\",\"idempotencyKey\":\"k\"}",
      400, "INVALID_REQUEST" },
    { "credit", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"idempotencyKey\":\"k\"}",
      400, "INVALID_REQUEST" },
    { "credit", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"\","
      "\"idempotencyKey\":\"k\"}", 400, "INVALID_REQUEST" },
    { "credit", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"a\\u0007b\","
      "\"idempotencyKey\":\"k\"}", 400, "INVALID_REQUEST" },
    { "credit", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"x\"}",
      400, "INVALID_REQUEST" },
    { "credit", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"x\","
      "\"idempotencyKey\":\"a b\"}", 400, "INVALID_REQUEST" },
    { "credit", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"x\","
      "\"idempotencyKey\":\"\"}", 400, "INVALID_REQUEST" },
    { "credit", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"x\","
      "\"idempotencyKey\":7}", 400, "INVALID_REQUEST" },
    { "reserve", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"x\","
      "\"idempotencyKey\":\"k\",\"expiresInSeconds\":0}", 400, "INVALID_REQUEST" },
    { "reserve", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"x\","
      "\"idempotencyKey\":\"k\",\"expiresInSeconds\":604801}", 400, "INVALID_REQUEST" },
    { "reserve", "{\"userId\":\"@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":\"x\","
      "\"idempotencyKey\":\"k\",\"expiresInSeconds\":1.5}", 400, "INVALID_REQUEST" },
    { "credit", "{\"userId\":\"no-such-user-@U\",\"asset\":\"coin\",\"amount\":1,\"reason\":"
      "\"x\",\"idempotencyKey\":\"k\"}", 404, "USER_NOT_FOUND" },
    { "reservations/release", "{\"reservationId\":\"nope@U\",\"idempotencyKey\":\"k\"}",
      404, "RESERVATION_NOT_FOUND" },
    { "reservations/capture", "{\"reservationId\":\"nope@U\",\"idempotencyKey\":\"k\","
      "\"amount\":1.0}", 400, "INVALID_AMOUNT" },
    { "reservations/capture", "{\"idempotencyKey\":\"k@U\"}", 400, "INVALID_REQUEST" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) parts = g_strsplit (cases[i].body, "@U", -1);
      g_autofree char *body = g_strjoinv (fx->user_id, parts);
      g_autoptr(CtResponse) r = post_as (fx, fx->admin_key, cases[i].route, body, NULL);

      g_test_message ("%s %s", cases[i].route, body);
      ct_response_assert_error (r, cases[i].status, cases[i].code);
    }
  /* Nothing of that was written. */
  g_assert_cmpint (coin (fx, "posted"), ==, 0);
}

static void
test_hold_errors (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *hold = NULL;
  g_autofree char *short_hold = NULL;
  g_autoptr(CtResponse) too_much = NULL;
  g_autoptr(CtResponse) release = NULL;
  g_autoptr(CtResponse) capture = NULL;
  g_autoptr(CtResponse) expired = NULL;
  g_autoptr(CtResponse) over = NULL;

  credit (fx, 100);
  hold = reserve (fx, 50, 900);
  too_much = post_admin (fx, "reservations/capture", "{\"reservationId\":\"%s\",\"amount\":51,"
                         "\"idempotencyKey\":\"big\"}", hold);
  ct_response_assert_error (too_much, 400, "CAPTURE_EXCEEDS_RESERVATION");
  over = post_admin (fx, "reserve", "{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":51,"
                     "\"reason\":\"x\",\"idempotencyKey\":\"r51\"}", fx->user_id);
  ct_response_assert_error (over, 409, "INSUFFICIENT_FUNDS");

  release = post_admin (fx, "reservations/release", "{\"reservationId\":\"%s\","
                        "\"idempotencyKey\":\"rel\"}", hold);
  g_assert_cmpuint (release->status, ==, 200);
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (release), "reservation"),
                                   "status"), ==, "released");
  g_assert_cmpint (ct_json_int (ct_json_object (ct_response_object (release), "reservation"),
                                "releasedAmount"), ==, 50);
  g_assert_cmpstr (ct_json_string (ct_json_object (ct_response_object (release), "entry"),
                                   "reason"), ==, "release");
  capture = post_admin (fx, "reservations/capture", "{\"reservationId\":\"%s\","
                        "\"idempotencyKey\":\"cap\"}", hold);
  ct_response_assert_error (capture, 409, "RESERVATION_NOT_HELD");

  short_hold = reserve (fx, 5, 1);
  wait_ms (1050);
  expired = post_admin (fx, "reservations/release", "{\"reservationId\":\"%s\","
                        "\"idempotencyKey\":\"rel2\"}", short_hold);
  ct_response_assert_error (expired, 409, "RESERVATION_EXPIRED");
}

static void
test_rate_limited (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(CtResponse) limited = NULL;

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(CtResponse) r = post_as (fx, "crossing_admin_wrong", "credit", "{}", NULL);

      ct_response_assert_error (r, 401, "UNAUTHORIZED");
    }
  limited = post_as (fx, fx->admin_key, "credit", "{}", NULL);
  ct_response_assert_error (limited, 429, "RATE_LIMITED");
  g_assert_nonnull (soup_message_headers_get_one (limited->headers, "Retry-After"));
}

/* ---- reads --------------------------------------------------------------- */

static void
test_reads (Fixture       *fx,
            gconstpointer  data)
{
  g_autofree char *by_id = g_strdup_printf ("balance?userId=%s", fx->user_id);
  g_autofree char *account_by_id = g_strdup_printf ("account?userId=%s", fx->user_id);
  g_autoptr(CtResponse) account = get_as (fx, fx->user_session, "account");
  g_autoptr(CtResponse) balances = NULL;
  g_autoptr(CtResponse) admin_read = NULL;
  g_autoptr(CtResponse) admin_session_read = NULL;
  g_autoptr(CtResponse) forbidden = NULL;
  g_autoptr(CtResponse) no_user_id = NULL;
  g_autoptr(CtResponse) unknown_user = NULL;
  g_autoptr(CtResponse) anonymous = NULL;
  g_autoptr(CtResponse) unknown_asset = NULL;
  g_autoptr(CtResponse) bad_limit = NULL;
  JsonObject *object;
  JsonArray *array;
  g_autofree char *account_id = g_strconcat ("user:", fx->user_id, NULL);

  g_assert_cmpuint (account->status, ==, 200);
  object = ct_json_object (ct_response_object (account), "account");
  g_assert_cmpstr (ct_json_string (object, "id"), ==, account_id);
  g_assert_cmpstr (ct_json_string (object, "userId"), ==, fx->user_id);
  g_assert_cmpint (ct_json_int (object, "createdAt"), >, 0);
  array = json_object_get_array_member (ct_response_object (account), "assets");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (ct_json_string (json_array_get_object_element (array, 1), "asset"), ==, "eur");
  g_assert_cmpint (ct_json_int (json_array_get_object_element (array, 1), "scale"), ==, 2);

  credit (fx, 3);
  balances = get_as (fx, fx->user_session, "balance");
  array = json_object_get_array_member (ct_response_object (balances), "balances");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpint (ct_json_int (json_array_get_object_element (array, 0), "posted"), ==, 3);
  g_assert_cmpint (ct_json_int (json_array_get_object_element (array, 1), "posted"), ==, 0);
  g_assert_cmpint (ct_json_int (json_array_get_object_element (array, 1), "available"), ==, 0);

  admin_read = get_as (fx, fx->admin_key, by_id);
  g_assert_cmpuint (admin_read->status, ==, 200);
  g_assert_true (g_bytes_equal (admin_read->body, balances->body));
  admin_session_read = get_as (fx, fx->admin_session, account_by_id);
  g_assert_cmpuint (admin_session_read->status, ==, 200);
  forbidden = get_as (fx, fx->user_session, by_id);
  ct_response_assert_error (forbidden, 403, "FORBIDDEN");
  no_user_id = get_as (fx, fx->admin_key, "balance");
  ct_response_assert_error (no_user_id, 400, "INVALID_REQUEST");
  unknown_user = get_as (fx, fx->admin_key, "entries?userId=nobody");
  ct_response_assert_error (unknown_user, 404, "USER_NOT_FOUND");
  anonymous = get_as (fx, NULL, "entries");
  ct_response_assert_error (anonymous, 401, "UNAUTHORIZED");
  unknown_asset = get_as (fx, fx->user_session, "balance?asset=gold");
  ct_response_assert_error (unknown_asset, 400, "UNKNOWN_ASSET");
  bad_limit = get_as (fx, fx->user_session, "entries?limit=101");
  ct_response_assert_error (bad_limit, 400, "INVALID_REQUEST");
}

static void
test_cursor_bound_to_filter (Fixture       *fx,
                             gconstpointer  data)
{
  g_autoptr(CtResponse) first = NULL;
  g_autoptr(CtResponse) other_filter = NULL;
  g_autoptr(CtResponse) no_filter = NULL;
  g_autoptr(CtResponse) malformed = NULL;
  g_autoptr(CtResponse) same = NULL;
  g_autofree char *path = NULL;
  const char *cursor;

  credit (fx, 1);
  credit (fx, 2);
  first = get_as (fx, fx->user_session, "entries?asset=coin&limit=1");
  cursor = ct_json_string (ct_response_object (first), "nextCursor");
  g_assert_nonnull (cursor);

  path = g_strdup_printf ("entries?asset=eur&limit=1&cursor=%s", cursor);
  other_filter = get_as (fx, fx->user_session, path);
  ct_response_assert_error (other_filter, 400, "INVALID_CURSOR");
  g_free (path);
  path = g_strdup_printf ("entries?limit=1&cursor=%s", cursor);
  no_filter = get_as (fx, fx->user_session, path);
  ct_response_assert_error (no_filter, 400, "INVALID_CURSOR");
  malformed = get_as (fx, fx->user_session, "entries?cursor=%25%25not-a-cursor");
  ct_response_assert_error (malformed, 400, "INVALID_CURSOR");
  g_free (path);
  path = g_strdup_printf ("entries?asset=coin&limit=1&cursor=%s", cursor);
  same = get_as (fx, fx->user_session, path);
  g_assert_cmpuint (same->status, ==, 200);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (ct_response_object (same),
                                                               "nextCursor")));
}

static void
test_metrics_count_mutations (Fixture       *fx,
                              gconstpointer  data)
{
  g_autoptr(CtResponse) refused = NULL;
  g_autoptr(CtResponse) metrics = NULL;
  g_autofree char *text = NULL;

  credit (fx, 1);
  refused = post_admin (fx, "debit", "{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":2,"
                        "\"reason\":\"x\",\"idempotencyKey\":\"d2\"}", fx->user_id);
  ct_response_assert_error (refused, 409, "INSUFFICIENT_FUNDS");
  metrics = ct_get (&fx->f, "/api/auth/metrics");
  g_assert_cmpuint (metrics->status, ==, 200);
  text = g_strndup (g_bytes_get_data (metrics->body, NULL), g_bytes_get_size (metrics->body));
  g_assert_nonnull (strstr (text, "crossing_ledger_mutations_total{type=\"credit\","
                                  "result=\"applied\"} 1\n"));
  g_assert_nonnull (strstr (text, "crossing_ledger_mutations_total{type=\"debit\","
                                  "result=\"refused\"} 1\n"));
  g_assert_null (strstr (text, fx->user_id));
}

/* A browser app of an admin (trusted origin) may send Idempotency-Key and
 * read Idempotency-Hit. */
static void
test_cors_idempotency_headers (Fixture       *fx,
                               gconstpointer  data)
{
  g_autoptr(SoupMessage) preflight = ct_message_new (&fx->f, SOUP_METHOD_OPTIONS, API "credit");
  g_autoptr(CtResponse) allowed = NULL;
  g_autoptr(CtResponse) credited = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (preflight);
  g_autofree char *body = g_strdup_printf ("{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":1,"
                                           "\"reason\":\"x\",\"idempotencyKey\":\"cors\"}",
                                           fx->user_id);
  g_autofree char *path = g_strconcat (API, "credit", NULL);
  g_autoptr(SoupMessage) post = ct_message_new_post (&fx->f, path, "application/json", body, -1);
  g_autofree char *authorization = g_strconcat ("Bearer ", fx->admin_key, NULL);

  soup_message_headers_replace (headers, "Origin", fx->f.url);
  soup_message_headers_replace (headers, "Access-Control-Request-Method", "POST");
  soup_message_headers_replace (headers, "Access-Control-Request-Headers", "idempotency-key");
  allowed = ct_send (&fx->f, preflight);
  g_assert_cmpuint (allowed->status, ==, 204);
  g_assert_nonnull (strstr (soup_message_headers_get_one (allowed->headers,
                                                          "Access-Control-Allow-Headers"),
                            "Idempotency-Key"));

  soup_message_headers_replace (soup_message_get_request_headers (post), "Origin", fx->f.url);
  soup_message_headers_replace (soup_message_get_request_headers (post), "Authorization",
                                authorization);
  credited = ct_send (&fx->f, post);
  g_assert_cmpuint (credited->status, ==, 200);
  g_assert_nonnull (strstr (soup_message_headers_get_one (credited->headers,
                                                          "Access-Control-Expose-Headers"),
                            "Idempotency-Hit"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, setup_func, func) \
  g_test_add ("/ledger/" path, Fixture, NULL, setup_func, func, teardown)

  ADD ("authorization/mutations-off-403-whatever-the-credentials", setup_off, test_mutations_off);
  ADD ("authorization/credentials-then-role-then-body", setup, test_credentials_then_body);
  ADD ("checks/credit-twice-one-entry-replay-identical-other-amount-422", setup,
       test_credit_twice_replays);
  ADD ("checks/reserve-70-debit-40-insufficient-key-not-consumed", setup,
       test_reserve_then_debit_insufficient);
  ADD ("checks/capture-20-of-50-releases-30", setup, test_capture_part_of_hold);
  ADD ("checks/hold-of-one-second-expires-with-release-entry", setup, test_hold_expires);
  ADD ("checks/expired-hold-stops-counting-before-its-release", setup,
       test_expired_hold_stops_counting_before_timer);
  ADD ("checks/entries-limit-1-walk-no-repeats-while-credits-arrive", setup,
       test_entries_walk_while_credits_arrive);
  ADD ("errors/amounts-integers-only-and-limits", setup, test_amounts_integers_only);
  ADD ("errors/body-asset-user-reservation", setup, test_body_errors);
  ADD ("errors/holds-capture-exceeds-not-held-expired", setup, test_hold_errors);
  ADD ("errors/rate-limited-after-failed-credentials", setup_limited, test_rate_limited);
  ADD ("reads/account-balance-admin-user-id", setup, test_reads);
  ADD ("reads/cursor-bound-to-its-filter", setup, test_cursor_bound_to_filter);
  ADD ("metrics/mutations-by-type-and-result", setup, test_metrics_count_mutations);
  ADD ("cors/idempotency-key-allowed-hit-exposed", setup, test_cors_idempotency_headers);

  return g_test_run ();
}
