/* test-ledger-approval.c: a hold its owner approves on the phone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PROTOCOL.md "Ledger", "(beyond) A transaction order that captures a
 * hold", over HTTP: reserve with requireApproval answers an identified
 * transaction order; the owner's signed approval captures the hold; a
 * rejection, a cancellation and an expiry release it with their reason; a
 * capture by hand waits; a release cancels the order; racing approvals
 * capture once.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "crossing-token.h"

#include "companion-approve.h"
#include "companion-test-utils.h"

#define API "/api/auth/ledger/"

typedef struct {
  CtFixture  f;
  char      *admin_key;
  char      *user_id;
  char      *subject;    /* the user's, ed25519 of ct_seed_for (0) */
} Fixture;

static void
setup_ttl (Fixture *fx,
           guint    order_ttl)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *random = NULL;
  g_autofree char *hash = NULL;
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  char *assets[] = { (char *) "coin:0", (char *) "eur:2", NULL };
  CompanionUser user = { 0, };

  ct_fixture_init (&fx->f);
  random = crossing_token_new (CROSSING_SESSION_TOKEN_BYTES);
  fx->admin_key = g_strconcat ("crossing_admin_", random, NULL);
  hash = crossing_sha256_hex (fx->admin_key, strlen (fx->admin_key));
  fx->f.config->ledger_mutations = TRUE;
  fx->f.config->ledger_admin_key_sha256 = g_strdupv ((char *[]) { hash, NULL });
  g_strfreev (fx->f.config->ledger_assets);
  fx->f.config->ledger_assets = g_strdupv (assets);
  if (order_ttl != 0)
    fx->f.config->order_ttl = order_ttl;
  ct_fixture_start (&fx->f);

  ct_seed_for (0, seed);
  fx->subject = ct_ed25519_subject (seed);
  fx->user_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  user.id = fx->user_id;
  user.subject = fx->subject;
  user.role = COMPANION_ROLE_USER;
  user.created_at = crossing_now_ms ();
  g_assert_true (companion_store_add_user (ct_fixture_get_store (&fx->f), &user, &error));
  g_assert_no_error (error);
}

static void
setup (Fixture       *fx,
       gconstpointer  data)
{
  setup_ttl (fx, 0);
}

static void
setup_short_ttl (Fixture       *fx,
                 gconstpointer  data)
{
  setup_ttl (fx, 1);
}

static void
teardown (Fixture       *fx,
          gconstpointer  data)
{
  ct_fixture_finish (&fx->f);
  g_free (fx->admin_key);
  g_free (fx->user_id);
  g_free (fx->subject);
}

/* ---- requests ------------------------------------------------------------ */

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
  g_autofree char *path = g_strconcat (API, route, NULL);
  g_autofree char *body = NULL;
  g_autofree char *bearer = g_strconcat ("Bearer ", fx->admin_key, NULL);
  g_autoptr(SoupMessage) msg = NULL;
  va_list args;

  va_start (args, format);
  body = g_strdup_vprintf (format, args);
  va_end (args);
  msg = ct_message_new_post (&fx->f, path, "application/json", body, -1);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  return ct_send (&fx->f, msg);
}

static void
credit_eur (Fixture *fx,
            gint64   amount)
{
  g_autofree char *key = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autoptr(CtResponse) r = post_admin (fx, "credit", "{\"userId\":\"%s\",\"asset\":\"eur\","
                                        "\"amount\":%" G_GINT64_FORMAT ",\"reason\":\"top up\","
                                        "\"idempotencyKey\":\"%s\"}", fx->user_id, amount, key);

  g_assert_cmpuint (r->status, ==, 200);
}

/* A reserve of @amount eur with requireApproval under @key. */
static CtResponse *
reserve_approved (Fixture    *fx,
                  gint64      amount,
                  const char *key)
{
  return post_admin (fx, "reserve", "{\"userId\":\"%s\",\"asset\":\"eur\",\"amount\":%"
                     G_GINT64_FORMAT ",\"reason\":\"Room 12\",\"idempotencyKey\":\"%s\","
                     "\"requireApproval\":true,\"returnTo\":\"/paid\","
                     "\"displayTitle\":\"Hotel Crossing\"}", fx->user_id, amount, key);
}

/* The order of a reserve's answer, ready to claim; @out_hold_id the
 * reservation's id. */
static CtOrder *
order_of (CtResponse  *r,
          char       **out_hold_id)
{
  JsonObject *object = ct_response_object (r);
  JsonObject *o = ct_json_object (object, "order");
  CtOrder *order = g_new0 (CtOrder, 1);

  order->order_id = g_strdup (ct_json_string (o, "orderId"));
  order->kind = g_strdup (ct_json_string (o, "kind"));
  order->adapter_id = g_strdup (ct_json_string (o, "adapterId"));
  order->claim_token = g_strdup (ct_json_string (o, "claimToken"));
  order->claim_url = g_strdup (ct_json_string (o, "claimUrl"));
  order->desktop_token = g_strdup (ct_json_string (o, "desktopToken"));
  order->event_token = g_strdup (ct_json_string (o, "eventToken"));
  order->expires_at = ct_json_int (o, "expiresAt");
  ct_seed_for (0, order->seed);
  if (out_hold_id != NULL)
    *out_hold_id = g_strdup (ct_json_string (ct_json_object (object, "reservation"), "id"));
  return order;
}

static CtOrder *
start_approval (Fixture  *fx,
                gint64    amount,
                char    **out_hold_id)
{
  g_autofree char *key = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autoptr(CtResponse) r = reserve_approved (fx, amount, key);

  g_assert_cmpuint (r->status, ==, 200);
  return order_of (r, out_hold_id);
}

static CompanionLedgerHold *
get_hold (Fixture    *fx,
          const char *hold_id)
{
  g_autoptr(GError) error = NULL;
  CompanionLedgerHold *hold =
    companion_store_ledger_get_hold (ct_fixture_get_store (&fx->f), hold_id, &error);

  g_assert_no_error (error);
  return hold;
}

/* The newest journal entry of the user. */
static CompanionLedgerEntry *
newest_entry (Fixture *fx,
              guint   *out_n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries =
    companion_store_ledger_list_entries (ct_fixture_get_store (&fx->f), fx->user_id, NULL, 0,
                                         100, &error);
  CompanionLedgerEntry *e;

  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, >, 0);
  if (out_n != NULL)
    *out_n = entries->len;
  e = g_ptr_array_steal_index (entries, 0);
  return e;
}

static gint64
eur (Fixture    *fx,
     gboolean    posted)
{
  g_autoptr(GError) error = NULL;
  CompanionLedgerBalance balance;

  g_assert_true (companion_store_ledger_get_balance (ct_fixture_get_store (&fx->f), fx->user_id,
                                                     "eur", crossing_now_ms (), &balance,
                                                     &error));
  g_assert_no_error (error);
  return posted ? balance.posted : balance.reserved;
}

/* The last event of the order, once there are @n. */
static JsonNode *
event_after (Fixture    *fx,
             CtOrder    *order,
             guint       n,
             const char *name)
{
  g_autoptr(CtEventStream) stream = ct_event_stream_open (&fx->f, order->order_id,
                                                          order->event_token, NULL);
  CtEvent *event;

  g_assert_cmpuint (ct_event_stream_get_status (stream), ==, SOUP_STATUS_OK);
  g_assert_true (ct_event_stream_wait_events (stream, n));
  event = ct_event_stream_get_event (stream, n - 1);
  g_assert_cmpstr (event->event, ==, name);
  return ct_event_parse_data (event);
}

/* ---- the flow ------------------------------------------------------------ */

/* reserve -> order -> the owner approves -> the hold is captured; the
 * event and finalize carry the reservation; the signed message states the
 * charge and its payload hash reproduces; a replay of the reserve is the
 * same answer and makes no second order. */
static void
test_approve_captures (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *key = crossing_token_new (CROSSING_TOKEN_BYTES);
  g_autoptr(CtResponse) r = NULL;
  g_autoptr(CtResponse) again = NULL;
  g_autoptr(CtResponse) capture = NULL;
  g_autoptr(CtResponse) approve = NULL;
  g_autoptr(CtResponse) finalize = NULL;
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(JsonNode) challenge = NULL;
  g_autoptr(JsonNode) approved = NULL;
  g_autoptr(CompanionLedgerHold) hold = NULL;
  g_autoptr(CompanionLedgerEntry) entry = NULL;
  g_autofree char *hold_id = NULL;
  g_autofree char *hash_text = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *hash_line = NULL;
  JsonObject *o, *reservation;
  guint n_entries, n_after;

  credit_eur (fx, 3000);
  r = reserve_approved (fx, 1250, key);
  g_assert_cmpuint (r->status, ==, 200);
  o = ct_json_object (ct_response_object (r), "order");
  g_assert_cmpstr (ct_json_string (o, "kind"), ==, "transaction");
  g_assert_cmpstr (ct_json_string (o, "status"), ==, "created");
  g_assert_cmpstr (ct_json_string (o, "subject"), ==, fx->subject);
  g_assert_cmpstr (ct_json_string (o, "adapterId"), ==, "ed25519");
  g_assert_nonnull (ct_json_string (o, "claimUrl"));
  order = order_of (r, &hold_id);
  reservation = ct_json_object (ct_response_object (r), "reservation");
  g_assert_cmpstr (ct_json_string (reservation, "status"), ==, "held");
  g_assert_cmpstr (ct_json_string (reservation, "orderId"), ==, order->order_id);
  /* The hold outlives the order's finalize grace. */
  g_assert_cmpint (ct_json_int (reservation, "expiresAt"), >=,
                   order->expires_at + (gint64) fx->f.config->finalize_grace * 1000);
  g_assert_cmpint (eur (fx, FALSE), ==, 1250);

  /* The same key again: the stored answer, and no second order. */
  again = reserve_approved (fx, 1250, key);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (again->headers, "Idempotency-Hit"), ==, "true");
  g_assert_true (g_bytes_equal (r->body, again->body));
  g_assert_cmpuint (companion_store_count_pending (ct_fixture_get_store (&fx->f), NULL), ==, 1);

  capture = post_admin (fx, "reservations/capture", "{\"reservationId\":\"%s\","
                        "\"idempotencyKey\":\"by-hand-%s\"}", hold_id, hold_id);
  ct_response_assert_error (capture, 409, "RESERVATION_AWAITING_APPROVAL");

  ct_order_claim (&fx->f, order);
  ct_order_read_check_code (&fx->f, order);
  challenge = ct_order_challenge (&fx->f, order);
  g_assert_nonnull (strstr (order->message, "amount: 1250\n"));
  g_assert_nonnull (strstr (order->message, "asset: eur\n"));
  g_assert_nonnull (strstr (order->message, "scale: 2\n"));
  g_assert_nonnull (strstr (order->message, "summary: Pay 12.50 eur: Room 12\n"));
  g_assert_nonnull (strstr (order->message, "\ntitle: Hotel Crossing"));
  {
    g_autofree char *line = g_strconcat ("reservationId: ", hold_id, "\n", NULL);
    g_autofree char *subject_line = g_strconcat ("subject: ", fx->subject, "\n", NULL);

    g_assert_nonnull (strstr (order->message, line));
    g_assert_nonnull (strstr (order->message, subject_line));
  }
  hash_text = g_strdup_printf ("crossing-ledger-v1\n%s\n%s\neur\n1250", hold_id, fx->user_id);
  hash = crossing_sha256_hex (hash_text, strlen (hash_text));
  hash_line = g_strconcat ("Payload Hash: ", hash, "\n", NULL);
  g_assert_nonnull (strstr (order->message, hash_line));

  ct_order_sign (order);
  approve = ct_order_send_approve (&fx->f, order);
  g_assert_cmpuint (approve->status, ==, 200);

  hold = get_hold (fx, hold_id);
  g_assert_cmpint (hold->status, ==, COMPANION_HOLD_CAPTURED);
  g_assert_cmpint (hold->captured_amount, ==, 1250);
  g_assert_cmpint (eur (fx, TRUE), ==, 1750);
  g_assert_cmpint (eur (fx, FALSE), ==, 0);
  entry = newest_entry (fx, &n_entries);
  g_assert_cmpstr (entry->type, ==, "capture");
  g_assert_cmpstr (entry->order_id, ==, order->order_id);
  g_assert_cmpint (entry->posted_delta, ==, -1250);
  g_assert_cmpint (entry->reserved_delta, ==, -1250);

  /* claimed, approved */
  approved = event_after (fx, order, 1, "approved");
  reservation = ct_json_object (json_node_get_object (approved), "reservation");
  g_assert_cmpstr (ct_json_string (reservation, "id"), ==, hold_id);
  g_assert_cmpstr (ct_json_string (reservation, "status"), ==, "captured");
  g_assert_cmpint (ct_json_int (reservation, "capturedAmount"), ==, 1250);

  finalize = ct_order_finalize (&fx->f, order);
  g_assert_cmpuint (finalize->status, ==, 200);
  o = ct_response_object (finalize);
  g_assert_cmpstr (ct_json_string (o, "redirectTo"), ==, "/paid");
  reservation = ct_json_object (o, "reservation");
  g_assert_cmpstr (ct_json_string (reservation, "id"), ==, hold_id);
  g_assert_cmpstr (ct_json_string (reservation, "status"), ==, "captured");
  g_assert_cmpint (ct_json_int (reservation, "capturedAmount"), ==, 1250);
  g_assert_cmpstr (ct_json_string (ct_json_object (o, "proofArtifact"), "message"), ==,
                   order->message);

  g_clear_pointer (&entry, companion_ledger_entry_free);
  entry = newest_entry (fx, &n_after);
  g_assert_cmpuint (n_after, ==, n_entries);
}

/* Reject, cancel and (with order-ttl 1) expiry each release the hold once
 * with their reason. */
static void
test_end_releases (Fixture       *fx,
                   const char    *how,
                   const char    *reason)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CompanionLedgerHold) hold = NULL;
  g_autoptr(CompanionLedgerEntry) entry = NULL;
  g_autoptr(JsonNode) ended = NULL;
  g_autofree char *hold_id = NULL;
  guint n;

  credit_eur (fx, 1000);
  order = start_approval (fx, 400, &hold_id);
  g_assert_cmpint (eur (fx, FALSE), ==, 400);

  if (g_str_equal (how, "rejected"))
    {
      g_autoptr(CtResponse) r = NULL;

      ct_order_claim (&fx->f, order);
      r = ct_post_printf (&fx->f, "reject", "{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                          order->order_id, order->challenge_token);
      g_assert_cmpuint (r->status, ==, 200);
      ended = event_after (fx, order, 1, "rejected");
    }
  else if (g_str_equal (how, "cancelled"))
    {
      g_autoptr(CtResponse) r = ct_post_printf (&fx->f, "cancel", "{\"orderId\":\"%s\","
                                                "\"desktopToken\":\"%s\"}", order->order_id,
                                                order->desktop_token);

      g_assert_cmpuint (r->status, ==, 200);
      ended = event_after (fx, order, 1, "cancelled");
    }
  else
    {
      /* The companion's timer, pushed as it happens. */
      ended = event_after (fx, order, 1, "expired");
    }

  hold = get_hold (fx, hold_id);
  g_assert_cmpint (hold->status, ==, COMPANION_HOLD_RELEASED);
  g_assert_cmpint (hold->released_amount, ==, 400);
  g_assert_cmpint (eur (fx, FALSE), ==, 0);
  g_assert_cmpint (eur (fx, TRUE), ==, 1000);
  entry = newest_entry (fx, &n);
  g_assert_cmpstr (entry->type, ==, "release");
  g_assert_cmpstr (entry->reason, ==, reason);
  g_assert_cmpstr (entry->order_id, ==, order->order_id);
  /* credit, reserve, release: once */
  g_assert_cmpuint (n, ==, 3);
}

static void
test_reject_releases (Fixture       *fx,
                      gconstpointer  data)
{
  test_end_releases (fx, "rejected", "order_rejected");
}

static void
test_cancel_releases (Fixture       *fx,
                      gconstpointer  data)
{
  test_end_releases (fx, "cancelled", "order_cancelled");
}

static void
test_expiry_releases (Fixture       *fx,
                      gconstpointer  data)
{
  test_end_releases (fx, "expired", "order_expired");
}

/* The release route cancels the order with its hold; the phone can no
 * longer approve it. */
static void
test_release_cancels_order (Fixture       *fx,
                            gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtResponse) r = NULL;
  g_autoptr(CtResponse) approve = NULL;
  g_autoptr(JsonNode) cancelled = NULL;
  g_autoptr(CompanionLedgerEntry) entry = NULL;
  g_autofree char *hold_id = NULL;
  JsonObject *reservation;
  guint n;

  credit_eur (fx, 1000);
  order = start_approval (fx, 300, &hold_id);
  ct_order_claim (&fx->f, order);
  ct_order_read_check_code (&fx->f, order);
  json_node_unref (ct_order_challenge (&fx->f, order));
  ct_order_sign (order);

  r = post_admin (fx, "reservations/release", "{\"reservationId\":\"%s\","
                  "\"idempotencyKey\":\"release-%s\",\"reason\":\"sold out\"}", hold_id, hold_id);
  g_assert_cmpuint (r->status, ==, 200);
  reservation = ct_json_object (ct_response_object (r), "reservation");
  g_assert_cmpstr (ct_json_string (reservation, "status"), ==, "released");
  g_assert_cmpint (ct_json_int (reservation, "releasedAmount"), ==, 300);

  cancelled = event_after (fx, order, 1, "cancelled");
  approve = ct_order_send_approve (&fx->f, order);
  g_assert_cmpuint (approve->status, >=, 400);
  g_assert_cmpint (eur (fx, TRUE), ==, 1000);
  g_assert_cmpint (eur (fx, FALSE), ==, 0);
  entry = newest_entry (fx, &n);
  g_assert_cmpstr (entry->reason, ==, "sold out");
  g_assert_cmpuint (n, ==, 3);
}

/* A hold expired by the ledger's own timer (here: a store expiry with a
 * late clock) cannot be captured: the approval is 409 RESERVATION_EXPIRED
 * and the order stays waiting, without an approved event. */
static void
test_approve_expired_hold_fails (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtResponse) approve = NULL;
  g_autoptr(CompanionOrder) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CompanionLedgerResult) expired = { 0, };
  g_autofree char *hold_id = NULL;
  g_autofree char *entry_id = crossing_token_new (CROSSING_ORDER_ID_BYTES);
  CompanionLedgerPosting p = {
    .kind = COMPANION_POSTING_EXPIRE, .entry_id = entry_id, .type = "release",
    .reason = "expired", .now = G_MAXINT64 / 2,
  };

  credit_eur (fx, 1000);
  order = start_approval (fx, 300, &hold_id);
  ct_order_claim (&fx->f, order);
  ct_order_read_check_code (&fx->f, order);
  json_node_unref (ct_order_challenge (&fx->f, order));
  ct_order_sign (order);

  p.hold_id = hold_id;
  g_assert_true (companion_store_ledger_post (ct_fixture_get_store (&fx->f), &p, &expired,
                                              &error));
  g_assert_no_error (error);
  g_assert_cmpint (expired.outcome, ==, COMPANION_LEDGER_APPLIED);

  approve = ct_order_send_approve (&fx->f, order);
  ct_response_assert_error (approve, 409, "RESERVATION_EXPIRED");
  stored = companion_store_get_order (ct_fixture_get_store (&fx->f), order->order_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stored->status, ==, CROSSING_STATUS_WAITING_USER);
  g_assert_cmpint (eur (fx, TRUE), ==, 1000);
}

/* What a reserve with requireApproval refuses, and that a refused one
 * leaves no order. */
static void
test_errors (Fixture       *fx,
             gconstpointer  data)
{
  CompanionStore *store = ct_fixture_get_store (&fx->f);
  g_autoptr(CtResponse) not_bool = NULL;
  g_autoptr(CtResponse) no_user = NULL;
  g_autoptr(CtResponse) poor = NULL;
  g_autoptr(CtResponse) far = NULL;
  g_autoptr(CtResponse) plain = NULL;

  credit_eur (fx, 100);
  not_bool = post_admin (fx, "reserve", "{\"userId\":\"%s\",\"asset\":\"eur\",\"amount\":1,"
                         "\"reason\":\"r\",\"idempotencyKey\":\"k1\",\"requireApproval\":\"yes\"}",
                         fx->user_id);
  ct_response_assert_error (not_bool, 400, "INVALID_REQUEST");
  no_user = post_admin (fx, "reserve", "{\"userId\":\"nobody\",\"asset\":\"eur\",\"amount\":1,"
                        "\"reason\":\"r\",\"idempotencyKey\":\"k2\",\"requireApproval\":true}");
  ct_response_assert_error (no_user, 404, "USER_NOT_FOUND");
  far = post_admin (fx, "reserve", "{\"userId\":\"%s\",\"asset\":\"eur\",\"amount\":1,"
                    "\"reason\":\"r\",\"idempotencyKey\":\"k3\",\"requireApproval\":true,"
                    "\"returnTo\":\"https://elsewhere.example/\"}", fx->user_id);
  ct_response_assert_error (far, 400, "RETURN_TO_NOT_ALLOWED");
  poor = reserve_approved (fx, 101, "k4");
  ct_response_assert_error (poor, 409, "INSUFFICIENT_FUNDS");
  g_assert_cmpuint (companion_store_count_pending (store, NULL), ==, 0);

  /* false is a plain hold, without an order */
  plain = post_admin (fx, "reserve", "{\"userId\":\"%s\",\"asset\":\"eur\",\"amount\":1,"
                      "\"reason\":\"r\",\"idempotencyKey\":\"k5\",\"requireApproval\":false}",
                      fx->user_id);
  g_assert_cmpuint (plain->status, ==, 200);
  g_assert_false (json_object_has_member (ct_response_object (plain), "order"));
  g_assert_cmpuint (companion_store_count_pending (store, NULL), ==, 0);
}

typedef struct {
  int    argc;
  char **argv;
  int    status;
  gint   done;
} Phone;

static gpointer
run_phone (gpointer data)
{
  Phone *phone = data;

  phone->status = companion_approve_main (phone->argc, phone->argv);
  fflush (stdout);
  g_atomic_int_set (&phone->done, 1);
  return NULL;
}

static gboolean
phone_done (gpointer data)
{
  return g_atomic_int_get (&((Phone *) data)->done) != 0;
}

/* The terminal phone (crossing-companion approve) with the owner's key
 * shows the charge above the summary and its approval captures. */
static void
test_terminal_phone (Fixture       *fx,
                     gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(CtOrder) order = NULL;
      g_autoptr(CompanionLedgerHold) hold = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *hold_id = NULL;
      g_autofree char *key_path = g_build_filename (fx->f.tmp_dir, "device-key", NULL);
      g_autofree char *seed_hex = NULL;
      g_autofree char *key_text = NULL;
      guint8 seed[CROSSING_ED25519_SEED_BYTES];
      char *argv[6];
      Phone phone = { 0, };
      GThread *thread;

      ct_seed_for (0, seed);
      seed_hex = g_malloc (CROSSING_ED25519_SEED_BYTES * 2 + 1);
      for (guint i = 0; i < CROSSING_ED25519_SEED_BYTES; i++)
        g_snprintf (seed_hex + 2 * i, 3, "%02x", seed[i]);
      key_text = g_strconcat (seed_hex, "\n", NULL);
      g_assert_true (g_file_set_contents_full (key_path, key_text, -1,
                                               G_FILE_SET_CONTENTS_NONE, 0600, &error));
      g_assert_no_error (error);

      fx->f.config->check_code = FALSE;
      credit_eur (fx, 2000);
      order = start_approval (fx, 1250, &hold_id);
      argv[0] = (char *) "approve";
      argv[1] = (char *) "--yes";
      argv[2] = (char *) "--key";
      argv[3] = key_path;
      argv[4] = order->claim_url;
      argv[5] = NULL;
      phone.argc = 5;
      phone.argv = argv;
      thread = g_thread_new ("phone", run_phone, &phone);
      g_assert_true (ct_wait_until (phone_done, &phone, CT_TIMEOUT_MS));
      g_thread_join (thread);
      g_assert_cmpint (phone.status, ==, COMPANION_APPROVE_EXIT_APPROVED);

      hold = get_hold (fx, hold_id);
      g_assert_cmpint (hold->status, ==, COMPANION_HOLD_CAPTURED);
      g_assert_cmpint (eur (fx, TRUE), ==, 750);
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*AMOUNT:*12.50 eur*Title:*Hotel Crossing*"
                             "Summary:*Pay 12.50 eur: Room 12*Approved.*");
}

#define N_APPROVALS 20

/* 20 approvals of one order at once: one wins, the hold is captured once. */
static void
test_racing_approvals (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(CtOrder) order = NULL;
  g_autoptr(CtBatch) batch = NULL;
  g_autoptr(GPtrArray) responses = NULL;
  g_autoptr(CompanionLedgerHold) hold = NULL;
  g_autoptr(CompanionLedgerEntry) entry = NULL;
  g_autofree char *hold_id = NULL;
  g_autofree char *body = NULL;
  guint ok = 0, n;

  credit_eur (fx, 500);
  order = start_approval (fx, 500, &hold_id);
  ct_order_claim (&fx->f, order);
  ct_order_read_check_code (&fx->f, order);
  json_node_unref (ct_order_challenge (&fx->f, order));
  ct_order_sign (order);
  body = g_strdup_printf ("{\"orderId\":\"%s\",\"challengeToken\":\"%s\",%s%s%s"
                          "\"proof\":{\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}}",
                          order->order_id, order->challenge_token,
                          order->check_code != NULL ? "\"checkCode\":\"" : "",
                          order->check_code != NULL ? order->check_code : "",
                          order->check_code != NULL ? "\"," : "",
                          order->public_key_hex, order->signature_hex);

  batch = ct_batch_new (&fx->f);
  for (guint i = 0; i < N_APPROVALS; i++)
    {
      g_autoptr(SoupMessage) msg = ct_message_new_post (&fx->f, "approve", "application/json",
                                                        body, -1);

      ct_batch_add (batch, msg);
    }
  responses = ct_batch_wait (batch);
  for (guint i = 0; i < responses->len; i++)
    {
      CtResponse *r = g_ptr_array_index (responses, i);

      if (r->status == 200)
        ok++;
      else
        g_assert_cmpuint (r->status, >=, 400);
    }
  g_assert_cmpuint (ok, ==, 1);

  hold = get_hold (fx, hold_id);
  g_assert_cmpint (hold->status, ==, COMPANION_HOLD_CAPTURED);
  g_assert_cmpint (eur (fx, TRUE), ==, 0);
  entry = newest_entry (fx, &n);
  g_assert_cmpstr (entry->type, ==, "capture");
  /* credit, reserve, one capture */
  g_assert_cmpuint (n, ==, 3);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, setup_func, func) \
  g_test_add ("/ledger-approval/" path, Fixture, NULL, setup_func, func, teardown)

  ADD ("approve-captures-event-finalize-carry-reservation", setup, test_approve_captures);
  ADD ("reject-releases", setup, test_reject_releases);
  ADD ("cancel-releases", setup, test_cancel_releases);
  ADD ("expiry-releases", setup_short_ttl, test_expiry_releases);
  ADD ("release-cancels-order", setup, test_release_cancels_order);
  ADD ("approve-of-expired-hold-fails-cleanly", setup, test_approve_expired_hold_fails);
  ADD ("errors-and-no-order-when-refused", setup, test_errors);
  ADD ("racing-approvals-capture-once", setup, test_racing_approvals);
  ADD ("terminal-phone-shows-amount-and-captures", setup, test_terminal_phone);

  return g_test_run ();
}
